"""The Class page's chart (pruning_core/plots/classroom.py): a trace per shared line named by its nickname as
plain text (Plotly reads tags, so they are escaped), the best accuracy at each sparsity starred, every x axis."""
from __future__ import annotations

import pytest

from pruning_core.plots.classroom import board_chart
from pruning_core.plots.figures import SPARSITY_AXES


@pytest.mark.parametrize("axis", list(SPARSITY_AXES))
def test_one_trace_per_line_and_the_best_at_each_sparsity_starred(axis):
    fig = board_chart([("<i>Ada</i>", [(0.0, 0.97), (50.0, 0.96), (90.0, 0.95)]),
                       ("Bo", [(0.0, 0.97), (50.0, 0.965)])], axis)
    lines, best = fig.data[:-1], fig.data[-1]
    assert [t.name for t in lines] == ["&lt;i&gt;Ada&lt;/i&gt;", "Bo"]
    assert best.name == "best at this sparsity" and list(best.y) == [97.0, 96.5, 95.0]
    assert list(best.text) == ["&lt;i&gt;Ada&lt;/i&gt;", "Bo", "&lt;i&gt;Ada&lt;/i&gt;"]
    assert list(best.customdata) == [0, 1, 0]  # a click on a star opens the line it marks
    assert len(set(t.line.color for t in lines)) == 2


def test_an_empty_board_is_an_empty_chart():
    assert len(board_chart([]).data) == 1  # only the (empty) best marks
