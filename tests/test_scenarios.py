"""The scenario matrix: every step run end to end on synthetic packs shaped like real
clients' data (short history, no costs, other currencies, tiny accounts, a programme
before the data or not started yet), and the rendered deliverables checked for every
sentence the data cannot support (:func:`kamlib.intake.scenarios.check_deliverables`)."""

from __future__ import annotations

import pytest

from kamlib.intake.scenarios import Scenario, check_deliverables, write_scenario
from kamlib.run import runner

MATRIX = [
    # short history, another currency, consumer-like: no cost, activities, products, ratings
    Scenario(months=6, currency="USD", accounts=300, tiny=True, cost=False, activities=False,
             products=False, ratings=False, list_amount=False),
    # 13 months, pounds, a programme that has not started yet
    Scenario(months=13, currency="GBP", programme="after"),
    # 18 months, no cost of goods but the consultant's stated margin; no wallet estimates
    Scenario(months=18, currency="USD", cost=False, wallet=False, assumed_margin=0.3),
    # 24 months, Swiss francs, no cost-to-serve activities, no list prices, no products
    Scenario(months=24, currency="CHF", activities=False, list_amount=False, products=False),
    # full history, a programme started before the data, no surveys, contacts, opportunities
    Scenario(months=36, currency="EUR", programme="before", surveys=False, contacts=False,
             opportunities=False, service_ratings=False),
    # full history, no cost of goods and no stated margin: no line can be drawn
    Scenario(months=36, currency="SEK", cost=False),
]  # fmt: skip


@pytest.mark.parametrize("scenario", MATRIX, ids=[s.name for s in MATRIX])
def test_every_sentence_holds_on_the_scenario(scenario, tmp_path):
    folder = write_scenario(scenario, tmp_path / scenario.name)
    result = runner.run_engagement(
        folder, runner.RunOptions(reports=tmp_path / "reports", pdf=False)
    )
    assert not result.failed_plans
    problems = check_deliverables(result.latest, scenario)
    assert not problems, "\n".join(problems)


def test_the_checker_catches_what_it_is_for(tmp_path):
    """The invariants are not vacuous: a run folder that breaks each one is caught."""
    import pandas as pd

    from kamlib.core.excel import export_workbook

    s = Scenario(months=13, currency="USD", cost=False, products=False, programme="after")
    run = tmp_path / "run"
    (run / "plans").mkdir(parents=True)
    page = (
        "<html><body><h2>Executive summary</h2><p>It bought **$320 k** for €5; after $0 "
        "cost-to-serve, net margin 100.0 %.</p><h2>By size band</h2><h2>Risks</h2>"
        "<p>No whitespace: it buys everything.</p></body></html>"
    )
    (run / "03_profitability.html").write_text(page)
    (run / "05_kpi_review.html").write_text(
        '<html><body><h2>Scorecard</h2><span class="tag tag-rag-green">green</span></body></html>'
    )
    export_workbook(run / "05_kpi_review.xlsx", {
        "Scorecard": pd.DataFrame({"KPI (key accounts)": ["Net revenue retention"],
                                   "Status": ["green"]}),
        "KPIs per period": pd.DataFrame({"Net revenue retention": [4.09]}),
    })  # fmt: skip
    export_workbook(run / "01_segmentation.xlsx", {
        "Accounts": pd.DataFrame({"Class": ["Tier 1"], "Revenue growth": [3.09],
                                  "Gross profit": [100.0]}),
        "Sensitivity": pd.DataFrame({"Covers its cost": ["No"], "Line": ["recommended"]}),
    })  # fmt: skip
    found = "\n".join(check_deliverables(run, s))
    for expected in (
        "euros in a USD engagement",
        "Markdown or maths artefacts",
        "a missing cost shown as zero",
        "a margin without cost of goods",
        "'no whitespace' claimed without product data",
        "the heading 'By size band' has nothing under it",
        "RAG status without a baseline",
        "scored without 24 months behind the baseline",
        "retention or growth over a partial prior year",
        "01_segmentation.xlsx: growth over a partial prior year",
        "gross profit without cost of goods",
        "0 plans for 1 key accounts",
        "the recommended line does not pay",
    ):
        assert expected in found, expected
