"""Benchmark: the scenario matrix at full size, with the large consumer-like pack.

    .venv/bin/python benchmarks/scenarios.py [--accounts 20000] [--pdf] [--only NAME ...]

``make test`` runs every step on small scenario packs (tests/test_scenarios.py). This
script runs the same matrix plus the packs too large for the test suite, first of all a
consumer-like client: 20,000 tiny accounts over 18 months, no cost of goods, no
activities, no products, no ratings, in US dollars. For each scenario it prints the time
to generate the pack and to run the whole engagement, the number of key accounts and
plans, and every sentence the deliverables state that the data cannot support
(:func:`kamlib.intake.scenarios.check_deliverables`). A benchmark, not a test: it prints figures
and asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from kamlib.intake.scenarios import Scenario, check_deliverables, write_scenario  # noqa: E402
from kamlib.run import runner  # noqa: E402


def large(accounts: int) -> list[Scenario]:
    """The packs too large for ``make test``."""
    return [
        Scenario(accounts=accounts, months=18, currency="USD", tiny=True, cost=False,
                 activities=False, products=False, ratings=False, list_amount=False),
        Scenario(accounts=accounts // 4, months=27, currency="USD", activities=False,
                 list_amount=False, ratings=False),
    ]  # fmt: skip


def main() -> None:
    from test_scenarios import MATRIX

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20_000, help="size of the large pack")
    ap.add_argument("--pdf", action="store_true", help="also print the PDFs")
    ap.add_argument("--only", nargs="*", help="scenario names (default: all)")
    args = ap.parse_args()
    matrix = [*MATRIX, *large(args.accounts)]
    if args.only:
        matrix = [s for s in matrix if s.name in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        for s in matrix:
            t0 = time.perf_counter()
            folder = write_scenario(s, Path(tmp) / s.name)
            t1 = time.perf_counter()
            result = runner.run_engagement(
                folder, runner.RunOptions(reports=Path(tmp) / "reports", pdf=args.pdf)
            )
            t2 = time.perf_counter()
            plans = [p for p in (result.latest / "plans").glob("*.html") if p.name != "index.html"]
            problems = check_deliverables(result.latest, s)
            print(
                f"{s.name:<72} {s.accounts:>6} accounts  pack {t1 - t0:5.1f} s  "
                f"run {t2 - t1:6.1f} s  {len(plans):>4} plans  "
                f"{'ok' if not problems else f'{len(problems)} problems'}",
                flush=True,
            )
            for p in problems:
                print("    " + p)


if __name__ == "__main__":
    main()
