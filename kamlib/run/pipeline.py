"""A run's steps overlapped on a machine's cores, in the same order and with the same
results: the run's kernel starts and imports the libraries (:data:`WARM_UP`) while the
runner saves the data pack for it, and a step's report is rendered (HTML and PDF) while
the next step's notebook runs (:class:`Renders`). The step notebooks run one after
another in that one kernel (:class:`kamlib.run.kernel.WarmKernel`), which reads the
pack once; no two processes hold the pack at once.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

#: What the run's kernel does while it waits: import the libraries every step's first
#: cell imports, and hand its workbooks to the runner (:func:`kamlib.core.excel.
#: hand_to_runner`: the runner writes them while the next step runs); the notebooks' own
#: cells set everything else up
WARM_UP = (
    "import kamlib, kamlib.report.notebook, kamlib.report.tables, kamlib.report.charts\n"
    "import pandas, numpy, matplotlib.pyplot, seaborn, pyarrow, kamlib.core.excel\n"
    "kamlib.core.excel.hand_to_runner()"
)


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
