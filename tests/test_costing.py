"""Activity-based cost-to-serve on hand-made activities."""

from __future__ import annotations

import pandas as pd
import pytest

from kamlib.method import costing


def test_unit_costs_config_overrides_the_pack():
    rates = pd.DataFrame({"activity": ["visit", "ticket"], "unit_cost": [400.0, 30.0]})
    u = costing.unit_costs(rates, {"visit": 450, "training": 900})
    assert u.to_dict() == {"ticket": 30.0, "visit": 450.0, "training": 900.0}
    assert costing.unit_costs(None, None).empty


def test_activity_cost_and_cost_to_serve_known_answer():
    act = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B", "B"],
            "date": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2024-01-01", "2026-03-01", "2026-03-01"]
            ),
            "activity": ["visit", "visit", "visit", "ticket", "unpriced"],
            "quantity": [2, 1, 50, 10, 3],
        }
    )
    rates = pd.Series({"visit": 450.0, "ticket": 35.0})
    c = costing.activity_cost(act, rates, "2026-03-31")
    a = c.set_index(["account_id", "activity"])
    assert a.loc[("A", "visit"), "quantity"] == 3  # the 2024 visits are outside the window
    assert a.loc[("A", "visit"), "cost"] == 1350
    assert a.loc[("B", "unpriced"), "cost"] == 0
    cts = costing.cost_to_serve(c).set_index("account_id")
    assert cts.loc["A", "cost_to_serve"] == 1350
    assert cts.loc["B", "cost_to_serve"] == pytest.approx(350)
    assert cts.loc["B", "visit"] == 0
