"""Class: every line the students shared with the class on one chart (test accuracy after retraining against
how much is pruned, one colour and nickname per line, the best accuracy at each sparsity starred), updated as
their steps land without a reload; who is best at >= 90 %, >= 95 %, >= 99 % and with which settings; open any
line read-only (a click on it, or by nickname). With the teacher's link, hide a line or clear the board.

The board is one SQLite index (``pruning_core.service.classroom.board``); this page polls its version number
and rebuilds the chart only when it changed, once per server for every open Class page."""
import streamlit as st

from ui import classroom as ui_classroom
from ui import session as ui_session
from ui import state as ui_state
from ui import viewing as ui_viewing
from pruning_core.plots import classroom as class_plots
from pruning_core.plots import figures
from pruning_core.service.classroom.board import SharedLine
from pruning_core.service.classroom.points import best_at

POLL_SECONDS = 2.0
THRESHOLDS = (90.0, 95.0, 99.0)
AXIS_KEY = "class-axis"
SHOWN_KEY = "class-shown"  # the view ids of the chart's lines, in trace order, as last drawn
CAPTION = ("Each colour is one student's line; a star marks the best accuracy reached at that sparsity. Look "
           "for the lines that stay high the furthest right - and which settings got them there (the table). "
           "Click a line to open it read-only.")


@st.cache_resource(max_entries=4, show_spinner=False)
def lines_at(board_file: str, version: int) -> list[SharedLine]:
    """The board's visible lines, read once per board version for all open Class pages (the board's file and
    ``version`` are the cache key: every change raises the version)."""
    return ui_session.board().lines()


@st.cache_resource(max_entries=12, show_spinner=False)
def chart_at(board_file: str, version: int, axis: str):
    """The chart of board version ``version``: built once per version and x axis, never changed after (pages
    draw copies in presenter mode)."""
    return class_plots.board_chart([(line.nickname, [(p.sparsity, p.accuracy) for p in line.points])
                                    for line in lines_at(board_file, version)], axis)


def best_table(lines: list[SharedLine]) -> None:
    rows = [{"pruned at least": f"{threshold:g} %", "nickname": line.nickname if line else "nobody yet",
             "weights pruned (%)": point.sparsity if point else None,
             "accuracy (%)": 100 * point.accuracy if point else None, "settings": point.settings if point else ""}
            for threshold, line, point in best_at(lines, THRESHOLDS)]
    st.dataframe(rows, hide_index=True, key="class-best", column_config={
        "weights pruned (%)": st.column_config.NumberColumn(format="%.1f"),
        "accuracy (%)": st.column_config.NumberColumn(format="%.2f")})


def open_line(lines: list[SharedLine]) -> None:
    """Pick a line and open it read-only on every page (the Prune page first)."""
    views = {line.view: line for line in lines}
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Open a line read-only", list(views), index=None, key="class-open",
                            placeholder="choose a nickname", format_func=lambda view: views[view].nickname)
    if go.button("Open read-only", key="class-open-button", disabled=chosen is None):
        ui_viewing.open_view(chosen)
        st.switch_page("views/prune.py")


def open_clicked(points: list[dict]) -> None:
    """A click on a point of a line opens that line read-only. Trace ``n`` of the chart is the ``n``-th line of
    the board as it was drawn, and a star names its line (``class_plots.board_chart``), so a click means the line
    of the chart the student saw, even if the board changed since."""
    shown = st.session_state.get(SHOWN_KEY, [])
    for point in points:
        line = point.get("curve_number")
        if line == len(shown):  # a star: the line it marks
            line = point.get("customdata")
            line = line[0] if isinstance(line, list) and line else line
        if isinstance(line, int) and 0 <= line < len(shown):
            ui_viewing.open_view(shown[line])
            st.switch_page("views/prune.py")


def moderation(lines: list[SharedLine], key: str) -> None:
    """The teacher's controls: hide any line from everyone, or clear the whole board."""
    board = ui_session.board()
    with st.expander("Teacher: moderate the board", expanded=True):
        for line in lines:
            name, hide = st.columns([4, 1], vertical_alignment="center")
            name.markdown(ui_state.plain(line.nickname))
            hide.button("Hide", key=f"hide-{line.view}", on_click=board.hide, args=(line.view, key),
                        help="Takes this line off the board for everyone; sharing again does not bring it back.")
        st.button("Clear the board", key="clear-board", on_click=board.clear, args=(key,),
                  help="Removes every shared line; students can share again.")


@st.fragment(run_every=POLL_SECONDS)
def board_panel(axis: str) -> None:
    """Everything drawn from the board: redrawn every poll from the cached chart of the board's version."""
    board = ui_session.board()
    at = (str(board.path), board.version())
    lines, key = lines_at(*at), ui_classroom.teacher_key()
    if not lines:
        st.info("Nobody has shared a line yet: on Prune & retrain, type a nickname and press "
                "Share with the class.")
    else:
        clicked = ui_state.chart(chart_at(*at, axis), CAPTION, key="class-chart",
                                 slide="The class: every shared line", clickable=True)
        open_clicked(clicked)
        st.session_state[SHOWN_KEY] = [line.view for line in lines]  # what the next click's trace numbers mean
        st.subheader("Best so far")
        best_table(lines)
        open_line(lines)
    if key:
        moderation(lines, key)


st.title("Class")
ui_classroom.follow_teacher()
st.caption("The lines students chose to share (Prune & retrain: Nickname, then Share with the class). Nothing "
           "is here until its owner presses Share; opening a line shows it read-only.")
axis = st.selectbox("x axis", list(figures.SPARSITY_AXES), key=AXIS_KEY, label_visibility="collapsed",
                    format_func=lambda option: f"x axis: {figures.SPARSITY_AXES[option]}")
board_panel(axis)
