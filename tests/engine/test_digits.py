"""Digit preprocessing (pruning_core/digits.py): MNIST test digits photographed as dark ink on grey paper are
read by the shipped baseline as the originals are; size limits act before decoding; blank pictures are refused."""
from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest

from pruning_core import analyze, checkpoint, digits
from pruning_core.data import load_mnist
from pruning_core.errors import UserError

PHOTO = 300


def photo(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 MNIST digit as a 300x300 greyscale photo: dark ink on uneven grey paper, the digit
    off-centre at its own size, with sensor noise - what a phone picture of a handwritten digit looks like."""
    rows, cols = np.nonzero(pixels)
    crop = pixels[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    size = int(rng.integers(120, 220))  # the digit's height in the photo
    scale = size / crop.shape[0]
    width = max(1, round(crop.shape[1] * scale))
    big = np.asarray(PIL.Image.fromarray(crop).resize((width, size), PIL.Image.Resampling.BICUBIC), np.float64)
    canvas = np.zeros((PHOTO, PHOTO))
    top, left = int(rng.integers(10, PHOTO - size - 10)), int(rng.integers(10, PHOTO - width - 10))
    canvas[top:top + size, left:left + width] = np.clip(big, 0, 255)
    paper = 170 + 30 * np.linspace(0, 1, PHOTO)[None, :]  # grey, lit unevenly from one side
    image = paper - canvas / 255 * (paper - 40) + rng.normal(0, 6, (PHOTO, PHOTO))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PIL.Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_photographed_test_digits_are_read_as_the_originals():
    baseline = checkpoint.load("baseline")
    test = load_mnist("cpu").test
    rng = np.random.default_rng(0)
    positions = [analyze.test_index(test, digit, 0) for digit in range(10)]  # one of each class
    same, naive_same = 0, 0
    for position in positions:
        original = test.pixels[position].numpy()
        expected = analyze.inspect_pixels(baseline, original)["prediction"]
        taken = photo(original, rng)
        gray, processed = digits.from_bytes(png(taken))  # through the same path as an upload
        assert gray.shape == (PHOTO, PHOTO) and processed.shape == (28, 28) and processed.dtype == np.uint8
        same += analyze.inspect_pixels(baseline, processed)["prediction"] == expected
        # What the page did before: invert and squash the whole photo to 28x28.
        squashed = 255 - np.asarray(PIL.Image.fromarray(taken).resize((28, 28), PIL.Image.Resampling.LANCZOS))
        naive_same += analyze.inspect_pixels(baseline, squashed)["prediction"] == expected
    assert same >= 9, f"only {same} of 10 photographed digits read as the originals"
    assert naive_same < same, "the test photos are too easy to tell the preprocessing apart"


def test_processed_digit_is_framed_like_mnist():
    drawing = np.full((200, 120), 255, np.uint8)
    drawing[20:180, 50:70] = 0  # a tall "1", dark on white, off-centre
    processed = digits.to_mnist(drawing)
    rows, cols = np.nonzero(processed)
    assert rows.max() - rows.min() + 1 == digits.BOX  # the longer side is 20 px
    row, col = digits.center_of_mass(processed.astype(float))
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1
    assert processed[0].max() == 0 and processed[:, 0].max() == 0  # background thresholded to black


def test_light_on_dark_is_not_inverted():
    drawing = np.zeros((60, 60), np.uint8)
    drawing[10:50, 25:35] = 255
    assert digits.to_mnist(drawing).max() == 255


def test_transparent_canvas_counts_as_white_paper():
    rgba = np.zeros((50, 50, 4), np.uint8)  # fully transparent black, as a canvas' empty area
    rgba[10:40, 20:30] = (0, 0, 0, 255)  # an opaque black stroke
    gray = digits.decode(png(rgba))  # as the canvas sends it: an RGBA PNG
    assert gray[0, 0] == 255 and gray[20, 25] == 0
    assert digits.to_mnist(gray).max() > 200


@pytest.mark.parametrize("picture", [np.full((40, 40), 200, np.uint8), np.zeros((40, 40), np.uint8)])
def test_blank_picture_is_a_user_error(picture):
    with pytest.raises(UserError, match="no digit"):
        digits.to_mnist(picture)


def test_decompression_bomb_is_refused_before_decoding():
    bomb = io.BytesIO()
    PIL.Image.new("1", (10_000, 10_000)).save(bomb, format="PNG")  # 100 megapixels in ~20 kB
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(UserError, match="megapixels"):
        digits.decode(bomb.getvalue())


@pytest.mark.parametrize("data, message", [(b"", "empty"), (b"not a picture", "not a picture"),
                                           (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not a picture")])
def test_bad_bytes_are_one_line_errors(data, message):
    with pytest.raises(UserError, match=message):
        digits.decode(data)


def test_oversized_file_is_refused_unread(monkeypatch):
    monkeypatch.setattr(digits, "MAX_BYTES", 1000)
    with pytest.raises(UserError, match="MB"):
        digits.decode(b"\0" * 1001)
