"""The scenario matrix: every step run end to end on synthetic packs shaped like real
clients' data (short history, no costs, other currencies, tiny accounts, a programme
before the data or not started yet), and the rendered deliverables checked for every
sentence the data cannot support (:func:`kamlib.scenarios.check_deliverables`)."""

from __future__ import annotations

import pytest

from kamlib import runner
from kamlib.scenarios import Scenario, check_deliverables, write_scenario

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
    result = runner.run_engagement(folder, reports=tmp_path / "reports", pdf=False)
    assert not result.failed_plans
    problems = check_deliverables(result.latest, scenario)
    assert not problems, "\n".join(problems)
