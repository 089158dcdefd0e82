"""The plan drafted from data: each drafting rule on a small hand-made account."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kamlib.core import fmt
from kamlib.method import account_plan as ap
from kamlib.method.plan_book import Plan
from kamlib.report import drafts as dr
from kamlib.report import plan as view

EMPTY = {
    "products": ["account_id", "product", "revenue", "prior_revenue"],
    "whitespace": ["account_id", "product", "adoption", "value", "in_pipeline"],
    "opportunities": ["account_id", "opportunity_id", "product", "stage", "amount",
                      "probability", "weighted", "expected_close"],
    "contacts": ["account_id", "name", "role", "influence", "attitude", "senior", "days"],
    "ratings": ["account_id", "element", "importance", "satisfaction"],
    "package": ["segment", "element", "decision", "importance"],
}  # fmt: skip

ACCOUNT = {
    "account_id": "A1",
    "account_name": "Alpha AG",
    "account_manager": "Ana Berg",
    "segment": "Tier 1 · partner (loyalty)",
    "revenue": 100_000.0,
    "growth": 0.10,
    "gross_margin": 0.40,
    "net_margin": 0.30,
    "net_contribution": 30_000.0,
    "cost_to_serve": 10_000.0,
    "share_of_wallet": 0.60,
    "headroom": 0.0,
    "whitespace": 0.0,
    "weighted": 0.0,
    "contacts": 0,
    "supporters": 0,
    "nps": 20.0,  # answered, neither a strength nor a risk
    "nps_respondents": 5,
    "nps_counted": True,
    "signals": [],
    "gaps": [],
    "band": "healthy",
    "health": 80.0,
    "package_cost": np.nan,
    "better_action": None,
}
SEGMENT = {"accounts": 10, "growth": 0.05, "gross_margin": 0.38, "net_margin": 0.25,
           "share_of_wallet": 0.50}  # fmt: skip


def make_plan(account=None, segment=None, inputs=None, **frames) -> Plan:
    """A plan of one hand-made account: its figures, its segment's medians and frames."""
    tables = {k: pd.DataFrame(columns=cols) for k, cols in EMPTY.items()}
    tables.update({k: pd.DataFrame(v) for k, v in frames.items()})
    return Plan(
        account=pd.Series({**ACCOUNT, **(account or {})}, dtype=object),
        segment=pd.Series({**SEGMENT, **(segment or {})}),
        monthly=pd.DataFrame(columns=["account_id", "month", "revenue", "gross_profit"]),
        products=tables["products"],
        whitespace=tables["whitespace"],
        opportunities=tables["opportunities"],
        contacts=tables["contacts"],
        nps=pd.DataFrame(columns=["account_id", "quarter", "respondents", "nps", "csat"]),
        activities=pd.DataFrame(columns=["account_id", "activity", "quantity", "cost"]),
        ratings=tables["ratings"],
        package=tables["package"],
        segment_mix=pd.DataFrame(columns=["segment", "product", "share", "adoption"]),
        inputs=dict(inputs or {}),
        currency="EUR",
        as_of=dt.date(2026, 9, 30),
        horizons=[12, 24, 36],
        growth_target=0.10,
        sign_off=["Sales"],
        has={
            "opportunities": True,
            "products": True,
            "history": True,
            "cost": True,
            "activities": True,
            "surveys": True,
            "contacts": True,
        },  # fmt: skip
        notes=[],
    )


@pytest.fixture(autouse=True)
def _euro():
    fmt.use_currency("EUR")


def test_a_healthy_account_has_no_pressure_and_says_what_was_compared():
    assert dr.challenges(make_plan()) == [
        "Its spend with us: revenue +10.0 % on the prior year, against +5.0 % for the segment's "
        "median account; the challenges behind it are for the manager to write"
    ]


def test_challenges_are_the_customers_a_slower_revenue_products_bought_less_not_our_margin():
    p = make_plan(
        {"growth": -0.05, "net_contribution": -2_000.0, "net_margin": -0.02, "gross_margin": 0.30},
        products={
            "account_id": ["A1"] * 3,
            "product": ["Mobile", "Voice", "Cloud"],
            "revenue": [50_000.0, 0.0, 30_000.0],
            "prior_revenue": [60_000.0, 8_000.0, 29_000.0],
        },
    )
    assert dr.challenges(p) == [
        "Revenue −5.0 % on the prior year, against +5.0 % for the segment's median account",
        "Buys less Mobile (−€10 k) and Voice (−€8.0 k, no longer bought) than the year before",
    ]  # our low margin and the loss are ours: a risk, not its challenges
    assert ("profitability", "loses €2.0 k a year after cost-to-serve") in dr.risk_items(p)
    assert dr.swot_data(p)["weaknesses"] == ["no contact at the account on record"]  # once


