"""Presenter mode's chart fonts (pruning_core/plots/style.py ``enlarged``): every text of a figure - titles,
axes, legend, annotations (the network diagram's counts), colour bars - at least the asked size, and the
figure it was given (which may be cached and shared) left as it was."""
from __future__ import annotations

from pruning_core.plots import figures, network
from pruning_core.plots.style import enlarged

MIN_PX = 20


def sizes(fig) -> list[float]:
    """The font size every text of ``fig`` is drawn at (unset ones inherit the layout's font)."""
    base = fig.layout.font.size
    found = [base, fig.layout.legend.font.size or base]
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        found += [axis.tickfont.size or base, axis.title.font.size or base]
    found += [note.font.size or base for note in fig.layout.annotations]
    for trace in fig.data:
        if "colorbar" in trace:
            found += [trace.colorbar.tickfont.size or base, trace.colorbar.title.font.size or base]
    return found


def test_every_text_of_a_chart_and_the_diagram_reaches_the_size():
    rows = [{"percent": 50.0, "accuracy_after_prune": 0.95, "accuracy_after_retrain": 0.97}]
    counts = {name: {"nonzero": n // 2, "total": n} for name, n in (("fc1", 235_200), ("fc2", 30_000), ("fc3", 1000))}
    for fig in (figures.accuracy_vs_sparsity(rows, 0.97, (0.0, 0.97), shown=1),
                network.diagram([784, 300, 100, 10], counts, height=300)):
        before = fig.to_json()
        assert min(sizes(fig)) < MIN_PX  # the test means something: the figure had smaller text
        big = enlarged(fig, MIN_PX)
        assert min(sizes(big)) >= MIN_PX, sizes(big)
        assert fig.to_json() == before  # the cached figure is untouched


def test_the_enlarged_figure_grows_with_its_text_so_its_parts_keep_apart():
    """Height and margins grow by the font's own factor (16 -> 20 px: 1.25), so the strip above the plot, the
    gaps between subplots and the room for axis titles keep their proportions to the larger text."""
    fig = figures.accuracy_vs_sparsity([{"percent": 50.0, "accuracy_after_prune": 0.95,
                                         "accuracy_after_retrain": 0.97}], 0.97, (0.0, 0.97), shown=1)
    big = enlarged(fig, MIN_PX)
    factor = MIN_PX / fig.layout.font.size
    assert big.layout.height == round(factor * fig.layout.height)
    for side in "tblr":
        assert getattr(big.layout.margin, side) == round(factor * getattr(fig.layout.margin, side))
    assert enlarged(big, MIN_PX).layout.height == big.layout.height  # text already large enough: nothing grows
