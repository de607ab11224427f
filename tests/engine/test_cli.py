"""The CLI: honest JSON results an independent evaluation reproduces; one-line errors, exit 2, nothing written."""
from __future__ import annotations

import csv
import errno
import gzip
import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from pruning_core import checkpoint, lab
from pruning_core.cli import main
from pruning_core.research import protocol

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pruning_core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def call(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse's own exit for malformed arguments
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


MNIST_GZ = ROOT / "pruning_core" / "assets" / "mnist"


def raw_mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test split read straight from the shipped .gz IDX files with gzip + numpy (not through
    Prune Lab's data module, its cache or torchvision): images normalized with the published mean/std."""
    with gzip.open(MNIST_GZ / "t10k-images-idx3-ubyte.gz", "rb") as f:
        magic, count, rows, cols = np.frombuffer(f.read(16), ">u4")
        pixels = np.frombuffer(f.read(), np.uint8)
    with gzip.open(MNIST_GZ / "t10k-labels-idx1-ubyte.gz", "rb") as f:
        label_magic, label_count = np.frombuffer(f.read(8), ">u4")
        labels = np.frombuffer(f.read(), np.uint8)
    assert (magic, label_magic, count, label_count, rows, cols) == (2051, 2049, 10000, 10000, 28, 28)
    images = (pixels.reshape(count, rows * cols).astype(np.float32) / 255 - 0.1307) / 0.3081
    return images, labels.astype(np.int64)


def plain_accuracy(path) -> float:
    """Accuracy computed without Prune Lab's model code or data path: numpy over the raw state dict."""
    raw = torch.load(path, weights_only=True)
    sd = {k: v.numpy() for k, v in raw["state_dict"].items()}
    h, labels = raw_mnist_test()
    for layer in ("fc1", "fc2"):
        h = np.maximum(h @ sd[f"{layer}.weight"].T + sd[f"{layer}.bias"], 0)
    logits = h @ sd["fc3.weight"].T + sd["fc3.bias"]
    return float((logits.argmax(1) == labels).mean())


@pytest.mark.parametrize("percent", ["-1", "100.5", "120", "nan", "ninety", "100", "inf", ""])
def test_bad_percent_is_a_one_line_error_and_writes_nothing(capsys, tmp_path, percent) -> None:
    out = tmp_path / "p.pt"
    code, stdout, stderr = call(capsys, "prune", "--checkpoint", "baseline", "--percent", percent, "--out", str(out))
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith("prune-lab: error:") and "percent" in stderr
    assert stdout == "" and not out.exists()


@pytest.mark.parametrize("args, message", [
    (["prune", "--checkpoint", "nope.pt", "--percent", "50", "--out", "OUT"], "not found"),
    (["prune", "--checkpoint", "baseline", "--percent", "50", "--lr", "-3", "--out", "OUT"], "learning rate"),
    (["prune", "--checkpoint", "baseline", "--percent", "50", "--out", "/no/such/dir/p.pt"], "does not exist"),
    (["prune", "--checkpoint", "baseline", "--percent", "50", "--scope", "magic", "--out", "OUT"], "scope"),
    (["prune", "--checkpoint", "baseline", "--percent", "50", "--mask-seed", "-1", "--out", "OUT"], "mask-seed"),
    (["schedule", "--checkpoint", "baseline", "--percents", "50,40", "--out-dir", "OUT"], "decrease"),
    (["train", "--preset", "huge", "--out", "OUT"], "preset"),
    (["train", "--hidden", "300", "--out", "OUT"], "hidden"),
    (["inspect", "--checkpoint", "baseline", "--digit", "12"], "digit"),
    (["evaluate", "--checkpoint", "baseline", "--device", "quantum"], "device"),
])
def test_bad_arguments_are_one_line_errors(capsys, tmp_path, args, message) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = call(capsys, *[str(out) if a == "OUT" else a for a in args])
    assert code == 2 and stderr.count("\n") == 1 and message in stderr and "Traceback" not in stderr
    assert not out.exists()


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=12))
def test_any_percent_text_never_raises(text: str) -> None:
    try:
        code = main(["prune", "--checkpoint", "/nonexistent.pt", "--percent", text, "--out", "/tmp/never.pt"])
    except SystemExit as stop:
        code = stop.code
    assert code == 2


