"""The plan batch on a Dask cluster: this machine's, or a firm's.

``kam plans --scheduler tcp://HOST:8786`` (or ``$KAM_DASK_SCHEDULER``) sends the batch to
a running Dask scheduler; ``--scheduler local`` starts a ``LocalCluster`` of one worker
per job in this process (the kernels and browsers, where the work is, are processes of
their own; a worker process each would only import Dask and the workbook twice more per
job, a second of CPU each, for nothing the batch needs). Either way:

* every worker keeps **one kernel and one browser for the whole batch**
  (:class:`PlanWorkerPlugin`, a Dask worker plugin around :class:`~.worker.PlanWorker`),
  driven from one thread of its own, so plan after plan runs warm;
* the **plan book is shipped once**, inside the plugin: each worker writes it to its own
  temporary folder for its kernel, and removes it when the batch ends;
* **a plan's failure stays with that plan** (its notebook kept in ``failed/``); a worker
  that dies has its plans run once more elsewhere, then they count as failed;
* **progress** is reported plan by plan as they finish.

The workers need the same installation of the workbook and must see the engagement and
reports folders at the same paths (a shared drive): they read the engagement's config
and write the plans where the batch asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from ..core.errors import ConfigError
from .worker import PlanResult, PlanWorker, WorkerSetup, _tune_gc

#: The environment variable naming the scheduler (``tcp://HOST:8786``, or ``local``).
SCHEDULER_ENV = "KAM_DASK_SCHEDULER"
#: Seconds to wait for a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 20


def scheduler_address(given: str | None = None) -> str:
    """The scheduler a batch is sent to: ``given``, else ``$KAM_DASK_SCHEDULER``, else
    "local" (a LocalCluster on this machine)."""
    return (given or os.environ.get(SCHEDULER_ENV, "")).strip() or "local"


class _Seat:
    """A worker process's plan worker, driven from one thread of its own for the whole
    batch: its kernel's channels and its browser are always used from the thread that
    opened them, whichever of Dask's threads runs the task."""

    def __init__(self, setup: WorkerSetup, scratch: Path, log: Path | None) -> None:
        self.scratch = scratch
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="kam-plan")
        self.worker = PlanWorker(setup, log)

    def start(self) -> None:
        self.thread.submit(self.worker.start).result()

    def render(self, account_id: str, name: str) -> PlanResult:
        return self.thread.submit(self.worker.render, account_id, name).result()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.thread.submit(self.worker.stop).result(timeout=60)
        self.thread.shutdown(wait=False)
        shutil.rmtree(self.scratch, ignore_errors=True)


#: The seats of this process, one per batch and worker (the plugin's name, the worker's
#: address): a local cluster's workers share the process.
_SEATS: dict[tuple[str, str], _Seat] = {}
_LOCK = threading.Lock()


class PlanWorkerPlugin(WorkerPlugin):
    """Installed on every worker of the cluster for one batch: writes the plan book it
    carries to a folder of the worker's own (a local cluster's workers read the batch's
    own file: ``book`` None), starts a kernel and a browser there, and takes them down
    when the batch ends (or the worker closes)."""

    def __init__(self, setup: WorkerSetup, book: bytes | None, local: bool) -> None:
        self.name = f"kam-plans-{uuid.uuid4().hex[:12]}"
        self.setup_ = setup
        self.book = book
        self.local = local  # this machine's cluster: kernels' stderr into the batch's log

    async def setup(self, worker: Any) -> None:  # Dask calls it on every worker
        await asyncio.get_running_loop().run_in_executor(None, self._start, worker.address)

    def _start(self, where: str) -> None:
        scratch = Path(tempfile.mkdtemp(prefix="kam-plans-"))
        setup = self.setup_
        if self.book is not None:
            setup = dataclasses.replace(setup, book_path=scratch / "book.pickle")
            setup.book_path.write_bytes(self.book)
        seat = _Seat(setup, scratch, setup.log if self.local else None)
        seat.start()
        _tune_gc()
        with _LOCK:
            _SEATS[self.name, where] = seat

    def teardown(self, worker: Any) -> None:
        with _LOCK:
            seat = _SEATS.pop((self.name, worker.address), None)
        if seat is not None:
            seat.stop()


def render_on_worker(batch: str, account_id: str, name: str) -> PlanResult:
    """The task: one plan, on this worker's seat for ``batch``."""
    from distributed import get_worker

    where = get_worker().address
    with _LOCK:
        seat = _SEATS.get((batch, where))
    if seat is None:
        return PlanResult(account_id, name, False, error="its worker was not set up for plans",
                          worker=where)  # fmt: skip
    return dataclasses.replace(seat.render(account_id, name), worker=where)


