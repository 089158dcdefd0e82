"""Step 5 KPIs (partial): known answers on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamlib.core.notes import note
from kamlib.method import kpi_review as kpis
from kamlib.report import kpi_review as kpisv
from kamlib.report.words import joined


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
    # the standard retention-based formula: 40,000 x 1.10 / (1.10 - 0.92) = 244,444
    v = kpis.lifetime_value(40_000, 0.08, 0.10)
    assert v["clv"] == pytest.approx(244_444.44, abs=0.01)
    assert kpis.lifetime_value(40_000, 0.0, 0.10)["clv"] == pytest.approx(440_000)
    assert math.isnan(kpis.lifetime_value(40_000, 0.0, 0.0)["clv"])  # no churn, no discount
    assert kpis.rag(0.12, 0.10) == "green" and kpis.rag(0.06, 0.10) == "amber"
    assert kpis.rag(-0.02, 0.10) == "red"
    assert kpis.rag(0.03, 0.05, higher_is_better=False) == "green"


def _reviewable():
    """Two key accounts and one other, 24 months of revenue, surveys and opportunities."""
    months = pd.date_range("2024-10-31", "2026-09-30", freq="ME")
    rows = []
    for m in months:
        later = m > pd.Timestamp("2025-09-30")
        rows += [("k1", m, 100.0 if not later else 130.0), ("k2", m, 50.0 if not later else 40.0)]
        rows += [("o1", m, 10.0)]
    revenue = pd.DataFrame(rows, columns=["account_id", "date", "amount"])
    key = pd.Series({"k1": True, "k2": True, "o1": False})
    surveys = pd.DataFrame(
        {
            "account_id": ["k1", "k1", "k2", "o1"],
            "date": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-07-15", "2026-02-01"]),
            "nps": [10, 9, 3, 8],
            "csat": [5, 4, 2, 4],
        }
    )
    opps = pd.DataFrame(
        {
            "account_id": ["k1", "k2", "k1"],
            "created": pd.to_datetime(["2026-07-10", "2026-08-10", "2026-01-10"]),
            "expected_close": pd.to_datetime(["2026-09-20", "2026-12-01", "2026-03-01"]),
            "status": ["won", "open", "won"],
            "amount": [20.0, 30.0, 5.0],
        }
    )
    return revenue, key, surveys, opps


def test_period_kpis_known_answers_and_no_respondents_means_no_nps():
    revenue, key, surveys, opps = _reviewable()
    ends = [pd.Timestamp("2026-06-30"), pd.Timestamp("2026-09-30")]
    wallet = pd.Series({"k1": 2000.0, "k2": 1000.0})
    t = kpis.period_kpis(revenue, key, ends, "quarter", surveys, opps, wallet)
    t = t.set_index(["period_end", "group"])
    q3 = t.loc[(pd.Timestamp("2026-09-30"), "key accounts")]
    # a full year later: k1 1200 -> 1560, k2 600 -> 480: NRR 2040 / 1800, GRR (1800 - 120) / 1800
    assert q3["nrr"] == pytest.approx(2040 / 1800) and q3["grr"] == pytest.approx(1680 / 1800)
    assert q3["share_of_wallet"] == pytest.approx(2040 / 3000)
    assert q3["acv"] == pytest.approx(1020) and q3["acv_growth"] == pytest.approx(1020 / 900 - 1)
    assert q3["logo_retention"] == 1 and q3["growth"] == pytest.approx(2040 / 1800 - 1)
    assert q3["respondents"] == 3 and q3["nps"] == pytest.approx(100 * (2 - 1) / 3)
    assert q3["csat"] == pytest.approx(11 / 3)
    assert (q3["opps_identified"], q3["opps_won"], q3["won_value"]) == (2, 1, 20.0)
    other_q3 = t.loc[(pd.Timestamp("2026-09-30"), "other accounts")]
    assert other_q3["respondents"] == 0 and math.isnan(other_q3["nps"])  # no answer: no score
    assert math.isnan(other_q3["share_of_wallet"])  # no wallet estimate


def test_period_kpis_take_each_cohort_as_it_is_ordered_and_whoever_it_holds():
    """Each period's cohort is looked up once in the trailing revenue, the wallets and the
    surveys: its own order, an account without revenue, and a cohort that differs from
    the next period's all give the answers of the accounts it names."""
    revenue, _, surveys, opps = _reviewable()
    surveys = pd.concat([surveys, pd.DataFrame({"account_id": ["n1"], "nps": [0],
        "csat": [1], "date": pd.to_datetime(["2026-08-15"])})], ignore_index=True)  # fmt: skip
    q2, q3 = pd.Timestamp("2026-06-30"), pd.Timestamp("2026-09-30")
    key = {
        q2: pd.Series({"k1": True, "o1": False}),  # k2 not in this cohort
        q3: pd.Series({"n1": False, "k2": True, "o1": False, "k1": True}),  # n1: no revenue
    }
    wallet = pd.Series({"k2": 1000.0, "k1": 2000.0, "o1": 0.0})
    t = kpis.period_kpis(revenue, key, [q2, q3], "quarter", surveys, opps, wallet)
    t = t.set_index(["period_end", "group"])
    assert t.loc[(q2, "key accounts"), "revenue"] == 100 * 3 + 130 * 9  # k1 alone
    assert t.loc[(q2, "key accounts"), "share_of_wallet"] == pytest.approx(1470 / 2000)
    assert t.loc[(q3, "key accounts"), "revenue"] == 130 * 12 + 40 * 12
    assert t.loc[(q3, "key accounts"), "share_of_wallet"] == pytest.approx(2040 / 3000)
    other = t.loc[(q3, "other accounts")]
    assert other["revenue"] == 120 and math.isnan(other["share_of_wallet"])  # o1's is 0
    assert other["respondents"] == 1 and other["nps"] == -100  # n1's answer, o1's in Q1
    assert other["acv"] == 120  # n1, without revenue, is no active account
    assert t.loc[(q3, "key accounts"), "respondents"] == 3


