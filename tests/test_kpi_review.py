"""Step 5 KPIs (partial): known answers on hand-made data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kamlib import kpi_review as kpis


def test_worked_nrr_grr_case_from_the_method():
    # start 10.0 M; one account shrinks by 0.6 M, one churns 0.9 M, one expands 1.8 M
    start = pd.Series({"shrinks": 3.1e6, "churns": 0.9e6, "expands": 6.0e6})
    end = pd.Series({"shrinks": 2.5e6, "expands": 7.8e6, "new": 4.0e6})
    r = kpis.retention(start, end)
    assert r["start"] == pytest.approx(10.0e6) and r["accounts"] == 3  # "new" is not in it
    assert (r["churn"], r["contraction"], r["expansion"]) == pytest.approx((0.9e6, 0.6e6, 1.8e6))
    assert r["grr"] == pytest.approx(0.85) and r["nrr"] == pytest.approx(1.03)
    assert r["logo_retention"] == pytest.approx(2 / 3)


def test_grr_is_capped_and_an_empty_cohort_has_no_score():
    r = kpis.retention(pd.Series({"a": 1.0}), pd.Series({"a": 2.0}))
    assert r["grr"] == 1.0 and r["nrr"] == pytest.approx(2.0)
    empty = kpis.retention(pd.Series({"a": 0.0}), pd.Series({"a": 5.0}))
    assert empty["accounts"] == 0 and math.isnan(empty["nrr"])


def test_period_ends_skip_the_incomplete_period():
    ends = kpis.period_ends("2026-08-15", 2)
    assert [str(d.date()) for d in ends] == ["2026-03-31", "2026-06-30"]
    assert [str(d.date()) for d in kpis.period_ends("2026-09-30", 2, "year")] == [
        "2024-12-31",
        "2025-12-31",
    ]


def test_retention_by_period_splits_key_accounts_from_the_rest():
    rev = pd.DataFrame(
        {
            "account_id": ["k", "k", "o", "o2"],
            "date": pd.to_datetime(["2025-06-15", "2026-06-15", "2025-06-15", "2026-06-15"]),
            "amount": [100.0, 120.0, 50.0, 80.0],
        }
    )
    key = pd.Series({"k": True, "o": False, "o2": False})
    t = kpis.retention_by_period(rev, key, [pd.Timestamp("2026-06-30")]).set_index("group")
    assert t.loc["key accounts", "nrr"] == pytest.approx(1.2)
    assert t.loc["key accounts", "growth"] == pytest.approx(0.2)
    # "o" churned; "o2" is new: logo retention 0, GRR 0, growth counts the new revenue
    assert t.loc["other accounts", "logo_retention"] == 0 and t.loc["other accounts", "grr"] == 0
    assert t.loc["other accounts", "growth"] == pytest.approx(0.6)


def test_lifetime_value_and_rag():
    v = kpis.lifetime_value(40_000, 0.08)
    assert v["lifetime_years"] == pytest.approx(12.5) and v["clv"] == pytest.approx(500_000)
    assert kpis.rag(0.12, 0.10) == "green" and kpis.rag(0.06, 0.10) == "amber"
    assert kpis.rag(-0.02, 0.10) == "red"
    assert kpis.rag(0.03, 0.05, higher_is_better=False) == "green"