def _connect(address: str, jobs: int) -> tuple[Any, Any]:
    """A client of the scheduler at ``address`` ("local": a new LocalCluster of ``jobs``
    workers in this process); the cluster it started, or None."""
    from distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=False,
            dashboard_address=None, silence_logs=logging.ERROR,
        )  # fmt: skip
        return Client(cluster), cluster
    try:
        return Client(address, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"The Dask scheduler at {address} cannot be reached ({exc}). Start it "
            "(`dask scheduler`, and `dask worker ADDRESS` on each machine), check the "
            f"address, or leave --scheduler and ${SCHEDULER_ENV} unset to run the plans on "
            "this machine."
        ) from None


def _kill_new_processes(before: set) -> None:
    """Kill what this process started since ``before``: the local cluster's workers with
    their kernels and browsers (Ctrl-C; the cluster is closed after). Each is frozen
    first, so that a worker starting a kernel at that moment cannot leave it behind."""
    import psutil

    procs: list = []
    for _ in range(5):  # each round freezes what it finds: a frozen worker starts nothing
        new = []
        for p in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):  # multiprocessing's own helper stays
                if (
                    p not in before
                    and p not in procs
                    and "resource_tracker" not in " ".join(p.cmdline())
                ):
                    new.append(p)
        if not new:
            break
        for p in new:
            with contextlib.suppress(psutil.Error):
                p.suspend()
        procs += new
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(procs, timeout=10)


class LocalStart:
    """A local cluster and its workers' kernels and browsers, started on a thread of its
    own while the batch computes the plan book: they read the book from ``setup``'s file
    when their first plan comes, which the batch saves before it sends any."""

    def __init__(self, setup: WorkerSetup, jobs: int) -> None:
        import psutil

        self.ours = set(psutil.Process().children(recursive=True))
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="kam-cluster")
        self._started = self._thread.submit(self._start, setup, jobs)
        self._thread.shutdown(wait=False)

    @staticmethod
    def _start(setup: WorkerSetup, jobs: int) -> tuple[Any, Any, PlanWorkerPlugin]:
        client, cluster = _connect("local", jobs)
        plugin = PlanWorkerPlugin(setup, None, local=True)
        try:
            client.register_plugin(plugin)
        except BaseException:
            _close(client, cluster, plugin)
            raise
        return client, cluster, plugin

    def result(self) -> tuple[Any, Any, PlanWorkerPlugin]:
        """The client, the cluster and the batch's plugin, once they are up."""
        return self._started.result()

    def close(self, interrupted: bool = False) -> None:
        """Take it all down: the batch stopped before its plans were sent (``interrupted``:
        by Ctrl-C, its kernels and browsers killed first, not waited for)."""
        if interrupted:
            _kill_new_processes(self.ours)
        with contextlib.suppress(BaseException):
            _close(*self._started.result())


def _close(client: Any, cluster: Any, plugin: PlanWorkerPlugin | None) -> None:
    if plugin is not None:
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)
    client.close()
    if cluster is not None:
        cluster.close()


def dask_run(
    ids: list[str],
    names: dict[str, str],
    setup: WorkerSetup,
    jobs: int,
    address: str,
    results: list[PlanResult],
    progress: Callable[[str], None],
    started: LocalStart | None = None,
) -> None:
    """Render ``ids`` on the Dask cluster at ``address`` (or on the local cluster
    ``started`` while the book was computed), appending to ``results``."""
    import psutil
    from distributed import as_completed

    ours = started.ours if started else set(psutil.Process().children(recursive=True))
    total = len(results) + len(ids)
    futures: dict[Any, str] = {}
    client: Any = None
    cluster: Any = None
    plugin: PlanWorkerPlugin | None = None
    try:
        if started is not None:
            client, cluster, plugin = started.result()
        else:
            client, cluster = _connect(address, jobs)
            local = cluster is not None  # its workers read the book where the batch saved it
            book = setup.book_path.read_bytes() if setup.book_path.is_file() and not local else None
            plugin = PlanWorkerPlugin(setup, book, local=local)
            client.register_plugin(plugin)
        futures = {
            client.submit(render_on_worker, plugin.name, a, names[a], pure=False, retries=1): a
            for a in ids
        }
        for fut in as_completed(futures):
            a = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # its worker died twice: this plan fails, not the batch
                r = PlanResult(a, names[a], False, error=f"its worker stopped ({exc})")
            results.append(r)
            mark = "ok" if r.ok else f"FAILED: {r.error}"
            progress(f"  plan {len(results):>4}/{total}  {a:<12} {r.seconds:5.1f} s  {mark}")
    except KeyboardInterrupt:  # stop now: no plan after this one, no process left behind
        with contextlib.suppress(Exception):
            client.cancel(list(futures))
        if cluster is not None or started is not None:
            _kill_new_processes(ours)
        raise
    finally:
        if client is not None:
            _close(client, cluster, plugin)
