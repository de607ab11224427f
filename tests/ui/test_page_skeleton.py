"""bench/page_skeleton.py stands for the Prune page in bench.page_open --skeleton: it must draw the same kinds
and numbers of elements as a new student's first Prune page, or its figure says nothing about the page.
Written by ``python -m bench.page_skeleton`` (tests and benchmarks do not import each other)."""
from __future__ import annotations

import subprocess
import sys

from streamlit.testing.v1 import AppTest

from pruning_core import paths


def shape(node) -> list:
    """The run's element tree as nested lists of kinds, in the order drawn (what each element says left out)."""
    children = getattr(node, "children", None)
    if children is None:
        return [node.type]
    return [node.type, [shape(child) for child in children.values()]]


def test_the_skeleton_draws_the_elements_of_the_first_prune_page(app, tmp_path):
    subprocess.run([sys.executable, "-m", "bench.page_skeleton", str(tmp_path / "skeleton")], cwd=paths.APP_DIR,
                   check=True, timeout=120)
    skeleton = AppTest.from_file(str(tmp_path / "skeleton" / "app.py"), default_timeout=60).run()
    assert not skeleton.exception
    drawn = shape(app._tree)
    assert "plotly_chart" in str(drawn) and str(drawn).count("'button'") >= 5, drawn  # the page it stands for
    assert shape(skeleton._tree) == drawn