def test_strengths_and_weaknesses_compare_with_the_segment_and_the_ratings():
    p = make_plan(
        {"share_of_wallet": 0.40, "nps": 45.0, "nps_counted": True, "supporters": 2, "contacts": 3},
        ratings={
            "account_id": ["A1"] * 3,
            "element": ["logistics", "training", "finance"],
            "importance": [5.0, 4.0, 2.0],
            "satisfaction": [5.0, 2.0, 1.0],
        },
    )
    swot = dr.swot_data(p)
    assert swot["strengths"] == [
        "revenue +10.0 % on the prior year, against +5.0 % for the segment's median account",
        "net margin 30.0 %, against 25.0 % for the segment's median account",
        "NPS +45 over the last 12 months, from only 5 respondents",
        "2 supporters among the contacts",
        "rates logistics 5 of 5 in importance and our delivery of it 5 of 5",
    ]
    assert swot["weaknesses"] == [
        "40 % share of wallet, against 50 % for the segment's median account",
        # finance is not important to it
        "rates training 4 of 5 in importance and our delivery of it 2 of 5",
    ]
    # the rest of its spend goes to others: a threat the data shows
    assert swot["threats"] == [
        "60 % of its spend on what we sell goes to others (share of wallet 40 %)"
    ]


def test_an_nps_from_too_few_respondents_is_no_strength():
    p = make_plan({"nps": 60.0, "nps_counted": False})
    assert not any("NPS" in s for s in dr.swot_data(p)["strengths"])


def test_without_any_threat_the_draft_says_what_was_checked():
    p = make_plan({"share_of_wallet": np.nan, "contacts": 3})
    assert dr.swot_data(p)["threats"] == [dr.risks_empty(p)]
    assert dr.swot_data(p)["threats"][0].startswith("No risk in the data checked")
    # the mitigation draft does not repeat it: it says how to keep it so
    (mitigation,) = dr.risk_mitigation(p)
    assert mitigation.startswith("Nothing to mitigate on the data today")


def test_ongoing_projects_are_the_largest_open_opportunities_and_new_products():
    p = make_plan(
        opportunities={
            "account_id": ["A1", "A1"],
            "opportunity_id": ["O-1", "O-2"],
            "product": ["IoT", "Cloud"],
            "stage": ["proposal", "qualify"],
            "amount": [20_000.0, 90_000.0],
            "probability": [0.5, 0.2],
            "weighted": [10_000.0, 18_000.0],
            "expected_close": pd.to_datetime(["2027-02-04", None]),
        },
        products={
            "account_id": ["A1"],
            "product": ["Security"],
            "revenue": [4_000.0],
            "prior_revenue": [0.0],
        },
    )
    assert dr.ongoing_projects(p) == [
        "Cloud opportunity at qualify stage, €90 k",
        "IoT opportunity at proposal stage, €20 k, expected to close 4 Feb 2027",
        "Started buying Security this year (€4.0 k)",
    ]
    assert dr.ongoing_projects(make_plan()) == [
        "No open opportunity and no product newly bought on record"
    ]


def test_client_value_falls_back_on_the_segments_ratings_and_says_so():
    own = make_plan(
        ratings={
            "account_id": ["A1"],
            "element": ["training"],
            "importance": [4.0],
            "satisfaction": [3.0],
        }  # fmt: skip
    )
    assert dr.client_value(own) == [
        "Rates training 4 of 5 in importance and our delivery of it 3 of 5"
    ]
    seg = make_plan(
        package={
            "segment": ["S"] * 2,
            "element": ["finance", "training"],
            "decision": ["included", "not offered"],
            "importance": [4.46, 3.0],
        }  # fmt: skip
    )
    assert dr.client_value(seg) == [
        "Not rated by the account itself; its segment rates most important finance (4.5 of 5) "
        "and training (3.0 of 5)"
    ]
    assert dr.client_value(make_plan()) == []


def test_actions_are_dated_and_owned_and_the_risks_each_get_a_mitigation():
    p = make_plan(
        {"contacts": 0, "net_contribution": -5_000.0, "band": "watch", "health": 60.0},
        opportunities={
            "account_id": ["A1"],
            "opportunity_id": ["O-1"],
            "product": ["IoT"],
            "stage": ["proposal"],
            "amount": [20_000.0],
            "probability": [0.5],
            "weighted": [10_000.0],
            "expected_close": pd.to_datetime(["2027-02-04"]),
        },
    )
    d = dr.dated_actions(p)
    assert d[["action", "owner", "due"]].values.tolist() == [
        ["Map the stakeholders: name, role, influence, attitude", "Ana Berg", "within 30 days"],
        ["Close the €20 k IoT deal", "Ana Berg", "by 4 Feb 2027"],
    ]
    assert dr.risk_mitigation(p) == [
        "Loses €5.0 k a year after cost-to-serve: renegotiate the terms or the service with "
        "the customer",
        # a 5 % loss holds its health down: the loss is the lever, not the score
        "Health 60 (watch): review it every month with the sales manager; its loss after "
        "cost-to-serve holds the score down until the loss is cut",
        "No contact at the account on record: meet the senior decision makers within the month",
    ]