def test_prune_json_is_reproduced_by_an_independent_evaluation(tmp_path) -> None:
    out = tmp_path / "p90.pt"
    done = run_cli("prune", "--checkpoint", "baseline", "--percent", "90", "--retrain-epochs", "1",
                   "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["checkpoint"] == str(out.resolve())
    assert abs(result["nonzero"] - round(0.1 * result["total"])) <= 1
    assert result["compression"] == pytest.approx(result["total"] / result["nonzero"])
    assert result["accuracy"] == result["accuracy_after_retrain"] == plain_accuracy(out)
    assert result["accuracy_before"] == pytest.approx(0.9717)
    assert 0.02 < result["threshold"] < 0.06
    checked = json.loads(run_cli("evaluate", "--checkpoint", str(out), "--json").stdout)
    assert {k: checked[k] for k in ("accuracy", "layers", "nonzero", "total")} == \
           {k: result[k] for k in ("accuracy", "layers", "nonzero", "total")}


def test_schedule_writes_a_table_and_a_checkpoint_per_step(capsys, tmp_path) -> None:
    out = tmp_path / "sched"
    code, stdout, _ = call(capsys, "schedule", "--checkpoint", "baseline", "--percents", "50,75",
                           "--retrain-epochs", "0", "--out-dir", str(out), "--json")
    assert code == 0
    steps = json.loads(stdout)["steps"]
    assert [s["percent"] for s in steps] == [50.0, 75.0]
    assert steps[1]["threshold"] > steps[0]["threshold"]
    assert sorted(p.name for p in out.glob("*.pt")) == ["step-01-p50.pt", "step-02-p75.pt"]
    rows = list(csv.DictReader(open(out / "table.csv")))
    assert int(rows[1]["nonzero"]) == steps[1]["nonzero"] == pytest.approx(0.25 * 266200, abs=1)


def pruned_weights(path) -> dict[str, torch.Tensor]:
    raw = torch.load(path, weights_only=True)["state_dict"]
    return {layer: raw[f"{layer}.weight"] for layer in ("fc1", "fc2", "fc3")}


def test_prune_largest_leaves_exactly_the_smallest_half(capsys, tmp_path) -> None:
    out = tmp_path / "largest.pt"
    code, stdout, _ = call(capsys, "prune", "--checkpoint", "baseline", "--percent", "50", "--scope", "largest",
                           "--retrain-epochs", "0", "--out", str(out), "--json")
    result = json.loads(stdout)
    before = torch.cat([w.abs().flatten() for w in pruned_weights(checkpoint.resolve("baseline")).values()])
    after = torch.cat([w.abs().flatten() for w in pruned_weights(out).values()])
    kept = after[after != 0].sort().values
    assert code == 0 and result["nonzero"] == kept.numel() == 133100
    assert torch.equal(kept, before.sort().values[:133100])  # every weight left is among the smallest half


def test_prune_random_is_exact_and_stable_for_its_seed(capsys, tmp_path) -> None:
    masks = {}
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        code, stdout, _ = call(capsys, "prune", "--checkpoint", "baseline", "--percent", "50", "--scope", "random",
                               "--mask-seed", seed, "--retrain-epochs", "0", "--out", str(tmp_path / name), "--json")
        result = json.loads(stdout)
        assert code == 0 and result["mask_seed"] == int(seed) and result["nonzero"] == 133100
        masks[name] = torch.cat([(w != 0).flatten() for w in pruned_weights(tmp_path / name).values()])
    assert int(masks["a"].sum()) == 133100 and torch.equal(masks["a"], masks["b"])
    assert not torch.equal(masks["a"], masks["c"])


def test_inspect_and_train(capsys, tmp_path) -> None:
    code, stdout, _ = call(capsys, "inspect", "--checkpoint", "baseline", "--digit", "4", "--json")
    seen = json.loads(stdout)
    assert code == 0 and seen["label"] == 4 and seen["test_index"] == 4
    assert 0 < seen["active"]["fc1"] <= 300 and 0 < seen["active"]["fc2"] <= 100
    out = tmp_path / "small.pt"
    code, stdout, _ = call(capsys, "train", "--epochs", "1", "--hidden", "20,10", "--out", str(out), "--json")
    trained = json.loads(stdout)
    assert code == 0 and trained["layers"]["fc1"]["total"] == 784 * 20 and trained["accuracy"] > 0.8
    assert trained["accuracy"] == plain_accuracy(out)


@pytest.mark.parametrize("name, floor", [("baseline", 0.97), ("baseline-paper", 0.98), ("paper-92", 0.975),
                                         ("paper-98", 0.97), ("paper-68x", 0.97)])
def test_shipped_paper_checkpoints_hold_up_to_an_independent_evaluation(capsys, name, floor) -> None:
    sparsity = protocol.shipped_source()[name][2] / 100 if name in protocol.shipped_source() else 0.0
    code, stdout, _ = call(capsys, "evaluate", "--checkpoint", name, "--json")
    result = json.loads(stdout)
    path = result["checkpoint"]
    raw = torch.load(path, weights_only=True)
    nonzero = sum(int(raw["state_dict"][f"{layer}.weight"].count_nonzero()) for layer in ("fc1", "fc2", "fc3"))
    assert code == 0 and nonzero == result["nonzero"] == pytest.approx((1 - sparsity) * 266200, abs=1)
    assert result["accuracy"] == plain_accuracy(path) == raw["accuracy"] >= floor  # and the stored figure


def test_shipped_lenet5_holds_up_to_an_independent_evaluation(capsys) -> None:
    """LeNet-5 (Caffe: conv-pool-conv-pool-fc-relu-fc) from the raw state dict with torch's functional ops and
    the gzip+numpy test split - not Prune Lab's model class or data path."""
    code, stdout, _ = call(capsys, "evaluate", "--checkpoint", "lenet5-92", "--json")
    result = json.loads(stdout)
    raw = torch.load(result["checkpoint"], weights_only=True)
    sd = raw["state_dict"]
    images, labels = raw_mnist_test()
    predictions = []
    for chunk in torch.from_numpy(images).split(2000):
        x = chunk.view(-1, 1, 28, 28)
        for layer in ("conv1", "conv2"):
            x = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(x, sd[f"{layer}.weight"], sd[f"{layer}.bias"]), 2)
        x = torch.relu(x.flatten(1) @ sd["fc1.weight"].T + sd["fc1.bias"])
        predictions.append((x @ sd["fc2.weight"].T + sd["fc2.bias"]).argmax(1).numpy())
    accuracy = float((np.concatenate(predictions) == labels).mean())
    assert code == 0 and result["accuracy"] == accuracy == raw["accuracy"] and result["compression_with_biases"] >= 12


