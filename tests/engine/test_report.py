"""The reproduction report runs end to end (tiny plan) and writes what it measured."""
from __future__ import annotations

import dataclasses
import re

from pruning_core.research import experiments, report, reproduce
from pruning_core import paths


def tiny(settings: experiments.ExperimentSettings) -> experiments.ExperimentSettings:
    return dataclasses.replace(settings, percents=(90.0,), train_epochs=0, retrain_epochs=0, seeds=(1,))


# The full plan's shape (quick=False: results are stored) at the cost of a smoke run, passed explicitly.
TINY = experiments.ExperimentPlan(quick=False, global_vs_layer=tiny(experiments.FULL.global_vs_layer),
                                  width_300_vs_600=tiny(experiments.FULL.width_300_vs_600))


def test_quick_report_writes_every_section(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PRUNE_LAB_EXPERIMENTS", str(tmp_path / "results"))
    shipped = {name: (paths.CHECKPOINTS_DIR / file).stat().st_mtime if (paths.CHECKPOINTS_DIR / file).exists()
               else None for name, file in paths.BUILTIN_CHECKPOINTS.items()}
    lines: list[str] = []
    # quick=False with the tiny plan: exercises the store-results path (into the temporary results folder)
    plan = dataclasses.replace(reproduce.QUICK, quick=False)
    out = report.generate(plan, tmp_path / "reproduction.md", ship=False, log=lines.append, experiment_plan=TINY)
    text = out.read_text()
    for heading in ("## 1. The reference blog", "## 2. Han et al.'s points", "## 3.", "## 4."):
        assert heading in text
    # The 10 % row: the seed baseline's 10th percentile of |w| is the reference's threshold to within 1 %.
    row = re.search(r"^\| 10 \| 0.00382 \| ([0-9.]+) \| ([0-9.]+) \|", text, re.M)
    assert row and abs(float(row.group(2)) - 1) < 0.01
    assert "`python -m pruning_core report`" in text
    stored = experiments.load_results(experiments.REPORT)
    assert "timing" in stored["sections"] and stored["threads"] >= 1 and stored["plan"]["protocol"] == "quick"
    assert "| `paper-68x` |" in text and "68.9x" in text  # the quick protocol's 98.7 % point, both conventions
    assert experiments.load_results("global_vs_layer")["runs"]
    assert shipped == {name: (paths.CHECKPOINTS_DIR / file).stat().st_mtime
                       if (paths.CHECKPOINTS_DIR / file).exists() else None
                       for name, file in paths.BUILTIN_CHECKPOINTS.items()}  # quick runs ship nothing
    assert any("regularisation" in line for line in lines)
    rerendered = report.render_stored(tmp_path / "again.md", log=lines.append).read_text()
    assert "--render-only" in rerendered
    # Same numbers from the stored results (the quick protocol of section 2 stores nothing, so it is left out).
    assert outside_protocol(rerendered) == outside_protocol(text)
    assert "not run" in rerendered.split("## 2.")[1].split("## 3.")[0]


def outside_protocol(markdown: str) -> str:
    return markdown.split("## 1.")[1].split("## 2.")[0] + markdown.split("## 3.")[1]


def test_every_results_doc_equals_a_render_of_its_stored_json() -> None:
    docs = paths.APP_DIR / "docs"
    charts = {name: f"{name}.png" for name in report.CHARTS if (docs / "figures" / f"{name}.png").is_file()}
    for name, text in report.documents(*report.stored_inputs(), charts).items():
        assert (docs / name).read_text() == text, f"docs/{name} differs: run python -m pruning_core report --render-only"
