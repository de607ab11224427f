"""The dashboard's Streamlit glue, shared by ``app.py`` and the pages in ``views/``: UI only - read widgets,
call one service function, draw. Its modules are imported as ``ui_<name>`` (``from ui import state as
ui_state``), the names the pages use."""