def test_scorecard_baseline_targets_and_rag():
    table = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2025-09-30", "2025-12-31", "2026-09-30"]),
            "group": ["key accounts"] * 3,
            "logo_retention": [0.90, 0.91, 0.93],
            "grr": [0.88, 0.89, 0.90],
            "nrr": [1.00, 1.02, 1.08],
            "growth": [0.02, 0.04, 0.12],
            "acv_growth": [0.01, 0.02, 0.06],
            "share_of_wallet": [0.40, 0.41, 0.41],
            "nps": [10.0, 12.0, 12.0],
            "csat": [3.0, 3.2, 3.6],
            "opps_won": [10, 12, 10],
        }
    )
    targets = {"retention": 0.05, "satisfaction": 0.15, "revenue_growth": 0.10,
               "share_of_wallet": 0.02, "nps": 5, "opportunities": 0.10}  # fmt: skip
    c = kpis.scorecard(table, pd.Timestamp("2025-09-30"), targets).set_index("column")
    assert c.attrs["baseline_end"] == pd.Timestamp("2025-09-30")
    assert c.loc["logo_retention", "target"] == pytest.approx(0.95)
    assert c.loc["logo_retention", "status"] == "amber"  # +3 of +5 points
    assert c.loc["nrr", "status"] == "green" and c.loc["growth", "status"] == "green"
    assert c.loc["acv_growth", "status"] == "amber"  # 6 % of a 10 % target
    assert c.loc["csat", "target"] == pytest.approx(3.45) and c.loc["csat", "status"] == "green"
    assert c.loc["nps", "status"] == "red"  # +2 of +5 points
    assert c.loc["opps_won", "status"] == "red" and c.loc["share_of_wallet", "status"] == "red"
    # the next period's target: the same rules, from where each KPI is now
    assert c.loc["csat", "next_target"] == pytest.approx(3.6 * 1.15)
    assert c.loc["nps", "next_target"] == pytest.approx(12 + 5)
    assert c.loc["share_of_wallet", "next_target"] == pytest.approx(0.43)


