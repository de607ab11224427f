"""The class board (pruning_core/service/classroom/): sharing, appending and taking back lines is transactional
under many threads at once, the board stays within its bounds, a nickname is plain text of at most 24
characters, a view id opens only a line that is shared now, and only the teacher's key hides or clears."""
from __future__ import annotations

import threading

import pytest

from pruning_core import checkpoint, paths
from pruning_core.errors import UserError
from pruning_core.service.classroom import board as class_board
from pruning_core.service.classroom import teacher
from pruning_core.service.classroom.board import Board, Point
from pruning_core.service.classroom.points import points_of
from pruning_core.service.sessions.records import Start
from pruning_core.service.sessions.store import SessionStore

KEY = "the-teachers-key"


def owner(n: int) -> str:
    return f"{n:032x}"


def points(*accuracies: float) -> list[Point]:
    return [Point(i, 10.0 * i, a, f"global, 1 epoch(s), lr 0.001") for i, a in enumerate(accuracies)]


@pytest.fixture
def board(tmp_path) -> Board:
    return Board(tmp_path / "board.sqlite3", teacher_key=KEY)


def test_a_shared_line_is_seen_with_its_points_and_steps_appended_later(board):
    before = board.version()
    shared = board.share(owner(1), "aaaaaaaa", "  Grace \n H ", points(0.97, 0.96))
    assert shared.nickname == "Grace H" and len(shared.view) == 22
    assert board.publish(owner(1), "aaaaaaaa", 2, [Point(2, 20.0, 0.95)])
    [line] = board.lines()
    assert (line.nickname, [p.accuracy for p in line.points]) == ("Grace H", [0.97, 0.96, 0.95])
    assert board.viewed(shared.view).line == "aaaaaaaa" and board.version() == before + 2
    # Going back cuts the points from there; a line nobody shared writes nothing and keeps the version.
    board.publish(owner(1), "aaaaaaaa", 1, [])
    assert [p.position for p in board.lines()[0].points] == [0]
    version = board.version()
    assert not board.publish(owner(2), "bbbbbbbb", 1, points(0.5)) and board.version() == version
    assert board.lines()[0].points and board.nickname(owner(1)) == "Grace H"


def test_stop_sharing_closes_the_view_and_a_new_share_has_a_new_view_id(board):
    first = board.share(owner(1), "aaaaaaaa", "Ada", points(0.97))
    board.unshare(owner(1), "aaaaaaaa")
    assert board.viewed(first.view) is None and board.lines() == [] and board.entry(owner(1), "aaaaaaaa") is None
    second = board.share(owner(1), "aaaaaaaa", "Ada", points(0.97))
    assert second.view != first.view and board.viewed(first.view) is None and board.viewed(second.view)


@pytest.mark.parametrize("nickname", ["", "   ", "\n\t", "x" * 25])
def test_a_nickname_is_one_to_24_characters(board, nickname):
    with pytest.raises(UserError):
        board.share(owner(1), "aaaaaaaa", nickname, points(0.9))
    assert board.lines() == []


def test_a_hostile_nickname_is_stored_as_the_text_it_is(board):
    hostile = "[x](http://e.x) <b>b"
    board.share(owner(1), "aaaaaaaa", hostile + "\x00\x1b", points(0.9))
    assert board.lines()[0].nickname == hostile  # control characters dropped; rendering escapes the rest


def test_the_board_is_bounded(board, monkeypatch):
    monkeypatch.setattr(class_board, "MAX_LINES", 3)
    for n in range(3):
        board.share(owner(n), "aaaaaaaa", f"s{n}", points(0.9))
    with pytest.raises(UserError, match="full"):
        board.share(owner(9), "aaaaaaaa", "late", points(0.9))
    board.share(owner(0), "aaaaaaaa", "renamed", points(0.9))  # sharing again is no new row
    with pytest.raises(ValueError):
        board.publish(owner(0), "aaaaaaaa", 1, [Point(class_board.MAX_POINTS, 99.0, 0.5)])
    with pytest.raises(ValueError):
        board.share(owner(0), "aaaaaaaa", "nan", [Point(0, float("nan"), 0.5)])
    assert [line.nickname for line in board.lines()] == ["renamed", "s1", "s2"]


