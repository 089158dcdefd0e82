"""Benchmark: the account-plan batch against a consultant's naive loop.

    .venv/bin/python benchmarks/plans.py [--plans 100] [--naive 3] [--jobs N]
                                         [--scheduler local|tcp://HOST:8786]

Builds a demo engagement big enough for ``--plans`` key accounts (in a temporary
folder), times ``kam``'s batch on that many plans (HTML + PDF + index), then times the
naive loop on ``--naive`` of the same accounts, one after another:

    papermill 04_account_plan.ipynb out.ipynb -p account ID
    jupyter nbconvert --to html --no-input out.ipynb
    weasyprint out.html out.pdf

and prints plans per second for both, the CPU per plan (worker, kernel, browser), the PDF
engine and the ratio. The batch prints with Chromium's headless shell when it is
installed (`make setup`), else with WeasyPrint (``KAM_CHROMIUM=off`` forces it). A
benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def build_demo(folder: Path, plans: int) -> Path:
    """A demo engagement with at least ``plans`` key accounts (about 15 % of customers)."""
    accounts = max(300, plans * 11)  # about 9 % of the demo's customers are key accounts
    subprocess.run(
        [str(BIN / "kam"), "demo", "--accounts", str(accounts), "--out", str(folder), "--no-run"],
        check=True,
        capture_output=True,
    )
    return folder


def naive(engagement: Path, accounts: list[str], work: Path) -> float:
    """The consultant's loop: three command-line tools per plan, nothing kept warm."""
    nb = ROOT / "notebooks" / "04_account_plan.ipynb"
    t0 = time.perf_counter()
    for a in accounts:
        out = work / f"{a}.ipynb"
        run = dict(check=True, capture_output=True, cwd=ROOT / "notebooks")
        subprocess.run(
            [str(BIN / "papermill"), str(nb), str(out), "-p", "engagement", str(engagement),
             "-p", "account", a, "--no-progress-bar"],
            **run,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)], **run
        )
        subprocess.run(
            [str(BIN / "weasyprint"), str(out.with_suffix(".html")), str(out.with_suffix(".pdf"))],
            **run,
        )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plans", type=int, default=100, help="plans in the batch (default 100)")
    ap.add_argument("--naive", type=int, default=3, help="plans in the naive loop (default 3)")
    ap.add_argument("--jobs", type=int, default=None, help="batch workers (default: CPUs)")
    ap.add_argument(
        "--scheduler",
        default=None,
        help="run the batch on Dask: 'local' (a LocalCluster) or tcp://HOST:8786",
    )
    args = ap.parse_args()

    from kamlib.method.plan_book import open_book
    from kamlib.run.plans import BatchOptions, render_plans

    with tempfile.TemporaryDirectory(prefix="kam-bench-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        eng = build_demo(tmp / "bench", args.plans)
        print(f"demo engagement built in {time.perf_counter() - t:.1f} s: {eng}")
        book = open_book(str(eng))
        key = book.accounts.sort_values("revenue", ascending=False)["account_id"].tolist()
        sample = key[: args.plans]
        print(f"{len(key)} key accounts; batch on {len(sample)}, naive loop on {args.naive}")

        t = time.perf_counter()
        batch = render_plans(
            str(eng),
            tmp / "batch" / "plans",
            BatchOptions(accounts=tuple(sample), jobs=args.jobs, scheduler=args.scheduler),
        )
        total = time.perf_counter() - t  # the plans, then the index of every key account
        ok = len(batch.results) - len(batch.failed)
        cpu_w = sum(r.cpu.get("worker", 0) for r in batch.results) / max(ok, 1)
        cpu_k = sum(r.cpu.get("kernel", 0) for r in batch.results) / max(ok, 1)
        cpu_b = sum(r.cpu.get("browser", 0) for r in batch.results) / max(ok, 1)
        batch_rate = ok / total

        (tmp / "naive").mkdir()
        spread = sample[:: max(1, len(sample) // args.naive)][: args.naive]
        naive_s = naive(eng, spread, tmp / "naive")
        naive_rate = len(spread) / naive_s

        workers = args.jobs or os.cpu_count()
        lines = [
            "",
            f"machine      {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}",
            f"batch        {ok} plans (HTML + PDF) + index in {total:.1f} s with "
            f"{workers} workers ({args.scheduler or 'local Dask cluster'}); "
            f"{len(batch.failed)} failed",
            f"             the plans {batch.seconds:.1f} s (workers started, plans rendered), "
            f"the index of {len(key)} key accounts {total - batch.seconds:.1f} s",
            f"             {batch_rate:.2f} plans/s; PDFs by {' and '.join(batch.engines)}; "
            f"CPU per plan {cpu_w:.2f} s worker + {cpu_k:.2f} s kernel"
            + (f" + {cpu_b:.2f} s browser" if cpu_b else ""),
            f"naive loop   {len(spread)} plans in {naive_s:.1f} s: "
            f"{naive_s / len(spread):.1f} s per plan, {naive_rate:.2f} plans/s",
            f"ratio        {batch_rate / naive_rate:.1f}x the naive loop",
            f"100 plans    {100 / batch_rate:.0f} s at the batch's rate (goal: <= 30 s, >= 25x)",
        ]
        if "Chromium" not in batch.engines:
            lines.append("note         PDFs by WeasyPrint: " + (
                "; ".join(batch.notes) or "no Chromium found (make setup installs "
                "chromium-headless-shell; KAM_CHROMIUM=off also turns it off)"))  # fmt: skip
        print("\n".join(lines))


if __name__ == "__main__":
    main()
