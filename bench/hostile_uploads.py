"""What each hostile upload costs a Prune Lab tree: peak memory, time and outcome, one fresh process per file.

``python -m bench.hostile_uploads [--tree DIR]`` builds the files of ``tests/hostile.py`` and reads each the
way its path does - checkpoints through the CLI (``evaluate``) and through the dashboard's upload
(``uploads.read_upload``), pictures through the dashboard's decoder (``pictures.decoded``) - in the code of
``DIR`` (default: this checkout; give a checkout of an older commit for the "before" column). Prints
Markdown tables: for the CLI the command's peak resident memory (``ru_maxrss``) and wall time, for the
dashboard's paths how far the read alone raised the server process's resident memory (``VmHWM`` after, over
``VmRSS`` before) and its time; and each outcome.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.timing import machine
from pruning_core import checkpoint
from tests import hostile

CLI = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
       "lines = done.stderr.strip().splitlines() or done.stdout.strip().splitlines(); "
       "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, lines[-1] if lines else '')")
# Imports first, then one read of the file. Writing 5 to /proc/self/clear_refs resets the peak (VmHWM) to the
# memory in use now, so the rise is what the read alone cost on top of a server that had imported everything.
READ = """import json, sys, time
import numpy as np
from pruning_core.errors import UserError
from pruning_core.service import pictures, uploads
def status(field):
    return next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith(field + ':'))
data = open(sys.argv[2], 'rb').read()
open('/proc/self/clear_refs', 'w').write('5')
before, start, upright = status('VmRSS'), time.perf_counter(), None
try:
    if sys.argv[1] in ('picture', 'photo'):
        gray = pictures.decoded(data)
        if sys.argv[1] == 'photo':  # a dark vertical stroke: does it still stand?
            rows, cols = np.nonzero(np.asarray(gray) < 128)
            upright = bool(np.ptp(rows) > np.ptp(cols))
        outcome = 'decoded %d x %d' % gray.shape[::-1]
    else:
        uploads.read_upload(data, 'upload.pt')
        outcome = 'accepted'
except UserError as err:
    outcome = 'refused: ' + str(err)
print(json.dumps([outcome, status('VmHWM') - before, time.perf_counter() - start, upright]))
"""


PHOTO = "-photo"  # the file whose stroke's orientation is reported


def checkpoints() -> dict[str, bytes]:
    return {"normal: the shipped baseline (1.3 MB)": checkpoint.to_bytes(checkpoint.load("baseline")),
            "1 GiB storage under fc3.bias, deflated": hostile.hidden_storage_checkpoint(2 ** 30),
            "hidden sizes 4096,4096, deflated": hostile.wide_checkpoint(),
            "a float8_e4m3fn tensor": hostile.float8_checkpoint(),
            "a PNG renamed .pt": hostile.picture(hostile.digit_one(), "PNG")}


def pictures() -> dict[str, bytes]:
    return {"normal: 200 x 200 PNG": hostile.picture(hostile.digit_one(), "PNG"),
            "6320 x 6320 PNG (39.9 MP)": hostile.large_png(),
            "animated 4000 x 4000 GIF, 2 frames": hostile.animated_gif(),
            "WebP renamed .png": hostile.picture(hostile.digit_one(), "WEBP"),
            "8000 x 6000 progressive JPEG (48 MP)": hostile.picture(hostile.digit_one(8000, 6000), "JPEG",
                                                                    quality=50, progressive=True),
            f"JPEG with EXIF orientation 6 (a vertical 1){PHOTO}": hostile.turned_photo()}


def run_cli(tree: Path, path: Path) -> tuple[str, int, float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CLI, sys.executable, "-m", "pruning_core", "evaluate",
                          "--checkpoint", str(path)], capture_output=True, text=True, cwd=tree, check=True).stdout
    code, peak, last = out.rstrip("\n").split(" ", 2)
    return f"exit {code}: {last[:110]}", int(peak), time.perf_counter() - start


def run_read(tree: Path, kind: str, path: Path) -> tuple[str, int, float]:
    done = subprocess.run([sys.executable, "-c", READ, kind, str(path)], capture_output=True, text=True, cwd=tree)
    if done.returncode:
        return f"crash: {done.stderr.strip().splitlines()[-1][:110]}", 0, 0.0
    outcome, rise, seconds, upright = json.loads(done.stdout)
    if upright is not None:
        outcome += ", stroke upright" if upright else ", stroke lying"
    return outcome[:130], rise, seconds


def table(title: str, memory: str, files: dict[str, bytes], measure, folder: Path) -> None:
    print(f"\n{title}\n\n| file | size | {memory} (MB) | time (s) | outcome |\n|---|---|---|---|---|")
    for n, (name, data) in enumerate(files.items()):
        path = folder / f"upload-{n}{PHOTO if name.endswith(PHOTO) else ''}"
        path.write_bytes(data)
        name = name.removesuffix(PHOTO)
        outcome, kilobytes, seconds = measure(path)
        print(f"| {name} | {len(data) / 1024:,.0f} KB | {kilobytes / 1024:,.0f} | {seconds:.2f} | "
              f"{outcome.replace('|', '/')} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_uploads", description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the Prune Lab checkout whose code reads the files (default: this one)")
    args = parser.parse_args()
    tree = args.tree.resolve()
    print(f"command: python -m bench.hostile_uploads --tree {tree}\nmachine: {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        files = checkpoints()
        table("Checkpoints, CLI `evaluate` (the whole command)", "peak RSS", files,
              lambda path: run_cli(tree, path), Path(folder))
        table("Checkpoints, the dashboard's upload (the read alone)", "RSS rise", files,
              lambda path: run_read(tree, "checkpoint", path), Path(folder))
        table("Pictures, the dashboard's decoder (the decode alone)", "RSS rise", pictures(),
              lambda path: run_read(tree, "photo" if path.name.endswith(PHOTO) else "picture", path), Path(folder))


if __name__ == "__main__":
    main()
