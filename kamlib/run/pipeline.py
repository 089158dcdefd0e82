"""A run's steps overlapped on a machine's cores, in the same order and with the same
results: the next step's kernel starts and imports the libraries while the current step
runs (:class:`KernelsAhead`), and a step's report is rendered (HTML and PDF) while the
next step's notebook runs (:class:`Renders`). A step's notebook still runs alone in its
kernel, so no two hold the data pack at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.paths import KERNEL_ARGS

#: What a kernel started ahead imports while it waits: the libraries every step's first
#: cell imports (importing is all it does; the notebook's own cells set everything up)
WARM_UP = (
    "import kamlib, kamlib.report.notebook, kamlib.report.tables, kamlib.report.charts\n"
    "import pandas, numpy, matplotlib.pyplot, seaborn, pyarrow"
)


class KernelsAhead:
    """Kernels started before they are needed, in ``cwd`` (the run folder) and printing
    to ``log``: :meth:`start` launches one (it imports the libraries on another core),
    :meth:`take` hands it over. A kernel that died meanwhile is not handed over (the step
    starts its own); :meth:`close` ends every kernel it started, taken or not, so none
    outlives the run whatever happened to the step it was for."""

    def __init__(self, cwd: Path, log: Path) -> None:
        self.cwd, self.log = cwd, log
        self._ahead: tuple[Any, Any] | None = None  # the kernel manager and its client
        self._taken: list[Any] = []  # handed over: the notebook ends them, close() too

    def start(self) -> None:
        if self._ahead is not None:
            return
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name="python3")
        try:
            with self.log.open("ab") as err:  # what the kernel prints goes to the run's log
                run_sync(km.start_kernel)(
                    cwd=str(self.cwd), extra_arguments=KERNEL_ARGS, stderr=err
                )
            kc = km.client()
            kc.start_channels()
            kc.execute(WARM_UP, silent=True, store_history=False)  # sent; not waited for
        except Exception:  # no kernel ahead: the step starts its own, as it always could
            shut(km)
            return
        self._ahead = (km, kc)

    def take(self) -> Any | None:
        """The kernel started ahead (a kernel manager); None when there is none."""
        if self._ahead is None:
            return None
        km, kc = self._ahead
        self._ahead = None
        with contextlib.suppress(Exception):
            kc.stop_channels()
        try:
            if km.has_kernel and _alive(km):
                self._taken.append(km)
                return km
        except Exception:
            pass
        shut(km)
        return None

    def close(self) -> None:
        if self._ahead is not None:
            km, kc = self._ahead
            self._ahead = None
            with contextlib.suppress(Exception):
                kc.stop_channels()
            shut(km)
        taken, self._taken = self._taken, []
        for km in taken:  # ended by their notebooks, unless a step never ran its own
            if km.has_kernel:
                shut(km)


#: The papermill engine that runs a notebook in a kernel started ahead (:func:`engine`)
ENGINE = "kam-started-ahead"


def engine() -> str:
    """The name of the papermill engine for a kernel started ahead (``km=`` passed to
    ``execute_notebook``): papermill's own, except that the kernel and its client are
    ended with the notebook, as for a kernel papermill starts itself."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException
    from papermill.utils import merge_kwargs, remove_args

    class StartedAhead(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
            start_timeout=60, execution_timeout=None, **kwargs,
        ):  # fmt: skip
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file,
            )  # fmt: skip
            return PapermillNotebookClient(nb_man, **final).execute(cleanup_kc=True)

    try:
        papermill_engines.get_engine(ENGINE)
    except PapermillException:  # not registered yet in this process
        papermill_engines.register(ENGINE, StartedAhead)
    return ENGINE


def _alive(km: Any) -> bool:
    from jupyter_core.utils import run_sync

    return bool(run_sync(km.is_alive)())


def shut(km: Any) -> None:
    """End a kernel (one handed over by :meth:`KernelsAhead.take`, once its notebook has
    run); one already ended is left as it is."""
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)


class Renders:
    """Reports rendered one after another on a thread of their own, while the runner goes
    on with the next step; :meth:`done` gives back the finished ones in the order they
    were sent (an error raised while rendering is raised there)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kam-render")
        self._pending: list[Future] = []
        self._finished: list[dict] = []  # rendered before one that failed

    def send(self, render: Callable[[], dict]) -> None:
        self._pending.append(self._pool.submit(render))

    def done(self) -> list[dict]:
        """Every report sent so far, rendered: waits for the last ones. When one fails,
        its error is raised and those rendered before it come with the next call."""
        pending, self._pending = self._pending, []
        out, self._finished = self._finished, []
        for i, f in enumerate(pending):
            try:
                out.append(f.result())
            except BaseException:
                for later in pending[i + 1 :]:
                    later.cancel()
                self._finished = out
                raise
        return out

    def close(self) -> None:
        """Stop: what has not started is not rendered; what is rendering finishes."""
        self._pool.shutdown(wait=True, cancel_futures=True)
