"""Sessions a script cannot flush: 400 new owners arriving leave a student's line intact, a start larger than a
student's budget is refused when it is loaded (the student keeps working), and only secrets this installation
signed name an owner (a forged or altered cookie value counts as none; the key file is private).
"""
from __future__ import annotations

import stat

import pytest

from pruning_core import checkpoint, lab, paths
from pruning_core.errors import UserError
from pruning_core.service.sessions import keys
from pruning_core.service.sessions.records import Start, start_of
from pruning_core.service.sessions.store import SessionLimits, SessionStore
from pruning_core.settings import PruneSettings


def test_a_students_line_survives_400_new_owners(tmp_path, baseline):
    store = SessionStore(tmp_path / "sessions")
    victim = keys.owner_id(keys.issue())
    line = store.start_line(victim, start_of(baseline, "baseline", "baseline"))
    pruned = lab.prune_step(baseline, PruneSettings(50.0), retrain_epochs=0)
    store.start_line(victim, start_of(pruned, "upload p50.pt"), pruned)
    for _ in range(400):  # every one of them a new owner's first line, as a page open used to make
        store.start_line(keys.owner_id(keys.issue()), Start("baseline", builtin="baseline", accuracy=0.97))
    kept = store.load(victim)
    assert [l.id for l in kept.lines][0] == line.id and len(kept.lines) == 2
    assert kept.line().start.label == "upload p50.pt"
    assert store.checkpoints(victim, kept.line(), checkpoint.load)[0].masks.sparsity() == pytest.approx(0.5, abs=1e-3)


def test_a_start_over_the_students_budget_is_refused_and_the_student_keeps_working(tmp_path, baseline):
    store = SessionStore(tmp_path / "sessions", SessionLimits(owner_bytes=2**20))  # LeNet-300-100 is ~1.1 MB
    me = keys.owner_id(keys.issue())
    first = store.start_line(me, start_of(baseline, "baseline", "baseline"))
    with pytest.raises(UserError, match=r"this model takes \d MB on the server, more than the 1 MB a student"):
        store.start_line(me, start_of(baseline, "upload big.pt"), baseline)
    session = store.load(me)
    assert session.line().id == first.id and len(session.lines) == 1
    assert list((tmp_path / "sessions" / me).rglob("*.pt")) == []  # nothing of the refused start is kept


def test_only_secrets_this_installation_signed_name_an_owner(tmp_path, monkeypatch):
    issued = keys.issue()
    assert keys.valid(issued) and keys.owner_id(issued)
    forged = "A" * 64  # the right shape, no valid signature
    altered = issued[:31] + ("x" if issued[31] != "x" else "y") + issued[32:]
    for value in (forged, altered, issued[:32], None, 7):
        assert not keys.valid(value)
        with pytest.raises(UserError, match="malformed session key"):
            keys.owner_id(value)
    key_file = paths.runs_dir() / keys.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == keys.KEY_BYTES
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "another-installation"))
    assert not keys.valid(issued)  # another server's key signs other secrets
