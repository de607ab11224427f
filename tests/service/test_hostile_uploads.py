"""Uploads bounded by what they decode, not by their size on disk: checkpoints whose deflated zip entries hide
a gigabyte, models too large to store, float8 tensors, pictures renamed .pt; pictures of 40 megapixels in
67 KB, animated GIFs, GIF/WebP/BMP/TIFF renamed .png, phone photos turned by their EXIF orientation. Each is
refused in one line or read within a bounded memory, through the engine, the upload path and the CLI."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import torch

from pruning_core import checkpoint, digits, paths
from pruning_core.errors import UserError
from pruning_core.service.actions import uploads
from tests import hostile

GIB = 2 ** 30
RSS_MARGIN_KB = 300 * 1024  # the most any hostile upload may cost over a normal one


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return hostile.hidden_storage_checkpoint(GIB)


def refused(data: bytes) -> str:
    with pytest.raises(UserError) as caught:
        checkpoint.from_bytes(data)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    return message


def test_a_small_file_hiding_a_gigabyte_storage_is_refused_before_torch_reads_it(bomb, monkeypatch):
    assert len(bomb) < 3 * 2 ** 20
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: pytest.fail("torch.load reached"))
    assert "it unpacks to 1,025 MB" in refused(bomb)


def test_a_view_into_a_larger_storage_is_refused():
    message = refused(hostile.hidden_storage_checkpoint(32 * 2 ** 20))  # under the unpacked cap: torch loads it
    assert "33,554,432 bytes of storage" in message and "the 40 its shape needs" in message


def test_a_model_too_large_to_store_is_refused():
    wide = hostile.wide_checkpoint((4096, 4096))  # 0.1 MB on disk
    assert "unpacks to 96 MB" in refused(wide)
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.read_upload(wide, "wide.pt")
    assert str(caught.value) == uploads.UNPACKED and "unpacks to 96 MB" in caught.value.detail


def test_the_parameter_cap_acts_before_any_model_is_built(monkeypatch):
    raw = checkpoint.load("baseline").to_dict()
    raw["config"]["hidden"] = [4096, 4096]  # tensors small, the config's model 20 million parameters
    data = hostile.saved(raw)
    built = checkpoint.make_model

    def shapes_only(settings):  # counting on the meta device allocates nothing; a real model must not be made
        assert torch.get_default_device().type == "meta", "a model was built"
        return built(settings)

    monkeypatch.setattr(checkpoint, "make_model", shapes_only)
    assert "has 20,037,642 parameters; at most 11,744,051 fit in a 64 MB checkpoint" in refused(data)
    assert checkpoint.parameter_count(checkpoint.ModelSettings((4096, 2048))) <= checkpoint.MAX_PARAMETERS


def test_a_float8_tensor_is_refused_plainly():
    assert "holds a torch.float8_e4m3fn tensor; only float and bool tensors" in refused(hostile.float8_checkpoint())


def test_torch_failing_during_validation_is_one_line(monkeypatch):
    def unsupported(*args, **kwargs):
        raise NotImplementedError('"isfinite" not implemented for this dtype\nwith a second line')

    data = checkpoint.to_bytes(checkpoint.load("baseline"))
    monkeypatch.setattr(torch, "isfinite", unsupported)
    assert refused(data) == ('checkpoint could not be read (NotImplementedError: "isfinite" not implemented '
                             'for this dtype)')


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"])
def test_a_picture_renamed_pt_is_called_a_picture(kind):
    data = hostile.picture(hostile.digit_one().convert("RGB"), kind)
    assert "looks like an image" in refused(data)
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.read_upload(data, "digit.pt")
    assert str(caught.value) == uploads.IMAGE == "this is not a Prune Lab checkpoint (it looks like an image)"


@pytest.mark.parametrize("kind", ["GIF", "WEBP", "BMP", "TIFF"])
def test_only_png_and_jpeg_pictures_are_read_whatever_their_name(kind):
    with pytest.raises(UserError, match=f"this picture is a {kind} file; PNG or JPEG please"):
        digits.decode(hostile.picture(hostile.digit_one(), kind))


def test_a_large_png_is_refused_from_its_header():
    data = hostile.large_png()
    assert len(data) < 100_000
    with pytest.raises(UserError, match="6320 x 6320 pixels; at most 4 megapixels as PNG"):
        digits.decode(data)


def test_a_large_jpeg_is_decoded_scaled_down():
    data = hostile.picture(hostile.digit_one(6000, 4000), "JPEG", quality=50)  # a 24-megapixel photo
    gray = digits.decode(data)
    assert max(gray.shape) == digits.MAX_SIDE and gray.shape[1] > gray.shape[0]
    assert digits.to_mnist(gray).max() > 200


def test_a_photo_turned_by_its_exif_orientation_comes_out_upright():
    stored = PIL.Image.open(io.BytesIO(hostile.turned_photo()))
    assert stored.width < stored.height  # the pixels as stored: the stroke lies horizontal
    rows, cols = np.nonzero(digits.decode(hostile.turned_photo()) < 128)
    assert rows.max() - rows.min() > 3 * (cols.max() - cols.min())  # the "1" stands upright


def peak_kb(command: list[str]) -> tuple[int, str, int]:
    """(exit code, stderr, peak resident memory in KB) of ``command`` run in a fresh process."""
    measure = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, "
               "text=True); print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "print(done.stderr, end='')")
    out = subprocess.run([sys.executable, "-c", measure, *command], capture_output=True, text=True, timeout=300,
                         cwd=paths.APP_DIR, check=True).stdout
    head, _, stderr = out.partition("\n")
    code, peak = map(int, head.split())
    return code, stderr, peak


@pytest.mark.slow
def test_cli_evaluate_refuses_the_bomb_within_the_memory_of_a_normal_evaluation(bomb, tmp_path):
    (tmp_path / "bomb.pt").write_bytes(bomb)
    cli = [sys.executable, "-m", "pruning_core", "evaluate", "--checkpoint"]
    normal_code, _, normal_peak = peak_kb([*cli, "baseline"])
    code, stderr, peak = peak_kb([*cli, str(tmp_path / "bomb.pt")])
    assert normal_code == 0
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith("prune-lab: error: not a safe Prune Lab")
    assert peak <= normal_peak + RSS_MARGIN_KB, (peak, normal_peak)


DECODE = ("import json, resource, sys; from pruning_core import digits; from pruning_core.errors import UserError\n"
          "data = open(sys.argv[1], 'rb').read()\n"
          "try:\n    outcome = list(digits.decode(data).shape)\nexcept UserError as err:\n    outcome = str(err)\n"
          "print(json.dumps([outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))")


@pytest.mark.slow
def test_hostile_pictures_cost_a_bounded_memory(tmp_path):
    files = {"normal": hostile.picture(hostile.digit_one(), "PNG"), "png": hostile.large_png(),
             "gif": hostile.animated_gif(), "photo": hostile.turned_photo(),
             "jpeg": hostile.picture(hostile.digit_one(8000, 6000), "JPEG", quality=50, progressive=True)}
    seen = {}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        out = subprocess.run([sys.executable, "-c", DECODE, str(tmp_path / name)], capture_output=True, text=True,
                             timeout=120, cwd=paths.APP_DIR, check=True).stdout
        seen[name] = json.loads(out)
    assert len(files["gif"]) < 30_000 and "GIF file" in seen["gif"][0]
    assert "6320 x 6320" in seen["png"][0]
    assert seen["photo"][0] == [120, 200] and seen["jpeg"][0] == [768, 1024]  # 48 megapixels, decoded at 1/4
    for name, (outcome, peak) in seen.items():
        assert peak <= seen["normal"][1] + RSS_MARGIN_KB, (name, outcome, peak)