def unwritable_outputs(tmp_path) -> list[str]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outputs = ["/dev/null", str(fifo), "/proc/self/model.pt", "/proc/version", "/sys/model.pt",
               str(tmp_path / ("x" * 300 + ".pt"))]
    if os.geteuid() != 0:  # root writes into read-only directories anyway
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        outputs.append(str(locked / "m.pt"))
    return outputs


@pytest.mark.parametrize("command", ["prune", "train", "schedule"])
def test_unwritable_outputs_are_refused_before_any_work(capsys, tmp_path, monkeypatch, command) -> None:
    # --out /dev/null once replaced the machine's /dev/null with a regular file, after the training ran.
    monkeypatch.setattr(lab, "prune_step", lambda *a, **k: pytest.fail("work started"))
    monkeypatch.setattr(lab, "train_baseline", lambda *a, **k: pytest.fail("work started"))
    for output in unwritable_outputs(tmp_path):
        before = sorted(os.listdir(tmp_path))
        if command == "schedule":
            args = ["schedule", "--checkpoint", "baseline", "--percents", "50", "--out-dir", output]
        elif command == "prune":
            args = ["prune", "--checkpoint", "baseline", "--percent", "50", "--out", output]
        else:
            args = ["train", "--epochs", "1", "--out", output]
        code, stdout, stderr = call(capsys, *args)
        assert code == 2 and stderr.startswith("prune-lab: error:") and stderr.count("\n") == 1, (output, stderr)
        assert stdout == "" and sorted(os.listdir(tmp_path)) == before, output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_os_error_during_the_work_is_one_line(capsys, tmp_path, monkeypatch) -> None:
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "m.pt"))

    monkeypatch.setattr(checkpoint.atomic, "write_bytes", disk_full)
    code, stdout, stderr = call(capsys, "prune", "--checkpoint", "baseline", "--percent", "50",
                                "--retrain-epochs", "0", "--out", str(tmp_path / "m.pt"))
    error = stderr.splitlines()[-1]  # after the progress lines
    assert code == 2 and error.startswith("prune-lab: error:") and "No space left on device" in error, stderr
    assert "Traceback" not in stderr
    assert stdout == "" and not (tmp_path / "m.pt").exists()
