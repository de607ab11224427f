"""A student's stored settings (pruning_core/service/sessions/preferences.py): they come back from a new read
(a server restart), only valid values are kept, and a damaged file reads as the defaults."""
from __future__ import annotations

import json

import pytest

from pruning_core.errors import UserError
from pruning_core.service.sessions import preferences

OWNER = "0123456789abcdef0123456789abcdef"
SETTINGS = {"percent": 80.0, "scope": "layer", "epochs": 3.0, "lr": 0.002, "schedule": "50, 80, 90", "step": 1,
            "present": True, "lesson": True, "lesson-seen": ["stepped", "weights"]}


def test_settings_come_back_from_the_file(tmp_path):
    assert preferences.load(tmp_path, OWNER) == {}  # nothing stored yet: the defaults
    assert preferences.save(tmp_path, OWNER, SETTINGS) == SETTINGS
    assert preferences.load(tmp_path, OWNER) == SETTINGS
    assert not [p for p in (tmp_path / OWNER).iterdir() if p.name != preferences.FILE]  # no temp file left


@pytest.mark.parametrize("bad", [{"percent": 150.0}, {"percent": "80"}, {"scope": "everything"},
                                 {"epochs": float("nan")}, {"step": -1}, {"step": True}, {"present": "yes"},
                                 {"schedule": "9" * 1000}, {"owner": "someone else"}, {"lesson": 1},
                                 {"lesson-seen": ["weights", "weights"]}, {"lesson-seen": ["anything"]},
                                 {"lesson-seen": "weights"}])
def test_a_bad_value_is_left_out_and_the_rest_kept(tmp_path, bad):
    path = preferences.file_of(tmp_path, OWNER)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**SETTINGS, **bad}))
    loaded = preferences.load(tmp_path, OWNER)
    name = next(iter(bad))
    assert name not in loaded and loaded == {k: v for k, v in SETTINGS.items() if k != name}


@pytest.mark.parametrize("damage", [b"{\"percent\": 8", b"\xff\xfe", b"[1, 2]", b"null", b""])
def test_a_damaged_file_reads_as_the_defaults(tmp_path, damage):
    path = preferences.file_of(tmp_path, OWNER)
    path.parent.mkdir(parents=True)
    path.write_bytes(damage)
    assert preferences.load(tmp_path, OWNER) == {}


def test_a_malformed_owner_names_no_file(tmp_path):
    for owner in ("../escape", "ABC", ""):
        with pytest.raises(UserError):
            preferences.save(tmp_path, owner, SETTINGS)
    assert not any(tmp_path.iterdir())
