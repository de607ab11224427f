"""ui_memo: a model's counts are computed once per model and masks (shared by every student's start), never
served for another model, and dropped with the model."""
from __future__ import annotations

import dataclasses
import gc

from ui import memo as ui_memo
from pruning_core import checkpoint, lab


def test_counts_once_per_model_and_never_for_another() -> None:
    shipped = checkpoint.load("baseline")
    calls = []

    def count() -> dict:
        calls.append(1)
        return lab.layer_counts(shipped)

    start = dataclasses.replace(shipped, origin="a student's start")  # the same weights and masks
    assert ui_memo.per_model(shipped, "probe", count) is ui_memo.per_model(start, "probe", count)
    assert len(calls) == 1
    copy = shipped.copy()  # equal weights, other objects: counted again, so a changed model never reads old counts
    ui_memo.per_model(copy, "probe", count)
    assert len(calls) == 2
    assert ui_memo.nonzero_total(shipped) == (266_200, 266_200)

    key = (id(copy.model), id(copy.masks), "probe")
    assert key in ui_memo._memo
    del copy
    gc.collect()
    assert key not in ui_memo._memo  # gone with its model


def test_a_call_is_kept_per_recipe_and_arguments_within_a_bound() -> None:
    shipped = checkpoint.load("baseline")
    seen = []

    def problem(ckpt, percent: float) -> str:
        seen.append(percent)
        return "" if percent >= 0 else "negative"

    assert ui_memo.per_model_call(shipped, problem, 50.0, keep=2) == ""
    assert ui_memo.per_model_call(shipped, problem, 50.0, keep=2) == ""
    assert ui_memo.per_model_call(shipped, problem, -1.0, keep=2) == "negative"
    assert seen == [50.0, -1.0]
    ui_memo.per_model_call(shipped, problem, 60.0, keep=2)  # a third value: the kept ones are dropped
    ui_memo.per_model_call(shipped, problem, 50.0, keep=2)
    assert seen == [50.0, -1.0, 60.0, 50.0]
