"""Pictures of digits (an uploaded photo, a drawing on the dashboard's canvas) -> MNIST-like 28x28 inputs.

MNIST itself was made this way (LeCun et al.): white ink on black, the digit's bounding box scaled so its
longer side is 20 pixels (aspect ratio kept, anti-aliased), then placed in a 28x28 frame so that its centre of
mass is the frame's centre. A photo differs in every step - dark ink on light paper, a grey rather than black
background, the digit anywhere and any size - and a model trained on MNIST reads it wrongly unless each step is
redone. The model's own normalisation (``analyze.normalize_pixels``) is applied afterwards, as for test images.

A picture is bounded by what it decodes to, not by its file size: a 67 KB PNG can declare 40 megapixels and
a 13 KB GIF sixteen million pixels per frame. Only PNG and JPEG are read, recognised by their content (a GIF
renamed .png is refused); a PNG's declared size is checked from its header before any pixel is decoded, a
JPEG is decoded already scaled down by its own decoder (``draft``: 1/2, 1/4 or 1/8 of the pixels), and the
greyscale result is at most ``MAX_SIDE`` pixels on its longer side - the digit needs 20. A phone photo's EXIF
orientation is applied, so a digit photographed with the phone turned stays upright.
"""
from __future__ import annotations

import io
import math
import warnings

import numpy as np
import PIL.Image
import PIL.ImageFilter
import PIL.ImageOps

from .errors import UserError

MAX_BYTES = 10 * 1024 * 1024  # a phone photo is 2-5 MB
FORMATS = ("PNG", "JPEG")
MAX_DECODED_PIXELS = 4_000_000  # what is ever decoded: a phone screenshot (~3 MP) as it is, a photo scaled down
MAX_JPEG_PIXELS = 50_000_000  # declared: a 48-megapixel phone photo decodes at 1/4 of its width and height
MAX_SIDE = 1024  # the decoded picture's longer side, once decoded: plenty for a digit framed in 20 pixels
BOX = 20  # MNIST: the longer side of the digit's bounding box
FRAME = 28
NOISE_FLOOR = 0.2  # below 20 % of the ink's contrast is paper texture, shadow or JPEG noise, not ink
DENOISE_FROM = 3 * FRAME  # pictures at least this size on each side are photos or drawings, not MNIST-sized
MIN_CONTRAST = 16  # grey levels between background and ink: less than this is a blank picture


def decode(data: bytes) -> np.ndarray:
    """PNG or JPEG file bytes -> greyscale uint8 (H, W), upright, at most MAX_SIDE pixels on the longer side;
    transparency is laid over white paper. What would decode to too many pixels is refused or scaled down
    before any pixel is decoded."""
    if not data:
        raise UserError("the picture file is empty")
    if len(data) > MAX_BYTES:
        raise UserError(f"the picture is {len(data) / 2**20:.1f} MB; at most {MAX_BYTES // 2**20} MB please")
    unreadable = UserError("this file is not a picture that can be read (PNG or JPEG please)")
    try:
        with warnings.catch_warnings():  # PIL's own bomb check warns far above our limits
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            image = PIL.Image.open(io.BytesIO(data))  # reads the header only; the format comes from the content
    except Exception:  # anything a hostile header makes Pillow raise is "not a picture", never a crash
        raise unreadable from None
    if image.format not in FORMATS:
        raise UserError(f"this picture is a {image.format} file; PNG or JPEG please")
    _bound_decoding(image)
    try:
        image.load()
        gray = _gray_over_white(PIL.ImageOps.exif_transpose(image))
        gray.thumbnail((MAX_SIDE, MAX_SIDE), PIL.Image.Resampling.LANCZOS)
    except Exception:  # truncated or corrupt data, a malformed EXIF block
        raise unreadable from None
    return np.asarray(gray)


