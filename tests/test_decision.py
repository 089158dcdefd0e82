"""The decision page that opens every report: its parts, and each step's decision on
small hand-made data (the line bridge, package rework, price paths, KPI verdict)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib.core.fmt import md_text
from kamlib.core.notes import note
from kamlib.method import service_model as sm
from kamlib.method.kpi_review import KpiReview
from kamlib.method.segmentation import Segmentation, line_bridge
from kamlib.render.pages import add_contents
from kamlib.report import kpi_review as kpi_view
from kamlib.report import segmentation as seg_view
from kamlib.report import service_model as sm_view
from kamlib.report.decision import MAX_TILES, Decision, decision_html


def segmentation() -> Segmentation:
    """Seven customers, largest first; the line takes the five largest (revenue >= 30).

    a: key; b: candidate, compatibility 30 < 40 -> not key; c: candidate below the tier
    minimums; d: key, demoted by the consultants; e: lost; f: below the line, promoted;
    g: nothing.
    """
    o = lambda before, after: note("seg.override", before=before, after=after,  # noqa: E731
                                   reason="r", by="AB")  # fmt: skip
    a = pd.DataFrame({
        "account_id": list("abcdefg"), "account_name": list("ABCDEFG"),
        "revenue": [100.0, 80.0, 60.0, 40.0, 30.0, 20.0, 10.0],
        "candidate": [True, True, True, True, False, False, False],
        "score": [70.0, 30.0, 55.0, 80.0, 60.0, 50.0, 10.0],
        "key": [True, False, False, False, False, True, False],
        "class": ["Tier 1", "Core", "Core", "Core", "Core", "Tier 3", "Transactional"],
        "tier": ["Tier 1", None, None, None, None, "Tier 3", None],
        "override": [None, None, None, o("Tier 2", "Core"), None, o("Core", "Tier 3"), None],
        "lost_on": [None, None, None, None, "2026-01-31", None, None],
    })  # fmt: skip
    reason = note("seg.line.every_band_pays", assumed_margin=None)
    line = {"key_accounts": 5, "min_revenue": 30.0, "revenue_share": 0.9, "decided": True,
            "none_pay": False, "reason": reason}  # fmt: skip
    return Segmentation(a, pd.DataFrame(), None, pd.DataFrame(), line, pd.DataFrame())


def test_the_line_bridge_explains_every_account_between_line_and_list():
    b = line_bridge(segmentation(), min_score=40)
    assert b["line"] == 5 and b["key"] == 2
    assert b["lost"]["account_id"].tolist() == ["e"]
    assert b["low_score"]["account_id"].tolist() == ["b"]
    assert b["below_tier"]["account_id"].tolist() == ["c"]
    assert b["below_tier"]["missed"].tolist() == ["potential"]  # no revenue percentile given
    assert b["demoted"]["account_id"].tolist() == ["d"] and b["demoted"]["rank"].tolist() == [4]
    assert b["promoted"]["account_id"].tolist() == ["f"]
    moves = -len(b["lost"]) - len(b["low_score"]) - len(b["below_tier"]) - len(b["demoted"])
    assert b["line"] + b["other"] + moves + len(b["promoted"]) == b["key"]


def test_the_bridge_table_names_the_accounts_largest_first():
    seg = segmentation()
    h = {"line_min_revenue": 30.0, "tiers": {"Tier 1": 1, "Tier 2": 0, "Tier 3": 1}}
    t = seg_view.bridge_table(line_bridge(seg, 40), h, "EUR")
    assert t["accounts"].tolist() == ["5", "−1", "−1", "−1", "−1", "+1", "2"]
    assert t["which"].iloc[0] == "revenue of at least €30"
    assert t["which"].iloc[2] == "B (€80, 2nd largest)"
    assert t["which"].iloc[-1] == "1 in Tier 1, 0 in Tier 2, 1 in Tier 3"
    assert seg_view._ordinal(1) == "1st" and seg_view._ordinal(112) == "112th"
    assert seg_view._ordinal(22) == "22nd"


def test_the_deck_bridge_says_why_each_named_account_moved():
    seg = segmentation()
    seg.accounts["growth"] = [0.1, 0.0, -0.114, 0.0, 0.0, 0.0, 0.0]
    seg.accounts["potential_basis"] = "growth"
    h = {"line_min_revenue": 30.0, "tiers": {"Tier 1": 1, "Tier 3": 1}}
    t = seg_view.bridge_table(line_bridge(seg, 40), h, "EUR", names=1, reasons=True)
    t = t.set_index("step")["which"]
    # a decision gives its reason; growth standing in for a wallet is said
    assert t["taken out by a decision on the account"] == "D (€40, 4th largest; decided by AB: r)"
    assert t["below the Tier 3 minimum for potential: not key"] == (
        "C (€60, 3rd largest; potential from revenue growth of −11.4 %, no wallet estimate)"
    )
    # the report's own table keeps to names and ranks
    plain = seg_view.bridge_table(line_bridge(seg, 40), h, "EUR").set_index("step")["which"]
    assert plain["taken out by a decision on the account"] == "D (€40, 4th largest; decided by AB)"


def test_decision_page_parts_and_limits():
    d = Decision(
        headline="**Run 3 customers** as key accounts",
        tiles=[("key accounts", "3", "of 7")],
        recommendation="Draw the line at A & B's size",
        next_steps=["Confirm the list", "Staff 1 manager"],
        detail="First.\n\nSecond " + md_text("<b>"),  # client values escaped as in md()
    )
    html = decision_html(d, ["What the data could not do."])
    assert html.startswith('<section class="decision">') and html.endswith("</section>")
    assert "<strong>Run 3 customers</strong>" in html and "A &amp; B" in html
    assert html.count("<li>") == 2 and "Second &lt;b&gt;" in html
    assert "callout-warn" in html and "could not do" in html
    with pytest.raises(ValueError, match="at most"):
        Decision("x", [("a", "1", "")] * (MAX_TILES + 1), "y")


def test_units_stay_with_their_numbers():
    page = (
        '<body><nav class="toc" id="contents"><!-- kam:toc --></nav><main><div class="jp-Cell">'
        '<h2>Summary</h2></div><section class="decision"><p>73 % and €1.2 M, 5 k, +3 pts'
        "</p></section></main></body>"
    )
    out = add_contents(page)
    assert "73\u00a0% and €1.2\u00a0M, 5\u00a0k, +3\u00a0pts" in out
    assert out.count('class="toc-h2"') == 1


def test_a_higher_tier_never_gets_less_than_a_lower_one():
    pk = pd.DataFrame({
        "segment": ["Tier 1 · x", "Tier 2 · x", "Tier 3 · x", "Tier 1 · y"],
        "orientation": ["loyalty", "loyalty", "loyalty", "price"], "element": "training",
        "importance": [2.0, 2.8, 4.0, 1.0],
        "decision": [sm.NOT_OFFERED, sm.CHARGED, sm.INCLUDED, sm.NOT_OFFERED],
        "basis": ["consultant override", "segment ratings", "segment ratings", "segment ratings"],
    })  # fmt: skip
    out = sm.consistent_tiers(pk, ["Tier 1", "Tier 2", "Tier 3"])
    # Tier 2 is lifted to Tier 3's decision; Tier 1's override stands; y has no lower tier
    assert out["decision"].tolist() == [sm.NOT_OFFERED, sm.INCLUDED, sm.INCLUDED, sm.NOT_OFFERED]
    assert out.loc[1, "basis"] == "as Tier 3"


def service_model() -> sm.ServiceModel:
    pk = pd.DataFrame({
        "segment": "S", "orientation": "loyalty",
        "element": ["innovation", "logistics", "support", "training"],
        "importance": 4.0, "decision": sm.INCLUDED, "basis": "segment ratings",
    })  # fmt: skip
    costs = pd.DataFrame({"segment": ["S"], "accounts": [10], "package_cost": [100.0],
                          "gross_profit": [150.0], "cost_share": [100 / 150],
                          "included": [4], "affordable": [False]})  # fmt: skip
    today = pd.DataFrame({"segment": "S", "element": ["innovation", "logistics", "support",
                          "training"], "cost_per_account": [40.0, 15.0, 30.0, 20.0]})  # fmt: skip
    gaps = pd.DataFrame({"group": ["S"], "element": ["support"], "importance": [4.5],
                         "respondents": [5], "enough": [True], "satisfaction": [2.5],
                         "gap": [2.0], "status": ["under-served"],
                         "priority": [9.0]})  # fmt: skip
    return sm.ServiceModel(["innovation", "logistics", "support", "training"],
                           {}, gaps, pk, costs, today, 0, 3)  # fmt: skip


def test_an_unaffordable_package_is_reworked_without_touching_what_must_stay():
    m = service_model()
    # innovation is always given to loyal buyers, support is short already: training (20)
    # then logistics (15) are charged, 100 -> 65 = 43 % of 150
    chosen, after = sm_view.rework(m, "S", 0.5, keep=["innovation"])
    assert chosen["element"].tolist() == ["training", "logistics"]
    assert after == pytest.approx(65 / 150)
    d = sm_view.decision(m, "EUR", keep=["innovation"], affordable=0.5)
    assert "Charging separately for training (€20) and logistics (€15)" in d.recommendation
    assert "brings it to 43 %" in d.recommendation
    assert "support for S" in d.next_steps[0]
    # when no element may go, the page says to reprice
    chosen, after = sm_view.rework(m, "S", 0.5, keep=["innovation", "logistics", "training"])
    assert chosen.empty and after == pytest.approx(100 / 150)


def test_what_loyal_buyers_always_get_stays_even_when_rated_unimportant():
    m = service_model()
    m.packages.loc[m.packages["element"] == "training", "importance"] = 1.5
    chosen, _ = sm_view.rework(m, "S", 0.5, keep=["innovation", "training"])
    assert "training" not in chosen["element"].tolist()


def test_a_rework_never_charges_what_a_lower_tier_includes():
    m = service_model()
    # S becomes Tier 1 of the loyalty buyers; their Tier 3 includes training
    m.packages["segment"] = "Tier 1 · S"
    m.costs["segment"] = "Tier 1 · S"
    m.cost_today["segment"] = "Tier 1 · S"
    m.gaps["group"] = "Tier 1 · S"
    lower = pd.DataFrame({"segment": "Tier 3 · S", "orientation": "loyalty",
                          "element": ["training"], "importance": 4.0,
                          "decision": sm.INCLUDED, "basis": "segment ratings"})  # fmt: skip
    m.packages = pd.concat([m.packages, lower], ignore_index=True)
    chosen, after = sm_view.rework(m, "Tier 1 · S", 0.5, keep=["innovation"])
    # training stays (Tier 3 gets it), so logistics alone: 100 -> 85 of 150
    assert chosen["element"].tolist() == ["logistics"]
    assert after == pytest.approx(85 / 150)
    d = sm_view.decision(m, "EUR", keep=["innovation"], affordable=0.5)
    assert "move the accounts that cannot carry it down a tier" in d.recommendation


def test_the_reworked_packages_charge_what_the_rework_picks():
    pk = sm.reworked(service_model(), 0.5, keep=["innovation"])
    charged = pk[pk["decision"] == sm.CHARGED]
    assert charged["element"].tolist() == ["logistics", "training"]
    assert set(charged["basis"]) == {"rework"}
    # innovation and support (short already) stay included
    assert set(pk.loc[pk["decision"] == sm.INCLUDED, "element"]) == {"innovation", "support"}


def kpi_review(statuses: list[str]) -> KpiReview:
    cols = ["nrr", "growth", "nps", "csat"][: len(statuses)]
    card = pd.DataFrame({"column": cols, "baseline": 0.9, "actual": 1.0, "target": 1.0,
                         "delta": 0.1, "status": statuses, "unit": "points"})  # fmt: skip
    card.attrs.update(
        actual_end=pd.Timestamp("2026-09-30"), baseline_end=pd.Timestamp("2025-09-30")
    )
    health = pd.DataFrame({"account_id": ["a", "b"], "health": [30.0, 80.0],
                           "band": ["at risk", "healthy"], "revenue": [100.0, 200.0],
                           "segment": "S", "change": [np.nan, np.nan]})  # fmt: skip
    warnings = pd.DataFrame({"account_id": ["a"], "account": ["Alpha"], "owner": ["Ann"],
                             "health": [30.0], "change": [-12.0], "revenue": [100.0],
                             "reasons": [[]]})  # fmt: skip
    return KpiReview(pd.DataFrame(), card, health, warnings, {}, "quarter")


def test_the_kpi_verdict_follows_the_scorecard():
    d = kpi_view.decision(kpi_review(["green", "green", "amber"]), "EUR")
    assert d.headline.startswith(
        "**2 of 3 key-account KPIs meet the proposed targets** against the baseline"
    )
    assert any(s.startswith("Confirm the targets with management") for s in d.next_steps)
    agreed = kpi_review(["green", "green", "amber"])
    agreed.targets_agreed = True  # agreed with management: final statuses, nothing to confirm
    d2 = kpi_view.decision(agreed, "EUR")
    assert d2.headline.startswith("**2 of 3 key-account KPIs are on target**")
    assert not any(s.startswith("Confirm the targets") for s in d2.next_steps)
    assert "1 is part of the way, none off target" in d.headline and d.kind == "warn"
    assert d.recommendation.endswith("1 of them is also at risk or on watch.")
    losing = kpi_review(["green"])
    losing.warnings["reasons"] = [[note("warn.loss", amount=50.0, margin=-0.5)]]
    assert kpi_view.decision(losing, "EUR").recommendation.endswith(
        "1 of them is also at risk or on watch, and 1 loses money after cost-to-serve (the "
        "profitability review acts on those)."
    )
    assert (
        d.next_steps[0] == "Review the early-warning account, Alpha, with its owner this quarter."
    )
    d = kpi_view.decision(kpi_review(["green", "red", "amber", "red"]), "EUR")
    assert "1 of 4 key-account KPIs" in d.headline and d.kind == "bad"
    assert d.recommendation.startswith("Put revenue growth and CSAT on the steering committee")
    assert "€100 of key-account revenue sits with accounts at risk (1, health below 40)" in (
        d.recommendation
    )
    d = kpi_view.decision(kpi_review(["no baseline", "no baseline"]), "EUR")
    assert "cannot be measured yet" in d.headline


def test_text_cells_are_marked_to_stay_with_what_follows():
    page = (
        '<body><main><div class="jp-Cell jp-CodeCell"><div class="jp-OutputArea-output" '
        'data-mime-type="text/markdown"><p>Rules</p></div></div><div class="jp-Cell '
        'jp-CodeCell"><div class="jp-OutputArea-output" data-mime-type="text/html">'
        "<table></table></div></div></main></body>"
    )
    out = add_contents(page)
    assert out.count("jp-TextCell") == 1 and out.index("jp-TextCell") < out.index("Rules")


def test_the_bridge_says_which_tier_minimum_an_account_missed():
    seg = segmentation()
    seg.accounts["revenue_pct"] = [1.0, 0.9, 0.7, 0.8, 0.6, 0.5, 0.4]  # c: 0.7 < 0.75
    b = line_bridge(seg, 40, tier_3=(0.75, 0.40))
    assert b["below_tier"]["missed"].tolist() == ["revenue"]
    h = {"line_min_revenue": 30.0, "tiers": {"Tier 1": 1, "Tier 2": 0, "Tier 3": 1}}
    t = seg_view.bridge_table(b, h, "EUR").set_index("step")
    assert t.loc["below the Tier 3 minimum for revenue: not key", "accounts"] == "−1"
    assert seg_view._why_left(b["below_tier"].iloc[0]) == (
        "whose revenue is below the Tier 3 minimum"
    )


def test_one_key_account_reads_in_the_singular():
    h = {"key_accounts": 1, "key_by_override": 1, "line_reason": note("seg.line.no_cost"),
         "overrides": 2, "tiers": {"Tier 1": 0}, "managers_low": 1, "managers_high": 1,
         "development": 0}  # fmt: skip
    head = seg_view._decision_headline(h, drawn=False)
    assert head == (
        "**1 customer is a key account by a decision on the account, but no line can be "
        "confirmed yet.**"
    )  # the reason is the recommendation's, said once
    b = {"low_score": pd.DataFrame(columns=["rank"]), "below_tier": pd.DataFrame(columns=["rank"])}
    steps = seg_view._decision_steps(h, b, drawn=False, currency="EUR")
    assert steps[:2] == [
        "Confirm the 1 key account with the sales leadership, deciding on the 2 overrides.",
        "Make sure 1 key account manager covers it.",
    ]


def test_the_scorecard_workbook_formats_each_kpi_as_the_page_prints_it():
    r = kpi_review(["green", "green", "amber", "red"])  # nrr, growth, nps, csat
    f = kpi_view.scorecard_formats(r)
    assert f["baseline"] == ["0.0", "0.0", "#,##0", "0.00"]
    assert f["change since baseline"][2] == '+#,##0;"−"#,##0;#,##0'
    numbers = kpi_view.scorecard_numbers(r)
    assert numbers["baseline"].tolist() == [90.0, 90.0, 1.0, 0.9]  # percent for shares


def test_the_line_on_gross_profit_is_set_against_the_line_after_todays_cost_to_serve():
    from types import SimpleNamespace

    sens = pd.DataFrame({"key_accounts": [5, 10, 20], "marginal_gp": [60.0, 50.0, 40.0],
                         "marginal_cts": [10.0, 15.0, 10.0], "cost_per_account": 40.0,
                         "gross_profit": [300.0, 550.0, 950.0],
                         "cost_to_serve": [50.0, 125.0, 225.0], "model_cost": 40.0})  # fmt: skip
    acc = pd.DataFrame({"key": [True] * 3 + [False], "gross_profit": [90.0, 60.0, 50.0, 99.0],
                        "cost_to_serve": [30.0, 30.0, 5.0, 0.0]})  # fmt: skip
    seg = SimpleNamespace(sensitivity=sens, accounts=acc)
    text = seg_view._net_text(seg, sens.iloc[1], "EUR")  # the line at 10 on gross profit
    assert "the last accounts added) they contribute €35 each, under the model's €40" in text
    assert "; 2 of the 3 key accounts earn it on their own" in text  # 60 and 45; 30 does not
    assert seg_view._net_text(seg, sens.iloc[0], "EUR") == ""  # the same line: nothing to add


def test_the_staffing_step_says_how_many_managers_hold_the_key_accounts_today():
    h = {"key_accounts": 40, "key_by_override": 0, "line_reason": "", "overrides": 0,
         "tiers": {"Tier 1": 10}, "managers_low": 4, "managers_high": 8, "development": 0,
         "per_manager": (5, 10), "managers_today": 2, "most_per_manager": 25}  # fmt: skip
    b = {"low_score": pd.DataFrame(columns=["rank"]), "below_tier": pd.DataFrame(columns=["rank"])}
    steps = seg_view._decision_steps(h, b, drawn=True, currency="EUR")
    assert (
        "Make sure 4 to 8 key account managers cover them, the 10 Tier 1 accounts first "
        "(today 2 account managers hold the 40 key accounts, up to 25 each)." in steps
    )
    h["most_per_manager"] = 9  # within the rule: nothing to say
    assert "today" not in " ".join(seg_view._decision_steps(h, b, drawn=True, currency="EUR"))


def test_the_kpi_page_says_whom_the_scorecard_follows():
    r = kpi_review(["green", "green"])
    assert kpi_view._cohort_sentence(r) == ""  # no periods: nothing to say
    r.table = pd.DataFrame({"period_end": [pd.Timestamp("2026-09-30")] * 2,
                            "group": ["key accounts", "other accounts"],
                            "accounts": [175, 900]})  # fmt: skip
    assert kpi_view._cohort_sentence(r) == (
        " The scorecard follows the 175 accounts that were key a year before 30 September "
        "2026, not today's 2: a key account lost in the year counts against the programme."
    )


def test_the_kpi_page_names_the_baseline_cohort_when_it_differs():
    r = kpi_review(["green"])
    r.table = pd.DataFrame({"period_end": pd.to_datetime(["2025-09-30", "2026-09-30"]),
                            "group": ["key accounts"] * 2, "accounts": [195, 175]})  # fmt: skip
    assert (
        "follows the 175 accounts that were key a year before 30 September 2026 (195 at "
        "the baseline), not today's 2" in kpi_view._cohort_sentence(r)
    )


def test_the_workbook_leaves_the_retention_bridge_blank_where_retention_is_not_measured():
    r = kpi_review(["green"])
    r.table = pd.DataFrame({"period_end": pd.to_datetime(["2024-12-31", "2025-12-31"]),
                            "group": ["key accounts"] * 2, "start": [13.2, 50.0],
                            "expansion": [39.5, 4.0], "nrr": [np.nan, 1.05]})  # fmt: skip
    t = kpi_view.period_numbers(r)
    assert t["start"].isna().tolist() == [True, False]
    assert t["expansion"].tolist()[1] == 4.0 and r.table["start"].notna().all()  # a copy


def test_targets_are_called_provisional_only_where_a_status_rests_on_them():
    steps = kpi_view.decision(kpi_review(["green", "amber"]), "EUR").next_steps
    assert any("the statuses above are provisional" in s for s in steps)
    unscored = kpi_review(["no baseline"])
    steps = kpi_view.decision(unscored, "EUR").next_steps
    assert not any("provisional" in s for s in steps)


def test_packages_resting_on_old_interviews_are_refreshed_before_they_are_adopted():
    m = service_model()
    m.notes = [note("sm.old_ratings", latest=pd.Timestamp("2025-08-15"), months=13)]
    d = sm_view.decision(m, "EUR", keep=["innovation"], affordable=0.5)
    assert d.recommendation.startswith(
        "First refresh the interviews: the latest is from August 2025, and what the key "
        "accounts value may have moved since. Then: rework the package before it is promised."
    )
    # old interviews speak of then, not now; one of each in the singular
    assert (
        "key accounts were under-served on 1 point that matters to them when last "
        "interviewed (August 2025)" in d.headline
    )
    assert d.headline.startswith("**The key-account segment gets its own service package**")


def test_accounts_at_risk_for_a_loss_are_told_apart_from_a_churn_risk():
    from kamlib.method.kpi_review import at_risk_for_loss

    r = kpi_review(["green"])
    assert at_risk_for_loss(r) == 0  # no cap recorded
    r.health["capped"] = [True, False]
    assert at_risk_for_loss(r) == 1
    d = kpi_view.decision(r, "EUR")
    assert "1 of those at risk is there for losing 20 % or more of revenue" in d.recommendation
    assert ("Revenue at risk", "€100", "1 key account, 1 of them for a loss") in d.tiles
