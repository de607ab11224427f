"""Property tests: no input - any CLI flag value, any argument list, any uploaded bytes, any run name, any
number typed into a field - produces a traceback. Bad input is a one-line reason and writes nothing.

The CLI cases are built so that no work can start (a missing checkpoint, an output in a missing directory),
and the random-argument-list case replaces the commands with a stub, so hypothesis explores parsing and
validation only and every example costs milliseconds.
"""
from __future__ import annotations

import io
import math
import os

import pytest
import torch
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from pruning_core import checkpoint, cli, paths
from pruning_core.service.runs import store as runs
from pruning_core.errors import UserError
from pruning_core.settings import PRUNE_SCOPES, ModelSettings, PruneSettings, TrainSettings

MISSING = "/nonexistent/prune-lab/model.pt"
NO_DIR = "/nonexistent/prune-lab/out"
# Per command: arguments that are valid in form but guarantee the command fails before doing any work.
BASE = {
    "prune": ["--checkpoint", MISSING, "--percent", "50", "--out", NO_DIR + "/p.pt"],
    "schedule": ["--checkpoint", MISSING, "--out-dir", NO_DIR + "/s"],
    "train": ["--out", NO_DIR + "/t.pt", "--epochs", "-1"],
    "evaluate": ["--checkpoint", MISSING],
    "inspect": ["--checkpoint", MISSING, "--digit", "3"],
}
FLAGS = [("prune", f) for f in ("--checkpoint", "--percent", "--scope", "--retrain-epochs", "--lr", "--out",
                                "--device")] + \
        [("schedule", f) for f in ("--percents", "--scope", "--retrain-epochs", "--lr", "--out-dir")] + \
        [("train", f) for f in ("--preset", "--epochs", "--hidden", "--arch", "--dropout", "--seed", "--out")] + \
        [("evaluate", "--checkpoint"), ("evaluate", "--device")] + \
        [("inspect", f) for f in ("--test-index", "--index", "--digit")]
# Text a person might type, plus anything at all.
VALUES = st.one_of(st.text(max_size=16), st.from_regex(r"-?[0-9]{0,4}(\.[0-9]{0,3})?(e-?[0-9]{1,3})?", fullmatch=True),
                   st.sampled_from(["nan", "inf", "-inf", "1e309", "0x10", "50,40", "300,", ",", "1,2,3", "cuda:7",
                                    "meta", "../../etc/passwd", "baseline\n", "\x00"]))


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse's own exit for malformed arguments
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    """Relative paths land in an empty directory, which must still be empty afterwards."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command, flag", FLAGS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES)
@example(value="new\nline/x.pt")  # once printed a two-line error for --out / --out-dir
@example(value="~nobody0/x.pt")    # once raised RuntimeError (no such user) from Path.expanduser
def test_any_flag_value_is_a_one_line_error(command, flag, value, capsys, empty_cwd):
    # Hypothesis also tries the code's own string constants: a shipped checkpoint's name is a valid value.
    assume(not (flag == "--checkpoint" and value in paths.BUILTIN_CHECKPOINTS))
    argv = [command, *BASE[command]]
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    code, out, err = run_main(argv, capsys)
    assert code == 2, (argv, err)
    assert err.startswith("prune-lab: error: ") and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    assert out == "" and not os.listdir(empty_cwd)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.lists(st.one_of(st.sampled_from(["prune", "schedule", "train", "evaluate", "inspect",
                                                "experiments", "report"] + [f for _, f in FLAGS]), VALUES),
                     max_size=8))
def test_any_argument_list_parses_or_fails_in_one_line(argv, capsys, monkeypatch, empty_cwd):
    monkeypatch.setattr(cli, "COMMANDS", {name: lambda args, bar: {} for name in cli.COMMANDS})
    code, _, err = run_main(argv, capsys)
    assert code in (0, 2) and "Traceback" not in err
    assert code == 0 or (err.startswith("prune-lab: error: ") and err.count("\n") == 1), (argv, err)


def _real_bytes() -> bytes:
    return checkpoint.to_bytes(checkpoint.load("baseline"))


REAL = _real_bytes()


@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=4096),
                      st.tuples(st.integers(0, len(REAL) - 1), st.binary(min_size=1, max_size=64)).map(
                          lambda cut: REAL[:cut[0]] + cut[1] + REAL[cut[0] + len(cut[1]):]),
                      st.integers(0, len(REAL)).map(lambda n: REAL[:n])))
def test_any_uploaded_bytes_load_or_give_a_reason(data):
    try:
        loaded = checkpoint.from_bytes(data)
    except UserError as err:
        assert "\n" not in str(err)
    else:  # a harmless change (say, in a zip comment) may still be a valid checkpoint
        assert loaded.masks.sparsity() == 0.0


@pytest.mark.parametrize("hidden", [[float("nan"), 100], [float("inf"), 100], ["300", 100], [300]])
def test_an_upload_with_a_malformed_width_is_refused(hidden):  # NaN once escaped as a plain ValueError
    raw = checkpoint.load("baseline").to_dict()
    raw["config"]["hidden"] = hidden
    buffer = io.BytesIO()
    torch.save(raw, buffer)
    with pytest.raises(UserError, match="hidden sizes"):
        checkpoint.from_bytes(buffer.getvalue())


def test_pickled_code_in_an_upload_is_refused():
    buffer = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT, "payload": os.system}, buffer)
    with pytest.raises(UserError, match="never unpickled"):
        checkpoint.from_bytes(buffer.getvalue())


@given(name=st.one_of(st.text(max_size=40), st.just("../../etc"), st.from_regex(runs.RUN_ID, fullmatch=True)))
def test_any_run_name_is_found_or_refused(name):
    with pytest.raises(UserError):
        runs.get(name)  # the runs directory is empty: nothing may be found, nothing may crash


@given(percent=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6),
                         st.booleans(), st.text(max_size=5), st.none()),
       scope=st.one_of(st.sampled_from(["global", "layer", "std"]), st.text(max_size=8)))
def test_prune_fields_validate(percent, scope):
    try:
        accepted = PruneSettings(percent, scope)
    except UserError as err:
        assert "\n" not in str(err)
    else:  # whatever is accepted is a real target: a finite number in [0, 100) and a known scope
        assert not isinstance(percent, bool) and isinstance(percent, (int, float))
        assert math.isfinite(accepted.percent) and 0 <= accepted.percent < 100 and accepted.scope in PRUNE_SCOPES


@given(hidden=st.lists(st.one_of(st.integers(-10, 10**5), st.floats(allow_nan=True)), max_size=4),
       epochs=st.integers(-5, 2000), lr=st.floats(allow_nan=True, allow_infinity=True))
def test_model_and_training_fields_validate(hidden, epochs, lr):
    try:
        model = ModelSettings(hidden=tuple(hidden))
    except UserError as err:
        assert "\n" not in str(err)
    else:  # two whole widths in 1..4096, stored as ints
        assert len(model.hidden) == 2 and all(type(h) is int and 1 <= h <= 4096 for h in model.hidden)
        assert all(float(h) == float(given) for h, given in zip(model.hidden, hidden))
    try:
        recipe = TrainSettings(epochs=epochs, lr=lr)
    except UserError as err:
        assert "\n" not in str(err)
    else:
        assert 0 <= recipe.epochs <= 1000 and math.isfinite(recipe.lr) and 0 < recipe.lr <= 10