def test_hide_and_clear_need_the_teachers_key(board):
    shared = board.share(owner(1), "aaaaaaaa", "Ada", points(0.9))
    for wrong in ("", "nope", KEY + "x", None):
        with pytest.raises(UserError):
            board.hide(shared.view, wrong)
        with pytest.raises(UserError):
            board.clear(wrong)
    assert not Board(board.path).is_teacher("")  # a server without a key has no teacher
    board.hide(shared.view, KEY)
    assert board.lines() == [] and board.viewed(shared.view) is None
    # Sharing again, or stopping and sharing again, does not bring a hidden line back.
    board.unshare(owner(1), "aaaaaaaa")
    board.share(owner(1), "aaaaaaaa", "Ada again", points(0.9))
    assert board.lines() == []
    board.share(owner(2), "bbbbbbbb", "Bo", points(0.9))
    board.clear(KEY)
    assert board.lines() == [] and board.entry(owner(1), "aaaaaaaa") is None


def test_many_threads_share_and_append_at_once(board):
    """30 students share and append 5 steps each from their own threads, each through its own Board object
    (as separate page runs do): every step lands once, the version counts every change."""
    start, errors = board.version(), []

    def student(n: int) -> None:
        mine = Board(board.path, teacher_key=KEY)
        try:
            mine.share(owner(n), "aaaaaaaa", f"student {n}", points(0.97))
            for step in range(1, 6):
                mine.publish(owner(n), "aaaaaaaa", step, [Point(step, 10.0 * step, 0.9)])
                mine.lines()
        except Exception as err:  # noqa: BLE001 - collected and reported below
            errors.append(err)

    threads = [threading.Thread(target=student, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lines = board.lines()
    assert len(lines) == 30 and all([p.position for p in line.points] == list(range(6)) for line in lines)
    assert board.version() == start + 30 * 6


def test_points_come_from_a_lines_checkpoints():
    base = checkpoint.load("baseline")
    base.origin = "baseline"
    [point] = points_of([base])
    assert (point.position, point.sparsity, point.accuracy, point.settings) == (0, 0.0, base.accuracy,
                                                                                 "start: baseline")


def test_a_copied_line_is_the_viewers_own_with_the_same_start_and_steps(tmp_path):
    store = SessionStore(tmp_path)
    line = store.start_line(owner(1), Start("baseline", builtin="baseline", accuracy=0.97))
    store.rename(owner(1), line.id, "Grace's try")
    copy = store.copy_line(owner(1), line.id, owner(2), "from Grace")
    assert store.load(owner(2)).line().id == copy.id != line.id
    assert (copy.start, copy.steps, copy.name, copy.run) == (line.start, line.steps, "from Grace", "")
    assert store.load(owner(1)).line().name == "Grace's try"  # the source is untouched


def test_the_teacher_key_is_the_environments_else_random_once_per_process(monkeypatch):
    monkeypatch.setattr(teacher, "_key", "")
    monkeypatch.setenv(paths.ENV_TEACHER_KEY, "chosen-key")
    assert teacher.link("http://127.0.0.1:8501/") == "http://127.0.0.1:8501/class?teacher=chosen-key"
    monkeypatch.setattr(teacher, "_key", "")
    monkeypatch.delenv(paths.ENV_TEACHER_KEY)
    first = teacher.key()
    assert len(first) >= 16 and teacher.key() == first  # random once per server process


def test_a_student_shares_one_line_at_a_time(board):
    first = board.share(owner(1), "aaaaaaaa", "Ada", points(0.97))
    board.share(owner(1), "bbbbbbbb", "Ada", points(0.96))
    assert [line.line for line in board.lines()] == ["bbbbbbbb"] and board.viewed(first.view) is None
    assert board.shared_by(owner(1)).line == "bbbbbbbb" and board.shared_by(owner(2)) is None