def test_a_swot_without_threats_does_not_deny_the_risks_the_plan_lists():
    """No contact on record is a risk (the risk table) and a weakness, not a threat: the
    threats say that no outside threat was found, never that there is no risk."""
    p = make_plan({"share_of_wallet": np.nan, "contacts": 0})
    assert dict(dr.risk_items(p)) == {"relationship gap": "no contact at the account on record"}
    (threat,) = dr.swot_data(p)["threats"]
    assert not threat.startswith("No risk") and "No outside threat" in threat
    assert threat.endswith("; the risk to address is no contact at the account on record.")
    assert "no contact at the account on record" in dr.swot_data(p)["weaknesses"]


def test_no_contact_and_a_badly_served_priority_are_risks_not_only_weaknesses():
    ratings = {"element": ["technical support", "training"], "importance": [5.0, 4.0],
               "satisfaction": [1.0, 2.0]}  # fmt: skip
    p = make_plan({"contacts": 0}, ratings=ratings)
    kinds = dict(dr.risk_items(p))
    assert kinds["relationship gap"] == "no contact at the account on record"
    # importance 5 delivered at 1 is a risk; training (4, delivered at 2) stays a weakness
    assert kinds["service gap"] == (
        "rates technical support 5 of 5 in importance and our delivery of it 1 of 5"
    )
    assert [k for k, _ in dr.risk_items(p)].count("service gap") == 1
    assert not dr.risks_empty(p) == dr.swot_data(p)["threats"][0]
    # with a contact on record and the service fixed, neither is a risk
    fine = make_plan({"contacts": 2}, ratings={**ratings, "satisfaction": [4.0, 4.0]})
    assert {k for k, _ in dr.risk_items(fine)}.isdisjoint({"relationship gap", "service gap"})


def test_the_manager_confirms_a_draft_and_the_status_says_which_parts_are_drafted():
    p = make_plan()
    st = view.parts(p).set_index("part")["status"]
    assert st["baselines"] == "drafted"  # challenges and ongoing projects from the data
    assert st["relationship"] == "to complete"  # no contacts on record
    assert st["investment"] == "to complete"  # the amount only the manager can plan
    html = view.field_html(p, "challenges")
    assert "From the data — confirm or correct" in html and "Its spend with us" in html
    given = make_plan(inputs={"challenges": "Consolidating suppliers", "ongoing_projects": "ERP"})
    html = view.field_html(given, "challenges")
    assert "Consolidating suppliers" in html and "Also in the data" in html
    assert view.parts(given).set_index("part").at["baselines", "status"] == "confirmed"
    drafted, confirmed = ap.shares(view.parts(given)["status"])
    assert confirmed == pytest.approx(1 / 8)
    # baselines, growth, action plan and risks: a hand-made account without ratings,
    # package, contacts, whitespace or pipeline gives the data nothing more to draft
    assert drafted == pytest.approx(4 / 9)
    todo = view.field_html(p, "investment_amount")
    assert "To complete" in todo and "investment_amount" not in todo


def test_the_summary_says_why_profitability_flagged_the_account():
    loss = make_plan(account={"net_contribution": -5_000.0, "net_margin": -0.05})
    assert view._flagged_for(loss) == "it loses €5.0 k a year after cost-to-serve"
    low = make_plan(account={"net_margin": 0.05, "target_margin": 0.08})
    assert view._flagged_for(low) == "a net margin of 5.0 %, below its segment's 8.0 %"
    # above its segment's margin: flagged for the quadrant, never said to be below it
    above = make_plan(account={"net_margin": 0.30, "target_margin": 0.08})
    assert view._flagged_for(above) == (
        "a lower net price and a higher cost-to-serve than its peers"
    )


def test_a_cheaper_package_keeps_the_service_the_account_needs_most():
    ratings = {"account_id": ["A1", "A1"], "element": ["technical support", "training"],
               "importance": [5.0, 2.0], "satisfaction": [2.0, 2.0]}  # fmt: skip
    p = make_plan(
        account={"better_action": "package", "package_saving": 10_000.0, "price_increase": 0.0,
                 "package_affordable": False, "package_charge": 4_000.0, "package_stop": 0.0},
        ratings=ratings,
    )  # fmt: skip
    ((action, why, urgent),) = dr._profit_actions(p)
    assert action == "Move the account to its segment's service package once it is reworked"
    assert why == (
        "saves €10 k a year; it serves the elements the package includes at the segment's cost "
        "for an account of its size; as it stands the package costs its segment too much, and "
        "the service model reworks it first; charging for the services its package bills "
        "separately could recover up to €4.0 k more a year, to negotiate with the customer; "
        "keep what it needs most: it "
        "rates technical support 5 of 5 in importance and our delivery of it 2 of 5"
    )


