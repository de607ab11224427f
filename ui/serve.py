"""The launcher behind ``make run``: ``python -m ui.serve HOST PORT [streamlit options]``.

It prints the teacher's link (``classroom.teacher``), then runs Streamlit's own ``streamlit run app.py`` in this
process while a thread loads what every page needs - the libraries the pages import, MNIST, the shipped
checkpoints and the job queue with its worker processes - so the first student finds them loaded instead of
paying for them (a class starts without a wait; measured by ``python -m bench.cold_start``). The caches it fills
are the ones the pages read (``ui.state``), in this same process; a page that arrives before the thread is done
waits for what it needs (an import in progress, a cached value being made) rather than loading it twice.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time

# Streamlit first, whole, in this thread: importing it configures its plotly theme, which imports pandas; a
# preload thread importing pandas at the same time would hand plotly a half-imported module.
from streamlit.web import cli

from pruning_core import paths
from pruning_core.service.classroom import teacher


def preload() -> str:
    """Load what the pages share, once per server process: a one-line summary of what and how long."""
    started = time.perf_counter()
    from ui import warm_imports  # noqa: F401  (plotly, pandas, pyarrow: imported once, completely)
    from ui import state as ui_state
    ui_state.dataset()
    names = ui_state.builtin_names()
    for name in names:
        ui_state.builtin(name)
    ui_state.default_start()
    workers = ui_state.job_queue().executor.slots  # starts the worker processes, which load MNIST themselves
    return (f"Ready: MNIST, {len(names)} shipped checkpoints, {workers} job worker(s) "
            f"({time.perf_counter() - started:.1f} s)")


PRELOAD_THREAD = "prune-lab-preload"


def _not_about_preloading(record: logging.LogRecord) -> bool:
    """Streamlit warns when a cached function runs outside a page run ("missing ScriptRunContext"): for the
    preload thread, that is the point."""
    return not (record.args and record.args[0] == PRELOAD_THREAD)


def _preload_in_background() -> None:
    try:
        print(preload(), flush=True)
    except Exception as err:  # noqa: BLE001 - the pages load what is missing and show their own error
        print(f"Preloading stopped ({type(err).__name__}: {err}); pages load on first use.", flush=True)


def main(argv: list[str]) -> None:
    host, port, *rest = argv
    os.environ[paths.ENV_TEACHER_KEY] = teacher.key()  # the server reads the key the link carries
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    print(f"Teacher's link (hide lines, clear the class board; keep it to yourself): "
          f"{teacher.link(f'http://{shown}:{port}')}", flush=True)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_not_about_preloading)
    threading.Thread(target=_preload_in_background, name=PRELOAD_THREAD, daemon=True).start()
    args = ["run", str(paths.APP_DIR / "app.py"), "--server.address", host, "--server.port", port, *rest]
    sys.argv = ["streamlit", *args]
    cli.main(args=args, prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