def test_early_warnings_name_the_reasons_and_the_owner():
    now = pd.DataFrame(
        {
            "health": [35.0, 80.0, 60.0],
            "revenue": [100.0, 200.0, 300.0],
            "growth": [-0.2, 0.1, 0.0],
            "declining_revenue": [True, False, False],
            "falling_nps": [False, False, True],
            "signals": [
                [note("risk.revenue_down", change=-0.2)],
                [],
                [note("risk.nps_down", points=30.0)],
            ],
            "no_senior": [False, True, False],
            "days_since_senior": [10.0, float("nan"), 400.0],
            "net_margin": [0.1, -0.05, float("nan")],  # b loses money; c's is not known
        },
        index=["a", "b", "c"],
    )
    before = pd.DataFrame({"health": [50.0, 82.0, 61.0]}, index=["a", "b", "c"])
    w = kpis.early_warnings(
        now, before, pd.Series({"a": "Ann", "b": "Bo"}), pd.Series({"a": "Alpha"}), 10, 180
    ).set_index("account_id")
    assert (
        joined(w.loc["a", "reasons"])
        == "health down 15 points to 35; revenue −20.0 % on the prior 12 months"
    )
    assert w.loc["a", "owner"] == "Ann" and w.loc["a", "account"] == "Alpha"
    assert joined(w.loc["b", "reasons"]) == (
        "loses €10 a year after cost-to-serve (net margin −5.0 %); no senior contact on record"
    )
    assert joined(w.loc["c", "reasons"]) == "NPS down 30 points; no senior contact for 400 days"
    assert list(w.index) == ["a", "c", "b"]  # lowest health first


def test_the_baseline_lies_before_the_programme_and_without_one_there_is_no_rag():
    assert kpis.baseline_end("2025-10-01", "2026-09-30") == pd.Timestamp("2025-09-30")
    assert kpis.baseline_end("2025-09-30", "2026-09-30") == pd.Timestamp("2025-06-30")
    assert kpis.baseline_end("2025-10-01", "2026-09-30", "year") == pd.Timestamp("2024-12-31")
    assert kpis.baseline_end("2026-10-01", "2026-09-30") is None  # not started yet
    assert kpis.baseline_end(None, "2026-09-30") is None
    table = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2025-09-30", "2026-09-30"]),
            "group": ["key accounts"] * 2,
            "logo_retention": [float("nan"), 0.93],  # no data behind the baseline
            "nps": [10.0, 12.0],
            "csat": [float("nan"), float("nan")],  # no surveys: not measured
        }
    )
    targets = {"retention": 0.05, "nps": 5}
    c = kpis.scorecard(table, pd.Timestamp("2025-09-30"), targets).set_index("column")
    assert c.loc["logo_retention", "status"] == "no baseline"
    assert math.isnan(c.loc["logo_retention", "target"])
    assert c.loc["nps", "status"] == "red" and c.loc["nps", "target"] == 15
    assert "csat" not in c.index and c.attrs["not_measured"] == ["csat"]
    none = kpis.scorecard(table, None, targets)
    assert set(none["status"]) == {"no baseline"} and none["target"].isna().all()
    assert none.attrs["baseline_end"] is None


def test_retention_of_the_accounts_key_at_the_start_is_not_100_by_construction():
    rev = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "a", "c"],
            "date": pd.to_datetime(["2025-06-15"] * 3 + ["2026-06-15"] * 2),
            "amount": [100.0, 80.0, 5.0, 110.0, 90.0],
        }
    )
    end = pd.Timestamp("2026-06-30")
    # today's key accounts (a, c) followed back: 100 %; the key accounts of a year ago
    # (a, b) lost b: 50 %
    today = pd.Series({"a": True, "b": False, "c": True})
    then = {end: pd.Series({"a": True, "b": True, "c": False})}
    assert kpis.retention_by_period(rev, today, [end]).iloc[0]["logo_retention"] == 1.0
    t = kpis.retention_by_period(rev, then, [end]).set_index("group")
    assert t.loc["key accounts", "logo_retention"] == 0.5
    assert t.loc["key accounts", "nrr"] == pytest.approx(110 / 180)
    # without 24 months of data behind the period end, nothing is computed on part of a year
    blind = kpis.retention_by_period(rev, then, [end], measurable=set()).set_index("group")
    assert blind[["logo_retention", "grr", "nrr", "growth"]].isna().all().all()


