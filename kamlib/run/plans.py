"""The plan batch: every key account's plan to HTML and PDF, fast, plus an index.

A naive loop starts a kernel, imports the stack, reads the data pack and recomputes
steps 1-3 for every plan, then starts nbconvert twice. Here:

* the parent computes the plan book once and saves it for the workers' kernels
  (:func:`kamlib.method.plan_book.save_book`; a kernel uses it only while the inputs match);
* ``jobs`` long-lived worker processes each start **one kernel** and run plan after
  plan in it through papermill's Python API (a custom engine that keeps the kernel
  and its client; the namespace is reset before each plan, modules and the book
  stay loaded);
* each worker renders its plans to HTML with one nbconvert exporter, and prints the
  PDFs with its own Chromium headless shell when there is one (:mod:`kamlib.render.chromium`:
  several times cheaper per page than WeasyPrint, same stylesheet), else WeasyPrint;
* a failing plan is reported and its executed notebook kept in ``failed/``; the others
  go on. A plan whose kernel dies (killed, out of memory) is run once more in a fresh
  kernel, and the plans of a worker that dies once more in new workers, before they
  count as failed.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import re
import shutil
import signal
import time
import traceback
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.paths import KERNEL_ARGS, NOTEBOOKS, engagement_ref

if TYPE_CHECKING:
    from ..intake.engagement import Engagement

NOTEBOOK = "04_account_plan.ipynb"
ENGINE = "kam-warm-kernel"


def file_stem(account_id: str, name: str) -> str:
    """``C-11458``, ``Falk Broadcast GmbH`` -> ``C-11458-falk-broadcast-gmbh``.

    One file per account: an id that had to be changed to make a file name carries a short
    hash of the real id, so ``4711/01`` and ``4711:01`` never share a file; a name never
    starts with a dot.

    Examples
    --------
    >>> file_stem("C-1", "Müller & Söhne AG")
    'C-1-muller-sohne-ag'
    >>> file_stem("4711/01", "Nord") != file_stem("4711:01", "Nord")
    True
    >>> file_stem("../../x", "X")[:8]
    'x-9bdbf2'
    """
    import hashlib

    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:40].strip("-")
    account_id = str(account_id)
    safe_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", account_id).lstrip(".-")[:60] or "account"
    if safe_id != account_id:
        safe_id += "-" + hashlib.sha1(account_id.encode("utf-8")).hexdigest()[:6]
    return f"{safe_id}-{slug}" if slug else safe_id


@dataclass
class PlanResult:
    account_id: str
    name: str
    ok: bool
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    error: str = ""
    kept: str = ""  # the failed notebook, kept for inspection
    cpu: dict = field(default_factory=dict)  # CPU seconds of the worker, kernel and browser
    engine: str = ""  # what printed the PDF: "Chromium" or "WeasyPrint"
    note: str = ""  # why Chromium, though asked for, did not print it


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


# --- the worker side -------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker of a batch is told once, when it starts."""

    folder: Path  # where the plans are written
    book_path: Path  # the plan book, saved once for every plan's kernel
    engagement: str  # the config's path, for the worker process
    as_of: str
    log: Path  # the kernels' and browsers' stderr
    notebook: Path
    chromium: str | None = None  # the browser that prints the PDFs; None: WeasyPrint
    pdf: bool = True
    fact_pack: bool = False  # the kick-off fact packs, not the plans


#: Plans allocate many short-lived objects (layout boxes, frames): with the default
#: thresholds Python's cycle collector takes a fifth of the PDF time. Collections stay
#: on, just rarer; nothing a plan computes depends on it.
GC_THRESHOLDS = (100_000, 50, 100)


