"""The session store (pruning_core/service/sessions.py): a student's line survives a new store (a server
restart) and the loss of its run, writes are atomic, and every bound is kept per owner - one owner's work
never evicts another's lines."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from pruning_core import checkpoint, lab, paths
from pruning_core.errors import UserError
from pruning_core.service import runs, session_keys
from pruning_core.service.session_records import Start, start_of
from pruning_core.service.sessions import SessionLimits, SessionStore
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
    return session_keys.owner_id(f"secret-of-student-{n:02d}-" + "x" * 16)


def builtin_start() -> Start:
    return Start("baseline", builtin="baseline", accuracy=0.97)


def store(tmp_path, **limits) -> SessionStore:
    return SessionStore(tmp_path / "sessions", SessionLimits(**limits))


def test_owner_id_is_stable_secret_free_and_refuses_malformed_secrets():
    secret = session_keys.new_secret()
    assert session_keys.owner_id(secret) == session_keys.owner_id(secret) != session_keys.owner_id(session_keys.new_secret())
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


def test_go_back_drops_later_steps_and_a_typed_name_replaces_the_made_one(tmp_path, models):
    s = store(tmp_path)
    line = s.start_line(owner(), builtin_start())
    run = runs.create("schedule", "t", {}, owner())
    s.attach(owner(), line.id, run.id, 0)
    run.save_step(models[1])
    run.save_step(models[2])
    s.sync(owner(), line.id)
    back = s.go_back(owner(), line.id, 1)
    assert back.title == "baseline -> 50 %" and back.run == ""
    assert not (tmp_path / "sessions" / owner() / line.id / paths.run_step_file(2)).exists()
    assert s.rename(owner(), line.id, "  my   first try ").title == "my first try"


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
    line = s.start_line(owner(), builtin_start())
    run = runs.create("schedule", "t", {}, owner())
    s.attach(owner(), line.id, run.id, 0)
    run.save_step(models[1])
    run.save_step(models[2])
    assert len(s.sync(owner(), line.id)) == 1
    assert s.room(owner(), line.id) == 0 and len(s.load(owner()).line().steps) == 1


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


def test_least_recently_used_sessions_go_when_there_are_too_many_owners(tmp_path):
    s = store(tmp_path, owners=2)
    s.start_line(owner(0), builtin_start())
    s.start_line(owner(1), builtin_start())
    old = tmp_path / "sessions" / owner(0) / paths.SESSION_FILE
    os.utime(old, (1, 1))  # owner 0 has not been seen for a long time
    for n in range(5):  # owner 1 keeps working: it only ever replaces its own lines
        s.start_line(owner(1), builtin_start())
    assert s.load(owner(0)).lines != ()
    s.start_line(owner(2), builtin_start())  # a third student arrives: the stalest session goes
    assert s.load(owner(0)).lines == () and s.load(owner(1)).lines and s.load(owner(2)).lines


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
    s.go_back(owner(), line.id, 1)
    assert s.continuing(owner(), line.id) == ("", 0)  # the run holds a step the line no longer has