def test_agreed_actions_show_due_dates_as_the_plan_writes_dates():
    p = make_plan(inputs={"action_plan": "Workshop | Ana | 2026-11-15 | planned\nCall | Bo | "
                                         "after the audit | open"})  # fmt: skip
    assert view.action_plan_view(p)["due"].tolist() == ["15 Nov 2026", "after the audit"]


def test_weaknesses_name_a_low_margin_a_negative_nps_and_no_contact():
    p = make_plan(account={"net_margin": 0.10, "nps": -50.0, "nps_respondents": 2,
                           "nps_counted": False})  # fmt: skip
    swot = dr.swot_data(p)
    weak = swot["weaknesses"]
    assert "net margin 10.0 %, against 25.0 % for the segment's median account" in weak
    assert "no contact at the account on record" in weak
    # a negative NPS the risks already name is a threat, said once
    assert not any("NPS" in w for w in weak) and any("NPS −50" in t for t in swot["threats"])


def test_what_the_account_needs_most_is_offered_as_paid_where_its_package_charges_it():
    ratings = {"account_id": ["A1", "A1"], "element": ["technical support", "training"],
               "importance": [5.0, 4.0], "satisfaction": [2.0, 4.0]}  # fmt: skip
    account = {"better_action": "package", "package_saving": 10_000.0, "price_increase": 0.0}
    p = make_plan(account=account, ratings=ratings)
    p.package = pd.DataFrame({"element": ["technical support", "training"],
                              "decision": ["charged separately", "included"]})  # fmt: skip
    assert dr._protect(p) == (
        "; its package charges separately for what it needs most, so offer it as a paid "
        "service at the level it needs: it rates technical support 5 of 5 in importance and "
        "our delivery of it 2 of 5"
    )
    # a strength is never also a gap: training is delivered within a point of what it needs
    assert dr._rated_well(p) == [
        "rates training 4 of 5 in importance and our delivery of it 4 of 5"
    ]
    p.ratings.loc[p.ratings["element"] == "training", "importance"] = 5.0
    assert dr._rated_well(p) == []


def test_the_investment_draft_says_what_lifting_the_account_would_cost():
    p = make_plan(account={"cost_to_serve": 198_000.0, "package_change": -22_000.0,
                           "package_trim": 22_000.0, "package_lift": 3_000.0,
                           "package_charge": 0.0, "package_stop": 0.0})  # fmt: skip
    (first, *_) = dr.investment(p)
    assert first == (
        "Serving it costs €198 k a year today; its segment's package (the elements it "
        "includes, at the segment's cost for an account of its size) would cost €22 k less; "
        "bringing it up to the segment's "
        "average where it gets less would cost €3.0 k more; ask the customer what it is short "
        "on before spending it (it has not rated us)"
    )
    # worth it only where its own ratings show a gap on what matters to it
    short = {"account_id": ["A1"] * 2, "element": ["training", "logistics"],
             "importance": [5.0, 4.0], "satisfaction": [2.0, 4.0]}  # fmt: skip
    gap = make_plan(account=dict(p.account), ratings=short)
    assert dr.investment(gap)[0].endswith("€3.0 k more, worth it for training, where it is short")
    fine = make_plan(account=dict(p.account), ratings={**short, "satisfaction": [5.0, 4.0]})
    assert dr.investment(fine)[0].endswith("€3.0 k more, which its own ratings do not call for")


def test_breaking_even_on_a_package_still_to_rework_is_not_dated():
    # -100 today; the package saves 60, prices +45 in one step
    fix = {
        "net_contribution": -100.0,
        "package_saving": 60.0,
        "price_first_year": 45.0,
        "price_after_package": 45.0,
        "price_steps": 1,
        "better_action": "package and price",
    }
    ready = make_plan(account={**fix, "package_affordable": True})
    assert view._break_even_when(ready) == "within 12 months"
    # the same actions on a package the service model must rework first: prices alone
    # leave -55, so breaking even waits for the rework
    waits = make_plan(account={**fix, "package_affordable": False})
    assert view._break_even_when(waits) == (
        "once its segment's package is reworked (not dated yet) and prices take their first step"
    )
    # the price step first, as it comes in time; the package when it is reworked
    steps = view.break_even_view(waits)["step"].tolist()
    assert steps[1] == "prices, first year's step" and steps[2].endswith(", once reworked")
    # prices alone enough: the rework does not hold it back
    small = make_plan(account={**fix, "net_contribution": -30.0, "package_affordable": False})
    assert view._break_even_when(small) == "within 12 months"
    # a two-year path that needs the package to end above zero
    path = make_plan(account={**fix, "price_first_year": 25.0, "price_steps": 2,
                              "package_affordable": False})  # fmt: skip
    assert view._break_even_when(path) == (
        "once its segment's package is reworked (not dated yet) and its 2-year price path completes"
    )


