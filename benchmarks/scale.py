"""Benchmark: a large client's engagement, against the same questions asked of its data
directly.

    .venv/bin/python benchmarks/scale.py [--accounts 100000] [--seed 42] [--packs DIR]
                                         [--no-run] [--no-pdf] [--run-only]

Generates the demo client with ``--accounts`` business customers as Parquet (once: kept
in ``--packs``, by default a folder in the system's temporary folder), then prints

1. **compute**: each step's results through kamlib's own functions, in one process (read
   and validate the pack, data review, segmentation, service model, profitability, KPI
   review) and the two large workbooks (segmentation and profitability, one row per
   account), with the process's peak memory;
2. **direct**: the same questions asked of the same Parquet files with Polars (read and
   check, monthly totals and duplicates, the financial screen, cost-to-serve per account,
   trailing-12-month revenue at each period end and the screen at each cohort date),
   in another process;
3. the **ratio** of each step to its direct answer, and of the whole compute;
4. **the whole engagement**: ``kam run`` of steps 0-3 and 5 (HTML, PDF unless
   ``--no-pdf``, workbooks; plans and the deck excluded), its time per step and the peak
   memory of all its processes (runner, kernels, browser).

A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STEPS = ["data_review", "segmentation", "service_model", "profitability", "kpi_review"]
#: which direct answers each kamlib step is measured against
COUNTERPARTS = {
    "open (read + validate)": ["read", "check"],
    "data review": ["monthly totals and duplicates"],
    "segmentation": ["screen", "cost to serve"],
    "profitability": ["screen", "cost to serve"],
    "KPI review": ["trailing windows", "cohort screens"],
}


def pack_for(accounts: int, seed: int, packs: Path) -> tuple[Path, float | None]:
    """The demo engagement of ``accounts`` customers (generated once); the seconds it
    took to generate now, None when it was there."""
    folder = packs / f"demo-{accounts}-{seed}"
    if (folder / "engagement.yml").is_file() and (folder / "pack" / "revenue.parquet").is_file():
        return folder, None
    t0 = time.perf_counter()
    subprocess.run(
        [str(BIN / "kam"), "demo", "--accounts", str(accounts), "--seed", str(seed),
         "--format", "parquet", "--out", str(folder), "--no-run"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder, time.perf_counter() - t0


def _timed(out: dict, name: str, fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    out[name] = round(time.perf_counter() - t0, 2)
    return value


def compute(engagement: Path) -> dict:
    """Every step's results through kamlib, one process; seconds per step and peak GB."""
    from kamlib.intake import checks
    from kamlib.intake.engagement import open_engagement
    from kamlib.method import kpi_review, review
    from kamlib.method import profitability as pf
    from kamlib.method import segmentation as sg
    from kamlib.method import service_model as sm
    from kamlib.report import profitability as pfv
    from kamlib.report import segmentation as sgv

    t: dict[str, float] = {}
    e = _timed(t, "open (read + validate)", open_engagement, engagement)
    cfg, pack = e.config, e.pack
    months, dr = cfg.method.trailing_months, cfg.method.data_review

    def data_review():
        found = checks.analysis_findings(pack, cfg.as_of, months, dr.outlier_change, dr.examples)
        return review.headline(pack, pack.findings + found, cfg.as_of, months)

    _timed(t, "data review", data_review)
    seg = _timed(t, "segmentation", sg.segment, e)
    model = _timed(t, "service model", sm.analyse, e, seg)
    prof = _timed(t, "profitability", pf.analyse, e, seg, model)
    _timed(t, "KPI review", kpi_review.analyse, e, seg)
    with tempfile.TemporaryDirectory() as out:
        _timed(t, "workbook: segmentation", sgv.export, out, seg)
        _timed(t, "workbook: profitability", pfv.export, out, prof)
    rows = len(seg.accounts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"seconds": t, "peak_gb": round(peak, 2), "accounts": rows}


