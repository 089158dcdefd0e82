"""Step 4 computations (partial: the plan's numbers) on hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamlib import account_plan as ap


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
    assert g.loc["a", "gaps"] == "1 influential detractor(s)"
    assert g.loc["b", "gaps"] == "no senior contact; no supporter"
    assert g.loc["c", "days_since_senior"] == 272
    assert g.loc["c", "gaps"] == "senior contact not met for 272 days; no supporter"


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
    assert r.loc["a", "signals"] == (
        "revenue −10% on the prior 12 months; gross margin down 5.0 points; NPS down 30 points"
    ).replace("−", "-")
    assert r.loc["a", "count"] == 3
    assert r.loc["b", "signals"] == "no recent senior contact" and r.loc["b", "count"] == 1


def test_completeness_score():
    score, todo = ap.completeness({p: p in ("baselines", "growth", "risks") for p in ap.PARTS})
    assert score == pytest.approx(0.3)
    assert todo[0] == "relationship" and "sign_off" in todo


def test_inputs_workbook_round_trip(tmp_path):
    from openpyxl import load_workbook

    from kamlib.errors import DataPackError

    accounts = pd.DataFrame({"account_id": ["C-1", "C-2"], "account_name": ["Alpha", "=Beta"]})
    context = pd.DataFrame(
        {"account_id": ["C-1"], "field": ["strengths"], "text": ["3 supporters among 5 contacts"]}
    )
    existing = pd.DataFrame(
        {"account_id": ["C-2"], "field": ["challenges"], "text": ["Cost cutting"]}
    )
    path = ap.inputs_template(tmp_path / "inputs.xlsx", accounts, context, existing)
    wb = load_workbook(path)
    ws = wb["Plan inputs"]
    headers = [c.value for c in ws[1]]
    assert headers == ap.INPUT_COLUMNS
    assert ws.max_row == 1 + 2 * len(ap.PLAN_FIELDS)
    rows = {(r[0].value, r[2].value): r for r in ws.iter_rows(min_row=2)}
    assert rows[("C-1", "strengths")][4].value == "3 supporters among 5 contacts"
    assert rows[("C-2", "challenges")][5].value == "Cost cutting"  # kept from the pack
    assert rows[("C-2", "challenges")][1].data_type == "s"  # '=Beta' is text, not a formula
    rows[("C-1", "desired_solution")][5].value = "One managed network for all 14 sites"
    wb.save(path)
    back = ap.read_inputs(path, known_accounts={"C-1", "C-2"})
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
        ap.read_inputs(path)
    with pytest.raises(DataPackError, match="cannot be read as the plan inputs workbook"):
        ap.read_inputs(tmp_path / "nope.xlsx")
