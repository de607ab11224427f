"""Uploaded pictures decoded once per server, not on every rerun of the page that shows them.

``digits.decode`` bounds a picture's bytes and declared pixels before decoding it (a decompression bomb is
refused). A page reruns every half second while a job runs and on every widget change, and would decode the
same upload again each time (a phone photo, twice a second per student). Here the decoded greyscale
image is kept by content hash, within a memory budget (least recently used pictures go first), read-only
because sessions share it.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from ... import digits

BUDGET_BYTES = 256 * 1024 ** 2  # decoded greyscale pixels kept: ~20 phone photos

_cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
_lock = threading.Lock()


def decoded(data: bytes) -> np.ndarray:
    """``digits.decode(data)``, computed once per distinct file; the same UserError for a refused one."""
    key = hashlib.sha256(data).digest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    gray = digits.decode(data)
    gray.setflags(write=False)
    with _lock:
        _cache[key] = gray
        while sum(image.nbytes for image in _cache.values()) > BUDGET_BYTES and len(_cache) > 1:
            _cache.popitem(last=False)
    return gray