def test_the_first_years_return_leaves_out_a_package_still_to_rework():
    from kamlib.report.words import say

    a = {"cost_to_serve": 120.0, "package_change": -20.0, "gross_margin": 0.4,
         "revenue": 1000.0, "target_12m": 1100.0}  # fmt: skip
    inputs = {"investment_amount": "10"}
    ready = view._investment(make_plan({**a, "package_affordable": True}, inputs=inputs))
    waits = view._investment(make_plan({**a, "package_affordable": False}, inputs=inputs))
    ready, waits = ready.set_index("line"), waits.set_index("line")
    # both show the change; only the ready package counts it: 40 + 20 - 10 against 40 - 10
    assert ready.at["change with package", "amount"] == waits.at["change with package", "amount"]
    assert ready.at["net return", "amount"] == pytest.approx(50.0)
    assert waits.at["net return", "amount"] == pytest.approx(30.0)
    assert "waits for the rework and is not counted" in say(waits.at["net return", "how"])
    # a package that saves nothing has nothing to wait for
    zero = view._investment(make_plan({**a, "package_change": 0.0, "package_affordable": False},
                                      inputs=inputs)).set_index("line")  # fmt: skip
    assert "rework" not in say(zero.at["change with package", "how"])


def test_projects_the_pipeline_does_not_hold_are_asked_for():
    p = make_plan(inputs={"ongoing_projects": "SD-WAN design study"})
    assert dr.unrecorded_projects(p)
    acts = dr.suggested_actions(p)
    assert "Record the ongoing projects in the pipeline" in acts["action"].tolist()
    opp = {"account_id": ["A1"], "product": ["SD-WAN"], "amount": [50_000.0],
           "probability": [0.5], "weighted": [25_000.0], "stage": ["proposal"]}  # fmt: skip
    assert not dr.unrecorded_projects(make_plan(inputs={"ongoing_projects": "x"},
                                                opportunities=opp))  # fmt: skip
    assert not dr.unrecorded_projects(make_plan())


def test_the_confirmed_tile_counts_only_the_parts_the_manager_writes():
    s = pd.Series(["confirmed", "from data", "drafted", "confirmed"])
    assert view._confirmed_note(s) == "2 of 3 manager's parts confirmed"
    assert view._confirmed_note(pd.Series(["from data"])) == "all from the data"


def test_a_falling_nps_is_said_with_its_level():
    from kamlib.core.notes import note

    p = make_plan({"nps": -100.0, "signals": [note("risk.nps_down", points=20.0)]})
    assert (
        "churn signal",
        "NPS −100 over the last 12 months, from only 5 respondents, down 20 points",
    ) in dr.risk_items(p)


def test_swot_opportunities_are_whitespace_pipeline_and_wallet_and_never_zero():
    p = make_plan({"whitespace": 65_000.0, "weighted": 25_000.0, "headroom": 900_000.0})
    assert dr.swot_data(p)["opportunities"] == [
        "whitespace worth €65 k a year",
        "weighted open pipeline €25 k",
        "wallet headroom €900 k",
    ]
    # nothing to add: no zero or unknown figure is offered as an opportunity
    none = make_plan({"whitespace": 0.0, "weighted": np.nan, "headroom": 0.0})
    assert dr.swot_data(none)["opportunities"] == []


def test_the_desired_solution_starts_from_what_the_account_rates_most_important():
    ratings = {"account_id": "A1", "element": ["training", "advice", "support", "finance"],
               "importance": [3.0, 4.5, 4.5, 2.0],
               "satisfaction": [3.0, 3.0, 4.0, 2.0]}  # fmt: skip
    package = {"segment": "S", "element": ["advice", "support", "training"],
               "decision": ["included", "included", "charged separately"],
               "importance": [4.5, 4.5, 3.0]}  # fmt: skip
    ws = {"account_id": "A1", "product": ["IoT", "Security"], "adoption": [0.6, 0.5],
          "value": [50_000.0, 40_000.0], "in_pipeline": [True, False]}  # fmt: skip
    p = make_plan(ratings=ratings, package=package, whitespace=ws)
    assert dr.desired_solution(p) == [
        # ties in importance in the order of the elements' names; three at most
        "What it rates most important: advice (4.5 of 5), support (4.5 of 5) and training "
        "(3.0 of 5)",
        "What its segment's package would give it: advice and support",  # not what it charges for
        "Products its segment buys and it does not: Security",  # IoT is in the pipeline
    ]
    assert dr.desired_solution(make_plan()) == []