def test_the_demo_review_measures_each_period_on_its_own_key_accounts():
    from kamlib import open_engagement

    r = kpis.analyse(open_engagement("demo"))
    card = r.scorecard.set_index("column")
    assert r.measured is None and card.attrs["baseline_end"] == pd.Timestamp("2025-09-30")
    assert card.loc["logo_retention", "actual"] < 1.0  # no longer 100 % by construction
    assert set(card["status"]) <= {"green", "amber", "red"}
    clv = kpisv.lifetime_view(r).set_index("group")
    assert clv.loc["key accounts", "discount rate"] == 0.10
    gp, churn = clv.loc["key accounts", ["gross profit per account", "annual churn"]]
    assert clv.loc["key accounts", "lifetime value"] == pytest.approx(
        gp * 1.10 / (1.10 - (1 - churn))
    )
    # what it amounts to, bounded by the discount: at most 11 years of gross profit at 10 %
    years = clv.loc["key accounts", "years of gross profit"]
    assert years == pytest.approx(1.10 / (1.10 - (1 - churn))) and years <= 11
    # after cost-to-serve: the same on gross profit minus step 3's cost-to-serve
    nc = clv.loc["key accounts", "net contribution per account"]
    assert 0 < nc < gp
    assert clv.loc["key accounts", "lifetime value after cost-to-serve"] == pytest.approx(
        nc * 1.10 / (1.10 - (1 - churn))
    )


def test_health_scored_in_parts_of_the_key_accounts_lines_is_the_same(monkeypatch):
    """A million accounts' key accounts are scored in parts of their lines (their lines
    are copied): each account's health is its own lines', the same to the last bit."""
    from kamlib import open_engagement
    from kamlib.method import segmentation

    engagement = open_engagement("demo")
    seg = segmentation.segment(engagement)
    whole = kpis.analyse(engagement, seg)
    ids = pd.Index(seg.accounts.loc[seg.accounts["key"], "account_id"])
    from kamlib.method import month_sums

    monkeypatch.setattr(month_sums, "PART_LINES", 3000)  # about 20 key accounts a part
    parts = kpis._health_parts(engagement.pack, ids, grouped=False)
    assert len(parts) > 5 and pd.Index(np.concatenate(parts)).equals(ids)
    assert kpis._health_parts(engagement.pack, ids, grouped=True) == [ids]
    in_parts = kpis.analyse(engagement, seg)
    pd.testing.assert_frame_equal(in_parts.health, whole.health, check_exact=True)
    pd.testing.assert_frame_equal(in_parts.warnings, whole.warnings, check_exact=True)


def test_net_contribution_per_account_needs_every_accounts_cost_to_serve():
    acc = pd.DataFrame(
        {
            "key": [True, True, False, False],
            "revenue": [10.0, 6.0, 2.0, 0.0],
            "gross_profit": [5.0, 3.0, 1.0, 0.0],
            "cost_to_serve": [2.0, 4.0, np.nan, 0.0],
        }
    )
    gp, nc = kpis.per_account_year(acc)
    assert gp == {"key accounts": 4.0, "other accounts": 1.0}  # invoiced accounts only
    assert nc == {"key accounts": 1.0}  # the other group has an unknown cost-to-serve
    assert kpis.per_account_year(acc.drop(columns="cost_to_serve"))[1] == {}


def test_a_kpi_of_one_key_account_is_shown_but_not_scored():
    table = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2025-09-30", "2026-09-30"]),
            "group": ["key accounts"] * 2,
            "accounts": [1, 1],
            "logo_retention": [0.5, 1.0],
            "nps": [-20.0, 40.0],
            "respondents": [12, 14],
        }
    )
    targets = {"retention": 0.05, "nps": 5}
    c = kpis.scorecard(table, pd.Timestamp("2025-09-30"), targets, min_accounts=5)
    c = c.set_index("column")
    assert c.loc["logo_retention", "status"] == "too few"  # one account: chance, not effect
    assert c.loc["nps", "status"] == "green"  # 12 and 14 respondents are enough


def test_opportunities_won_start_from_the_year_before_the_programme():
    # one quiet quarter at the baseline must not make the target trivial: the baseline is
    # the average quarter of the year up to it (20, 30, 40, 10 -> 25), the target +20 %
    ends = pd.to_datetime(["2024-09-30", "2024-12-31", "2025-03-31", "2025-06-30",
                           "2025-09-30", "2025-12-31"])  # fmt: skip
    table = pd.DataFrame({"period_end": ends, "group": "key accounts",
                          "opps_won": [99, 20, 30, 40, 10, 29]})  # fmt: skip
    c = kpis.scorecard(table, pd.Timestamp("2025-09-30"), {"opportunities": 0.20})
    row = c.set_index("column").loc["opps_won"]
    assert row["baseline"] == 25 and row["target"] == pytest.approx(30)
    assert row["delta"] == 4 and row["status"] == "amber"  # 4 of the 5 targeted: amber


