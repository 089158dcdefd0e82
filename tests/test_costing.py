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


def test_activity_cost_by_account_position_is_the_same_as_by_id(monkeypatch):
    """Summed by each line's account position (the pack's account_lines), the costs are
    those of the group-by on the ids: same rows, same order (by id, then activity), same
    sums to the last digit."""
    import numpy as np

    rng = np.random.default_rng(11)
    ids = pd.Index(["C-2", "A-9", "B-1", "D-0"])  # not in sorted order; D-0 has no line
    at = rng.integers(0, 3, 500)
    act = pd.DataFrame({
        "account_id": ids.to_numpy()[at],
        "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 455, 500), "D"),
        "activity": rng.choice(np.array(["visit", "ticket", None], dtype=object), 500),
        "quantity": rng.normal(3, 1, 500),
    })  # fmt: skip
    rates = pd.Series({"visit": 450.0, "ticket": 35.0})
    by_id = costing.activity_cost(act, rates, "2026-03-31")
    by_position = costing.activity_cost(act, rates, "2026-03-31", at=at, ids=ids)
    pd.testing.assert_frame_equal(by_position, by_id, check_exact=True)
    assert by_id["account_id"].tolist()[0] == "A-9" and "D-0" not in set(by_id["account_id"])
    # a part of the accounts' lines at a time (a million accounts' window): the same
    from kamlib.method import month_sums

    monkeypatch.setattr(month_sums, "PART_LINES", 40)  # each account a part of its own
    in_parts = costing.activity_cost(act, rates, "2026-03-31", at=at, ids=ids)
    pd.testing.assert_frame_equal(in_parts, by_id, check_exact=True)
