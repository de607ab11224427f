"""Pictures of digits (an uploaded photo, a drawing on the dashboard's canvas) -> MNIST-like 28x28 inputs.

MNIST itself was made this way (LeCun et al.): white ink on black, the digit's bounding box scaled so its
longer side is 20 pixels (aspect ratio kept, anti-aliased), then placed in a 28x28 frame so that its centre of
mass is the frame's centre. A photo differs in every step - dark ink on light paper, a grey rather than black
background, the digit anywhere and any size - and a model trained on MNIST reads it wrongly unless each step is
redone. The model's own normalisation (``analyze.normalize_pixels``) is applied afterwards, as for test images.

Bytes are bounded before they are decoded: a small PNG can declare a 100,000 x 100,000 image (a
"decompression bomb"), so the declared size is checked from the header before any pixel is read.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
import PIL.Image
import PIL.ImageFilter

from .errors import UserError

MAX_BYTES = 10 * 1024 * 1024  # a phone photo is 2-5 MB
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo still passes; decoding it needs ~40 MB as greyscale
BOX = 20  # MNIST: the longer side of the digit's bounding box
FRAME = 28
NOISE_FLOOR = 0.2  # below 20 % of the ink's contrast is paper texture, shadow or JPEG noise, not ink
DENOISE_FROM = 3 * FRAME  # pictures at least this size on each side are photos or drawings, not MNIST-sized
MIN_CONTRAST = 16  # grey levels between background and ink: less than this is a blank picture


def decode(data: bytes) -> np.ndarray:
    """Picture file bytes (PNG, JPEG, ...) -> greyscale uint8 (H, W); transparency is laid over white paper.
    Size limits are checked before any pixel is decoded."""
    if not data:
        raise UserError("the picture file is empty")
    if len(data) > MAX_BYTES:
        raise UserError(f"the picture is {len(data) / 2**20:.1f} MB; at most {MAX_BYTES // 2**20} MB please")
    unreadable = UserError("this file is not a picture that can be read (PNG or JPEG please)")
    try:
        with warnings.catch_warnings():  # PIL warns above 89 megapixels; the limit below is ours and lower
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            image = PIL.Image.open(io.BytesIO(data))  # reads the header only
    except (PIL.UnidentifiedImageError, PIL.Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise unreadable from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise UserError(f"the picture is {width} x {height} pixels; at most {MAX_PIXELS // 10**6} megapixels please")
    try:
        rgba = np.asarray(image.convert("RGBA"))
    except (PIL.Image.DecompressionBombError, OSError, ValueError, SyntaxError):  # truncated or corrupt data
        raise unreadable from None
    return to_gray(rgba)


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 3) or (H, W, 4) pixels -> greyscale uint8 (H, W); transparent parts count as white paper
    (the canvas and many PNGs have a transparent background)."""
    array = np.asarray(pixels, dtype=np.float64)
    if array.ndim == 2:
        return np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise UserError(f"a picture must be greyscale, RGB or RGBA, got shape {array.shape}")
    gray = array[..., :3] @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as PIL's "L" mode
    if array.shape[2] == 4:
        alpha = array[..., 3] / 255.0
        gray = gray * alpha + 255.0 * (1 - alpha)
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


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
