"""Health score and NPS: known answers on hand-made data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kamlib import health as hl


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
    )
    assert c.loc["a"].tolist() == [100.0, 50.0, 0.0, 100.0, 100.0]
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
    assert h.loc["a", "health"] == pytest.approx(83.3)  # (50 + 12.5) / 0.75
    assert h.loc["a", "band"] == "healthy" and h.loc["a", "basis"] == "revenue_trend, margin_trend"
    assert h.loc["b", "health"] == 30 and h.loc["b", "band"] == "at risk"
    assert math.isnan(h.loc["c", "health"]) and h.loc["c", "band"] == ""