def direct(engagement: Path) -> dict:
    """The same questions asked of the Parquet files with Polars; seconds per question."""
    import polars as pl
    import yaml

    cfg = yaml.safe_load((engagement / "engagement.yml").read_text())
    as_of = dt.date.fromisoformat(str(cfg["as_of"]))
    pack = engagement / "pack"
    t: dict[str, float] = {}

    def read():
        def table(name):
            df = pl.read_parquet(pack / f"{name}.parquet")
            if "date" not in df.columns:
                return df
            day = pl.col("date").str.strip_chars()  # a month "2026-09" is its first day
            day = pl.when(day.str.len_chars() == 7).then(day + "-01").otherwise(day)
            return df.with_columns(day.str.to_date("%Y-%m-%d", strict=False).alias("date"))

        names = ("accounts", "revenue", "activities", "activity_rates", "churn", "surveys",
                 "service_ratings", "opportunities")  # fmt: skip
        return {n: table(n) for n in names}

    d = _timed(t, "read", read)
    acc, rev, act = d["accounts"], d["revenue"], d["activities"]

    def check():
        ids = acc["account_id"]
        return {
            "duplicate ids": int(ids.is_duplicated().sum()),
            "unknown accounts": sum(d[n].join(acc, on="account_id", how="anti").height
                                    for n in ("revenue", "activities", "churn", "surveys")),
            "missing": int(rev.null_count().sum_horizontal()[0]),
            "not finite": rev.filter(~pl.col("amount").is_finite()).height,
        }  # fmt: skip

    _timed(t, "check", check)

    def monthly():
        m = rev.group_by(pl.col("date").dt.truncate("1mo")).agg(pl.col("amount").sum())
        dups = rev.select(["account_id", "date", "product", "amount"]).is_duplicated().sum()
        return m.height, dups

    _timed(t, "monthly totals and duplicates", monthly)

    def screen(at: dt.date):
        start, prior = _months_back(at, 12), _months_back(at, 24)
        w = rev.filter((pl.col("date") > prior) & (pl.col("date") <= at))
        now = pl.col("date") > start
        return w.group_by("account_id").agg(
            pl.col("amount").filter(now).sum().alias("revenue"),
            pl.col("amount").filter(~now).sum().alias("prior_revenue"),
            (pl.col("amount") - pl.col("cost")).filter(now).sum().alias("gross_profit"),
            pl.col("list_amount").filter(now).sum().alias("list"),
        )

    _timed(t, "screen", screen, as_of)

    def cost_to_serve():
        w = act.filter(pl.col("date") > _months_back(as_of, 12))
        cost = w.join(d["activity_rates"], on="activity").with_columns(
            (pl.col("quantity") * pl.col("unit_cost")).alias("cost")
        )
        return cost.pivot("activity", index="account_id", values="cost", aggregate_function="sum")

    _timed(t, "cost to serve", cost_to_serve)

    ends = _quarter_ends(as_of, 8)

    def windows():
        dates = sorted(set(ends) | {_months_back(e, 12) for e in ends})
        m = rev.group_by("account_id", pl.col("date").dt.month_end().alias("m")).agg(
            pl.col("amount").sum()
        )
        return [m.filter((pl.col("m") > _months_back(e, 12)) & (pl.col("m") <= e))
                .group_by("account_id").agg(pl.col("amount").sum()) for e in dates]  # fmt: skip

    _timed(t, "trailing windows", windows)
    _timed(t, "cohort screens", lambda: [screen(_months_back(e, 12)) for e in ends[-5:]])
    return {"seconds": t}


