"""Numbers the pages derive from a model's weights, counted once per model, not once per page run: a Prune page
run asks for such counts several times (the sidebar card, the slider's minimum, the reachability check, the
network diagram), and a classroom opens the page at once (what it cost: docs/design-notes.md). Weights and masks
never change once a
checkpoint exists - a prune step makes a new one (``lab.prune_step`` works on a copy) - so what they give is
kept with them: keyed by the identity of the checkpoint's model and masks (every new student's start shares the
shipped baseline's), and dropped when either is garbage-collected (weak references), never by a value that
could match a different model.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from pruning_core import lab
from pruning_core.checkpoint import Checkpoint

T = TypeVar("T")
_memo: dict[tuple[int, int, str], tuple[weakref.ref, weakref.ref, object]] = {}
_lock = threading.Lock()  # page runs of different students are threads of one server


def per_model(ckpt: Checkpoint, what: str, compute: Callable[[], T]) -> T:
    """``compute()`` (a function of ``ckpt``'s weights and masks only) the first time ``what`` is asked of this
    model and masks, the kept value after that."""
    key = (id(ckpt.model), id(ckpt.masks), what)
    with _lock:
        held = _memo.get(key)
    if held is not None and held[0]() is ckpt.model and held[1]() is ckpt.masks:
        return held[2]  # type: ignore[return-value]
    value = compute()  # outside the lock: another student's page need not wait for this count

    def drop(ref: weakref.ref) -> None:
        with _lock:  # only this entry: an id is reused only after its object is gone, i.e. after this call
            if any(held is ref for held in _memo.get(key, ())[:2]):
                del _memo[key]

    with _lock:
        _memo[key] = (weakref.ref(ckpt.model, drop), weakref.ref(ckpt.masks, drop), value)
    return value


def per_model_call(ckpt: Checkpoint, fn: Callable[..., T], *args: object, keep: int = 64) -> T:
    """``fn(ckpt, *args)`` - a function of the weights, the masks, the training recipe and the hashable
    ``args`` - kept per model and distinct ``(recipe, args)``: the newest ``keep`` at most, since a slider
    offers a thousand values."""
    kept: dict = per_model(ckpt, fn.__qualname__, dict)
    key = (ckpt.recipe, args)
    value = kept.get(key, kept)  # the dict itself stands for "not kept" (None may be a value)
    if value is kept:
        value = fn(ckpt, *args)
        if len(kept) >= keep:
            kept.clear()
        kept[key] = value  # another student's page may clear the dict meanwhile: return our own value
    return value  # type: ignore[return-value]


def layer_counts(ckpt: Checkpoint) -> dict[str, dict[str, int]]:
    """``lab.layer_counts(ckpt)``, counted once per model (a shared value: do not modify it)."""
    return per_model(ckpt, "layer_counts", lambda: lab.layer_counts(ckpt))


def nonzero_total(ckpt: Checkpoint) -> tuple[int, int]:
    """Weights left and all weights, over every layer (the model card's sparsity)."""
    counts = layer_counts(ckpt).values()
    return sum(c["nonzero"] for c in counts), sum(c["total"] for c in counts)
