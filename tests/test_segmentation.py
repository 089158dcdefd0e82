"""Step 1 on small hand-made frames with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import write_csvs, write_engagement
from kamlib.core.settings import Thresholds
from kamlib.intake.engagement import open_engagement
from kamlib.method import segmentation as sg
from kamlib.report import segmentation as sgv
from kamlib.report.words import say, say_all

AS_OF = "2026-03-31"


def rev(rows):
    df = pd.DataFrame(rows, columns=["account_id", "date", "amount", "cost", "list_amount"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def accounts(n=4, **cols):
    ids = [f"A{i}" for i in range(1, n + 1)]
    return pd.DataFrame({"account_id": ids, "account_name": [f"Acc {i}" for i in ids], **cols})


def test_financial_screen_known_answers():
    acc = accounts(3, estimated_wallet=[1000.0, np.nan, np.nan])
    r = rev(
        [
            ("A1", "2026-02-01", 300, 200, 400),
            ("A1", "2025-06-01", 100, 50, 125),  # trailing 400
            ("A1", "2025-02-01", 200, 100, 250),  # prior 200
            ("A2", "2026-01-01", 150, 90, 150),
            ("A2", "2024-12-01", 100, 60, 100),
            ("A3", "2024-06-01", 80, 40, 80),  # outside both
        ]
    )
    s = sg.financial_screen(acc, r, AS_OF).set_index("account_id")
    a1 = s.loc["A1"]
    assert a1["revenue"] == 400 and a1["prior_revenue"] == 200
    assert a1["gross_profit"] == 150 and a1["gross_margin"] == pytest.approx(0.375)
    assert a1["growth"] == pytest.approx(1.0)
    assert a1["discount"] == pytest.approx(1 - 400 / 525)
    assert a1["potential"] == 600 and a1["potential_basis"] == "wallet"
    assert a1["share_of_wallet"] == pytest.approx(0.4)
    a2 = s.loc["A2"]  # no wallet, prior 100 -> growth +50 %, potential 150 x 0.5
    assert a2["growth"] == pytest.approx(0.5) and a2["potential"] == pytest.approx(75)
    assert a2["potential_basis"] == "growth"
    a3 = s.loc["A3"]  # 2024-06 is in the prior window: lost the whole 80
    assert a3["revenue"] == 0 and a3["growth"] == pytest.approx(-1.0) and a3["potential"] == 0


def test_pareto_and_80_percent_share():
    screen = pd.DataFrame({"revenue": [10, 50, 30, 10], "gross_profit": [5, 5, 5, -5]})
    curve = sg.pareto(screen)
    assert curve["value_share"].tolist() == pytest.approx([0.5, 0.8, 0.9, 1.0])
    assert sg.customer_share_for(curve, 0.8) == 0.5
    gp = sg.pareto(screen, "gross_profit")
    assert gp["value_share"].tolist() == pytest.approx([0.5, 1.0, 1.5, 1.0])
    assert sg.customer_share_for(gp, 0.8) == 0.5


def test_candidates_thresholds_and_revenue_share():
    screen = pd.DataFrame(
        {
            "revenue": [50.0, 30.0, 15.0, 5.0, 0.0],
            "gross_profit": [10.0, 12.0, 1.0, 2.0, 0.0],
            "potential": [0.0, 5.0, 50.0, 1.0, 100.0],
        }
    )
    assert sg.candidates(screen, Thresholds(revenue_share=0.8)).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert sg.candidates(screen, Thresholds(revenue_share=0.81)).tolist() == [
        True,
        True,
        True,
        False,
        False,
    ]
    both = Thresholds(min_revenue=10, min_gross_profit=5)
    assert sg.candidates(screen, both).tolist() == [True, True, False, False, False]
    assert sg.candidates(screen, Thresholds(min_potential=40)).tolist() == [
        False,
        False,
        True,
        False,
        False,
    ]


def test_percentile_scores_and_renormalised_weights():
    acc = accounts(4, strategic_fit=[5, 3, 1, np.nan], loyalty=[1, 2, 3, 4])
    screen = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "revenue": [40.0, 30.0, 20.0, 10.0],
            "gross_profit": np.nan,
            "potential": [4.0, 3.0, 2.0, 1.0],
        }
    )
    out = sg.compatibility(screen, acc, {"finance": 0.5, "strategy": 0.25, "attitude": 0.25})
    out = out.set_index("account_id")
    # finance: revenue and potential ranks agree: 100, 75, 50, 25
    assert out["finance"].tolist() == [100, 75, 50, 25]
    # strategy ranked among the three rated accounts: 100, 66.7, 33.3; A4 has none
    assert out.loc["A1", "strategy"] == pytest.approx(100)
    assert np.isnan(out.loc["A4", "strategy"])
    assert out["attitude"].tolist() == [25, 50, 75, 100]
    assert out.loc["A1", "score"] == pytest.approx(0.5 * 100 + 0.25 * 100 + 0.25 * 25)
    # A4: strategy missing -> (0.5 x 25 + 0.25 x 100) / 0.75, not a zero
    assert out.loc["A4", "score"] == pytest.approx((0.5 * 25 + 0.25 * 100) / 0.75)
    assert out.loc["A4", "renormalised"] and out.loc["A4", "missing_dimensions"] == "strategy"
    assert not out.loc["A1", "renormalised"]


def test_orientation_from_data_ratings_or_discount():
    acc = accounts(
        4,
        loyalty=[4, 2, np.nan, np.nan],
        engagement=[4, 2, np.nan, np.nan],
        buyer_orientation=[None, None, None, "loyalty"],
    )
    screen = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "revenue": [1.0, 1, 1, 1],
            "discount": [0.30, 0.01, 0.25, 0.40],
        }
    )
    o = sg.buyer_orientation(screen, acc).set_index("account_id")
    assert o.loc["A1"].tolist() == ["loyalty", "attitude ratings"]  # ratings beat discount
    assert o.loc["A2"].tolist() == ["price", "attitude ratings"]
    assert o.loc["A3"].tolist() == ["loyalty", "discount depth"]  # 25 % < median 27.5 %
    assert o.loc["A4"].tolist() == ["loyalty", "client data"]


def tier_rules():
    return {
        "tier_1": [0.9, 0.8],
        "tier_2": [0.7, 0.5],
        "tier_3": [0.5, 0.3],
        "development": [0.2, 0.9],
        "core": 0.4,
    }


def test_tier_rules_development_core_transactional():
    n = 10
    acc = accounts(n)
    screen = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "revenue": [100.0, 90, 80, 70, 60, 50, 40, 30, 20, 10],
            "potential": [90.0, 10, 80, 70, 5, 60, 1, 100, 2, 3],
        }
    )
    scores = pd.DataFrame({"account_id": acc["account_id"], "score": [80.0] * 5 + [30.0] * 5})
    orient = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "orientation": ["price", "loyalty"] * 5,
            "orientation_basis": "client data",
        }
    )
    cand = pd.Series([True] * 6 + [False] * 4)
    c = sg.classify(screen, scores, orient, cand, tier_rules(), min_score=50).set_index(
        "account_id"
    )
    # revenue percentiles A1..A10: 1.0, 0.9, ... 0.1; potential percentiles:
    # A1 .9, A2 .5, A3 .8, A4 .7, A5 .4, A6 .6, A7 .1, A8 1.0, A9 .2, A10 .3
    assert c.loc["A1", "class"] == "Tier 1" and c.loc["A1", "segment"] == "Tier 1 · price-driven"
    assert c.loc["A2", "class"] == "Tier 2"  # .9/.5: Tier 1 needs potential .8
    assert c.loc["A2", "segment"] == "Tier 2 · partner (loyalty)"
    assert c.loc["A3", "class"] == "Tier 2"  # .8/.8: Tier 1 needs revenue .9
    assert c.loc["A4", "class"] == "Tier 2"  # .7/.7 meets Tier 2's .7/.5
    assert c.loc["A5", "class"] == "Tier 3"  # .6/.4 meets only Tier 3's .5/.3
    assert c.loc["A6", "class"] == "Core"  # a candidate, but compatibility 30 < 50
    assert "compatibility 30 is below 50" in say(c.loc["A6", "reason"])
    assert c.loc["A7", "class"] == "Core"  # not a candidate; revenue pct .4 >= core .4
    assert c.loc["A8", "class"] == "Development"  # revenue pct .3, potential pct 1.0
    assert c.loc["A9", "class"] == "Transactional"
    assert "Development track" in say(c.loc["A8", "reason"])
    assert int(c["key"].sum()) == 5


def test_overrides_are_applied_last_and_listed():
    classes = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "key": [True, False, False],
            "tier": ["Tier 1", None, None],
            "class": ["Tier 1", "Core", "Transactional"],
            "segment": ["Tier 1 · price-driven", "Core", "Transactional"],
            "orientation": ["price", "loyalty", None],
            "reason": ["r1", "r2", "r3"],
        }
    )
    ov = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "ZZ"],
            "key": [False, True, True, True],
            "tier": [None, "Tier 2", None, None],
            "segment": [None, None, "Strategic pilot", None],
            "reason": ["divested", "strategic", "pilot", "unknown"],
            "by": ["ML", "SL", None, "X"],
        }
    )
    out = sg.apply_overrides(classes, ov).set_index("account_id")
    assert out.loc["A1", ["key", "class", "segment"]].tolist() == [False, "Core", "Core"]
    assert say(out.loc["A1", "override"]) == "Tier 1 → Core. Divested (decided by ML)"
    assert out.loc["A2", ["key", "tier", "segment"]].tolist() == [
        True,
        "Tier 2",
        "Tier 2 · partner (loyalty)",
    ]
    assert out.loc["A3", ["tier", "segment"]].tolist() == ["Tier 3", "Strategic pilot"]
    assert say(out.loc["A3", "reason"]) == "Override by consultant: pilot"
    assert classes.loc[0, "class"] == "Tier 1"  # the input is not changed


def test_group_roll_up():
    acc = pd.DataFrame(
        {
            "account_id": ["P", "C1", "C2", "S"],
            "account_name": ["Parent AG", "Child 1", "Child 2", "Solo"],
            "parent_id": ["P", "P", "P", None],
            "estimated_wallet": [100.0, 50.0, np.nan, 10.0],
            "loyalty": [4, 2, 3, 5],
        }
    )
    r = rev(
        [
            ("C1", "2026-01-01", 10, 5, 10),
            ("C2", "2026-01-01", 20, 5, 20),
            ("S", "2026-01-01", 7, 1, 7),
        ]
    )
    groups, grev = sg.roll_up(acc, r)
    g = groups.set_index("account_id")
    assert list(g.index) == ["P", "S"]
    assert g.loc["P", "account_name"] == "Parent AG" and g.loc["P", "members"] == 3
    assert g.loc["P", "estimated_wallet"] == 150 and g.loc["P", "loyalty"] == 3
    screen = sg.financial_screen(groups, grev, AS_OF).set_index("account_id")
    assert screen.loc["P", "revenue"] == 30 and screen.loc["P", "gross_profit"] == 20


def test_sensitivity_rows_and_recommended_line():
    screen = pd.DataFrame(
        {
            "revenue": [1000.0, 800, 500, 300, 200, 100, 50, 40, 30, 20],
            "gross_profit": [500.0, 400, 200, 100, 60, 30, 10, 5, 5, 2],
        }
    )
    sens = sg.threshold_sensitivity(
        screen, per_manager=(1, 3), manager_cost=100, service_cost=50, shares=(0.1, 0.2, 0.4, 0.6)
    )
    assert sens["key_accounts"].tolist() == [1, 2, 4, 6]
    row = sens.iloc[2].to_dict()  # the top 4
    assert row["min_revenue"] == 300
    assert row["revenue_share"] == pytest.approx(2600 / 3040)
    assert row["gross_profit_share"] == pytest.approx(1200 / 1312)
    assert row["managers_at_3"] == 2 and row["managers_at_1"] == 4
    assert row["model_cost"] == 2 * 100 + 4 * 50  # ceil(4 / 2) managers at the middle rule
    assert row["marginal_gp"] == pytest.approx((200 + 100) / 2)  # accounts 3 and 4
    assert row["cost_per_account"] == pytest.approx(100 / 2 + 50)
    assert sens["pays"].tolist() == [True, True, True, False]  # band 5-6 brings 45 < 100
    line = sg.recommend_line(sens)
    assert line["key_accounts"] == 4
    assert "Beyond 4 accounts the next accounts bring €45 of gross profit each" in say(
        line["reason"]
    )


def test_segment_on_a_minimal_pack_says_what_it_could_not_do(tmp_path):
    folder = write_engagement(tmp_path / "e")
    n = 12
    write_csvs(
        folder / "pack",
        {
            "accounts": accounts(n),
            "revenue": pd.DataFrame(
                {
                    "account_id": [f"A{i}" for i in range(1, n + 1)] * 2,
                    "date": ["2026-01"] * n + ["2025-01"] * n,
                    "amount": [100.0 * (n - i) for i in range(n)] * 2,
                }
            ),
        },
    )
    seg = sg.segment(open_engagement(folder))
    text = " ".join(say_all(seg.notes))
    # the revenue starts in January 2025: the prior 12 months hold only 3 of their months
    assert "No cost of goods" in text and "Growth is not available" in text
    assert "3 months" in text and "Potential is not available" in text
    assert seg.accounts["growth"].isna().all() and seg.accounts["potential"].isna().all()
    # even at a 100 % margin the largest account's revenue cannot pay for the model: no
    # key-account model is recommended, and nobody is key by the rules
    assert seg.recommendation["none_pay"] and not seg.accounts["key"].any()
    assert "We recommend no key-account model" in sgv.summary_text(sg.headline(seg))
    assert "No strategy ratings" in text and "No attitude ratings" in text
    assert seg.pareto_gross_profit is None
    assert seg.accounts["renormalised"].all()
    assert set(seg.accounts["orientation_basis"]) == {"unknown"}
    assert len(seg.accounts) == n


def test_segment_on_the_demo_finds_a_small_minority_with_most_revenue():
    seg = sg.segment(open_engagement("demo"))
    a, k = seg.accounts, seg.key_accounts
    assert 0.08 <= len(k) / len(a) <= 0.22
    assert k["revenue"].sum() / a["revenue"].sum() >= 0.55
    assert set(k["tier"]) == {"Tier 1", "Tier 2", "Tier 3"}
    assert len(seg.overrides) == 2
    assert seg.recommendation["pays"]


def test_headline_summary_views_and_export(tmp_path):
    from openpyxl import load_workbook

    seg = sg.segment(open_engagement("demo"))
    h = sg.headline(seg)
    k, a = seg.key_accounts, seg.accounts
    assert h["key_accounts"] == len(k) and h["customers"] == len(a)
    assert h["managers_low"] == -(-len(k) // 10) and h["managers_high"] == -(-len(k) // 5)
    assert h["revenue_share"] == pytest.approx(k["revenue"].sum() / a["revenue"].sum())
    text = sgv.summary_text(h)
    assert f"**{h['key_accounts']} of 1,500 customers" in text
    assert "key account managers" in text and "We recommend drawing the line" in text
    segs = sgv.by_segment(seg)
    assert segs["accounts"].sum() == len(a)
    assert segs["share of revenue"].sum() == pytest.approx(1.0)
    assert segs["segment"].iloc[0].startswith("Tier 1")
    view = sgv.sensitivity_view(seg)
    assert (
        list(view.columns[-2:]) == ["covers its cost", "line"] and "managers at 5" in view.columns
    )
    # the recommended row is marked, and it is a row that covers its cost
    chosen = view[view["line"] == "here"]
    assert len(chosen) == 1 and chosen["covers its cost"].iloc[0] == "yes"
    assert chosen["key accounts"].iloc[0] == seg.recommendation["key_accounts"]
    screen = sgv.screen_summary(seg).set_index("class")
    assert screen.loc["All customers", "accounts"] == len(a)
    assert screen.loc["All customers", "revenue"] == pytest.approx(a["revenue"].sum())
    assert len(sgv.overrides_table(seg)) == 2
    assert len(sgv.key_account_list(seg)) == len(k)
    path = sgv.export(str(tmp_path), seg)
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["Accounts", "Sensitivity", "Segments"]
    ws = wb["Accounts"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in ws[1]]
    assert {"Why this class", "Tier", "Segment", "Compatibility", "Revenue"} <= set(headers)
    assert ws.max_row == len(a) + 1
    seg_ws = wb["Segments"]
    share_col = [c.value for c in seg_ws[1]].index("Share of revenue") + 1
    assert seg_ws.cell(2, share_col).number_format == "0.0%"
    assert sgv.export("", seg) == ""


def test_summary_without_cost_of_goods_says_so():
    h = {
        "key_accounts": 3,
        "customers": 30,
        "key_share": 0.1,
        "revenue_share": 0.6,
        "gross_profit_share": float("nan"),
        "managers_low": 1,
        "managers_high": 1,
        "per_manager": (5, 10),
        "line_accounts": 3,
        "line_min_revenue": 1000.0,
        "line_revenue_share": 0.6,
        "line_reason": "R.",
        "pareto_80": 0.5,
        "pareto_80_gp": float("nan"),
        "tiers": {"Tier 1": 1, "Tier 2": 1, "Tier 3": 1},
        "development": 0,
        "overrides": 1,
        "renormalised": 0,
    }
    text = sgv.summary_text(h)
    assert "gross profit needs cost of goods" in text and "n/a" not in text
    assert "1 consultant override is applied" in text
    cards = dict((label, (value, note)) for label, value, note in sgv.kpi_cards(h))
    assert cards["share of gross profit"] == ("n/a", "no cost of goods in the data")
    assert cards["key account managers"] == ("1", "at 5 to 10 accounts each")


def test_without_cost_a_band_below_the_models_cost_does_not_pay_at_any_margin():
    sc = pd.DataFrame({"revenue": [400.0, 300.0, 50.0, 40.0], "gross_profit": [np.nan] * 4})
    t = sg.threshold_sensitivity(sc, (1, 1), 100.0, 0.0, shares=(0.25, 0.5, 0.75))
    assert [v if isinstance(v, bool) else "unknown" for v in t["pays"]] == [
        "unknown", "unknown", False,
    ]  # fmt: skip
    line = sg.recommend_line(t)
    assert not line["decided"] and "a typical gross margin" in say(line["reason"])
    # half a year of data: what the added accounts bring is annualised before it is weighed
    half = sg.threshold_sensitivity(sc, (1, 1), 100.0, 0.0, shares=(0.25,), months=6)
    assert half["marginal_revenue"].iloc[0] == 800.0 and half.attrs["annualised_from"] == 6


def test_a_running_programme_reviews_its_key_account_list():
    import datetime as dt

    from kamlib.report.segmentation import _running

    steps = ["Confirm the 219 key accounts with the sales leadership.", "Make sure ..."]
    assert _running(steps, None) == steps
    assert _running(steps, dt.date(2025, 10, 1))[0] == (
        "Review the 219 key accounts with the sales leadership, against the list the "
        "programme started with on 1 October 2025."
    )


def test_key_at_is_the_segmentations_decision_from_month_sums_or_lines():
    """key_at sums whole-month windows from the pack's month sums and a window in mid-
    month from the lines: either way the accounts it makes key are segment's, at every
    date asked."""
    eng = open_engagement("demo")
    for day in ("2026-09-30", "2025-06-30", "2024-12-31", "2025-06-15"):
        seg = sg.segment(eng, as_of=day)
        want = pd.Series(seg.accounts["key"].to_numpy(), index=seg.accounts["account_id"])
        got = sg.key_at(eng, day)
        assert got.sum() == want.sum() > 0, day
        assert got.reindex(want.index).equals(want), day
    # the dates' answers share one index, the accounts' (what the KPI review looks up in
    # a cohort is then looked up once for every cohort)
    assert sg.key_at(eng, "2025-06-30").index is sg.key_at(eng, "2024-12-31").index
    assert list(sg.key_at(eng, "2025-06-30").index) == list(eng.pack["accounts"]["account_id"])
    # each is built once per pack and kept while its tables are the same frames
    first = sg.revenue_by_month(eng.pack)
    assert sg.revenue_by_month(eng.pack) is first
    eng.pack.tables["revenue"] = eng.pack["revenue"].iloc[:-1]  # a replaced table
    assert sg.revenue_by_month(eng.pack) is not first


def test_month_sums_answer_whole_month_windows_as_the_lines_do(monkeypatch):
    """The screen from month sums: the same figures as from the lines (to the cent),
    and unknown (NaN), not zero, where an account has no value in the window."""
    from kamlib.method.month_sums import MonthSums

    acc = accounts(3)
    r = rev(
        [
            ("A1", "2026-02-14", 300.10, 200.0, 400.0),
            ("A1", "2025-06-30", 100.20, np.nan, 125.0),
            ("A1", "2025-03-31", 200.0, 100.0, 250.0),  # prior window, its last day
            ("A2", "2026-03-31", 150.0, np.nan, 150.0),  # the window's last day
            ("A3", "2024-06-01", 80.0, 40.0, 80.0),  # outside both
        ]
    )
    sums = MonthSums.of(pd.Index(acc["account_id"]), r, ["amount", "cost", "list_amount"])
    a = sg.financial_screen(acc, r, AS_OF)
    b = sg.financial_screen(acc, r, AS_OF, sums=sums)
    pd.testing.assert_frame_equal(a, b)
    at = pd.Index(acc["account_id"]).get_indexer(r["account_id"])  # lines summed by position
    pd.testing.assert_frame_equal(sg.financial_screen(acc, r, AS_OF, at=at), a, check_exact=True)
    from kamlib.method import month_sums

    monkeypatch.setattr(month_sums, "PART_LINES", 1)  # a part of the accounts at a time
    pd.testing.assert_frame_equal(sg.financial_screen(acc, r, AS_OF, at=at), a, check_exact=True)
    monkeypatch.undo()
    assert b.set_index("account_id").loc["A1", "revenue"] == pytest.approx(400.30)
    w = sums.window(pd.Timestamp("2025-03-31"), pd.Timestamp("2026-03-31"))
    assert np.isnan(w.loc["A2", "cost"]) and w.loc["A1", "cost"] == 200.0
    assert np.isnan(w.loc["A3", "amount"])
    assert sums.window(pd.Timestamp("2025-03-15"), pd.Timestamp("2026-03-31")) is None