def _months_back(day: dt.date, months: int) -> dt.date:
    """The month end ``months`` before the month end ``day`` (period ends are month ends)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    first_next = dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _quarter_ends(as_of: dt.date, n: int) -> list[dt.date]:
    last = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)
    if _months_back(last, -3) <= as_of:
        last = _months_back(last, -3)
    return [_months_back(last, 3 * i) for i in range(n - 1, -1, -1)]


class _PeakRss:
    """The largest memory the process tree of ``pid`` reaches (sampled): resident in all,
    and held (what the processes allocated: resident less the files they map, such as the
    pack's columns kept in files, which the system drops and reads again when memory is
    wanted)."""

    def __init__(self, pid: int, every: float = 0.2):
        import psutil

        self.proc, self.every, self.peak, self.held = psutil.Process(pid), every, 0, 0
        self.by_kind: dict[str, int] = {}  # the largest held memory of each kind of process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @staticmethod
    def _held(pid: int) -> int:
        """Anonymous and shared-memory resident bytes of ``pid`` (``/proc``; 0 elsewhere)."""
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0
        kb = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in text.splitlines())
              if k in ("RssAnon", "RssShmem")}  # fmt: skip
        return 1024 * sum(kb.values())

    def _watch(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = held = 0
            kinds: dict[str, int] = {}
            try:
                for p in [self.proc, *self.proc.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                        mine = self._held(p.pid)
                        held += mine
                        kind = _kind(p)
                        kinds[kind] = kinds.get(kind, 0) + mine
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak, self.held = max(self.peak, total), max(self.held, held)
            for kind, n in kinds.items():
                self.by_kind[kind] = max(self.by_kind.get(kind, 0), n)
            time.sleep(self.every)

    def stop(self) -> tuple[float, float]:
        """Peak resident and peak held memory, GB."""
        self._stop.set()
        self._thread.join()
        return self.peak / 1024**3, self.held / 1024**3


def _kind(p) -> str:
    """Which part of a run a process is: the runner, a kernel, the browser, or other."""
    line = " ".join(p.cmdline()[:3])
    if "chrom" in line:
        return "browser"
    if "ipykernel" in line:
        return "kernel"
    return "runner" if "kam" in line else "other"


def whole_run(engagement: Path, pdf: bool) -> dict:
    """``kam run`` of steps 0-3 and 5 into a temporary reports folder."""
    with tempfile.TemporaryDirectory() as reports:
        cmd = [str(BIN / "kam"), "run", str(engagement), "--reports", reports,
               *(["--pdf"] if pdf else ["--no-pdf"])]  # fmt: skip
        for s in STEPS:
            cmd += ["--only", s]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        watch = _PeakRss(proc.pid)
        log, _ = proc.communicate()
        took, (peak, held) = time.perf_counter() - t0, watch.stop()
        if proc.returncode:
            return {"failed": log[-2000:]}
        manifest = json.loads(next(Path(reports).glob("*/latest/manifest.json")).read_text())
    steps = {s["step"]: (s["execute_seconds"], s["render_seconds"]) for s in manifest["steps"]}
    kinds = {k: round(v / 1024**3, 2) for k, v in sorted(watch.by_kind.items())}
    return {"seconds": round(took, 1), "peak_gb": round(peak, 2), "held_gb": round(held, 2),
            "held_by_kind": kinds, "steps": steps}  # fmt: skip


def _child(part: str, engagement: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--part", part, "--engagement", str(engagement)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(
    accounts: int, made: float | None, c: dict | None, d: dict | None, run: dict | None
) -> None:
    print(f"\n{accounts:,} accounts · {platform.node()} · {os.cpu_count()} CPUs")
    if made is not None:
        print(f"demo pack generated in {made:.1f} s")
    if c is not None and d is not None:
        _report_compute(c, d)
    _report_run(run)


def _report_compute(c: dict, d: dict) -> None:
    print(f"\n{'kamlib step':<26}{'s':>8}  {'direct (Polars)':<40}{'s':>7}{'ratio':>8}")
    dsec = d["seconds"]
    total_k = total_d = 0.0
    for step, parts in COUNTERPARTS.items():
        k = c["seconds"][step]
        dd = sum(dsec[p] for p in parts)
        total_k, total_d = total_k + k, total_d + dd
        print(f"{step:<26}{k:>8.2f}  {' + '.join(parts):<40}{dd:>7.2f}{k / dd:>7.1f}x")
    k = c["seconds"]["service model"]
    total_k += k
    print(f"{'service model':<26}{k:>8.2f}  {'(ratings of a few hundred contacts)':<40}")
    print(f"{'compute, all steps':<26}{total_k:>8.2f}  {'direct, all questions':<40}"
          f"{total_d:>7.2f}{total_k / total_d:>7.1f}x   (goal <= 3x)")  # fmt: skip
    for name in ("workbook: segmentation", "workbook: profitability"):
        print(f"{name:<26}{c['seconds'][name]:>8.2f}  ({c['accounts']:,} rows; goal <= 5 s)")
    print(f"peak memory, compute process: {c['peak_gb']:.2f} GB")


def _report_run(run: dict | None) -> None:
    if run is None:
        return
    if "failed" in run:
        print(f"\nkam run failed:\n{run['failed']}")
        return
    print(f"\nkam run, steps 0-3 and 5: {run['seconds']:.1f} s (goal <= 60 s), "
          f"peak memory of all its processes {run['peak_gb']:.2f} GB (goal <= 2.5 GB); "
          f"held {run['held_gb']:.2f} GB (not counting the pack's files they map)")  # fmt: skip
    each = ", ".join(f"{k} {v:.2f} GB" for k, v in run["held_by_kind"].items())
    print(f"  held at most, by kind of process: {each}")
    for step, (ex, rd) in run["steps"].items():
        print(f"  {step:<16} execute {ex:6.1f} s   render {rd:6.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--packs", type=Path, default=Path(tempfile.gettempdir()) / "kam-scale")
    ap.add_argument("--no-run", action="store_true", help="skip the whole `kam run`")
    ap.add_argument("--no-pdf", action="store_true", help="`kam run` without PDFs")
    ap.add_argument("--run-only", action="store_true",
                    help="only the whole `kam run` (a million accounts: the in-process "
                    "compute alone takes a quarter of an hour)")  # fmt: skip
    ap.add_argument("--part", choices=["compute", "direct"], help=argparse.SUPPRESS)
    ap.add_argument("--engagement", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.part:  # a measured part, in its own process: its figures as one line of JSON
        print(json.dumps((compute if a.part == "compute" else direct)(a.engagement)))
        return
    engagement, made = pack_for(a.accounts, a.seed, a.packs)
    c, d = (
        (None, None)
        if a.run_only
        else (_child("compute", engagement), _child("direct", engagement))
    )
    run = None if a.no_run else whole_run(engagement, pdf=not a.no_pdf)
    report(a.accounts, made, c, d, run)


if __name__ == "__main__":
    main()
