"""User-derived text is plain wherever Streamlit renders Markdown: a file name, a run or line title, an error
message quoting what was typed, a settings link's values never become a link, an image, a colour or emphasis.

One helper escapes it (``ui_state.plain``). A scan of every page, the app and the UI glue finds each call that
renders Markdown - messages, captions, labels of buttons, downloads, metrics and other widgets, a chart's
caption, a notice kept for the next run - and fails on user-derived text in it that does not pass through the
helper. Pages rendered under AppTest with hostile names show the same from the outside.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pruning_core import paths
from pruning_core.service.runs import store as runs
from pruning_core.service.jobs.records import JobStatus
from pruning_core.service.sessions import keys as session_keys
from ui import state as ui_state

HOSTILE = "[click](http://evil.example/x) ![img](http://evil.example/i.png) **bold** :red[red] <b>b</b> $x$"
# Calls that render every positional argument as Markdown.
MESSAGES = {"markdown", "caption", "write", "info", "warning", "error", "success", "toast", "title", "header",
            "subheader"}
# Widgets and containers whose label (first argument) and help text are Markdown.
LABELLED = {"button", "download_button", "form_submit_button", "link_button", "page_link", "metric", "expander",
            "popover", "checkbox", "toggle", "radio", "selectbox", "select_slider", "slider", "number_input",
            "text_input", "text_area", "file_uploader", "multiselect", "progress", "chart"}
MARKDOWN_KEYWORDS = {"label", "help", "text", "body", "caption"}
# Where user-derived text comes from: names of files, runs, lines and steps, and messages of errors (which
# quote what was typed or uploaded), the settings a link carried.
USER_ATTRIBUTES = {"title", "name", "origin", "error", "reason", "detail", "label", "nickname"}
USER_KEYS = {"title", "name", "origin", "reason"}
USER_CALLS = {"step_name", "model_name"}
USER_NAMES = {"problems", "titles", "bad_prune"}
NOT_TEXT = {"isinstance", "len", "bool", "int", "float"}  # what they return shows none of their arguments
SCANNED = sorted([*Path(paths.APP_DIR, "views").glob("*.py"), Path(paths.APP_DIR, "app.py"),
                  *Path(paths.APP_DIR).glob("ui/*.py")])


def name_of(func: ast.expr) -> str:
    """The called function's name: ``st.error`` -> "error"; ``(st.error if bad else st.warning)`` -> "error"."""
    if isinstance(func, ast.IfExp):
        return name_of(func.body) or name_of(func.orelse)
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def unescaped(node: ast.AST, tainted: set[str]) -> list[ast.AST]:
    """The user-derived parts of the expression ``node`` that do not pass through ``plain``."""
    if isinstance(node, ast.Call) and name_of(node.func) in ("plain", *NOT_TEXT):
        return []
    found = []
    if isinstance(node, ast.Call) and name_of(node.func) in USER_CALLS:
        found.append(node)
    elif isinstance(node, ast.Attribute) and node.attr in USER_ATTRIBUTES:
        found.append(node)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in USER_KEYS:
        found.append(node)
    elif isinstance(node, ast.Name) and node.id in tainted:
        found.append(node)
    children = [c for c in ast.iter_child_nodes(node) if not (isinstance(node, ast.Call) and c is node.func)]
    return found + [part for child in children for part in unescaped(child, tainted)]


def tainted_names(tree: ast.AST) -> set[str]:
    """Variables holding user-derived text: exceptions caught, USER_NAMES, and whatever is assigned from them
    (``message = f"{info['title']}"`` taints ``message``), followed through the file until nothing changes."""
    tainted = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name} | USER_NAMES
    grown = True
    while grown:
        grown = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and unescaped(node.value, tainted):
                for name in {n.id for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}:
                    grown |= name not in tainted
                    tainted.add(name)
    return tainted


def rendered_arguments(call: ast.Call) -> list[ast.expr]:
    """The arguments of ``call`` that Streamlit renders as Markdown (none if it renders none)."""
    called = name_of(call.func)
    if called in MESSAGES:
        return list(call.args) + [k.value for k in call.keywords if k.arg in MARKDOWN_KEYWORDS]
    if called in LABELLED:
        first = call.args[1:2] if called in ("chart", "progress") else call.args[:1]  # chart(fig, caption)
        return list(first) + [k.value for k in call.keywords if k.arg in MARKDOWN_KEYWORDS]
    return []


def violations(source: str, name: str) -> list[str]:
    """"file:line: expression" for each user-derived part of Markdown in the Python ``source`` left unescaped."""
    tree = ast.parse(source, name)
    tainted = tainted_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            shown = rendered_arguments(node)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "notice"
                                                  for t in node.targets):
            shown = [node.value]  # a notice is shown by show_notice with st.success/warning/error
        else:
            continue
        for argument in shown:
            found += [(part.lineno, ast.unparse(part)) for part in unescaped(argument, tainted)]
    return [f"{name}:{line}: {text}" for line, text in sorted(found)]


def test_the_scan_finds_unescaped_user_text():
    example = ("try:\n    pass\nexcept E as err:\n    st.error(f'{err} {run.title}')\n"
               "st.download_button(f'{line.step_name(2)}', data)\ncol.metric(info['name'], 1)\n"
               "st.session_state.notice = ('error', snap.error)\nui_state.chart(fig, f'{titles}', 'k')\n"
               "st.caption(ui_state.plain(file.name))\nst.button('Go', help=str(err))\nst.write(4, file.name)\n"
               "text = f'{run.origin}'\n(st.error if bad else st.warning)(text)")
    assert violations(example, "x.py") == [
        "x.py:4: err", "x.py:4: run.title", "x.py:5: line.step_name(2)", "x.py:6: info['name']",
        "x.py:7: snap.error", "x.py:8: titles", "x.py:10: err", "x.py:11: file.name", "x.py:13: text"]
    assert {p.name for p in SCANNED} >= {"app.py", "runs.py", "prune.py", "train.py", "state.py"}


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: p.name)
def test_user_text_reaches_markdown_only_through_plain(path):
    assert violations(path.read_text(), path.name) == []


def test_plain_escapes_every_markdown_mark_and_loses_nothing():
    escaped = ui_state.plain(HOSTILE)
    for mark in "[]()*:$<>!":
        assert f"\\{mark}" in escaped
    assert escaped.replace("\\", "").replace(ui_state.WORD_JOINER, "") == HOSTILE
    # Bare URLs and addresses, which GFM links by itself even escaped, carry an invisible word joiner.
    assert "http\\:\u2060//" in escaped and ui_state.plain("www.x a@b") == "www\u2060\\.x a\u2060@b"


def markdown_texts(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown, as sent to the browser."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
    texts = [element.value for kind in kinds for element in at.get(kind)]
    return texts + [element.label for kind in ("button", "download_button", "metric", "selectbox")
                    for element in at.get(kind)]


def test_a_hostile_run_title_is_plain_on_the_runs_page(app):
    run = runs.create("prune", HOSTILE, {}, owner=session_keys.owner_id(app.session_state["session_secret"]))
    run.set_status(JobStatus.FAILED, f"refused {HOSTILE}")
    app.switch_page("views/runs.py").run()
    assert not app.exception
    texts = markdown_texts(app)
    assert any(ui_state.plain(HOSTILE) in text for text in texts)
    assert not any("[click](" in text or "![img](" in text or "<b>" in text for text in texts)


def test_a_hostile_settings_link_is_plain(tmp_path):
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60)
    at.query_params["scope"] = HOSTILE
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("not all usable" in text for text in warnings)
    assert not any("[click](" in text or "<b>" in text for text in warnings)