def test_deal_preparation_names_the_largest_deal_and_who_decides_or_the_first_proposal():
    opp = {"account_id": "A1", "opportunity_id": ["O-1", "O-2"], "product": ["IoT", "SD-WAN"],
           "stage": "proposal", "amount": [20_000.0, 90_000.0], "probability": [0.9, 0.5],
           "weighted": [18_000.0, 45_000.0],
           "expected_close": pd.to_datetime(["2027-01-31", "2027-02-28"])}  # fmt: skip
    contacts = {"account_id": "A1", "name": ["Ada", "Bo", "Cy"], "role": ["CIO", "CFO", "IT"],
                "influence": [5, 4, 2], "attitude": ["supporter", "neutral", "supporter"],
                "senior": [True, True, False], "days": [10, 20, 30]}  # fmt: skip
    p = make_plan(opportunities=opp, contacts=contacts)
    assert dr.deal_preparation(p) == [
        "Largest open opportunity: SD-WAN, €90 k at 50 %, expected to close 28 Feb 2027",
        "Who decides, on record: Ada (CIO, supporter) and Bo (CFO, neutral)",
    ]
    weak = {**contacts, "influence": [3, 3, 2]}
    assert dr.deal_preparation(make_plan(opportunities=opp, contacts=weak))[1] == (
        "No contact with influence 4 or 5 on record: find who decides"
    )
    ws = {"account_id": "A1", "product": ["Security"], "adoption": [0.59],
          "value": [65_000.0], "in_pipeline": [False]}  # fmt: skip
    assert dr.deal_preparation(make_plan(whitespace=ws)) == [
        "No open opportunity on record: the first proposal to prepare is Security, which "
        "59 % of its segment buy, typically €65 k a year"
    ]
    assert dr.deal_preparation(make_plan()) == [
        "No open opportunity on record and no product its segment buys that it does not: the "
        "next deal is to find with the customer"
    ]


def test_without_any_weakness_the_draft_says_what_was_compared():
    # share of wallet 60 % and net margin 30 % against 50 % and 25 %; two contacts, no gap
    p = make_plan({"contacts": 2, "supporters": 1})
    assert dr.swot_data(p)["weaknesses"] == [
        "Our figures show no clear weakness: share of wallet and net margin not clearly below "
        "the segment's median account; no relationship or service gap on record"
    ]
    # a real weakness replaces it
    low = make_plan({"contacts": 2, "supporters": 1, "share_of_wallet": 0.40})
    assert dr.swot_data(low)["weaknesses"][0].startswith("40 % share of wallet")
    # nothing to compare: nothing drafted
    none = make_plan({"contacts": 2, "share_of_wallet": np.nan, "net_margin": np.nan})
    assert dr.swot_data(none)["weaknesses"] == []


def test_an_account_silent_in_the_surveys_is_a_risk_to_survey_now():
    p = make_plan({"nps": np.nan, "nps_respondents": 0, "nps_counted": False})
    # answered once, 18 months before the data date (30 Sep 2026)
    p.nps = pd.DataFrame({"account_id": ["A1"], "quarter": pd.to_datetime(["2025-03-31"]),
                          "respondents": [2], "nps": [-50.0], "csat": [3.0]})  # fmt: skip
    kinds = dict(dr.risk_items(p))
    assert kinds["survey gap"] == (
        "no survey answered for 18 months (the last in Q1 2025): we do not know what it "
        "thinks of us today"
    )
    s = dr.suggested_actions(p).set_index("action")
    assert s.loc["Survey its decision makers", "why"] == "no survey answered for 18 months"
    assert any(m.endswith("ask its decision makers for a score and what to improve, this quarter")
               for m in dr.risk_mitigation(p))  # fmt: skip
    assert kinds["survey gap"] in dr.swot_data(p)["threats"]
    # never answered; and a pack without surveys says nothing of it
    never = make_plan(dict(p.account))
    assert dict(dr.risk_items(never))["survey gap"].startswith("no survey answered on record")
    none = make_plan(dict(p.account))
    none.has["surveys"] = False
    assert "survey gap" not in dict(dr.risk_items(none))
    # answered within the year: no gap
    assert "survey gap" not in dict(dr.risk_items(make_plan()))


def test_a_role_the_manager_names_and_no_contact_holds_is_a_relationship_gap():
    contacts = {"account_id": ["A1"] * 2, "name": ["Eva Roth", "Jan Ek"],
                "role": ["Chief Information Officer", "Finance Director"],
                "influence": [4, 3], "attitude": ["supporter", "detractor"],
                "senior": [True, True], "days": [10, 20]}  # fmt: skip
    inputs = {"deal_preparation": "Decision by the CIO with the CFO and the CEO; CTOs excluded."}
    p = make_plan({"contacts": 2, "supporters": 1}, inputs=inputs, contacts=contacts)
    assert dr.missing_roles(p) == ["CEO"]  # the CIO and CFO are on record in full words
    assert (
        "relationship gap",
        "the plan counts on the CEO, who is not among the contacts on record",
    ) in (dr.risk_items(p))
    assert "Meet the CEO and add them to the contacts" in list(dr.suggested_actions(p)["action"])
    # every detractor is a weakness, by name and role
    assert (
        "1 detractor among the contacts: Jan Ek (Finance Director)"
        in (dr.swot_data(p)["weaknesses"])
    )
    assert dr.missing_roles(make_plan(contacts=contacts)) == []  # no text names a role


