"""The tree of a student's experiments is built from their runs: a step made after going back branches from the
step it was made from, other students' runs are not in it, and a node opens its step's model."""
from __future__ import annotations

from pruning_core.service.actions import tasks
from pruning_core.service.sessions import tree
from tests.service.helpers import line_after, wait_finished

ME, OTHER = tasks.Requester("owner-token-0001"), tasks.Requester("owner-token-0002")


def test_a_step_after_going_back_is_a_second_branch(queue, baseline):
    line = line_after(wait_finished(tasks.prune(queue, [baseline], [30.0, 50.0], "global", 0, 0.01, ME)),
                      [baseline])
    back = line[:2]  # gone back to the 30 % step, then a different step
    branch = line_after(wait_finished(tasks.prune(queue, back, [60.0], "global", 0, 0.01, ME)), back)
    wait_finished(tasks.prune(queue, [baseline], [40.0], "global", 0, 0.01, OTHER))
    nodes = tree.step_tree(ME.owner)
    by_label = {node.label: node for node in nodes.values()}
    assert sorted(by_label) == ["30 % (global)", "50 % (global)", "60 % (global)", "baseline"]
    root, first = by_label["baseline"], by_label["30 % (global)"]
    assert root.parent is None and root.key == () and root.accuracy == baseline.accuracy
    assert first.parent == root.key
    assert by_label["50 % (global)"].parent == by_label["60 % (global)"].parent == first.key  # two branches
    assert by_label["60 % (global)"].key == tree.identity(branch[-1])
    assert tree.model_of(by_label["60 % (global)"]).history == branch[-1].history
    assert abs(by_label["50 % (global)"].sparsity - 50.0) < 0.01


def test_tree_layout_gives_each_branch_a_row():
    from pruning_core.plots import tree as tree_figure
    nodes = [{"parent": None}, {"parent": 0}, {"parent": 1}, {"parent": 1}, {"parent": None}]
    assert tree_figure.rows(nodes) == [(0, 0), (1, 0), (2, 0), (2, 1), (0, 2)]


def test_fifty_nodes_never_share_a_place():
    from pruning_core.plots import tree as tree_figure
    # A start and a line of 13 steps, then four branches of 9 steps each: 50 nodes.
    nodes = [{"parent": None}] + [{"parent": i} for i in range(13)]
    for fork in range(1, 12, 3):
        nodes.append({"parent": fork})
        nodes += [{"parent": len(nodes) - 1 + i} for i in range(8)]
    assert len(nodes) == 50
    places = tree_figure.rows(nodes)
    assert len(set(places)) == 50
    assert all(places[n["parent"]][0] + 1 == depth for n, (depth, _) in zip(nodes, places) if n["parent"] is not None)
    figure = tree_figure.step_tree([{**n, "label": "x", "sparsity": 50.0, "accuracy": 0.97, "open": False}
                                    for n in nodes])
    assert figure.layout.height <= 140 + tree_figure.ROW_PX * 5  # 5 branches: one row each
