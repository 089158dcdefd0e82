"""Lost accounts: the churn table's events, in the segmentation, the KPIs and the plans."""

from __future__ import annotations

import pandas as pd
import pytest

from kamlib.intake.engagement import open_engagement
from kamlib.intake.scenarios import Scenario, write_scenario
from kamlib.method import kpi_review as kr
from kamlib.method import plan_book, segmentation
from kamlib.method.churn import lost_accounts
from kamlib.report.words import say


def test_an_account_is_lost_once_recorded_and_silent_since():
    churn = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2026-06-30", "2026-03-31", "2025-01-31"]),
            "reason": ["moved to competitor", None, "closed"],
        }
    )
    rev = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2026-06-01", "2026-08-01", "2024-12-01"]),
            "amount": [10.0, 5.0, 1.0],
        }
    )
    lost = lost_accounts(churn, rev, "2026-09-30").set_index("account_id")
    assert sorted(lost.index) == ["a", "c"]  # b bought again after its recorded date
    assert lost.loc["a", "reason"] == "moved to competitor"
    recent = lost_accounts(churn, rev, "2026-09-30", since="2025-09-30")
    assert list(recent["account_id"]) == ["a"]
    assert lost_accounts(None, rev, "2026-09-30").empty


def test_a_lost_account_counts_as_churned_in_logo_retention_only():
    start, end = pd.Series({"a": 10.0, "b": 10.0}), pd.Series({"a": 12.0, "b": 5.0})
    r = kr.retention(start, end, lost={"b"})
    assert r["logo_retention"] == 0.5  # b left during the window, though it bought before
    assert r["nrr"] == pytest.approx(17 / 20) and r["grr"] == pytest.approx(15 / 20)


def test_a_lost_key_account_is_no_candidate_and_its_plan_says_so(tmp_path):
    # in the scenario, C-10013 is kept key by an override, but the churn table records it
    # as lost to a competitor at the end of June 2026
    eng = write_scenario(Scenario(months=13, currency="GBP", programme="after"), tmp_path / "s")
    seg = segmentation.segment(open_engagement(eng))
    a = seg.accounts.set_index("account_id")
    assert pd.notna(a.loc["C-10013", "lost_on"]) and not a.loc["C-10013", "candidate"]
    assert say(a.loc["C-10005", "reason"]).startswith("Lost on 30 September 2025")
    from kamlib.report import plan as pr

    p = plan_book.plan(plan_book.open_book(str(eng)), "C-10013")
    assert pr.risk_items(p)[0][0] == "lost"
    assert "win-back" in pr.summary_text(p) and "still to find" not in pr.summary_text(p)
    assert pr.suggested_actions(p)["action"].iloc[0] == "Decide whether to win the account back"