def test_a_price_rise_says_why_it_is_fair_and_waits_for_the_renewal_and_the_service_fix():
    acc = {"better_action": "price", "price_increase": 5_400.0, "package_saving": 0.0,
           "price_after_package": 5_400.0, "price_after_package_pct": 0.054, "price_steps": 1,
           "target_margin": 0.046, "net_contribution": -600.0, "net_margin": -0.006,
           "discount": 0.413}  # fmt: skip
    p = make_plan(acc, {"discount": 0.381})
    ((action, why, _),) = dr._profit_actions(p)
    assert action == "Raise net prices +5.4 % in one year"
    assert why.startswith(
        "its discount off list, 41.3 %, is above its segment's median account's 38.1 %: the "
        "rise stays within that gap (+5.5 %); it brings it to 4.6 %, the net margin of its "
        "segment's accounts taken together"
    )
    d = dr.dated_actions(p)
    assert d.loc[d["action"] == action, "due"].item() == "at the next renewal"
    assert dr._fix(p) == (
        "prices +5.4 % in one year add €5.4 k a year, which brings it to 4.6 %, the net margin of "
        "its segment's accounts taken together (its median account earns 25.0 %, its larger "
        "accounts less)"
    )
    gap = {"account_id": ["A1"], "element": ["support"], "importance": [5.0],
           "satisfaction": [2.0]}  # fmt: skip
    assert dr._profit_actions(make_plan(acc, {"discount": 0.50}, ratings=gap))[0][1].startswith(
        "asked on the value delivered"
    )
    assert dr._profit_actions(make_plan(acc, ratings=gap))[0][1].endswith(
        "; ask it once our delivery of support is fixed (it rates it 5 of 5 in importance, our "
        "delivery 2 of 5)"
    )


def test_a_loss_maker_reviews_its_costliest_services_before_any_new_product():
    acc = {"net_contribution": -20_000.0, "net_margin": -0.2}
    ws = {"account_id": ["A1"], "product": ["IoT"], "adoption": [0.6], "value": [9_000.0],
          "in_pipeline": [False]}  # fmt: skip
    p = make_plan(acc, whitespace=ws)
    p.activities = pd.DataFrame({"account_id": ["A1"] * 3,
                                 "activity": ["support_ticket", "visit", "training_day"],
                                 "quantity": [400, 20, 2],
                                 "cost": [14_000.0, 9_000.0, 1_800.0]})  # fmt: skip
    s = dr.suggested_actions(p)
    assert "Propose IoT" not in list(s["action"])
    why = s.loc[s["action"] == "Review with operations what drives its cost-to-serve", "why"]
    assert why.item() == (
        "support tickets and visits, 93 % of its €25 k cost-to-serve; 400 support tickets a year "
        "(€14 k) and 20 visits a year (€9.0 k); agree how often and at what level it gets them"
    )
    # a small loss (2 % of revenue or less) keeps its growth proposals
    small = make_plan({"net_contribution": -1_500.0}, whitespace=ws)
    small.activities = p.activities
    assert "Propose IoT" in list(dr.suggested_actions(small)["action"])


def test_an_account_that_has_not_rated_us_gets_its_package_in_one_sentence():
    package = {"segment": ["S"] * 3, "element": ["support", "training", "finance"],
               "decision": ["included", "charged separately", "not offered"],
               "importance": [4.0, 3.0, 2.0]}  # fmt: skip
    p = make_plan(package=package)
    assert view.package_view(p).empty  # no table of n/a
    assert view.package_empty(p) == (
        "The account has not rated our service itself: its segment's package (service model) "
        "charges separately for training and does not offer finance; the rest is included."
    )
    own = {"account_id": ["A1"], "element": ["support"], "importance": [5.0],
           "satisfaction": [3.0]}  # fmt: skip
    v = view.package_view(make_plan(package=package, ratings=own))
    assert len(v) == 3 and v["importance here"].iloc[0] == 5.0


def test_a_return_on_an_investment_for_deals_not_in_the_pipeline_says_it_is_provisional():
    acc = {"target_12m": 110_000.0, "target_24m": 121_000.0, "target_36m": 133_100.0,
           "target_growth": 0.10, "target_basis": "growth", "package_change": np.nan,
           "estimated_wallet": np.nan}  # fmt: skip
    inputs = {"ongoing_projects": "Managed network tender", "investment_amount": "60000"}
    v = view.investment_view(make_plan(acc, inputs=inputs))
    later = v.set_index("")
    assert later.loc["net return", "per year"] == "−€56 k"  # on the target as counted
    assert "leaves out the ongoing projects named in this plan" in later.loc["net return", "how"]
    assert later.loc["return on investment", "how"] == "provisional, for the same reason"
    # once a deal is on record, the return is stated
    opp = {"account_id": ["A1"], "opportunity_id": ["O1"], "product": ["Network"],
           "stage": ["proposal"], "amount": [50_000.0], "probability": [0.5],
           "weighted": [25_000.0], "expected_close": pd.to_datetime(["2027-01-31"])}  # fmt: skip
    v = view.investment_view(make_plan(acc, inputs=inputs, opportunities=opp))
    assert (
        v.loc[v[""] == "return on investment", "how"].item() != "provisional, for the same reason"
    )


