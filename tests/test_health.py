"""Health score and NPS: known answers on hand-made data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kamlib.core.settings import Health
from kamlib.method import health as hl
from kamlib.report.words import joined


def test_nps_is_promoters_minus_detractors_and_none_without_respondents():
    assert hl.nps(pd.Series([10, 9, 9, 8, 7, 6, 0, 10])) == pytest.approx(25.0)  # 4 - 2 of 8
    assert math.isnan(hl.nps(pd.Series([], dtype=float)))
    s = pd.DataFrame(
        {"account_id": ["a", "a", "a", "b"], "nps": [10, 6, None, 7], "csat": [5, 3, 4, 4]}
    )
    g = hl.nps_by(s, "account_id").set_index("account_id")
    assert g.loc["a", "respondents"] == 2 and g.loc["a", "nps"] == 0  # 1 promoter, 1 detractor
    assert g.loc["b", "nps"] == 0 and g.loc["b", "respondents"] == 1  # a passive
    assert g.loc["a", "csat"] == pytest.approx(4.0)


def test_component_scores_map_each_signal_to_0_100_and_clip():
    c = hl.component_scores(
        growth=pd.Series({"a": 0.3, "b": -0.1}),
        margin_change=pd.Series({"a": 0.0, "b": -0.08}),
        nps_now=pd.Series({"a": -100.0}),
        days_since_contact=pd.Series({"a": 0.0, "b": 500.0}),
        risk_count=pd.Series({"a": 0, "b": 2}),
        stale_days=180,
        net_margin=pd.Series({"a": -0.3, "b": 0.04}),
    )
    assert c.loc["a"].tolist() == [100.0, 50.0, 0.0, 0.0, 100.0, 100.0]  # a loses 30 %
    assert c.loc["b", "profitability"] == pytest.approx(60.0)  # 4 % net margin
    assert c.loc["b", "revenue_trend"] == 25 and c.loc["b", "margin_trend"] == 0
    assert math.isnan(c.loc["b", "nps"]) and c.loc["b", "engagement"] == 0
    assert c.loc["b", "risks"] == 50


def test_health_score_renormalises_over_the_components_present_and_bands():
    c = pd.DataFrame(
        {
            "revenue_trend": [100.0, 20.0, float("nan")],
            "margin_trend": [50.0, 20.0, float("nan")],
            "nps": [float("nan"), 60.0, float("nan")],
        },
        index=["a", "b", "c"],
    )
    w = {"revenue_trend": 0.5, "margin_trend": 0.25, "nps": 0.25, "engagement": 0.0}
    h = hl.health_score(c, w, watch_below=70, risk_below=40)
    assert h.loc["a", "health"] == 83  # (50 + 12.5) / 0.75 = 83.3, a whole number
    assert h.loc["a", "band"] == "healthy" and h.loc["a", "basis"] == "revenue_trend, margin_trend"
    assert h.loc["b", "health"] == 30 and h.loc["b", "band"] == "at risk"
    assert math.isnan(h.loc["c", "health"]) and h.loc["c", "band"] == ""


def test_a_loss_after_cost_to_serve_caps_the_health_score():
    # everything else excellent; net margins -59 %, -10 %, -1 % and +5 %
    c = pd.DataFrame({"revenue_trend": 100.0, "nps": 100.0,
                      "profitability": [0.0, 25.0, 47.5, 62.5]}, index=list("abcd"))  # fmt: skip
    w = {"revenue_trend": 0.4, "nps": 0.4, "profitability": 0.2}
    h = hl.health_score(c, w, watch_below=70, risk_below=40)
    assert h["health"].tolist() == [39, 69, 90, 92]  # a: at risk; b: never healthy
    assert h["band"].tolist() == ["at risk", "watch", "healthy", "healthy"]
    assert h["capped"].tolist() == [True, True, False, False]
    # without the profitability component, no cap
    assert not hl.health_score(c, {"revenue_trend": 1.0})["capped"].any()


def test_an_nps_from_too_few_respondents_is_shown_but_neither_scored_nor_a_signal():
    months = pd.date_range("2024-07-31", "2026-06-30", freq="ME")
    revenue = pd.DataFrame(
        [{"account_id": a, "date": d, "amount": 100.0} for a in ("few", "many") for d in months]
    )
    # a year ago everyone promoted (NPS +100); this year everyone detracts (NPS -100)
    answers = {"few": 2, "many": 3}
    surveys = pd.DataFrame(
        [
            {"account_id": a, "date": pd.Timestamp(day), "nps": score}
            for a, n in answers.items()
            for day, score in (("2025-03-15", 10), ("2026-03-15", 2))
            for _ in range(n)
        ]
    )
    settings = _settings({"revenue_trend": 0.5, "nps": 0.5})
    h = hl.account_health(revenue, surveys, None, pd.Index(["few", "many"]), "2026-06-30", settings)
    assert h.loc["few", "nps"] == -100 and h.loc["few", "nps_respondents"] == 2
    assert not h.loc["few", "nps_counted"] and not h.loc["few", "falling_nps"]
    assert math.isnan(h.loc["few", "score_nps"]) and h.loc["few", "health"] == 50  # flat revenue
    assert h.loc["many", "nps_counted"] and h.loc["many", "falling_nps"]
    assert joined(h.loc["many", "signals"]) == "NPS down 200 points"
    assert h.loc["many", "health"] == pytest.approx(
        25.0
    )  # flat revenue 50, NPS -100 -> 0; risks weigh nothing here


def test_an_account_that_loses_money_after_cost_to_serve_scores_low_on_profitability():
    months = pd.date_range("2024-07-31", "2026-06-30", freq="ME")
    revenue = pd.DataFrame(
        [
            {"account_id": a, "date": d, "amount": 100.0, "cost": 60.0}
            for a in ("lean", "costly")
            for d in months
        ]
    )  # 40 % gross margin for both, 1,200 of revenue in the last 12 months
    activities = pd.DataFrame(
        {
            "account_id": ["lean", "costly"],
            "date": pd.to_datetime(["2026-01-15", "2026-01-15"]),
            "activity": ["visit", "visit"],
            "quantity": [1, 10],
        }
    )
    rates = pd.Series({"visit": 60.0}, name="unit_cost")
    settings = _settings({"revenue_trend": 0.5, "profitability": 0.5})
    ids = pd.Index(["lean", "costly"])
    h = hl.account_health(
        revenue, None, None, ids, "2026-06-30", settings, activities=activities, rates=rates
    )
    # lean: 40 % − 60 / 1,200 = 35 % net margin; costly: 40 % − 600 / 1,200 = −10 %
    assert h.loc["lean", "net_margin"] == pytest.approx(0.35)
    assert h.loc["costly", "net_margin"] == pytest.approx(-0.10)
    assert h.loc["lean", "score_profitability"] == 100
    assert h.loc["costly", "score_profitability"] == pytest.approx(25)
    assert h.loc["lean", "health"] == 75 and h.loc["costly", "health"] == 38  # 37.5: as printed
    assert h.loc["costly", "band"] == "at risk"
    blind = hl.account_health(revenue, None, None, ids, "2026-06-30", settings)
    assert math.isnan(blind.loc["costly", "score_profitability"])  # no activities: not known
    # told where each line's account is among ids (as the KPI review knows it for a large
    # pack), the sums are grouped by number: the same health to the last digit
    places = {
        "revenue": ids.get_indexer(revenue["account_id"]),
        "activities": ids.get_indexer(activities["account_id"]),
    }
    placed = hl.account_health(
        revenue, None, None, ids, "2026-06-30", settings, activities=activities, rates=rates,
        places=places,
    )  # fmt: skip
    pd.testing.assert_frame_equal(placed, h, check_exact=True)
    assert placed.loc["costly", "net_margin"] == pytest.approx(-0.10)


def _settings(weights: dict[str, float]) -> Health:
    """Health settings with the engagement's default lines and these weights."""
    return Health(
        weights=weights,
        watch_below=70,
        risk_below=40,
        revenue_decline=0.05,
        margin_erosion=0.02,
        nps_drop=10,
        nps_min_respondents=3,
    )
