"""Step 4 computations (partial: the plan's numbers) on hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib.intake import plan_inputs as pi
from kamlib.method import account_plan as ap
from kamlib.report.words import joined, say


def test_whitespace_values_missing_products_at_the_segment_median():
    pr = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c", "c", "d"],
            "product": ["Mobile", "Cloud", "Mobile", "Cloud", "Mobile", "Security", "Mobile"],
            "amount": [100.0, 40.0, 80.0, 60.0, 50.0, 5.0, 70.0],
        }
    )
    seg = pd.Series({"a": "S", "b": "S", "c": "S", "d": "S", "z": "T"})
    w = ap.whitespace(pr, seg, min_adoption=0.5)
    got = w.set_index(["account_id", "product"])
    # Cloud: 2 of 4 buy it (adoption 0.5), median spend 50 -> whitespace for c and d
    assert got.loc[("c", "Cloud"), "value"] == 50 and got.loc[("d", "Cloud"), "adoption"] == 0.5
    assert ("a", "Cloud") not in got.index  # a buys it already
    assert not (w["product"] == "Security").any()  # only 1 of 4: below min_adoption
    assert not (w["account_id"] == "z").any()  # nobody in T buys anything


def test_weighted_pipeline_counts_open_opportunities_only():
    o = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "b"],
            "amount": [100.0, 50.0, 999.0, 10.0],
            "probability": [0.4, 0.2, 1.0, np.nan],
            "status": ["open", "open", "won", "open"],
        }
    )
    p = ap.weighted_pipeline(o).set_index("account_id")
    assert p.loc["a", "open_opportunities"] == 2 and p.loc["a", "pipeline"] == 150
    assert p.loc["a", "weighted"] == pytest.approx(50)
    assert p.loc["b", "weighted"] == 0  # no probability: not counted as won


def test_target_cascade_and_reconciliation_with_the_pipeline():
    t = ap.targets(
        pd.Series({"a": 1000.0, "b": 200.0}), 0.1, [12, 24, 36], pd.Series({"a": 30.0, "b": 50.0})
    ).set_index("account_id")
    assert t.loc["a", "target_12m"] == pytest.approx(1100)
    assert t.loc["a", "target_24m"] == pytest.approx(1210)
    assert t.loc["a", "target_36m"] == pytest.approx(1331)
    assert t.loc["a", "from_pipeline"] == 30 and t.loc["a", "to_find"] == pytest.approx(70)
    # b's pipeline (50) exceeds the 20 increase: the target is covered, nothing to find
    assert t.loc["b", "from_pipeline"] == pytest.approx(20) and t.loc["b", "to_find"] == 0


def test_stakeholder_gaps():
    c = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c"],
            "name": ["A1", "A2", "B1", "B2", "C1"],
            "senior": [True, False, False, False, True],
            "attitude": ["supporter", "detractor", "neutral", "detractor", "neutral"],
            "influence": [5, 4, 3, 2, 5],
            "last_contact": pd.to_datetime(
                ["2026-09-01", "2026-09-20", "2026-09-01", "2026-08-01", "2026-01-01"]
            ),
        }
    )
    g = ap.stakeholder_gaps(c, "2026-09-30", stale_days=180).set_index("account_id")
    assert joined(g.loc["a", "gaps"]) == "1 influential detractor"
    assert joined(g.loc["b", "gaps"]) == "no senior contact on record; no supporter"
    assert g.loc["c", "days_since_senior"] == 272
    assert joined(g.loc["c", "gaps"]) == "senior contact not met for 272 days; no supporter"


def test_risk_signals_known_answers():
    idx = ["a", "b"]
    r = ap.risk_signals(
        revenue_now=pd.Series([90.0, 120.0], index=idx),
        revenue_before=pd.Series([100.0, 100.0], index=idx),
        margin_now=pd.Series([0.30, 0.40], index=idx),
        margin_before=pd.Series([0.35, 0.405], index=idx),
        nps_recent=pd.Series([10.0, 50.0], index=idx),
        nps_earlier=pd.Series([40.0, 45.0], index=idx),
        stale_senior=pd.Series([False, True], index=idx),
    ).set_index("account_id")
    assert joined(r.loc["a", "signals"]) == (
        "revenue −10.0 % on the prior 12 months; gross margin down 5.0 points; NPS down 30 points"
    )
    assert r.loc["a", "count"] == 3
    assert joined(r.loc["b", "signals"]) == "no recent senior contact" and r.loc["b", "count"] == 1


def test_shares_drafted_and_confirmed():
    s = ap.part_status({"challenges", "ongoing_projects"}, True, {"strengths", "weaknesses"})
    drafted, confirmed = ap.shares(s["status"])
    assert drafted == pytest.approx(3 / 9)  # baselines, relationship and growth
    assert confirmed == pytest.approx(1 / 8)  # baselines, of the 8 parts the manager writes


def test_inputs_workbook_round_trip(tmp_path):
    from openpyxl import load_workbook

    from kamlib.core.errors import DataPackError

    accounts = pd.DataFrame({"account_id": ["C-1", "C-2"], "account_name": ["Alpha", "=Beta"]})
    context = pd.DataFrame(
        {"account_id": ["C-1"], "field": ["strengths"], "text": ["3 supporters among 5 contacts"]}
    )
    existing = pd.DataFrame(
        {"account_id": ["C-2"], "field": ["challenges"], "text": ["Cost cutting"]}
    )
    path = pi.inputs_template(tmp_path / "inputs.xlsx", accounts, context, existing)
    wb = load_workbook(path)
    ws = wb["Plan inputs"]
    headers = [c.value for c in ws[1]]
    assert headers == pi.INPUT_COLUMNS
    assert ws.max_row == 1 + 2 * len(pi.PLAN_FIELDS)
    rows = {(r[0].value, r[2].value): r for r in ws.iter_rows(min_row=2)}
    assert rows[("C-1", "strengths")][4].value == "3 supporters among 5 contacts"
    assert rows[("C-2", "challenges")][5].value == "Cost cutting"  # kept from the pack
    assert rows[("C-2", "challenges")][1].data_type == "s"  # '=Beta' is text, not a formula
    rows[("C-1", "desired_solution")][5].value = "One managed network for all 14 sites"
    wb.save(path)
    back = pi.read_inputs(path, known_accounts={"C-1", "C-2"})
    assert back.sort_values("account_id").values.tolist() == [
        ["C-1", "desired_solution", "One managed network for all 14 sites"],
        ["C-2", "challenges", "Cost cutting"],
    ]
    ws["C2"].value = "hobbies"
    ws["F2"].value = "some text"
    wb.save(path)
    with pytest.raises(
        DataPackError,
        match="column 'field': 1 row names an unknown field "
        r"\(rows 2\)",
    ):
        pi.read_inputs(path)
    with pytest.raises(DataPackError, match="cannot be read as the plan inputs workbook"):
        pi.read_inputs(tmp_path / "nope.xlsx")
    (tmp_path / "damaged.xlsx").write_text("not a workbook")
    with pytest.raises(DataPackError, match="damaged.xlsx: cannot be read as the plan inputs"):
        pi.read_inputs(tmp_path / "damaged.xlsx")


def test_target_bridge_fills_pipeline_then_whitespace_and_checks_the_wallet():
    b = ap.target_bridge(1000.0, {12: 1100.0, 24: 1210.0, 36: 1331.0}, 40.0, 100.0, 1250.0)
    b = b.set_index("months")
    assert b.loc[12, ["pipeline", "whitespace", "to_find"]].tolist() == [40.0, 60.0, 0.0]
    assert b.loc[24, ["pipeline", "whitespace", "to_find"]].tolist() == pytest.approx(
        [40.0, 100.0, 70.0]
    )
    assert b.loc[24, "within_wallet"] and not b.loc[36, "within_wallet"]
    none = ap.target_bridge(100.0, {12: 90.0}, 5.0, 5.0)  # a shrinking target: nothing to do
    assert none.loc[0, ["increase", "pipeline", "to_find"]].tolist() == [0.0, 0.0, 0.0]
    assert none.loc[0, "within_wallet"] is None


def test_investment_return_line_by_line():
    r = ap.investment_return(2000.0, 2200.0, 0.3, 300.0, -50.0, 20.0).set_index("line")
    assert r.at["extra gross profit", "amount"] == pytest.approx(60.0)
    # the lines add up as printed: 300 today, 50 saved, 250 with the package
    assert r.at["change with package", "amount"] == pytest.approx(-50.0)
    assert r.at["cost-to-serve with package", "amount"] == pytest.approx(250.0)
    assert r.at["net return", "amount"] == pytest.approx(90.0)  # 60 + 50 - 20
    assert r.at["return on investment", "amount"] == pytest.approx(4.5)
    # no package priced: no change counted, and said; no investment planned yet: the return
    # is to complete, not the gross profit alone
    unknown = ap.investment_return(2000.0, 2200.0, 0.3, 300.0, None, None).set_index("line")
    assert np.isnan(unknown.at["change with package", "amount"])
    assert "no package cost" in say(unknown.at["change with package", "how"])
    assert np.isnan(unknown.at["net return", "amount"])
    assert np.isnan(unknown.at["return on investment", "amount"])
    no_package = ap.investment_return(2000.0, 2200.0, 0.3, 300.0, None, 20.0).set_index("line")
    assert no_package.at["net return", "amount"] == pytest.approx(40.0)  # 60 - 20
    # a price rise is gross profit in full: 200 of price, not 200 x 30 %
    price = ap.investment_return(2000.0, 2200.0, 0.3, 300.0, -50.0, 20.0, price_rise=200.0)
    assert price.set_index("line").at["extra gross profit", "amount"] == pytest.approx(200.0)
    assert "the price rise in full" in say(price.set_index("line").at["extra gross profit", "how"])


def test_part_status_says_what_is_missing():
    s = ap.part_status(
        {"challenges", "ongoing_projects", "client_value", "action_plan"},
        has_contacts=False,
        drafted={"strengths", "deal_preparation", "client_value"},
    )
    s = s.set_index("part")
    assert s.at["baselines", "status"] == "confirmed"
    assert s.at["client_value", "status"] == "confirmed"  # the manager's text wins
    assert s.at["action_plan", "status"] == "drafted"  # one field given, one drafted
    assert s.at["growth", "status"] == "from data"
    assert s.at["relationship", "missing"] == ["weaknesses", "contacts"]
    assert s.at["swot", "missing"] == ["opportunities", "threats"]
    assert ap.shares(s["status"])[0] == pytest.approx(4 / 9)


def test_plan_inputs_helpers():
    assert pi.parse_amount("EUR 1 250.50") == 1250.5 and pi.parse_amount("tbd") is None
    acts = pi.parse_actions("Workshop | Anna | 2026-11-15 | planned | agenda sent\n\n Call CFO ")
    assert acts.values.tolist() == [
        ["Workshop", "Anna", "2026-11-15", "planned | agenda sent"],
        ["Call CFO", "", "", ""],
    ]
    pack = pd.DataFrame(
        {"account_id": ["a", "a"], "field": ["challenges", "strengths"], "text": ["old", "s"]}
    )
    book = pd.DataFrame({"account_id": ["a"], "field": ["challenges"], "text": ["new"]})
    both = pi.combine(pack, book).set_index("field")["text"]
    assert both.to_dict() == {"strengths": "s", "challenges": "new"}
    assert pi.combine(None, None).empty


def test_amount_field_must_be_a_number(tmp_path):
    from kamlib.core.errors import DataPackError

    accounts = pd.DataFrame({"account_id": ["C-1"], "account_name": ["Alpha"]})
    path = pi.inputs_template(tmp_path / "in.xlsx", accounts)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["Plan inputs"]
    for r in ws.iter_rows(min_row=2):
        if r[2].value == "investment_amount":
            r[5].value = "about fifty"
            row = r[0].row
    wb.save(path)
    with pytest.raises(
        DataPackError, match=rf"investment_amount that is not a number \(rows {row}\)"
    ):
        pi.read_inputs(path)


def test_file_stem_is_safe_and_readable():
    from kamlib.run.plans import file_stem

    stem = file_stem("C-1/2", "Ærø & Co. — Nord")
    assert stem.startswith("C-1-2-") and stem.endswith("-r-co-nord")
    assert file_stem("X", "???") == "X"
    # one file per account: ids that differ only in characters a file name cannot hold
    ids = ["4711/01", "4711:01", "4711-01", "4711 01"]
    assert len({file_stem(i, "Stadtwerke Nord GmbH") for i in ids}) == len(ids)
    assert not file_stem("../../x", "x").startswith(".")  # never a hidden file
