"""Bytes each dashboard figure sends to the browser: ``len(fig.to_json())`` of the figures the pages draw.

Figures come from ``pruning_core.plots.figures`` fed with ``pruning_core.analyze`` data for the shipped baseline
and a 90 %-pruned copy of it, as the dashboard shows them. For fc1 the table also shows the plain
``px.imshow(weights)`` heatmap (235,200 numbers as JSON) that the PNG encoding replaces.
"""
from __future__ import annotations

import dataclasses

import plotly.express as px

from bench.timing import goal_line, goals_table
from pruning_core import analyze, checkpoint, lab
from pruning_core.plots import figures, weights
from pruning_core.data import load_mnist
from pruning_core.settings import PruneSettings

GOAL_BYTES = 1_000_000
NEURONS = list(range(16))


def sizes() -> dict[str, int]:
    """Figure name -> bytes of its JSON."""
    before = checkpoint.load("baseline")
    events = []
    after = lab.prune_step(before, PruneSettings(90), retrain_epochs=1,
                           callbacks=[lambda e: events.append(dataclasses.asdict(e))])
    test = load_mnist("cpu").test
    pixels = test.pixels[0].numpy()
    pair = {"before": before, "after": after}
    limit = float(abs(analyze.fc1_weights(before)).max())
    titles = {"before": "before", "after": "after"}
    built = {f"fc1_pair ({view}, before, after 90 %)": weights.fc1_pair(
        {k: analyze.fc1_weights(c) for k, c in pair.items()}, titles, view) for view in weights.FC1_VIEWS}
    built["plain px.imshow(fc1) for comparison (not used)"] = px.imshow(analyze.fc1_weights(after))
    built.update({
        "accuracy_vs_sparsity": figures.accuracy_vs_sparsity(lab.step_table(after.history), before.accuracy),
        "training_curve (1 retrain epoch)": figures.training_curve(events),
        "weight_histograms": weights.weight_histograms(
            {k: analyze.weight_histograms(c, limit=limit) for k, c in pair.items()}, ["fc1", "fc2", "fc3"]),
        f"receptive_fields_pair ({len(NEURONS)} neurons)": weights.receptive_fields_pair(
            {k: analyze.receptive_fields(c, NEURONS) for k, c in pair.items()}, NEURONS, titles),
        "pixel_connections_pair": weights.pixel_connections_pair(
            {k: analyze.pixel_connections(c) for k, c in pair.items()}, titles),
        "digit": figures.digit(pixels),
        "activation_strips": figures.activation_strips({k: analyze.inspect_pixels(c, pixels) for k, c in pair.items()}),
        "probabilities": figures.probabilities({k: analyze.inspect_pixels(c, pixels) for k, c in pair.items()}),
        "class_mean_active": figures.class_mean_active({k: analyze.class_mean_active(c, test) for k, c in pair.items()}),
    })
    return {name: len(fig.to_json().encode()) for name, fig in built.items()}


def main() -> None:
    """Print the payload table and the fc1 goal (sizes are exact, so one run suffices)."""
    measured = sizes()
    print("## payload (bytes of fig.to_json() per dashboard figure)\n")
    print("| figure | bytes |\n|---|---|")
    print("\n".join(f"| {name} | {size:,} |" for name, size in measured.items()))
    print("\nnot measured: scope_comparison and width_comparison (they need an experiment run's results)\n")
    heatmap = max(size for name, size in measured.items() if name.startswith("fc1_pair"))
    print(goals_table([goal_line("fc1 before+after pair (largest view)", heatmap / 1e6, GOAL_BYTES / 1e6, "MB",
                                      why="dense weights make a nearly incompressible PNG even with an 8-bit palette")]))
