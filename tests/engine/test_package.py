"""The engine installs like a package: `pip wheel .` gives a wheel that declares the pinned dependencies and the
`prune-lab` console script and carries MNIST, the shipped checkpoints and the stored results; installed away
from the checkout, `prune-lab evaluate --checkpoint baseline --json` gives the checkout's own answer."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pruning_core import paths

pytestmark = pytest.mark.slow
ROOT = paths.APP_DIR


def _pins(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the test venv already has setuptools, and CI must not depend on a download here.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(ROOT),
                    "-w", str(out)], check=True, capture_output=True, cwd=out)
    (found,) = out.glob("prune_lab-*.whl")
    return found


def test_the_wheel_declares_the_pins_the_script_and_carries_the_assets(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    assert [r for r in requires if "extra ==" not in r] == _pins("requirements.txt")
    assert {r.split(";")[0].strip() for r in requires if 'extra == "cluster"' in r} == set(_pins("requirements-cluster.txt"))
    assert {r.split(";")[0].strip() for r in requires if 'extra == "dev"' in r} == set(_pins("requirements-dev.txt"))
    assert "prune-lab = pruning_core.cli:main" in entry_points
    shipped = {f"pruning_core/assets/{p.relative_to(paths.ASSETS_DIR)}" for p in paths.ASSETS_DIR.rglob("*")
               if p.is_file()}
    assert shipped and shipped <= names  # MNIST, every checkpoint, every stored result
    assert not any(n.startswith(("views/", "ui/", "tests/", "bench/")) for n in names)


def test_the_installed_console_script_evaluates_like_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    # Only the installed copy is importable (the run starts outside the checkout); the dependencies come from
    # this interpreter's environment, which the script's shebang points at.
    env = {**os.environ, "PYTHONPATH": str(site), "PRUNE_LAB_CACHE": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    env.pop(paths.ENV_RUNS, None)
    args = ["evaluate", "--checkpoint", "baseline", "--json"]
    installed = subprocess.run([str(site / "bin" / "prune-lab"), *args], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    checkout = subprocess.run([sys.executable, "-m", "pruning_core", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    got, want = json.loads(installed.stdout), json.loads(checkout.stdout)
    assert str(site) in got.pop("checkpoint") and want.pop("checkpoint")
    assert got == want
    probe = "from pruning_core import paths; print(paths.runs_dir())"
    runs = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert runs.stdout.strip() == str(tmp_path / ".local" / "share" / "prune-lab" / "runs")  # never site-packages
