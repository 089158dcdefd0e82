"""The plan batch: every key account's plan to HTML and PDF, fast, plus an index.

A naive loop starts a kernel, imports the stack, reads the data pack and recomputes
steps 1-3 for every plan, then starts nbconvert twice. Here:

* the parent computes the plan book once and saves it for the workers' kernels
  (:func:`kamlib.method.plan_book.save_book`; a kernel uses it only while the inputs match);
* the plans run on **Dask distributed** (:mod:`kamlib.run.cluster`): a LocalCluster of
  ``jobs`` worker processes, or a firm's scheduler; each worker starts **one kernel**
  for the batch and runs plan after plan in it through papermill's Python API (a custom
  engine that keeps the kernel and its client; the namespace is reset before each plan,
  modules and the book stay loaded);
* each worker renders its plans to HTML with one nbconvert exporter, and prints the
  PDFs with its own Chromium headless shell when there is one (:mod:`kamlib.render.chromium`:
  several times cheaper per page than WeasyPrint, same stylesheet), else WeasyPrint;
* a failing plan is reported and its executed notebook kept in ``failed/``; the others
  go on. A plan whose kernel dies (killed, out of memory) is run once more in a fresh
  kernel, and the plans of a worker that dies once more on a new worker, before they
  count as failed.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.paths import NOTEBOOKS
from .worker import (  # noqa: F401 - the batch's names, where callers find them
    GC_THRESHOLDS,
    KINDS,
    NOTEBOOK,
    PlanResult,
    PlanWorker,
    WorkerSetup,
    file_stem,
)

if TYPE_CHECKING:
    from ..intake.engagement import Engagement
    from .cluster import LocalStart


@dataclass
class PlanBatch:
    folder: Path
    results: list[PlanResult]
    seconds: float
    index: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. why Chromium was not used

    @property
    def failed(self) -> list[PlanResult]:
        return [r for r in self.results if not r.ok]

    @property
    def engines(self) -> list[str]:
        """The PDF engines the plans were printed with (normally one)."""
        return sorted({r.engine for r in self.results if r.ok and r.engine})


# --- the parent side -------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOptions:
    """How a plan batch runs.

    ``accounts`` limits it to these key accounts (ids or exact names; default: every key
    account); ``jobs`` is the number of workers (default: one per CPU); ``notebook``
    replaces the stock plan notebook (a client's own variant of it); ``chromium`` names
    the browser that prints the PDFs (default: ``$KAM_CHROMIUM`` or the first found, see
    :func:`kamlib.render.chromium.find`; ``"off"``: WeasyPrint); ``scheduler`` sends the
    batch to a Dask scheduler (``tcp://HOST:8786``, or ``local`` for a LocalCluster of
    ``jobs`` workers; default: ``$KAM_DASK_SCHEDULER``, else this machine's process pool),
    see :mod:`kamlib.run.cluster`.
    """

    accounts: tuple[str, ...] = ()
    jobs: int | None = None
    pdf: bool = True
    as_of: str = ""
    notebook: str | Path | None = None
    chromium: str | None = None
    fact_pack: bool = False  # the kick-off fact packs: the data's part of each plan
    scheduler: str | None = None


def render_plans(
    engagement: str | Path | Engagement,
    folder: str | Path,
    options: BatchOptions | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> PlanBatch:
    """Render the plans of the key accounts (or of ``options.accounts``) into ``folder``
    and write the index. Returns every plan's result; failures are in ``.failed``.

    ``engagement``: a reference, or the run's opened engagement (its pack is not read
    again; the workers' kernels get the plan book through a file)."""
    from ..core.errors import ConfigError
    from ..render.chromium import ChromiumError, find

    o = options or BatchOptions()
    try:
        browser = find(o.chromium) if o.pdf else None
    except ChromiumError as exc:
        raise ConfigError(str(exc)) from None
    t0 = time.perf_counter()
    folder = Path(folder)
    setup = _setup(engagement, folder, o, browser)
    # this machine's workers start their kernels and browsers while the book is computed
    jobs = max(1, o.jobs or os.cpu_count() or 1)
    started = _start_local(setup, min(jobs, len(o.accounts) or jobs), o.scheduler)
    results: list[PlanResult] = []
    try:
        book, key, ids = _book(engagement, o, setup, started)
        names = dict(zip(key["account_id"], key["account_name"], strict=True))
        # the index's shares: each plan's kernel sends its own; the other key accounts' are
        # computed here while the plans render
        batch_ids = set(ids)
        others = [a for a in key["account_id"] if a not in batch_ids]
        _import_in_this_thread()  # two threads importing the same modules can fail
        shares = _Background(plan_shares, book, o.fact_pack, others)
        if ids:  # no key accounts: an index that says so, and no plan to send
            _run_batch(ids, names, setup, min(jobs, len(ids)), results, progress, o.scheduler,
                       started)  # fmt: skip
        elif started is not None:
            started.close()
    finally:
        shutil.rmtree(setup.book_path.parent, ignore_errors=True)
    order = {a: i for i, a in enumerate(ids)}
    results.sort(key=lambda r: order[r.account_id])
    batch = PlanBatch(folder, results, time.perf_counter() - t0)
    batch.notes = sorted({r.note for r in results if r.note})
    # the index printed like the plans: by Chromium when they were
    printer = browser if not results or "Chromium" in batch.engines else None
    known = {**shares.result(), **{r.account_id: r.shares for r in results if r.shares}}
    missing = [a for a in key["account_id"] if str(a) not in known]  # failed plans'
    known.update(plan_shares(book, o.fact_pack, missing))
    batch.index = write_index(book, batch, o.pdf, o.fact_pack, known, printer)
    return batch


def _setup(
    engagement: str | Path | Engagement, folder: Path, o: BatchOptions, browser: str | None
) -> WorkerSetup:
    """What every worker is told: the batch's folders, the engagement, the notebook, the
    printer; the batch's work folder (the book's, and the browsers' profiles) made."""
    work = folder / ".work"
    work.mkdir(parents=True, exist_ok=True)
    return WorkerSetup(
        folder=folder,
        book_path=work / "book.pickle",
        engagement=str(_config_path(engagement)),
        as_of=o.as_of,
        log=folder.parent / "kernel.log" if folder.parent.exists() else work / "kernel.log",
        notebook=Path(o.notebook or NOTEBOOKS / NOTEBOOK),
        chromium=browser,
        pdf=o.pdf,
        fact_pack=o.fact_pack,
    )


def _book(
    engagement: str | Path | Engagement, o: BatchOptions, setup: WorkerSetup,
    started: LocalStart | None,
) -> tuple[Any, Any, list[str]]:  # fmt: skip
    """The plan book (saved where the workers read it), the key accounts by revenue and
    the ids to draft; a failure (or Ctrl-C) here takes the started workers down."""
    from ..method.plan_book import find_account, open_book, save_book

    try:
        book = open_book(engagement, o.as_of)
        key = book.accounts.sort_values("revenue", ascending=False)
        ids = [find_account(book, a) for a in o.accounts] if o.accounts else list(key["account_id"])
        save_book(book, setup.book_path)  # when it cannot be written, each kernel computes it
    except BaseException as exc:
        if started is not None:
            started.close(interrupted=isinstance(exc, KeyboardInterrupt))
        raise
    return book, key, list(dict.fromkeys(ids))


def _import_in_this_thread() -> None:
    """Import what :func:`plan_shares` needs before it runs in a thread: the batch's own
    thread imports the cluster's modules meanwhile, and Python's import locks let two
    threads importing the same package circularly see each other's half-made modules
    (``KeyError: 'IPython'`` from ``plan_shares``, once in a few batches)."""
    import kamlib.method.plan_book  # noqa: F401
    import kamlib.report.plan  # noqa: F401


class _Background:
    """``fn(*args)`` computed in a thread of its own (a daemon: an interrupted batch
    does not wait for it); :meth:`result` waits for it and raises what it raised."""

    def __init__(self, fn: Callable, *args) -> None:
        import threading

        self._out: list = []
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable, args: tuple) -> None:
        try:
            self._out.append((True, fn(*args)))
        except BaseException as exc:  # raised again in the caller's thread
            self._out.append((False, exc))

    def result(self):
        self._thread.join()
        ok, value = self._out[0]
        if not ok:
            raise value
        return value


def _config_path(engagement: str | Path | Engagement) -> Path:
    """The engagement's config file, for the workers (a bad reference stops the batch
    here, before any worker starts)."""
    from ..core.config import load_config

    if isinstance(engagement, str | Path):
        return load_config(engagement).path
    return engagement.config.path


def _start_local(setup: WorkerSetup, jobs: int, scheduler: str | None) -> LocalStart | None:
    """The local cluster, started now (None: the batch goes to a firm's cluster, which
    needs the book in its plugin)."""
    from .cluster import LocalStart, scheduler_address

    return LocalStart(setup, jobs) if scheduler_address(scheduler) == "local" else None


def _run_batch(
    ids: list[str],
    names: dict[str, str],
    setup: WorkerSetup,
    jobs: int,
    results: list[PlanResult],
    progress: Callable[[str], None],
    scheduler: str | None = None,
    started: LocalStart | None = None,
) -> None:
    """Every plan of ``ids`` into ``results``, on the Dask cluster ``scheduler`` names
    (default: a LocalCluster of ``jobs`` workers, see :mod:`kamlib.run.cluster`), or on
    the local cluster ``started`` while the book was computed."""
    from .cluster import dask_run, scheduler_address

    address = scheduler_address(scheduler)
    dask_run(ids, names, setup, jobs, address, results, progress, started)


#: A plan whose confirmed share reaches this is confirmed in full (rounding aside).
FULL = 0.995


def confirmed_in_full(shares: dict[str, tuple[float, float]]) -> int:
    """How many plans (:func:`plan_shares`) their managers have confirmed in full."""
    return sum(1 for _, confirmed in shares.values() if confirmed >= FULL)


def plan_shares(book, fact_pack: bool = False, ids=None) -> dict[str, tuple[float, float]]:
    """Per key account (or of ``ids``), the share of its plan drafted (from data or the
    manager) and the share confirmed by the manager: the plan's own parts, as the plan
    shows them (in a fact pack, from the data alone: nothing confirmed)."""
    from ..method.plan_book import plan
    from ..report.plan import shares_of

    out: dict[str, tuple[float, float]] = {}
    for aid in book.accounts["account_id"] if ids is None else ids:
        drafted, confirmed = shares_of(plan(book, aid, fact_pack))
        out[str(aid)] = (drafted, confirmed)
    return out


def index_frame(book, batch: PlanBatch, fact_pack: bool = False, shares: dict | None = None):
    """One row per key account for the index: tier, segment, revenue, target, the shares
    of its plan drafted and confirmed, health and the plan's files (present in the
    folder)."""
    import pandas as pd

    a = book.accounts.sort_values("revenue", ascending=False)
    shares = plan_shares(book, fact_pack) if shares is None else shares
    h = int(book.config.method.account_plan.horizons[0])
    status = {r.account_id: ("failed" if not r.ok else "rendered") for r in batch.results}
    stems = [file_stem(i, n) for i, n in zip(a["account_id"], a["account_name"], strict=True)]
    present = [(batch.folder / f"{s}.html").is_file() for s in stems]
    return pd.DataFrame(
        {
            "account_id": a["account_id"].to_numpy(),
            "account": a["account_name"].to_numpy(),
            "tier": a["class"].to_numpy(),
            "segment": a["segment"].to_numpy(),
            "manager": a["account_manager"].to_numpy() if "account_manager" in a else None,
            "revenue": a["revenue"].to_numpy(),
            "target": a[f"target_{h}m"].to_numpy(),
            "basis": a["target_basis"].to_numpy() if "target_basis" in a else None,
            "drafted": [shares[str(i)][0] for i in a["account_id"]],
            "confirmed": [shares[str(i)][1] for i in a["account_id"]],
            "health": a["health"].to_numpy(),
            "band": a["band"].to_numpy(),
            "stem": stems,
            "plan": [
                status.get(i, "rendered" if p else "not rendered")
                for i, p in zip(a["account_id"], present, strict=True)
            ],
        }
    )


#: How the index shows a plan's state to the client ("failed" is for the run's summary).
_PLAN_STATUS = {"rendered": "", "failed": "to follow", "not rendered": "not drafted yet"}


def _index_table(df, currency: str, h: int, fact_pack: bool = False) -> str:
    import html

    from ..core import fmt

    status = bool((df["plan"] != "rendered").any())
    # one unit for both columns: k while most accounts are below a million
    money = [*df["revenue"], *df["target"]]
    scale = "k" if len(df) and df["revenue"].median() < 1e6 else fmt.money_scale(money)
    rows = []
    for r in df.itertuples():
        name = html.escape(fmt.unbreakable_tail(fmt.shorten(r.account, 120)))
        link = f'<a href="{html.escape(r.stem)}.html">{name}</a>' if r.plan == "rendered" else name
        band = html.escape(str(r.band or ""))
        tag = f' <span class="tag tag-band-{band.replace(" ", "-")}">{band}</span>' if band else ""
        cells = [
            f"{link}<br><small>{html.escape(str(r.account_id))}</small>",
            _segment_cell(str(r.segment)),
            html.escape(str(r.manager or "")),
            f'<td class="num">{fmt.money(r.revenue, currency, scale=scale)}',
            f'<td class="num">{fmt.money(r.target, currency, scale=scale)}' + _target_note(r),
            f'<td class="num">{fmt.pct(r.drafted)}',
            *([] if fact_pack else [f'<td class="num">{fmt.pct(r.confirmed)}']),
            f"{fmt.count(r.health)}{tag}",
        ] + ([_PLAN_STATUS.get(r.plan, html.escape(r.plan))] if status else [])
        rows.append("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}" for c in cells))
    head = (
        "<th>Account</th><th>Segment (tier)</th><th>Manager</th>"
        f'<th class="num">Revenue</th><th class="num">Target in {h}&nbsp;months</th>'
        + (
            '<th class="num">Drafted from the data</th>'
            if fact_pack
            else '<th class="num">Drafted</th><th class="num">Confirmed</th>'
        )
        + "<th>Health</th>"
        + (f"<th>{KINDS[fact_pack][2].capitalize()}</th>" if status else "")
    )
    return (
        f'<div class="table-wrap"><table class="kam-table index"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _target_note(r: object) -> str:
    """Under a target that is not growth: an account breaking even first grows by its
    price step alone; one held flat says so."""
    from ..method import account_plan as ap

    basis, target, revenue = (getattr(r, k, None) for k in ("basis", "target", "revenue"))
    if basis == ap.BREAK_EVEN:
        up = target is not None and revenue is not None and target > revenue + 0.5
        return "<br><small>price step</small>" if up else "<br><small>held</small>"
    return ""


def _segment_cell(segment: str) -> str:
    """A segment on two tidy lines, the tier above its orientation: ``'Tier 2<br><small>
    partner (loyalty)</small>'``; never "price-/driven"."""
    from ..report.tables import unbroken  # escapes too

    tier, _, rest = segment.partition(" · ")
    if not rest:
        return unbroken(segment)
    return f"{unbroken(tier)}<br><small>{unbroken(rest)}</small>"


def _index_cards(df, h: int, currency: str, fact_pack: bool) -> list[tuple[str, str, str]]:
    """The index's headline figures: accounts, revenue, target, drafted, at risk."""
    from ..core import fmt

    one = KINDS[fact_pack][2]
    rendered = int((df["plan"] == "rendered").sum())
    at_risk = int((df["band"] == "at risk").sum())
    done = int((df["confirmed"] >= FULL).sum()) if "confirmed" in df else 0
    full = fmt.count(done)
    # the sum of targets the data drafted, until the managers confirm their plans
    target_note = (
        "sum of the plans" if done == len(df) and not fact_pack else "drafted from the data"
    )
    return [
        (
            "Key accounts",
            fmt.count(len(df)),
            f"a {one} for each" if rendered == len(df) else f"{fmt.plural(rendered, one)} ready",
        ),
        ("Revenue", fmt.money(df["revenue"].sum(), currency), "last 12 months"),
        (f"Target in {h} months", fmt.money(df["target"].sum(), currency), target_note),
        ("Drafted from the data", fmt.pct(df["drafted"].mean()), "of the plans' parts")
        if fact_pack
        else (
            "Drafted",
            fmt.pct(df["drafted"].mean()),
            f"of the plans' parts; {full} of {fmt.count(len(df))} confirmed in full",
        ),
        ("At risk", fmt.count(at_risk), "health below the risk line")
        if df["health"].notna().any()
        else ("At risk", "n/a", "no account's health can be measured"),
    ]


def _index_intro(
    df,
    fact_pack: bool,
    portfolio: str = "",
    bands: tuple[float, float] = (70.0, 40.0),
    growth: float = 0.10,
) -> str:
    """What the index lists and what its columns mean, the plans together as a business
    case (``portfolio``); the plans still to follow."""
    from ..core import fmt

    one = KINDS[fact_pack][2]
    from ..method.health import LOSS_RISK, LOSS_WATCH

    watch, risk = bands
    health = (
        "**health** (0–100) combines the revenue and margin trends, profitability, NPS, "
        f"contact recency and risk signals: healthy from {watch:.0f}, on watch from "
        f"{risk:.0f}, at risk below. A loss after cost-to-serve caps it: more than "
        f"{fmt.pct(LOSS_WATCH)} of revenue is never healthy ({watch - 1:.0f} at most), "
        f"{fmt.pct(LOSS_RISK)} or more is at risk ({risk - 1:.0f} at most)."
    )
    intro = (
        "One fact pack per key account, largest first: what the data says about the account "
        "and the plan it drafts, for the kick-off workshop with its manager. **Drafted from "
        f"the data** is the share of the plan's parts the data can write; {health}"
        if fact_pack
        else "One plan per key account, largest first. **Drafted** is the share of the plan's "
        "parts written from the data or by the account manager; **confirmed**, the share of "
        "the parts the account manager writes that they have written or confirmed (the targets "
        f"come from the data); {health}"
    )
    if portfolio:
        intro += "\n\n" + targets_rule(growth) + "\n\n" + portfolio
    failed = int((df["plan"] == "failed").sum())
    if failed:
        missing = df[df["plan"] == "failed"]
        names = [
            f"{fmt.shorten(n, 60)} ({i})"
            for n, i in zip(missing["account"], missing["account_id"], strict=True)
        ]
        listed = fmt.md_text(", ".join(names[:10])) + (
            f" and {len(names) - 10} more" if len(names) > 10 else ""
        )
        which = f"The {one} for" if failed == 1 else f"The {one}s for"
        intro += (
            f"\n\n**Not yet complete:** {which} {listed} will follow; "
            f"{'it is' if failed == 1 else 'they are'} marked *to follow* below, without a link."
        )
    return intro


def targets_rule(rate: float) -> str:
    """How every plan sets its growth target, said once for the index (the rules of
    :func:`kamlib.method.account_plan.target_growth`)."""
    from ..core import fmt
    from ..method.account_plan import MATERIAL_LOSS

    return (
        f"**How the targets are set.** A healthy account's target grows at management's "
        f"{fmt.pct(rate)} a year; one that recovers (revenue falling, health on watch or a "
        "small loss) at half of it; one at risk holds today's revenue until it is stable; one "
        f"losing more than {fmt.pct(MATERIAL_LOSS)} of its revenue after cost-to-serve holds "
        "today's volume plus its first price step (today's alone where only new terms can get it "
        "there), as its first target is to break even; and "
        "no target passes the account's estimated wallet. Where the weighted open pipeline "
        "alone brings more, the first target is today's revenue plus that pipeline."
    )


def _bands(book) -> tuple[float, float]:
    """The health bands of the engagement: healthy from, at risk below."""
    h = book.config.method.health
    return float(h.watch_below), float(h.risk_below)


def index_notebook(book, batch: PlanBatch, fact_pack: bool = False, shares: dict | None = None):
    """The index as a notebook of outputs, rendered by the same template as every report
    (``shares``: :func:`plan_shares`, when already known)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from ..report.decision import kpis_html

    df = index_frame(book, batch, fact_pack, shares)
    h = int(book.config.method.account_plan.horizons[0])
    c = book.currency
    nb = new_notebook()
    out = new_code_cell("")
    out.outputs = [
        new_output(
            "display_data", data={"text/html": kpis_html(_index_cards(df, h, c, fact_pack))}
        ),
        new_output("display_data", data={"text/html": _index_table(df, c, h, fact_pack)}),
    ]
    from ..method.plan_book import portfolio
    from ..report.plan import portfolio_text

    whole = "" if fact_pack else portfolio_text(portfolio(book), c)
    nb.cells = [
        new_markdown_cell(
            "## The key accounts\n\n"
            + _index_intro(
                df,
                fact_pack,
                whole,
                _bands(book),
                float(book.config.method.account_plan.growth_target),
            )
        ),
        out,
    ]
    return nbformat.from_dict(nb)


def write_index(
    book,
    batch: PlanBatch,
    pdf: bool = True,
    fact_pack: bool = False,
    shares: dict | None = None,
    chromium: str | None = None,
) -> list[Path]:
    """``index.html`` (links to the HTML plans) and ``index.pdf`` (links to the PDFs),
    printed by ``chromium`` when the plans were (else, or when it fails, WeasyPrint)."""
    from ..core.paths import atomic_path
    from ..render.pages import render_html, report_meta

    meta = {**report_meta(book.config, KINDS[fact_pack][1]), "compact": True}
    html = render_html(index_notebook(book, batch, fact_pack, shares), meta)
    written = [batch.folder / "index.html"]
    with atomic_path(written[0]) as tmp:
        tmp.write_text(html, encoding="utf-8")
    if pdf:
        written.append(batch.folder / "index.pdf")
        linked = re.sub(r'href="([^"]+)\.html"', r'href="\1.pdf"', html)
        data = _index_pdf(linked, batch.folder, meta.get("date"), chromium)
        with atomic_path(written[1]) as tmp:
            tmp.write_bytes(data)
    return written


def _index_pdf(html: str, folder: Path, day, chromium: str | None) -> bytes:
    """The index's PDF: Chromium prints it from a file beside the plans (so that its
    links stay relative to them) in a fraction of WeasyPrint's time for a long table."""
    import gc

    from ..render.chromium import Browser, ChromiumError
    from ..render.pages import render_pdf

    if chromium:
        page = folder / f".index-{os.getpid()}.html"
        try:
            page.write_text(html, encoding="utf-8")
            with Browser(chromium) as browser:
                return browser.print_pdf(page, created=day)
        except (ChromiumError, OSError):
            pass  # WeasyPrint prints it
        finally:
            page.unlink(missing_ok=True)
    old = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)  # a long table: see GC_THRESHOLDS
    try:
        return render_pdf(html)
    finally:
        gc.set_threshold(*old)