def _bound_decoding(image: PIL.Image.Image) -> None:
    """Refuse a PNG that declares more than MAX_DECODED_PIXELS; have a JPEG decoded at the smallest of 1/1,
    1/2, 1/4, 1/8 scale that brings it within them (greyscale already, where the JPEG's colours allow)."""
    width, height = image.size
    too_large = UserError(f"the picture is {width} x {height} pixels; at most "
                          f"{(MAX_DECODED_PIXELS if image.format == 'PNG' else MAX_JPEG_PIXELS) // 10**6} "
                          f"megapixels as {image.format} please")
    if image.format == "PNG":
        if width * height > MAX_DECODED_PIXELS:
            raise too_large
        return
    if width * height > MAX_JPEG_PIXELS:
        raise too_large
    scale = next((s for s in (1, 2, 4, 8) if math.ceil(width / s) * math.ceil(height / s) <= MAX_DECODED_PIXELS),
                 None)
    if scale is None:  # a strip of 50 megapixels, 1 pixel high, cannot be scaled by the decoder
        raise too_large
    # draft picks the largest scale whose result is at least the size asked for: ask for the floor.
    image.draft("L", (max(1, width // scale), max(1, height // scale)))
    if image.size[0] * image.size[1] > MAX_DECODED_PIXELS:  # the decoder could not scale this JPEG
        raise too_large


def _gray_over_white(image: PIL.Image.Image) -> PIL.Image.Image:
    """Greyscale ("L"), transparent parts laid over white paper, in Pillow's 8-bit pixels (no float copies)."""
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = PIL.Image.alpha_composite(PIL.Image.new("RGBA", rgba.size, "white"), rgba)
    return image.convert("L")


def ink(gray: np.ndarray) -> np.ndarray:
    """Greyscale -> ink strength 0..1 with the background at exactly 0: light-on-dark is kept, dark-on-light
    inverted (the border, mostly background, decides), and the background level - black, grey or white - is
    subtracted and thresholded away."""
    gray = np.asarray(gray)
    if gray.ndim != 2 or min(gray.shape) < 2:
        raise UserError(f"a picture must be at least 2 x 2 pixels, got shape {gray.shape}")
    if min(gray.shape) >= DENOISE_FROM:  # a photo: a 3x3 median removes sensor noise, keeps strokes
        gray = np.asarray(PIL.Image.fromarray(gray.astype(np.uint8)).filter(PIL.ImageFilter.MedianFilter(3)))
    gray = gray.astype(np.float64)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 127:  # light paper: MNIST's ink is the bright part
        gray, border = 255.0 - gray, 255.0 - border
    background = float(np.median(border))
    top = float(np.percentile(gray, 99.5))  # the ink's level, robust to a few specks
    if top - background < MIN_CONTRAST:
        raise UserError("no digit found: the picture is blank (draw or photograph a digit)")
    strength = np.clip((gray - background) / (top - background), 0.0, 1.0)
    # Uneven lighting leaves the paper brighter on one side: whatever the border reaches is background too.
    floor = max(NOISE_FLOOR, float(np.percentile(strength[0], 99)), float(np.percentile(strength[-1], 99)),
                float(np.percentile(strength[:, 0], 99)), float(np.percentile(strength[:, -1], 99)))
    strength[strength < min(floor, 0.5)] = 0.0
    return strength


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the image's intensity-weighted centre."""
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def to_mnist(gray: np.ndarray) -> np.ndarray:
    """Greyscale picture of one digit -> 28x28 uint8, white ink on black, framed and centred as in MNIST."""
    strength = ink(gray)
    rows, cols = np.nonzero(strength)
    box = strength[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    height, width = box.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # LANCZOS averages over the source pixels when shrinking: thin strokes become grey, as MNIST's anti-aliasing.
    small = np.asarray(PIL.Image.fromarray((255 * box).astype(np.uint8)).resize(size, PIL.Image.Resampling.LANCZOS),
                       dtype=np.float64)
    if small.sum() == 0:  # a single faint speck scaled to nothing
        raise UserError("no digit found: the ink is too faint")
    frame = np.zeros((FRAME, FRAME))
    row, col = center_of_mass(small)
    # Shift so the centre of mass lands on the frame's centre, but never push ink out of the frame.
    top = int(np.clip(round(FRAME / 2 - row), 0, FRAME - small.shape[0]))
    left = int(np.clip(round(FRAME / 2 - col), 0, FRAME - small.shape[1]))
    frame[top:top + small.shape[0], left:left + small.shape[1]] = small
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8)


def from_bytes(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """An uploaded picture file -> (its greyscale original, the 28x28 MNIST-like input)."""
    gray = decode(data)
    return gray, to_mnist(gray)