class PlanWorker:
    """One worker's kernel and browser, kept for the whole batch: plan after plan runs in
    the same warm kernel (its namespace reset, the libraries and the book kept) and is
    printed by the same browser. A kernel or browser that dies is replaced."""

    def __init__(self, setup: WorkerSetup) -> None:
        from ..core.config import load_config

        self.setup = setup
        self.config = load_config(
            setup.engagement, overrides={"as_of": setup.as_of} if setup.as_of else None
        )
        self.km: Any = None
        self.kc: Any = None
        self.browser: Any = None
        self.browser_failed = ""  # why Chromium, though asked for, could not start
        self.last_nb: Any = None  # the notebook being executed, kept when the plan fails
        self.kernel_lost = False
        self.engine = f"{ENGINE}-{id(self)}"

    def start(self) -> None:
        import papermill.engines as pe

        pe.papermill_engines.register(self.engine, self._engine())
        self.start_kernel()
        self.start_browser()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.stop_browser()
        with contextlib.suppress(Exception):
            self.stop_kernel()

    def _engine(self) -> type:
        """A papermill engine that runs notebooks in this worker's warm kernel."""
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NBClientEngine

        worker = self

        class WarmKernelEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, execution_timeout=None, **kw):
                client = PapermillNotebookClient(
                    nb_man,
                    km=worker.km,
                    kernel_name=kernel_name,
                    timeout=execution_timeout,
                    log_output=False,
                )
                client.kc = worker.kc
                worker.last_nb = nb_man.nb  # kept when the plan fails
                return client.execute(cleanup_kc=False)

        return WarmKernelEngine

    # -- the kernel

    def start_kernel(self) -> None:
        """This worker's kernel; one that fails to start (a port taken by another process
        in between: ``ZMQError: Address already in use``) is started once more."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        for attempt in (1, 2):
            km = AsyncKernelManager(kernel_name="python3")
            try:
                run_sync(km.start_kernel)(cwd=str(self.setup.folder), extra_arguments=KERNEL_ARGS)
                kc = km.client()
                kc.start_channels()
                run_sync(kc.wait_for_ready)(timeout=120)
                break
            except Exception:
                with contextlib.suppress(Exception):
                    run_sync(km.shutdown_kernel)(now=True)
                if attempt == 2:
                    raise
        self.km, self.kc = km, kc
        run_sync(kc.execute_interactive)(
            f"import gc; gc.set_threshold{GC_THRESHOLDS}", silent=True, store_history=False
        )

    def stop_kernel(self) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=True)

    def kill_kernel(self) -> None:
        with contextlib.suppress(Exception):
            os.kill(self.km.provisioner.pid, signal.SIGKILL)

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return bool(run_sync(self.km.is_alive)())

    def reset_namespace(self) -> None:
        """Forget the previous plan's variables (modules and the cached book stay loaded)."""
        from jupyter_core.utils import run_sync

        run_sync(self.kc.execute_interactive)(
            "get_ipython().reset(new_session=False, aggressive=False); "
            "import gc as _gc; _gc.collect(); _gc.freeze(); del _gc",
            silent=True,
            store_history=False,
            timeout=60,
        )

    # -- the browser

    def start_browser(self) -> None:
        """This worker's Chromium, or none (WeasyPrint prints) when it cannot start."""
        from ..render.chromium import Browser, ChromiumError

        self.stop_browser()
        if self.setup.chromium:
            try:
                # its profile in the batch's work folder, which the parent removes even
                # when a worker was killed
                self.browser = Browser(
                    self.setup.chromium, scratch=str(self.setup.book_path.parent)
                )
            except ChromiumError as exc:
                self.browser_failed = str(exc)

    def stop_browser(self) -> None:
        browser, self.browser = self.browser, None
        if browser is not None:
            browser.close()

    # -- a plan

    def render(self, account_id: str, name: str) -> PlanResult:
        """One plan; when its kernel dies (killed, out of memory) it is run once more in
        a fresh kernel before it counts as failed."""
        self.kernel_lost = False
        result = self._render_once(account_id, name)
        if result.ok or not self.kernel_lost:
            return result
        self.kernel_lost = False
        again = self._render_once(account_id, name)
        if not again.ok and self.kernel_lost:
            again.error = f"the kernel stopped twice ({again.error})"
        again.seconds += result.seconds
        return again

    def _execute(self, account_id: str) -> Any:
        import papermill as pm

        if not self.km.has_kernel or not self.is_alive():
            self.start_kernel()
        self.reset_namespace()
        return pm.execute_notebook(
            str(self.setup.notebook),
            None,  # rendered from memory; only a failed plan's notebook is written
            parameters={
                # the kernel runs in the plans folder: paths relative to it
                "engagement": engagement_ref(self.setup.engagement, self.setup.folder),
                "as_of": self.setup.as_of,
                "account": account_id,
                "cache": os.path.relpath(self.setup.book_path, self.setup.folder),
                "fact_pack": self.setup.fact_pack,
            },
            engine_name=self.engine,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=600,
            request_save_on_cell_execute=False,  # papermill saves after every cell otherwise
        )

    def _print(self, nb: Any, stem: str, name: str) -> list[Path]:
        from ..core.fmt import shorten
        from ..render.chromium import ChromiumError
        from ..render.pages import render_node, report_meta

        kind = KINDS[self.setup.fact_pack][0]
        meta = {**report_meta(self.config, f"{kind}: {shorten(name, 80)}"), "compact": True}
        meta["running_head"] = f"{shorten(self.config.client, 50)} · {kind} · {shorten(name, 50)}"
        folder, pdf = self.setup.folder, self.setup.pdf
        try:
            return render_node(nb, folder, stem, meta, pdf=pdf, browser=self.browser)
        except ChromiumError:  # a browser that stopped or hung: a new one, one more try
            self.start_browser()
            return render_node(nb, folder, stem, meta, pdf=pdf, browser=self.browser)

    def _render_once(self, account_id: str, name: str) -> PlanResult:
        t0 = time.perf_counter()
        c0 = self.cpu()
        stem = file_stem(account_id, name)
        self.last_nb = None
        try:
            files = self._print(self._execute(account_id), stem, name)
        except Exception as exc:  # one plan's failure must not stop the batch
            return self._failed(account_id, name, stem, exc, time.perf_counter() - t0)
        cpu = {k: round(max(0.0, v - c0.get(k, 0.0)), 3) for k, v in self.cpu().items()}
        engine = ("Chromium" if self.browser else "WeasyPrint") if self.setup.pdf else ""
        note = self.browser_failed if engine == "WeasyPrint" else ""
        return PlanResult(
            account_id, name, True, time.perf_counter() - t0, [f.name for f in files],
            cpu=cpu, engine=engine, note=note,
        )  # fmt: skip

    def _failed(
        self, account_id: str, name: str, stem: str, exc: Exception, seconds: float
    ) -> PlanResult:
        """The failed plan's result; its notebook kept in ``failed/``, a dead kernel
        replaced (and the plan marked for one more try)."""
        from nbclient.exceptions import DeadKernelError

        kept = ""
        if self.last_nb is not None:
            import nbformat

            failed = self.setup.folder / "failed"
            failed.mkdir(exist_ok=True)
            kept = str(failed / f"{stem}.ipynb")
            with contextlib.suppress(Exception):
                record = self.last_nb.metadata.get("papermill", {})
                record["input_path"] = f"notebooks/{self.setup.notebook.name}"
                record["output_path"] = f"failed/{stem}.ipynb"
                nbformat.write(self.last_nb, kept)
        lost = isinstance(exc, DeadKernelError)
        with contextlib.suppress(Exception):
            lost = lost or not self.is_alive()
        if lost:
            self.kernel_lost = True
            with contextlib.suppress(Exception):
                self.start_kernel()
        return PlanResult(account_id, name, False, seconds, error=_reason(exc), kept=kept)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by this worker, its kernel and its browser (with the
        browser's renderer processes), for the benchmark."""
        out = {"worker": sum(os.times()[:2])}
        with contextlib.suppress(Exception):
            import psutil

            out["kernel"] = sum(psutil.Process(self.km.provisioner.process.pid).cpu_times()[:2])
            if self.browser:
                top = psutil.Process(self.browser.pid)
                procs = [top, *top.children(recursive=True)]
                out["browser"] = sum(sum(p.cpu_times()[:2]) for p in procs)
        return out


def _reason(exc: Exception) -> str:
    ename = getattr(exc, "ename", None)
    if ename:  # papermill's execution error: the notebook's own exception
        cell = getattr(exc, "exec_count", None)
        where = f" (cell {cell})" if cell else ""
        return f"{ename}: {getattr(exc, 'evalue', '')}{where}"
    if type(exc).__name__ == "DeadKernelError":
        return "killed, or out of memory"
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last


# --- a worker process of the pool ------------------------------------------------------

#: The worker of this pool process. A process pool hands its tasks to plain functions,
#: so the worker its initializer starts is found here; nothing else is kept per process.
_worker: PlanWorker | None = None


def _init_worker(setup: WorkerSetup, pids: Any) -> None:
    """Start this pool process's worker (kernel and browser), and tell the parent its
    process id (to stop it at once on Ctrl-C)."""
    global _worker
    from multiprocessing import util

    # Ctrl-C reaches the whole terminal group: the parent decides, and stops the workers
    # with SIGTERM, on which each takes its kernel and browser down with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_terminate)
    fd = os.open(setup.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)  # kernels and renderers talk on stderr: into the log, not the terminal
    pids.put(os.getpid())
    _worker = PlanWorker(setup)
    _worker.start()
    _tune_gc()
    util.Finalize(None, _worker.stop, exitpriority=10)


def _tune_gc() -> None:
    import gc

    gc.collect()
    gc.freeze()  # what is loaded now (the libraries, the book) is never scanned again
    gc.set_threshold(*GC_THRESHOLDS)


def _render_plan(account_id: str, name: str) -> PlanResult:
    assert _worker is not None, "a plan task ran outside a started worker"
    return _worker.render(account_id, name)


def _on_terminate(signum: int, frame: object) -> None:
    """SIGTERM from the parent (the batch was interrupted): kill this worker's kernel and
    browser, then leave at once."""
    if _worker is not None:
        with contextlib.suppress(Exception):
            _worker.stop_browser()
        _worker.kill_kernel()
    os._exit(128 + signum)


# --- the parent side -------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOptions:
    """How a plan batch runs.

    ``accounts`` limits it to these key accounts (ids or exact names; default: every key
    account); ``jobs`` is the number of workers (default: one per CPU); ``notebook``
    replaces the stock plan notebook (a client's own variant of it); ``chromium`` names
    the browser that prints the PDFs (default: ``$KAM_CHROMIUM`` or the first found, see
    :func:`kamlib.render.chromium.find`; ``"off"``: WeasyPrint).
    """

    accounts: tuple[str, ...] = ()
    jobs: int | None = None
    pdf: bool = True
    as_of: str = ""
    notebook: str | Path | None = None
    chromium: str | None = None
    fact_pack: bool = False  # the kick-off fact packs: the data's part of each plan


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
    from ..method.plan_book import find_account, open_book, save_book
    from ..render.chromium import ChromiumError, find

    o = options or BatchOptions()
    try:
        browser = find(o.chromium) if o.pdf else None
    except ChromiumError as exc:
        raise ConfigError(str(exc)) from None
    t0 = time.perf_counter()
    folder = Path(folder)
    work = folder / ".work"
    work.mkdir(parents=True, exist_ok=True)
    book = open_book(engagement, o.as_of)
    key = book.accounts.sort_values("revenue", ascending=False)
    ids = [find_account(book, a) for a in o.accounts] if o.accounts else list(key["account_id"])
    ids = list(dict.fromkeys(ids))
    names = dict(zip(key["account_id"], key["account_name"], strict=True))
    setup = WorkerSetup(
        folder=folder,
        book_path=work / "book.pickle",
        engagement=str(book.config.path),
        as_of=o.as_of,
        log=folder.parent / "kernel.log" if folder.parent.exists() else work / "kernel.log",
        notebook=Path(o.notebook or NOTEBOOKS / NOTEBOOK),
        chromium=browser,
        pdf=o.pdf,
        fact_pack=o.fact_pack,
    )
    save_book(book, setup.book_path)  # when it cannot be written, each kernel computes it
    results: list[PlanResult] = []
    try:
        if ids:  # no key accounts: an index that says so, and no workers to start
            _run_batch(ids, names, setup, min(max(1, o.jobs or os.cpu_count() or 1), len(ids)),
                       results, progress)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    order = {a: i for i, a in enumerate(ids)}
    results.sort(key=lambda r: order[r.account_id])
    batch = PlanBatch(folder, results, time.perf_counter() - t0)
    batch.notes = sorted({r.note for r in results if r.note})
    batch.index = write_index(book, batch, pdf=o.pdf, fact_pack=o.fact_pack)
    return batch


def _run_batch(
    ids: list[str],
    names: dict[str, str],
    setup: WorkerSetup,
    jobs: int,
    results: list[PlanResult],
    progress: Callable[[str], None],
) -> None:
    """Every plan of ``ids`` into ``results``; the plans of a worker that died (killed,
    out of memory) once more in new workers before they count as failed."""
    pending = _pool_run(ids, names, jobs, setup, results, progress)
    if pending:
        progress(f"  a worker stopped; {len(pending)} plan(s) once more in new workers")
        pending = _pool_run(pending, names, jobs, setup, results, progress)
    for a in pending:
        results.append(PlanResult(a, names[a], False, error="a worker process stopped twice"))


def _pool_run(
    ids: list[str],
    names: dict[str, str],
    jobs: int,
    setup: WorkerSetup,
    results: list[PlanResult],
    progress: Callable[[str], None],
) -> list[str]:
    """Render ``ids`` in a pool of ``jobs`` workers, appending to ``results``; returns the
    ids left undone because a worker process died."""
    total = len(results) + len(ids)
    ctx = mp.get_context("spawn")
    pids = ctx.SimpleQueue()  # each worker's process id, to stop it at once on Ctrl-C
    with ProcessPoolExecutor(
        min(jobs, len(ids)), mp_context=ctx, initializer=_init_worker, initargs=(setup, pids)
    ) as pool:
        futures = {pool.submit(_render_plan, a, names[a]): a for a in ids}
        try:
            for fut in as_completed(futures):
                r = fut.result()
                results.append(r)
                mark = "ok" if r.ok else f"FAILED: {r.error}"
                i = len(results)
                progress(f"  plan {i:>4}/{total}  {r.account_id:<12} {r.seconds:5.1f} s  {mark}")
        except KeyboardInterrupt:
            _stop_workers(pool, pids)
            raise
        except BrokenProcessPool:
            done = {r.account_id for r in results}
            return [a for a in ids if a not in done]
    return []


def _stop_workers(pool: ProcessPoolExecutor, pids: Any) -> None:
    """Drop the plans not started and stop the workers now (each kills its kernel and
    browser on SIGTERM)."""
    import psutil

    pool.shutdown(wait=False, cancel_futures=True)
    procs = []
    while not pids.empty():
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pids.get()))
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    psutil.wait_procs(procs, timeout=10)