def test_a_gain_the_other_accounts_largely_shared_is_named():
    from types import SimpleNamespace

    card = pd.DataFrame(
        {
            "column": ["nps", "csat", "opps_won"],
            "status": ["green", "green", "green"],
            "delta": [50.0, 0.5, 36.0],
            "others_delta": [8.0, 0.3, 33.0],  # NPS: a sixth; CSAT and opportunities: most
        }
    )
    r = SimpleNamespace(scorecard=card, measured=None)
    assert kpisv.shared_gains(r) == ["CSAT", "Opportunities won"]
    head, _, _ = kpisv._verdict(r)
    assert head.endswith(
        "none off target; for 2 of the 3 the other accounts gained at least half as much."
    )
    r.measured = "no baseline"  # nothing is claimed without a baseline
    assert kpisv.shared_gains(r) == []


def test_a_large_nps_move_is_checked_against_sampling_before_it_is_credited():
    from kamlib.report.words import say

    # at most 1.96 * 100 * sqrt((1 - 0.16^2) / 191) = 14.0 points either side
    assert kpis.nps_margin(-16.0, 191) == pytest.approx(14.0, abs=0.05)
    assert kpis.nps_margin(-100.0, 50) == 0.0  # everyone a detractor: no spread
    t = pd.DataFrame({"group": ["key accounts"] * 3 + ["other accounts"] * 3,
                      "period_end": pd.to_datetime(["2025-06-30", "2025-09-30",
                                                    "2025-12-31"] * 2),
                      "nps": [-14.0, -16.0, 20.0, 0.0, 80.0, 0.0],
                      "respondents": [255, 191, 193, 9, 9, 9]})  # fmt: skip
    j = kpis.nps_jump(t)
    assert (j["from"], j["to"]) == (pd.Timestamp("2025-09-30"), pd.Timestamp("2025-12-31"))
    assert j["beyond_sampling"]  # 36 points against 14 + 14
    text = say(note("kr.nps_jump", period="quarter", **j))
    assert text.startswith(
        "The key accounts' NPS moved +36 points in one quarter, from −16 on 30 Sep 2025 to +20 "
        "on 31 Dec 2025: more than sampling explains at 191 and 193 respondents (at most ±14 "
        "points)."
    )
    # on 20 respondents a 30-point move is within sampling; below 30 points nothing is said
    few = t.assign(respondents=[20, 20, 20, 9, 9, 9], nps=[0.0, 0.0, 30.0, 0, 0, 0])
    assert not kpis.nps_jump(few)["beyond_sampling"]
    assert kpis.nps_jump(t.assign(nps=[0.0, 10.0, 35.0, 0, 0, 0])) is None


def test_a_green_nps_that_jumped_is_to_check():
    from types import SimpleNamespace as NS

    card = pd.DataFrame({"column": ["nps", "csat"], "status": ["green", "green"]})
    jump = note("kr.nps_jump", period="quarter", before=-16.0, after=20.0,
                respondents=(191, 193), margin=14.0, beyond_sampling=True)  # fmt: skip
    assert kpisv.to_check(NS(scorecard=card, measured=None, notes=[jump])) == ["NPS"]
    assert kpisv.to_check(NS(scorecard=card, measured=None, notes=[])) == []
    amber = card.assign(status=["amber", "green"])
    assert kpisv.to_check(NS(scorecard=amber, measured=None, notes=[jump])) == []


def test_trailing_revenue_by_month_is_the_sum_over_the_dates():
    """The one-pass monthly table gives what a pass per window over the lines gives."""
    import numpy as np

    from kamlib.method.kpi_review import _trailing_by_dates, period_ends, trailing_revenue

    rng = np.random.default_rng(3)
    n = 5000
    rev = pd.DataFrame(
        {
            "account_id": rng.choice([f"A{i}" for i in range(300)] + [None], n),
            "amount": np.where(rng.random(n) < 0.02, np.nan, rng.normal(500, 300, n)),
            "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1400, n), "D"),
        }
    )
    ends = period_ends("2025-09-30", 8) + [pd.Timestamp("2024-02-29")]
    fast = trailing_revenue(rev, ends)
    slow = _trailing_by_dates(rev, ends)
    assert len(fast) > 250 and list(fast.columns) == ends
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)
