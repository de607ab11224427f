"""A student's experiments as a tree: every step of every run they made is a node, and a step hangs under the
model it was made from, so "Go back", "Reset" and "Start from this line" show as branches.

Built from the student's runs on disk (their steps' checkpoints carry the whole history of prune steps), so it
survives a reload and a restart and keeps the steps a "Go back" dropped from the line; what the tree needs of
a step is read once per server. A step's place is its
history: two steps whose histories agree up to step k share their first k nodes. A run's first step hangs
under its start, named as the run names it ("baseline"). Runs removed by the runs' retention leave the tree.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

from ...checkpoint import Checkpoint
from ...errors import UserError
from ..runs import store as runs

KINDS = ("prune", "schedule", "hand")  # the jobs whose steps are a line's steps
MOST = 200  # nodes read at most (a student's own runs: a few lines of up to 40 steps)


@dataclass(frozen=True)
class Node:
    """One model in the tree: a start (``run`` "") or a run's step."""

    key: tuple[str, ...]   # the model's history, one identity per prune step (the root: its start's)
    parent: tuple[str, ...] | None
    label: str             # "baseline" or "50 % (global)"
    sparsity: float        # % of weights pruned
    accuracy: float | None
    run: str = ""
    index: int = 0


def identity(model: Checkpoint) -> tuple[str, ...]:
    """A model's place in the tree: its history, one digest per prune step."""
    return tuple(hashlib.sha1(json.dumps(record.to_dict(), sort_keys=True).encode()).hexdigest()
                 for record in model.history)


@functools.lru_cache(maxsize=4096)
def _step(run_id: str, index: int) -> tuple[tuple[str, ...], str, float, float | None, float, float]:
    """What the tree needs of a run's step, read once per server (a saved step never changes): its key, label,
    sparsity and accuracy, and the accuracy and sparsity of the model it was made from."""
    model = runs.get(run_id).load_step(index)
    record = model.history[-1]
    before = model.history[-2].sparsity if len(model.history) > 1 else 0.0
    return (identity(model), f"{record.percent:g} % ({record.scope})", 100 * record.sparsity, model.accuracy,
            record.accuracy_before, 100 * before)


def step_tree(owner: str) -> dict[tuple[str, ...], Node]:
    """The owner's steps and the starts they came from, by key (parents before children in each run)."""
    nodes: dict[tuple[str, ...], Node] = {}
    for run in reversed(runs.all_runs()):  # oldest first: a start is named by the first run made from it
        config = run.config()
        if not owner or config.get("owner") != owner or config.get("kind") not in KINDS:
            continue
        for index in run.steps():
            if len(nodes) >= MOST:
                return nodes
            try:
                key, label, sparsity, accuracy, accuracy_before, sparsity_before = _step(run.id, index)
            except UserError:  # a damaged or vanishing step file: the run's later steps still count
                continue
            if key[:-1] not in nodes:
                start = str(config.get("settings", {}).get("start", "start"))
                nodes[key[:-1]] = Node(key[:-1], None, start, sparsity_before, accuracy_before)
            nodes.setdefault(key, Node(key, key[:-1], label, sparsity, accuracy, run.id, index))
    return nodes


def model_of(node: Node) -> Checkpoint:
    """The checkpoint a step node stands for (a start node has none here: it is the line's own start)."""
    if not node.run:
        raise UserError("a start is opened from the Train / load page")
    return runs.get(node.run).load_step(node.index)
