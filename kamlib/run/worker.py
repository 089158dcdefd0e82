"""One plan worker: a kernel and a browser kept for a whole batch, plan after plan.

A naive loop starts a kernel, imports the stack and reads the data for every plan. A
:class:`PlanWorker` starts **one kernel** and runs plan after plan in it: the plan's
notebook gets its parameters as papermill gives them (an injected cell after the
``parameters`` cell) and its code cells go to the kernel in one request
(:mod:`kamlib.run.cells`: the namespace reset first, modules and the plan book kept;
every cell's outputs back in one message). Each plan is rendered to HTML with one
nbconvert exporter and its PDF printed by the worker's own Chromium headless shell when
there is one (:mod:`kamlib.render.chromium`), else WeasyPrint. A failing plan is
reported and its executed notebook kept in ``failed/``; a plan whose kernel dies
(killed, out of memory) is run once more in a fresh kernel. The batch
(:mod:`kamlib.run.plans`) runs workers on Dask (:mod:`kamlib.run.cluster`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.paths import engagement_ref

NOTEBOOK = "04_account_plan.ipynb"
#: How long one plan may run in its kernel before it fails (and the kernel is replaced).
PLAN_TIMEOUT = 600.0
#: What the batch asks of each plan's kernel once its cells have run (``p``: the plan the
#: notebook drew): its shares drafted and confirmed, for the index, so that the index
#: does not draw every plan's parts again.
VALUES = json.dumps(
    {"shares": "__import__('kamlib.report.plan', fromlist=['shares_of']).shares_of(p)"}
)


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
    worker: str = ""  # the Dask worker that rendered it (a batch on a cluster)
    shares: tuple[float, float] | None = None  # drafted and confirmed, for the index


#: What a batch renders, by ``fact_pack``: one document's name, the documents' name, and
#: the word the index uses
KINDS = {
    False: ("Account plan", "Account plans", "plan"),
    True: ("Account fact pack", "Account fact packs", "fact pack"),
}


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
#: Run by a plan kernel as it starts, while the batch computes the book: the plan
#: notebook's libraries imported before its first plan comes.
PLAN_WARM_UP = (
    f"import gc; gc.set_threshold{GC_THRESHOLDS}\n"
    "import kamlib, kamlib.method.plan_book, kamlib.report.plan, kamlib.report.plan_charts"
)


class PlanWorker:
    """One worker's kernel and browser, kept for the whole batch: plan after plan runs in
    the same warm kernel (its namespace reset, the libraries and the book kept) and is
    printed by the same browser. A kernel or browser that dies is replaced."""

    def __init__(self, setup: WorkerSetup, log: Path | None = None) -> None:
        """``log``: where its kernel's stderr goes (None: this process's stderr)."""
        from ..core.config import load_config
        from .kernel import WarmKernel

        self.setup = setup
        self.config = load_config(
            setup.engagement, overrides={"as_of": setup.as_of} if setup.as_of else None
        )
        self.kernel = WarmKernel(
            setup.folder, log, setup=PLAN_WARM_UP,
            timeout=PLAN_TIMEOUT,
        )  # fmt: skip
        self.browser: Any = None
        self.browser_failed = ""  # why Chromium, though asked for, could not start
        self.last_nb: Any = None  # the notebook being executed, kept when the plan fails
        self.kernel_lost = False
        self._notebook: Any = None  # the plan notebook, read once
        self.values: dict = {}  # what the last plan's kernel sent back (see VALUES)

    def start(self) -> None:
        """The kernel launched (it starts and imports the plan's libraries while this
        goes on), the browser started, and the page renderer loaded: its libraries and
        template (about a second, once per process) before the first plan, not in it."""
        self.kernel.start(wait=False)
        self.start_browser()
        import nbformat

        from ..render.pages import render_html, report_meta

        render_html(nbformat.v4.new_notebook(), {**report_meta(self.config, ""), "compact": True})

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.stop_browser()
        with contextlib.suppress(Exception):
            self.kernel.stop()

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

    def _parameterized(self, account_id: str) -> Any:
        """The plan's notebook with its parameters injected, as papermill injects them."""
        from .kernel import parameterized, read_notebook

        if self._notebook is None:
            self._notebook = read_notebook(self.setup.notebook)
        parameters = {
            # the kernel runs in the plans folder: paths relative to it
            "engagement": engagement_ref(self.setup.engagement, self.setup.folder),
            "as_of": self.setup.as_of,
            "account": account_id,
            "cache": os.path.relpath(self.setup.book_path, self.setup.folder),
            "fact_pack": self.setup.fact_pack,
        }
        return parameterized(self._notebook, parameters)

    def _execute(self, account_id: str) -> Any:
        """The executed plan notebook (:meth:`WarmKernel.execute`); a cell that fails
        raises papermill's execution error, naming the cell and the error."""
        nb = self.last_nb = self._parameterized(account_id)
        self.values = self.kernel.execute(nb, VALUES)
        return nb

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
        self.values = {}
        try:
            files = self._print(self._execute(account_id), stem, name)
        except Exception as exc:  # one plan's failure must not stop the batch
            return self._failed(account_id, name, stem, exc, time.perf_counter() - t0)
        cpu = {k: round(max(0.0, v - c0.get(k, 0.0)), 3) for k, v in self.cpu().items()}
        engine = ("Chromium" if self.browser else "WeasyPrint") if self.setup.pdf else ""
        note = self.browser_failed if engine == "WeasyPrint" else ""
        shares = self.values.get("shares")
        return PlanResult(
            account_id, name, True, time.perf_counter() - t0, [f.name for f in files],
            cpu=cpu, engine=engine, note=note,
            shares=(float(shares[0]), float(shares[1])) if shares else None,
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
        lost = isinstance(exc, DeadKernelError) or not self.kernel.is_alive()
        if lost:
            self.kernel_lost = True
            with contextlib.suppress(Exception):
                self.kernel.start()
        return PlanResult(account_id, name, False, seconds, error=_reason(exc), kept=kept)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by this worker's thread (workers may share a process),
        its kernel and its browser (with the browser's renderer processes), for the
        benchmark."""
        out = {"worker": time.thread_time()}
        with contextlib.suppress(Exception):
            import psutil

            out["kernel"] = sum(psutil.Process(self.kernel.pid).cpu_times()[:2])
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


# --- the worker's garbage collector ------------------------------------------------


def _tune_gc() -> None:
    import gc

    gc.collect()
    gc.freeze()  # what is loaded now (the libraries, the book) is never scanned again
    gc.set_threshold(*GC_THRESHOLDS)