def test_the_index_states_the_target_rules_once():
    from kamlib.run.plans import targets_rule

    rule = targets_rule(0.08)
    assert "management's 8 % a year" in rule and "more than 2 % of its revenue" in rule
    assert "half of it" in rule and "estimated wallet" in rule


def test_a_package_move_that_saves_less_than_the_service_it_lacks_waits_for_the_fix():
    ratings = {"account_id": ["A1"], "element": ["technical support"], "importance": [5.0],
               "satisfaction": [2.0]}  # fmt: skip
    acc = {"better_action": "package", "package_saving": 5_200.0, "price_increase": 0.0,
           "package_lift": 8_100.0, "package_affordable": True}  # fmt: skip
    p = make_plan(acc, ratings=ratings)
    ((action, why, _),) = dr._profit_actions(p)
    assert action == "Fix technical support before any package move"
    assert why == (
        "its segment's package would save €5.2 k a year, but bringing it up to the segment's "
        "level where it is short (technical support) costs €8.1 k: fix that service first, then "
        "review the package"
    )
    assert dr._fix(p) == why  # the summary says the same
    # a lift smaller than the saving: the move stands
    cheap = make_plan({**acc, "package_lift": 1_000.0}, ratings=ratings)
    assert dr._profit_actions(cheap)[0][0].startswith("Move the account to its segment's")


def test_the_identity_says_an_override_in_words_and_the_orientation_once():
    from kamlib.core.notes import note

    why = note("seg.reason.override", before="Core", after="Tier 3", by="Katrin Vogel (CSO)",
               reason="Strategic innovation partner.")  # fmt: skip
    p = make_plan({"reason": why, "orientation": "loyalty"})
    assert view._why_key(p) == "decided by Katrin Vogel (CSO), as Strategic innovation partner"
    facts = view.header_facts(p)
    assert "Buyer orientation" not in facts  # "Tier 1 · partner (loyalty)" says it
    assert "Buyer orientation" in view.header_facts(make_plan({"orientation": "price"}))


def test_the_nps_chart_runs_to_the_data_date_so_silence_shows():
    import numpy as np

    from kamlib.report import plan_charts

    nps = pd.DataFrame({"account_id": ["A1"], "quarter": pd.to_datetime(["2025-03-31"]),
                        "respondents": [4], "nps": [-50.0], "csat": [3.0]})  # fmt: skip
    chart = plan_charts.nps_history(nps, 3, dt.date(2026, 9, 30))
    right = np.datetime64(int(chart.axes[0].xlim[1]), "D")
    assert right == np.datetime64("2026-09-30")


def test_a_price_rise_waits_for_a_deal_about_to_close():
    acc = {"better_action": "price", "price_increase": 5_400.0, "package_saving": 0.0,
           "price_after_package": 5_400.0, "price_after_package_pct": 0.054, "price_steps": 1,
           "target_margin": 0.046, "net_contribution": -600.0}  # fmt: skip
    opp = {"account_id": ["A1", "A1"], "opportunity_id": ["O1", "O2"],
           "product": ["Mobile", "IoT"], "stage": ["negotiation", "proposal"],
           "amount": [146_000.0, 20_000.0], "probability": [0.7, 0.2],
           "weighted": [102_200.0, 4_000.0],
           "expected_close": pd.to_datetime(["2026-12-09", "2028-01-31"])}  # fmt: skip
    why = dr._price_why(make_plan(acc, opportunities=opp))
    assert why.endswith("; not before the €146 k Mobile deal closes (9 Dec 2026)")
    # an opportunity below even odds is advanced (it is at the proposal), not closed
    s = dr.suggested_actions(make_plan(acc, opportunities=opp))
    assert {"Close the €146 k Mobile deal", "Advance the €20 k IoT opportunity"} <= set(s["action"])
    early = dr.suggested_actions(
        make_plan(acc, opportunities={**opp, "stage": ["negotiation", "qualify"]})
    )
    assert "Qualify the €20 k IoT opportunity" in set(early["action"])  # not yet qualified
    order = list(s["action"])  # the deals first, then the price rise
    assert order.index("Raise net prices +5.4 % in one year") > order.index(
        "Close the €146 k Mobile deal"
    )
    assert dr._plural("field engineer dispatch") == "field engineer dispatches"


def test_the_summary_puts_the_managers_agreed_actions_before_the_suggested_ones():
    inputs = {"action_plan": "Workshop | AM | 2026-11-15 | planned\nPilot | SA | 2027-01-31 | done"}
    text = view.next_steps(make_plan({"contacts": 0}, inputs=inputs))
    assert text.startswith("**Agreed with the account manager:** Workshop, 15 Nov 2026.")
    assert "Map the stakeholders" in text  # then what the data suggests
