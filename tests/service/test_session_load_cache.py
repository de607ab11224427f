"""``SessionStore.load`` keeps the parsed session while its file is unchanged (a page run reads it a dozen times)
and never serves an old session after a change, even two changes within one timestamp tick."""
from __future__ import annotations

import os
import time

from pruning_core.service.sessions.records import Start
from pruning_core.service.sessions.store import SessionStore

OWNER = "0" * 32


def run_id(n: int) -> str:
    return f"20261129-040000-00000{n}-abcd"


def test_an_unchanged_file_is_parsed_once_and_every_change_is_seen(tmp_path) -> None:
    store = SessionStore(tmp_path)
    line = store.start_line(OWNER, Start("baseline", "baseline", 0.0, 0.9))
    store.attach(OWNER, line.id, run_id(0), 0)  # a second write right after the first: the same tick, maybe
    assert store.load(OWNER).line(line.id).run == run_id(0)
    path = tmp_path / OWNER / "session.json"
    past = time.time() - 10
    os.utime(path, (past, past))  # an old file: kept once read
    first = store.load(OWNER)
    assert store.load(OWNER) is first
    # Quick writes of the same size (an inode may be reused, the mtime may not move): each is read back.
    for run in map(run_id, range(1, 5)):
        store.attach(OWNER, line.id, run, 0)
        assert store.load(OWNER).line(line.id).run == run
