"""A line's checkpoints as class-board points (how much each model is pruned, its test accuracy, the settings
of the step that made it; the start: its name), and the board's best points at a few sparsities."""
from __future__ import annotations

from collections.abc import Sequence

from ...checkpoint import Checkpoint
from .board import Point, SharedLine


def settings_of(model: Checkpoint, position: int) -> str:
    """How the model at ``position`` of a line was made: the step's settings ("global, 1 epoch(s), lr 0.001"),
    or for the start (0) its name."""
    if position == 0 or not model.history:
        return f"start: {model.origin or 'model'}"
    step = model.history[-1]
    return f"{step.scope}, {step.retrain_epochs} epoch(s), lr {step.retrain_lr:g}"


def points_of(models: Sequence[Checkpoint], first: int = 0) -> list[Point]:
    """``models`` (positions ``first``, ``first + 1``, ... of a line; 0 is its start) as board points; a model
    whose accuracy was never measured has no point."""
    return [Point(position, round(100 * model.masks.sparsity(), 4), float(model.accuracy),
                  settings_of(model, position))
            for position, model in enumerate(models, start=first) if model.accuracy is not None]


def best_at(lines: Sequence[SharedLine], thresholds: Sequence[float]) -> list[tuple[float, SharedLine | None,
                                                                                    Point | None]]:
    """Per threshold (% pruned): the most accurate point of any line pruned at least that much, with its
    line; ``(threshold, None, None)`` where nobody got there yet. Ties go to the more pruned point."""
    rows = []
    for threshold in thresholds:
        found = [(point.accuracy, point.sparsity, line, point) for line in lines for point in line.points
                 if point.sparsity >= threshold - 1e-6]
        top = max(found, default=None, key=lambda item: item[:2])
        rows.append((threshold, top[2], top[3]) if top else (threshold, None, None))
    return rows
