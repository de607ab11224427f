"""The session store (pruning_core/service/sessions/store.py): a student's line survives a new store (a server
restart) and the loss of its run, writes are atomic, and every bound is kept per owner - one owner's work
never evicts another's lines."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from pruning_core import checkpoint, lab, paths
from pruning_core.errors import UserError
from pruning_core.service.runs import store as runs
from pruning_core.service.sessions import keys as session_keys
from pruning_core.service.sessions.records import Start, start_of
from pruning_core.service.sessions.store import SessionLimits, SessionStore
from pruning_core.settings import PruneSettings
from pruning_core.data import Mnist, Split, load_mnist


@pytest.fixture(scope="module")
def models():
    """The shipped baseline and two prune steps from it (no retraining: fast and deterministic)."""
    base = checkpoint.load("baseline")
    full = load_mnist("cpu")  # the first 128 test images: enough to measure, fast (tests/helpers imports the UI)
    data = Mnist(train=full.train, test=Split(full.test.images[:128], full.test.labels[:128],
                                              full.test.pixels[:128]))
    first = lab.prune_step(base, PruneSettings(50.0), retrain_epochs=0, data=data)
    second = lab.prune_step(first, PruneSettings(70.0), retrain_epochs=0, data=data)
    return base, first, second


def owner(n: int = 0) -> str:
    return f"{n:032x}"  # an owner id as ``session_keys.owner_id`` makes them


def builtin_start() -> Start:
    return Start("baseline", builtin="baseline", accuracy=0.97)


def store(tmp_path, **limits) -> SessionStore:
    return SessionStore(tmp_path / "sessions", SessionLimits(**limits))


def line_with_a_run(s: SessionStore, steps) -> tuple:
    """A new line of ``owner()`` from the shipped start, its schedule run attached, ``steps`` saved in the run
    (not yet adopted by the line: that is ``sync``)."""
    line = s.start_line(owner(), builtin_start())
    run = runs.create("schedule", "t", {}, owner())
    s.attach(owner(), line.id, run.id, 0)
    for step in steps:
        run.save_step(step)
    return line, run


def test_owner_id_is_stable_secret_free_and_refuses_malformed_secrets():
    secret = session_keys.issue()
    assert session_keys.owner_id(secret) == session_keys.owner_id(secret) != session_keys.owner_id(session_keys.issue())
    assert secret not in session_keys.owner_id(secret)
    for bad in ("", "short", "../../etc/passwd" + "a" * 30, "x" * 65, None):
        with pytest.raises(UserError):
            session_keys.owner_id(bad)
    with pytest.raises(UserError):
        SessionStore().load("../" + "0" * 30)


def test_line_follows_its_run_step_by_step_and_survives_a_restart_and_the_run_going(tmp_path, models):
    base, first, second = models
    s = store(tmp_path)
    line = s.start_line(owner(), builtin_start())
    run = runs.create("schedule", "t", {}, owner())
    s.attach(owner(), line.id, run.id, 0)
    assert s.sync(owner(), line.id) == []
    run.save_step(first)  # the job finishes one step ...
    assert [m.history[-1].percent for m in s.sync(owner(), line.id)] == [50.0]
    run.save_step(second)  # ... and the next
    assert len(s.sync(owner(), line.id)) == 1 and s.sync(owner(), line.id) == []

    again = SessionStore(tmp_path / "sessions")  # a restarted server
    restored = again.load(owner()).line()
    assert restored.id == line.id and restored.title == "baseline -> 50 % -> 70 %"
    shutil.rmtree(run.path)  # the runs' retention deleted the run: the line keeps its own links
    loaded = again.checkpoints(owner(), restored, checkpoint.load)
    assert [round(100 * m.masks.sparsity()) for m in loaded] == [0, 50, 70]
    assert loaded[-1].accuracy == second.accuracy
    assert again.sync(owner(), line.id) == [] and again.load(owner()).line().run == ""


def test_each_step_checkpoint_is_read_from_disk_once_per_server(tmp_path, models, monkeypatch):
    """Adopting a step (sync), loading the line's models, a second tab and a second store of the same server, and
    the Runs page opening the step: one read of each step file (``runs.files.read_step``)."""
    reads: list[str] = []
    load = checkpoint.load
    monkeypatch.setattr(checkpoint, "load", lambda path, *a, **k: reads.append(os.path.basename(path)) or
                        load(path, *a, **k))
    s = store(tmp_path)
    line, run = line_with_a_run(s, models[1:3])
    assert len(s.sync(owner(), line.id)) == 2
    line = s.load(owner()).line()
    for reader in (s, s, SessionStore(tmp_path / "sessions")):
        assert [m.accuracy for m in reader.checkpoints(owner(), line, lambda name: models[0])[1:]] == \
            [models[1].accuracy, models[2].accuracy]
    assert run.load_step(2).accuracy == models[2].accuracy
    assert sorted(reads) == [paths.run_step_file(1), paths.run_step_file(2)]


def test_go_back_opens_a_shorter_line_and_a_typed_name_replaces_the_made_one(tmp_path, models):
    s = store(tmp_path)
    line, _ = line_with_a_run(s, models[1:3])
    s.sync(owner(), line.id)
    back = s.go_back(owner(), line.id, 1)
    assert back.title == "baseline -> 50 %" and back.run == "" and s.load(owner()).active == back.id
    assert sorted(p.name for p in (tmp_path / "sessions" / owner() / back.id).iterdir()) == [paths.run_step_file(1)]
    assert [m.accuracy for m in s.checkpoints(owner(), back, checkpoint.load)[1:]] == [models[1].accuracy]
    assert s.rename(owner(), back.id, "  my   first try ").title == "my first try"


def test_undo_takes_back_a_reset_a_go_back_and_a_new_model_until_the_student_goes_on(tmp_path, models):
    base, first, second = models
    s = store(tmp_path)
    line, run = line_with_a_run(s, [first, second])
    s.sync(owner(), line.id)
    with pytest.raises(UserError, match="nothing to undo"):
        s.undo(owner())

    reset = s.go_back(owner(), line.id, 0)  # Reset to the start of this line
    assert s.load(owner()).line().steps == () and s.load(owner()).undo == line.id
    back = s.undo(owner())
    assert back.id == line.id and s.load(owner()).line().title == "baseline -> 50 % -> 70 %"
    assert [m.accuracy for m in s.checkpoints(owner(), back, checkpoint.load)] == \
        [base.accuracy, first.accuracy, second.accuracy]  # every step file is still there
    assert s.undo(owner()).id == reset.id and s.undo(owner()).id == line.id  # a second undo comes back

    uploaded = s.start_line(owner(), start_of(second, "upload mine.pt"), second)  # Load (or a trained model)
    again = SessionStore(tmp_path / "sessions")  # kept through a server restart
    assert again.load(owner()).undo == line.id and again.undo(owner()).id == line.id
    assert s.undo(owner()).id == uploaded.id
    assert round(100 * s.checkpoints(owner(), uploaded, checkpoint.load)[0].masks.sparsity()) == 70

    s.attach(owner(), uploaded.id, runs.create("prune", "t", {}, owner()).id, 0)  # the student went on
    assert s.load(owner()).undo == "" and line.id in [l.id for l in s.load(owner()).lines]
    with pytest.raises(UserError, match="nothing to undo"):
        s.undo(owner())


def test_the_line_undo_opens_is_never_evicted(tmp_path, models):
    s = store(tmp_path)
    line, _ = line_with_a_run(s, models[1:3])  # steps saved in its run, not yet in the line
    replaced = s.start_line(owner(), builtin_start())
    assert s.undo(owner()).id == line.id and s.load(owner()).undo == replaced.id
    s.rename(owner(), line.id, "mine")  # the replaced line is now the least recently used
    tight = SessionStore(tmp_path / "sessions", SessionLimits(lines_per_owner=1))
    assert len(tight.sync(owner(), line.id)) == 2  # over the limit now, yet undo's line is kept
    assert [l.id for l in tight.load(owner()).lines] == [line.id, replaced.id]
    assert tight.undo(owner()).id == replaced.id


def test_pruned_start_is_stored_and_labelled_as_pruned(tmp_path, models):
    s = store(tmp_path)
    line = s.start_line(owner(), start_of(models[2], "upload mine.pt"), models[2])
    assert line.start.name == "upload mine.pt (loaded 70.0 % pruned)"
    start = s.checkpoints(owner(), s.load(owner()).line(), checkpoint.load)[0]
    assert start.origin == "upload mine.pt" and round(100 * start.masks.sparsity()) == 70


def test_session_file_is_replaced_atomically_and_damage_reads_as_no_session(tmp_path, monkeypatch):
    s = store(tmp_path)
    first = s.start_line(owner(), builtin_start())
    path = tmp_path / "sessions" / owner() / paths.SESSION_FILE
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk died mid-write")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        s.rename(owner(), first.id, "never written")
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old file, whole; no temp file left beside it
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert s.load(owner()).line().title == "baseline"

    path.write_bytes(before[: len(before) // 2])  # torn by something outside the store
    assert s.load(owner()).lines == ()
    path.write_text(json.dumps({"version": 1, "active": "", "lines": [{"id": "../../x"}]}))
    assert s.load(owner()).lines == ()


def test_steps_per_line_are_bounded(tmp_path, models):
    s = store(tmp_path, steps_per_line=1)
    line, _ = line_with_a_run(s, models[1:3])
    assert len(s.sync(owner(), line.id)) == 1
    assert len(s.load(owner()).line().steps) == s.limits.steps_per_line == 1  # no room left


def test_lines_and_bytes_are_bounded_per_owner_and_never_evict_another_owner(tmp_path, models):
    s = store(tmp_path, lines_per_owner=2)
    other = s.start_line(owner(1), builtin_start())
    made = [s.start_line(owner(0), start_of(models[1], f"upload {n}.pt"), models[1]) for n in range(4)]
    kept = [line.id for line in s.load(owner(0)).lines]
    assert kept == [made[2].id, made[3].id] and s.load(owner(0)).active == made[3].id
    assert sorted(p.name for p in (tmp_path / "sessions" / owner(0)).iterdir()) == \
        sorted(kept + [paths.SESSION_FILE])
    assert s.load(owner(1)).line().id == other.id

    size = (tmp_path / "sessions" / owner(0) / made[3].id / paths.LINE_START).stat().st_size
    tight = store(tmp_path / "tight", owner_bytes=int(2.5 * size))
    lines = [tight.start_line(owner(0), start_of(models[1], f"u{n}"), models[1]) for n in range(5)]
    neighbour = tight.start_line(owner(1), start_of(models[1], "theirs"), models[1])
    assert [l.id for l in tight.load(owner(0)).lines] == [lines[3].id, lines[4].id]
    assert [l.id for l in tight.load(owner(1)).lines] == [neighbour.id]


def test_only_sessions_idle_for_days_go_and_only_beyond_the_disk_budget(tmp_path, models):
    s = store(tmp_path)
    s.start_line(owner(0), start_of(models[1], "upload"), models[1])
    one_owner = sum(f.stat().st_size for f in (tmp_path / "sessions" / owner(0)).rglob("*") if f.is_file())
    s = store(tmp_path, total_bytes=int(1.5 * one_owner))
    s.start_line(owner(1), start_of(models[1], "upload"), models[1])  # now over the budget
    os.utime(tmp_path / "sessions" / owner(0) / paths.SESSION_FILE, (1, 1))  # owner 0 not seen for years
    s.start_line(owner(2), builtin_start())  # a new student: the idle session makes room
    assert s.load(owner(0)).lines == () and s.load(owner(1)).lines and s.load(owner(2)).lines
    s.start_line(owner(3), start_of(models[1], "upload"), models[1])  # over again; nobody idle for 7 days
    with pytest.raises(UserError, match="space for students' work is full; ask your teacher"):
        s.start_line(owner(4), builtin_start())
    assert all(s.load(owner(n)).lines for n in (1, 2, 3))  # a new student pushes nobody out


def test_the_next_job_of_a_line_goes_on_in_its_run_unless_the_line_went_back(tmp_path, models):
    s = store(tmp_path)
    line = s.start_line(owner(), builtin_start())
    assert s.continuing(owner(), line.id) == ("", 0)  # no step yet: a new run
    run = runs.create("prune", "t", {}, owner())
    s.attach(owner(), line.id, run.id, 0)
    run.save_step(models[1])
    s.sync(owner(), line.id)
    assert s.continuing(owner(), line.id) == ("", 0)  # its job is still running
    run.set_status(runs.JobStatus.DONE)
    assert s.continuing(owner(), line.id) == (run.id, 1)
    again = runs.reopen(run.id)  # the next prune of this line
    s.attach(owner(), line.id, again.id, 1)
    again.save_step(models[2])
    s.sync(owner(), line.id)
    assert runs.get(run.id).config()["title"] == "baseline -> 50 % -> 70 %" and run.steps() == [1, 2]
    with pytest.raises(UserError):
        runs.reopen(run.id)  # queued again: not twice
    run.set_status(runs.JobStatus.DONE)
    back = s.go_back(owner(), line.id, 1)
    assert s.continuing(owner(), back.id) == ("", 0)  # the run holds a step the new line does not have
    assert s.continuing(owner(), line.id) == (run.id, 2)  # the line left behind could still go on in it
