"""Settings links (pruning_core/service/links.py): read back exactly what was written, refuse out-of-range
values with a reason, and never carry anything but the four settings."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from pruning_core.service.actions import links


def test_a_link_round_trips_its_settings():
    settings = {"percent": 80.0, "scope": "layer", "epochs": 2, "lr": 0.001}
    url = links.link("http://lab.local:8501/?job=AAAAAAAAAAAAAAAA&me=BBBBBBBBBBBBBBBB", settings)
    assert url.startswith("http://lab.local:8501/?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert set(query) == set(links.FIELDS)  # no job or owner token survives
    assert links.from_query(query) == (settings, [])


def test_the_issue_example_prefills_three_fields():
    assert links.from_query({"percent": "80", "epochs": "2", "scope": "layer"}) == (
        {"percent": 80.0, "epochs": 2, "scope": "layer"}, [])


def test_bad_values_are_reported_not_replaced():
    values, problems = links.from_query({"percent": "150", "epochs": "two", "lr": "5", "scope": "everything",
                                         "page": "weights"})
    assert values == {}
    assert len(problems) == 4 and any("lr=5 is outside" in p for p in problems)
    values, problems = links.from_query({"percent": "nan", "epochs": "1"})
    assert values == {"epochs": 1} and "percent" in problems[0]
