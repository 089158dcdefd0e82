"""Step 3 computations on hand-made accounts with worked answers."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kamlib.method import profitability as pf
from kamlib.report import profitability as pfv
from kamlib.report.words import say_all


def table():
    screen = pd.DataFrame(
        {"account_id": ["A", "B", "C"], "revenue": [80.0, 50.0, 20.0], "key": [True, True, False]}
    )
    revenue = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "C", "C"],
            "amount": [50.0, 30.0, 50.0, 20.0, 99.0],
            "list_amount": [60.0, 40.0, 50.0, 25.0, 99.0],
            "cost": [20.0, 20.0, 30.0, 5.0, 0.0],
        }
    )
    window = pd.Series([True, True, True, True, False])  # the last row is outside the window
    cts = pd.DataFrame({"account_id": ["A", "B"], "cost_to_serve": [10.0, 35.0]})
    return pf.account_table(screen, revenue, cts, window)


def test_account_table_from_the_lines_places_in_parts_is_the_same(monkeypatch):
    """With each line's place among the pack's accounts, the window's list amounts and
    costs are summed a part of the accounts at a time: the same table to the last bit."""
    from kamlib.method import month_sums

    rng = np.random.default_rng(5)
    accounts = pd.Index(["K", "A", "M", "B", "Z"])  # Z: no line
    at = rng.integers(0, 4, 400)
    revenue = pd.DataFrame({
        "account_id": accounts.to_numpy()[at], "amount": rng.normal(100, 30, 400),
        "list_amount": rng.normal(120, 30, 400), "cost": rng.normal(60, 20, 400),
    })  # fmt: skip
    revenue.loc[::7, "cost"] = np.nan
    screen = pd.DataFrame({"account_id": ["A", "B", "K", "M", "Z"], "revenue": 1000.0})
    window = pd.Series(rng.random(400) < 0.6)
    by_id = pf.account_table(screen, revenue, None, window)
    monkeypatch.setattr(month_sums, "PART_LINES", 50)  # about one account a part
    in_parts = pf.account_table(screen, revenue, None, window, at, accounts)
    pd.testing.assert_frame_equal(in_parts, by_id, check_exact=True)
    assert by_id.set_index("account_id").loc["Z", "cost_of_goods"] == 0.0  # no line: none


def test_account_table_known_answers():
    t = table().set_index("account_id")
    assert t.loc["A", ["list_revenue", "discounts", "net_revenue"]].tolist() == [100, 20, 80]
    assert t.loc[
        "A", ["cost_of_goods", "gross_profit", "cost_to_serve", "net_contribution"]
    ].tolist() == [40, 40, 10, 30]
    assert t.loc["A", "net_margin"] == pytest.approx(30 / 80)
    assert t.loc["A", "price_level"] == pytest.approx(0.8)
    assert t.loc["B", "net_contribution"] == -15 and t.loc["C", "cost_to_serve"] == 0
    assert t.loc["B", "cts_share"] == pytest.approx(0.7)


def test_waterfall_reconciles_to_the_totals():
    t = table()
    w = pf.waterfall(t).set_index("step")
    assert w.loc["list revenue", "level"] == 175
    assert w.loc["discounts", "amount"] == -25
    assert w.loc["net revenue", "level"] == t["net_revenue"].sum() == 150
    assert w.loc["gross profit", "level"] == 150 - 75
    assert w.loc["net contribution", "level"] == pytest.approx(t["net_contribution"].sum())
    steps = w[w["kind"] == "step"]["amount"].sum()
    assert w.loc["list revenue", "level"] + steps == pytest.approx(
        w.loc["net contribution", "level"]
    )


def test_whale_curve_peak_and_zero_crossing():
    t = pd.DataFrame({"net_contribution": [60.0, 30.0, 10.0, -20.0, -30.0]})
    stats = pf.whale_stats(pf.whale_curve(t))
    assert stats["total"] == 50 and stats["peak_share"] == pytest.approx(2.0)
    assert stats["peak_customers"] == 3 and stats["peak_customer_share"] == pytest.approx(0.6)
    assert stats["value_destroyed"] == 50 and np.isnan(stats["zero_crossing_share"])
    t2 = pd.DataFrame({"net_contribution": [10.0, -5.0, -8.0]})  # total -3: falls below zero
    s2 = pf.whale_stats(pf.whale_curve(t2))
    assert s2["zero_crossing_share"] == pytest.approx(1.0)


def test_quadrants_at_medians_and_cut_offs():
    t = pd.DataFrame(
        {
            "account_id": list("ABCDE"),
            "net_revenue": [1.0, 1, 1, 1, 0],
            "price_level": [0.9, 0.9, 0.7, 0.7, 0.5],
            "cts_share": [0.3, 0.1, 0.3, 0.1, 0.9],
        }
    )
    q = pf.quadrants(t).set_index("account_id")["quadrant"]
    assert q.to_dict() == {
        "A": "carriage trade",
        "B": "passive",
        "C": "aggressive",
        "D": "bargain basement",
    }  # E has no revenue: left out
    q2 = pf.quadrants(t, price_cut=0.95, cost_cut=0.05).set_index("account_id")["quadrant"]
    assert set(q2) == {"aggressive"}


def test_key_accounts_are_judged_against_the_key_accounts_of_their_segment():
    # ten key accounts of one segment with deep discounts, ten small customers at list
    # price: against everyone all the key accounts are "low price"; against their peers
    # half of them are, and only the deepest discount with the highest cost is aggressive
    key = pd.DataFrame({
        "account_id": [f"K{i}" for i in range(10)], "key": True,
        "segment": "Tier 1 · price-driven", "class": "Tier 1", "net_revenue": 100.0,
        "price_level": [0.60, 0.61, 0.62, 0.63, 0.64, 0.70, 0.71, 0.72, 0.73, 0.74],
        "cts_share": [0.30, 0.05, 0.06, 0.07, 0.08, 0.31, 0.32, 0.09, 0.10, 0.11],
    })  # fmt: skip
    small = pd.DataFrame({
        "account_id": [f"S{i}" for i in range(10)], "key": False, "segment": "Core",
        "class": "Core", "net_revenue": 10.0, "price_level": 1.0, "cts_share": 0.2,
    })  # fmt: skip
    t = pd.concat([key, small], ignore_index=True)
    everyone = pf.quadrants(t[["account_id", "net_revenue", "price_level", "cts_share"]])
    assert (everyone.set_index("account_id").loc[key["account_id"], "quadrant"]
            .isin(["aggressive", "bargain basement"]).all())  # fmt: skip
    q = pf.quadrants(t).set_index("account_id")
    assert q.loc["K0", "peers"] == "Tier 1 · price-driven" and q.loc["S0", "peers"] == "Core"
    assert q.loc["K0", "price_cut"] == pytest.approx(0.67)  # the segment's median price
    assert q.loc["K0", "cost_cut"] == pytest.approx(0.095)
    assert q.loc[key["account_id"], "quadrant"].value_counts().to_dict() == {
        "bargain basement": 4, "aggressive": 1, "carriage trade": 4, "passive": 1,
    }  # fmt: skip
    # a segment of fewer than five key accounts is judged against all key accounts
    few = t.assign(segment=["Tier 2 · partner (loyalty)"] * 3 + ["Tier 1 · price-driven"] * 7
                   + ["Core"] * 10)  # fmt: skip
    peers = pf.peer_groups(few)
    assert peers.iloc[:3].tolist() == ["key accounts"] * 3
    assert peers.iloc[3] == "Tier 1 · price-driven"


def test_euro_effects_of_actions():
    x = pf.price_to_target(pd.Series([100.0, 200.0]), pd.Series([-10.0, 50.0]), 0.2)
    assert x.tolist() == pytest.approx([37.5, 0.0])  # (0.2*100 + 10) / 0.8; B already at 25 %
    assert (-10 + 37.5) / (100 + 37.5) == pytest.approx(0.2)


def test_the_package_trims_its_own_elements_and_names_what_it_charges_or_drops():
    # S's two accounts: visits 90 and 30 (average 60), tickets 40 and 0, courses 10 and 0
    cost = pd.DataFrame({"account_id": ["a", "a", "a", "b", "a"],
                         "activity": ["visit", "ticket", "course", "visit", "audit"],
                         "cost": [90.0, 40.0, 10.0, 30.0, 7.0]})  # fmt: skip
    seg = pd.Series({"a": "S", "b": "S"})
    pk = pd.DataFrame({"segment": "S", "element": ["advice", "support", "training"],
                       "decision": ["included", "charged separately", "not offered"]})  # fmt: skip
    acts = {"advice": ["visit"], "support": ["ticket"], "training": ["course"]}
    mean = pf.segment_cost(cost, seg)
    assert mean[("S", "visit")] == 60.0 and mean[("S", "ticket")] == 20.0
    e = pf.package_effect(cost, seg, mean, pk, acts)
    # a: 30 above the average on advice; pays for support (40); training (10) stops;
    # the audit no element delivers stays as it is
    assert e.loc["a"].to_dict() == {"trim": 30.0, "lift": 0.0, "charge": 40.0, "stop": 10.0}
    # b is 30 below the average on advice: serving the package costs 30 more
    assert e.loc["b"].to_dict() == {"trim": 0.0, "lift": 30.0, "charge": 0.0, "stop": 0.0}
    # a segment without a package changes nothing
    none = pf.package_effect(cost, pd.Series({"a": "T"}), mean, pk, acts)
    assert none.loc["a"].sum() == 0.0


def test_the_package_is_measured_at_the_accounts_size():
    # S: revenue 800, 100, 100; visits 80, 10, 60 -> average 50 an account, 0.15 a unit
    cost = pd.DataFrame({"account_id": ["a", "b", "c"], "activity": "visit",
                         "cost": [80.0, 10.0, 60.0]})  # fmt: skip
    seg = pd.Series({"a": "S", "b": "S", "c": "S"})
    pk = pd.DataFrame({"segment": ["S"], "element": ["advice"], "decision": ["included"]})
    acts = {"advice": ["visit"]}
    rev = pd.Series({"a": 800.0, "b": 100.0, "c": 100.0})
    e = pf.package_effect(cost, seg, pf.segment_cost(cost, seg), pk, acts, rev)
    # a is served at 80 where its size allows 120: nothing to save (the average said 30)
    assert e.loc["a", "trim"] == 0.0
    # c's size allows 15, below the average of 50 it keeps: 10 above it
    assert e.loc["c", "trim"] == pytest.approx(10.0)
    # bringing b up is measured against the average, not its size
    assert e.loc["b", "lift"] == pytest.approx(40.0)
    flat = pf.package_effect(cost, seg, pf.segment_cost(cost, seg), pk, acts)
    assert flat.loc["a", "trim"] == pytest.approx(30.0)


def test_price_paths_are_steps_a_customer_can_accept():
    # compounding: +21 % is two steps of +10 %, +33.1 % three, +34 % four
    steps = pf.price_steps(pd.Series([0.0, 0.05, 0.10, 0.21, 0.331, 0.34, 1.24]), 0.10)
    assert steps.tolist() == [0, 1, 1, 2, 3, 4, 9]
    assert pf.price_steps(pd.Series([0.21]), 0.05).tolist() == [4]  # 1.05^4 = 1.2155
    act = pf.action(pd.Series([50.0, 0.0, 20.0, 10.0, 0.0]), pd.Series([0, 2, 1, 4, 3]), 3)
    assert act.tolist() == [pf.PACKAGE, pf.PRICE, pf.BOTH, pf.RENEGOTIATE, pf.PRICE]


def test_actions_take_the_package_first_then_a_capped_price_path():
    from kamlib.core import settings as settings_
    from kamlib.method.service_model import ServiceModel

    t = pd.DataFrame({
        "account_id": ["A", "B", "C", "D"], "account_name": ["A", "B", "C", "D"], "key": True,
        "segment": "S", "quadrant": [None, None, "aggressive", None],
        "net_revenue": [100.0, 100.0, 100.0, 100.0],
        "net_contribution": [-10.0, -60.0, 5.0, -1.5],
        "net_margin": [-0.1, -0.6, 0.05, -0.015], "cost_to_serve": [30.0, 40.0, 10.0, 20.0],
    })  # fmt: skip
    costs = pd.DataFrame({"segment": ["S"], "package_cost": [10.0]})
    model = ServiceModel([], {}, None, None, costs, None, 0, 3)
    s = settings_.Profitability(0.1, None, None, 0.10, 3, {})
    effects = pd.DataFrame({"trim": [20.0, 30.0, 0.0, 10.0], "lift": 0.0,
                            "charge": [0.0, 5.0, 0.0, 0.0], "stop": 0.0,
                            "reworked": [False, True, False, False]},
                           index=pd.Index(["A", "B", "C", "D"], name="account_id"))  # fmt: skip
    a = pf._actions(t, s, model, effects).set_index("account_id")
    assert a.loc["B", "package_charge"] == 5.0 and bool(a.loc["B", "package_reworked"])
    # A: the package saves 20 -> NC 10 = 10 % margin: the package alone closes it
    assert a.loc["A", "package_saving"] == 20 and a.loc["A", "better_action"] == pf.PACKAGE
    # B: saves 30 -> NC -30; (0.1*100 + 30) / 0.9 = 44.4 (+44 %): 4 steps > 3
    assert a.loc["B", "price_after_package"] == pytest.approx(40 / 0.9)
    assert a.loc["B", "price_steps"] == 4 and a.loc["B", "better_action"] == pf.RENEGOTIATE
    # C is flagged as aggressive at 5 %: no package saving (CTS 10 = package), +5.6 % in one step
    assert a.loc["C", "better_action"] == pf.PRICE and a.loc["C", "price_steps"] == 1
    assert a.loc["C", "price_first_year"] == pytest.approx(5 / 0.9)
    # D: the package leaves (10 - 8.5) / 0.9 = 1.7 % to close, too little to ask: package only
    assert a.loc["D", "price_after_package_pct"] == pytest.approx(1.5 / 0.9 / 100)
    assert a.loc["D", "better_action"] == pf.PACKAGE and a.loc["D", "price_first_year"] == 0


def test_cost_sensitivity_moves_the_conclusions():
    t = table()
    s = pf.cost_sensitivity(t, t["key"]).set_index("factor")
    assert s["unit_costs"].round(6).tolist() == [-0.2, 0.0, 0.2]
    # B: GP 20, CTS 35 -> unprofitable at every factor; A: GP 40, CTS 10 -> never
    assert s.loc[1.0, "unprofitable_key_share"] == 0.5
    assert s.loc[1.2, "net_contribution"] == pytest.approx(75 - 45 * 1.2)
    assert s.loc[0.8, "whale_peak"] < s.loc[1.2, "whale_peak"]


def test_analyse_on_the_demo_and_without_activities_or_list_prices(tmp_path):
    from openpyxl import load_workbook

    from conftest import accounts_frame, revenue_frame, write_csvs, write_engagement
    from kamlib.intake.engagement import open_engagement

    p = pf.analyse(open_engagement("demo"))
    h = pf.headline(p)
    assert p.whale_stats["peak_share"] > 1.0
    assert h["unprofitable_key"] >= 5 and h["aggressive_key"] >= 5
    assert len(p.actions) == h["flagged"] and (p.actions["price_increase"] >= 0).all()
    assert set(p.actions["better_action"]) <= {pf.PACKAGE, pf.PRICE, pf.BOTH, pf.RENEGOTIATE}
    # no account is asked for more than the longest price path allows
    on_path = p.actions["better_action"].isin([pf.PRICE, pf.BOTH])
    assert (p.actions.loc[on_path, "price_after_package_pct"] <= 1.1**3 - 1 + 1e-9).all()
    assert (p.actions.loc[on_path, "price_first_year"]
            <= 0.10 * p.actions.loc[on_path, "net_revenue"] + 1e-6).all()  # fmt: skip
    t = p.table
    assert t["net_contribution"].sum() == pytest.approx(
        t["gross_profit"].sum() - t["cost_to_serve"].sum()
    )
    assert pf.waterfall(t).set_index("step").loc["net revenue", "level"] == pytest.approx(
        t["net_revenue"].sum()
    )
    seg_w = pf.segment_waterfalls(p)
    assert (seg_w["list revenue"] + seg_w["discounts"]).tolist() == pytest.approx(
        seg_w["net revenue"].tolist()
    )
    name, w = pfv.account_waterfall(p)  # default: the largest key account, and it says so
    largest = p.key.loc[p.key["net_revenue"].idxmax()]
    assert name.endswith("the largest key account") and largest["account_name"] in name
    assert w["level"].iloc[-1] == pytest.approx(largest["net_contribution"])
    with pytest.raises(Exception, match="is not in the accounts table"):
        pfv.account_waterfall(p, "C-99999")
    assert "Serving customers costs" in pfv.summary_text(p)
    wb = load_workbook(pfv.export(str(tmp_path), p))
    assert wb.sheetnames[:3] == ["Accounts", "Actions", "Cost sensitivity"]

    folder = write_engagement(tmp_path / "e")
    write_csvs(folder / "pack", {"accounts": accounts_frame(), "revenue": revenue_frame()})
    bare = pf.analyse(open_engagement(folder))
    assert not bare.has_cts and not bare.has_list and bare.actions.empty
    assert any(
        "cost-to-serve and net contribution are not available" in n for n in say_all(bare.notes)
    )
    assert any("waterfall starts at net revenue" in n for n in say_all(bare.notes))
    # unknown is not zero: no cost, no activities, no list prices -> NaN, never 0 or 100 %
    for col in ("list_revenue", "discounts", "gross_profit", "cost_to_serve",
                "net_contribution", "net_margin"):  # fmt: skip
        assert bare.table[col].isna().all(), col
    w = pf.waterfall(bare.table)
    assert w["step"].tolist() == ["net revenue"]
    h = pf.headline(bare)
    assert math.isnan(h["net_contribution"]) and math.isnan(h["cost_to_serve"])
    cards = dict((label, value) for label, value, _ in pfv.kpi_cards(bare))
    assert cards == {"net contribution": "n/a"}
    text = pfv.summary_text(bare)
    assert "cannot show what each account earns" in text and "0" not in text
    g = pfv.by_group(bare, "class")
    assert g[["gross profit", "cost-to-serve", "net contribution", "net margin"]].isna().all().all()
    assert "net contribution" in pfv.actions_empty(bare)


def test_export_has_the_cost_of_each_activity_per_account(tmp_path):
    from openpyxl import load_workbook

    from kamlib.intake.engagement import open_engagement

    p = pf.analyse(open_engagement("example"))
    ws = load_workbook(pfv.export(str(tmp_path), p))["Accounts"]
    headers = [c.value for c in ws[1]]
    assert "Cost: support ticket" in headers and "Net contribution" in headers
    row = {h: c.value for h, c in zip(headers, ws[2], strict=True)}
    activity_sum = sum(v or 0 for h, v in row.items() if h.startswith("Cost: "))
    assert activity_sum == pytest.approx(row["Cost-to-serve"])
    defined = [c.value for c in load_workbook(pfv.export(str(tmp_path), p))["Definitions"]["A"]]
    assert "Cost: (each activity)" in defined


def test_the_workbook_gives_no_price_path_where_the_action_is_to_renegotiate():
    a = pd.DataFrame({"better_action": [pf.RENEGOTIATE, pf.PRICE], "price_steps": [5, 2],
                      "price_first_year": [42_000.0, 8_000.0]})  # fmt: skip
    out = pfv.actions_numbers(SimpleNamespace(actions=a))
    assert out["price_steps"].isna().tolist() == [True, False]
    assert out["price_first_year"].tolist()[1] == 8_000.0 and a["price_steps"][0] == 5


def test_robustness_says_how_many_key_accounts_lose_money_at_each_end():
    from types import SimpleNamespace

    from kamlib.report import profitability as pv

    sens = pd.DataFrame({"unit_costs": [-0.2, 0.0, 0.2], "unprofitable_key_share": [0.1, 0.2, 0.3]})
    p = SimpleNamespace(sensitivity=sens, key=pd.DataFrame(index=range(10)))
    text = pv.robustness_text(p)
    assert text.startswith("With every unit cost 20 % lower, 1 key account loses money")
    assert "20 % higher, 3; as given, 2." in text and "holds across this range" in text
    p.sensitivity = sens.assign(unprofitable_key_share=[0.0, 0.1, 0.2])
    assert "depends on the unit costs" in pv.robustness_text(p)


def test_the_business_case_sets_the_fixes_against_the_model_cost():
    from kamlib.report import profitability as view

    h = {"saving_total": 2.0e6, "price_total": 1.0e6, "saving_high": 4.0e6, "saving_later": 0.5e6}
    said = view.business_case(h, 11.0e6, 225, 7.7e6, "EUR")
    assert "bring €3.0 M a year against the €11.0 M a year" in said
    assert "€8.0 M a year has to come from the growth and retention" in said
    assert "more than all key accounts earn after cost-to-serve today (€7.7 M)" in said
    assert "the €11.0 M a year the key-account model costs for the 225 key accounts" in said
    start = view.business_case(h, 11.0e6, 225, 7.7e6, "EUR", covering=94)
    assert start.endswith("with the client's own costs, or start with the 94 key accounts "
                          "whose net contribution covers its €49 k each today.")  # fmt: skip
    running = view.business_case(h, 11.0e6, 225, 7.7e6, "EUR", 15, running=True)
    assert "before its budget is renewed, replace its planning assumptions" in running
    covered = view.business_case(h, 2.5e6, 50, 7.7e6, "EUR")
    assert "bring €3.0 M a year, more than the €2.5 M" in covered
    assert view.business_case(h, float("nan"), 0, 7.7e6, "EUR") == ""
    # added and subtracted as printed: €2.8 M + €1.5 M, not the €4.4 M of the unrounded sum
    odd = {**h, "saving_total": 2.84e6, "price_total": 1.54e6}
    sums = view.business_case(odd, 10.73e6, 219, 7.7e6, "EUR")
    assert "bring €4.3 M a year against the €10.7 M" in sums
    assert "€6.4 M a year has to come from" in sums
    text = view.savings_text(h, "EUR")
    assert "saves €2.0 M a year, €500 k of it only once" in text
    assert (
        "could bring up to €2.0 M more a year (fees, and costs no longer incurred), if "
        "the accounts accept it" in text
    )


def test_the_customers_that_make_money_earn_the_total_plus_what_the_others_lose():
    assert pfv.earned({"net_contribution": 18.9e6, "destroyed": 3.2e6}) == pytest.approx(22.1e6)
