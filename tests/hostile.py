"""Hostile uploads as an attacker builds them: checkpoints whose few deflated megabytes unpack to gigabytes or
hold a model too large to store, an unsupported float type, pictures that decode to gigabytes, a picture
renamed .pt, a phone photo turned by its EXIF orientation. Used by the tests and by
``bench/hostile_uploads.py``, which measures what each costs a server."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import PIL.Image
import torch

from pruning_core import checkpoint

SENTINEL_NUMEL = 388_821  # a storage length no real tensor of the baseline has, found again in the pickle
CHUNK = 1 << 20


def saved(raw: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(raw, buffer)
    return buffer.getvalue()


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as zip entries hold it
    return packer.compress(data) + packer.flush()


def _zeros_deflated(size: int) -> tuple[bytes, int]:
    """(raw deflate stream, crc32) of ``size`` zero bytes, built in moments: after a full flush the compressor
    starts afresh, so every 1 MiB of zeros compresses to the same ~1 KB, repeated."""
    assert size % CHUNK == 0
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(CHUNK)
    piece = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // CHUNK):
        crc = zlib.crc32(zeros, crc)
    return piece * (size // CHUNK) + packer.flush(), crc


def _zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive of deflated entries (name, deflated bytes, unpacked size, crc32 of the unpacked bytes)."""
    out, directory = io.BytesIO(), []
    for name, packed, size, crc in entries:
        offset, raw = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(packed), size, len(raw), 0))
        out.write(raw + packed)
        directory.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(packed), size,
                                     len(raw), 0, 0, 0, 0, 0, offset) + raw)
    listing = b"".join(directory)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(listing), out.tell(), 0)
    return out.getvalue() + listing + end


def _deflated(data: bytes, big_entry: str = "", big_bytes: int = 0, replace: dict[str, bytes] | None = None) -> bytes:
    """``data`` (a torch.save zip) re-written with every entry deflated, ``replace``d entries swapped in, and
    ``big_entry`` made ``big_bytes`` of zeros (never held in memory unpacked)."""
    entries = []
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for entry in source.infolist():
            if entry.filename == big_entry:
                packed, crc = _zeros_deflated(big_bytes)
                entries.append((entry.filename, packed, big_bytes, crc))
                continue
            unpacked = (replace or {}).get(entry.filename, source.read(entry))
            entries.append((entry.filename, _deflate(unpacked), len(unpacked), zlib.crc32(unpacked)))
    return _zip(entries)


def hidden_storage_checkpoint(storage_bytes: int) -> bytes:
    """The shipped baseline, valid in every field, whose ``fc3.bias`` (10 numbers) is a view into a float32
    storage of ``storage_bytes`` zeros; deflated, a 1 GiB storage takes about 1 MB."""
    raw = checkpoint.load("baseline").to_dict()
    raw["state_dict"]["fc3.bias"] = torch.zeros(SENTINEL_NUMEL)[:10]
    data = saved(raw)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        pickle_name = next(name for name in source.namelist() if name.endswith("data.pkl"))
        storage_name = next(e.filename for e in source.infolist() if e.file_size == 4 * SENTINEL_NUMEL)
        pickled = source.read(pickle_name)
    marker = b"J" + struct.pack("<i", SENTINEL_NUMEL)  # the storage's length, a 4-byte int in the pickle
    assert pickled.count(marker) == 1
    pickled = pickled.replace(marker, b"J" + struct.pack("<i", storage_bytes // 4))
    return _deflated(data, storage_name, storage_bytes, {pickle_name: pickled})


def wide_checkpoint(hidden: tuple[int, int] = (4096, 4096)) -> bytes:
    """A well-formed checkpoint of a LeNet-300-100 with these hidden sizes, all weights zero, deflated: 4096,4096
    is 20 million parameters (a 100 MB file once stored) in about 0.1 MB."""
    sizes = [784, *hidden, 10]
    state, masks = {}, {}
    for n, (inputs, outputs) in enumerate(zip(sizes, sizes[1:]), start=1):
        state[f"fc{n}.weight"] = torch.zeros(outputs, inputs)
        state[f"fc{n}.bias"] = torch.zeros(outputs)
        masks[f"fc{n}.weight"] = torch.ones(outputs, inputs, dtype=torch.bool)
    raw = checkpoint.load("baseline").to_dict()
    raw.update(config={**raw["config"], "hidden": list(hidden)}, state_dict=state, masks=masks, accuracy=None)
    return _deflated(saved(raw))


def float8_checkpoint() -> bytes:
    """The baseline with one tensor in float8_e4m3fn, which torch stores but cannot check for NaN."""
    raw = checkpoint.load("baseline").to_dict()
    raw["state_dict"]["fc3.bias"] = raw["state_dict"]["fc3.bias"].to(torch.float8_e4m3fn)
    return saved(raw)


def picture(image: PIL.Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def digit_one(width: int = 200, height: int = 200) -> PIL.Image.Image:
    """A dark vertical stroke (a "1") on white paper."""
    pixels = np.full((height, width), 255, np.uint8)
    pixels[height // 8: height - height // 8, width // 2 - width // 20: width // 2 + width // 20] = 0
    return PIL.Image.fromarray(pixels)


def large_png(side: int = 6320) -> bytes:
    """``side`` x ``side`` white greyscale pixels with a stroke: 6320 is 39.9 megapixels in ~70 KB."""
    return picture(digit_one(side, side), "PNG", optimize=True)


def animated_gif(side: int = 4000, frames: int = 2) -> bytes:
    """An animated GIF of ``frames`` blank ``side`` x ``side`` frames: 16 megapixels each in ~13 KB."""
    blank = [PIL.Image.new("P", (side, side), n) for n in range(frames)]
    return picture(blank[0], "GIF", save_all=True, append_images=blank[1:])


def turned_photo() -> bytes:
    """A JPEG whose stored pixels show a horizontal stroke, with EXIF orientation 6 ("turn 90 degrees
    clockwise to view"): as a phone saves a photo taken sideways, it shows a vertical "1"."""
    exif = PIL.Image.Exif()
    exif[0x0112] = 6
    return picture(digit_one(200, 120).transpose(PIL.Image.Transpose.ROTATE_90), "JPEG", exif=exif, quality=90)
