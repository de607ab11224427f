"""The report's small-sample statistics: Student t quantiles and tests, Holm's correction, the verdicts."""
from __future__ import annotations

import pytest

from pruning_core.research import stats


@pytest.mark.parametrize("alpha, df, table_value", [(0.05, 2, 4.303), (0.05, 4, 2.776), (0.01, 2, 9.925),
                                                    (0.05, 30, 2.042)])
def test_t_quantiles_match_the_printed_tables(alpha: float, df: int, table_value: float) -> None:
    assert stats.t_quantile(alpha, df) == pytest.approx(table_value, abs=2e-3)


def test_paired_interval_and_p_value() -> None:
    d = stats.paired([1.48, 1.51, 1.55, 1.60, 1.56])  # paper-92's five test errors (%)
    assert (round(d["low"], 2), round(d["high"], 2)) == (1.48, 1.60)
    assert stats.paired([1.0, 2.0, 3.0])["p"] == pytest.approx(0.0742, abs=1e-3)  # t = 3.464, df 2


def test_holm_adjusts_p_values_step_down_and_widens_intervals() -> None:
    families = [[5.0, 5.1, 4.9], [0.3, 0.1, 0.2], [0.0, 0.01, -0.01], [22.9, 30.0, 11.3]]
    raw = [stats.paired(f)["p"] for f in families]
    holm = stats.holm(families)
    order = sorted(range(4), key=lambda i: raw[i])
    for rank, i in enumerate(order):  # adjusted p = max over earlier ranks of (m - rank) * p, capped at 1
        assert holm[i]["p_holm"] == pytest.approx(max(min(1, (4 - r) * raw[order[r]]) for r in range(rank + 1)))
        assert holm[i]["alpha"] == pytest.approx(0.05 / (4 - rank))
    unadjusted = stats.paired(families[1])
    assert holm[1]["high"] - holm[1]["low"] > unadjusted["high"] - unadjusted["low"]
    assert [h["verdict"] for h in holm] == ["beyond noise", "within noise", "within noise", "not resolved"]