#: What a batch renders, by ``fact_pack``: one document's name, the documents' name, and
#: the word the index uses
KINDS = {
    False: ("Account plan", "Account plans", "plan"),
    True: ("Account fact pack", "Account fact packs", "fact pack"),
}


#: A plan whose confirmed share reaches this is confirmed in full (rounding aside).
FULL = 0.995


def confirmed_in_full(shares: dict[str, tuple[float, float]]) -> int:
    """How many plans (:func:`plan_shares`) their managers have confirmed in full."""
    return sum(1 for _, confirmed in shares.values() if confirmed >= FULL)


def plan_shares(book, fact_pack: bool = False) -> dict[str, tuple[float, float]]:
    """Per key account, the share of its plan drafted (from data or the manager) and the
    share confirmed by the manager: the plan's own parts, as the plan shows them (in a
    fact pack, from the data alone: nothing confirmed)."""
    from ..method import account_plan as ap
    from ..method.plan_book import plan
    from ..report.plan import parts

    return {
        str(aid): ap.shares(parts(plan(book, aid, fact_pack))["status"])
        for aid in book.accounts["account_id"]
    }


def index_frame(book, batch: PlanBatch, fact_pack: bool = False):
    """One row per key account for the index: tier, segment, revenue, target, the shares
    of its plan drafted and confirmed, health and the plan's files (present in the
    folder)."""
    import pandas as pd

    a = book.accounts.sort_values("revenue", ascending=False)
    shares = plan_shares(book, fact_pack)
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


def index_notebook(book, batch: PlanBatch, fact_pack: bool = False):
    """The index as a notebook of outputs, rendered by the same template as every report."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from ..report.decision import kpis_html

    df = index_frame(book, batch, fact_pack)
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


def write_index(book, batch: PlanBatch, pdf: bool = True, fact_pack: bool = False) -> list[Path]:
    """``index.html`` (links to the HTML plans) and ``index.pdf`` (links to the PDFs)."""
    import gc

    from ..core.paths import atomic_path
    from ..render.pages import render_html, render_pdf, report_meta

    meta = {**report_meta(book.config, KINDS[fact_pack][1]), "compact": True}
    html = render_html(index_notebook(book, batch, fact_pack), meta)
    written = [batch.folder / "index.html"]
    with atomic_path(written[0]) as tmp:
        tmp.write_text(html, encoding="utf-8")
    if pdf:
        written.append(batch.folder / "index.pdf")
        old = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)  # a long table: see GC_THRESHOLDS
        try:
            data = render_pdf(re.sub(r'href="([^"]+)\.html"', r'href="\1.pdf"', html))
        finally:
            gc.set_threshold(*old)
        with atomic_path(written[1]) as tmp:
            tmp.write_bytes(data)
    return written
