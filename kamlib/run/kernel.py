"""A warm kernel that runs whole notebooks, one after another, one request each.

Starting a kernel, importing the stack and reading a large client's data pack cost more
than many a notebook's cells. A :class:`WarmKernel` is started once and runs notebook
after notebook: each notebook's code cells go to it in one execute request
(:func:`kamlib.run.cells.run`: the namespace reset first, the libraries and what the
process keeps, such as the run's data pack, kept), and every cell's outputs come back in
one message and are set on the cells, as a notebook client sets them. The plan batch
runs its plans in one (:mod:`kamlib.run.worker`), the runner its step notebooks
(:mod:`kamlib.run.runner`).

A cell that fails raises papermill's execution error (naming the cell and the error,
with the outputs up to it set); a kernel that dies raises nbclient's ``DeadKernelError``
(a fresh kernel is started at the next :meth:`WarmKernel.execute`), and one that runs
past its time limit is replaced at once and raises ``TimeoutError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from ..core.paths import KERNEL_ARGS


class WarmKernel:
    """One kernel in ``cwd``, its stderr to ``log`` (None: the parent's); ``setup`` is run
    silently once it has started (e.g. imports, while the caller does something else);
    a notebook may run ``timeout`` seconds (None: no limit)."""

    def __init__(
        self, cwd: str | Path, log: Path | None = None, setup: str = "",
        timeout: float | None = None,
    ) -> None:  # fmt: skip
        self.cwd, self.log, self.setup, self.timeout = Path(cwd), log, setup, timeout
        self.km: Any = None
        self.kc: Any = None

    # -- its life

    def start(self, wait: bool = True) -> None:
        """Start the kernel (once more when it fails to start: a port taken by another
        process in between, ``ZMQError: Address already in use``). ``wait=False``
        returns as soon as it is launched: its setup runs while the caller goes on."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.stop()
        for attempt in (1, 2):
            km = AsyncKernelManager(kernel_name="python3")
            try:
                with self._stderr() as err:
                    run_sync(km.start_kernel)(
                        cwd=str(self.cwd), extra_arguments=KERNEL_ARGS, stderr=err
                    )
                kc = km.client()
                kc.start_channels()
                if wait:
                    run_sync(kc.wait_for_ready)(timeout=120)
                break
            except Exception:
                with contextlib.suppress(Exception):
                    run_sync(km.shutdown_kernel)(now=True)
                if attempt == 2:
                    raise
        self.km, self.kc = km, kc
        if self.setup:  # sent, not waited for: the first notebook's request queues behind
            kc.execute(self.setup, silent=True, store_history=False)

    @contextlib.contextmanager
    def _stderr(self):
        if self.log is None:
            yield None
            return
        with self.log.open("ab") as err:  # the kernel keeps its own copy of the handle
            yield err

    def stop(self) -> None:
        from jupyter_core.utils import run_sync

        km, kc, self.km, self.kc = self.km, self.kc, None, None
        if km is None:
            return
        with contextlib.suppress(Exception):
            kc.stop_channels()
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            os.kill(self.km.provisioner.pid, signal.SIGKILL)

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(self.km is not None and run_sync(self.km.is_alive)())
        except Exception:
            return False

    @property
    def pid(self) -> int | None:
        with contextlib.suppress(Exception):
            return int(self.km.provisioner.process.pid)
        return None

    # -- a notebook

    def execute(self, nb: Any, values: str = "{}") -> dict:
        """Run ``nb``'s code cells (all but those tagged ``skip-execution``), set their
        outputs and counts, and return the ``values`` asked of its namespace afterwards
        (see :func:`kamlib.run.cells.run`). Each cell's seconds go to its metadata."""
        import nbformat
        from papermill.exceptions import PapermillExecutionError

        if self.km is None or not self.km.has_kernel or not self.is_alive():
            self.start()
        code = [
            c for c in nb.cells
            if c.cell_type == "code" and "skip-execution" not in c.metadata.get("tags", [])
        ]  # fmt: skip
        sources = json.dumps([c.source for c in code])
        run = "__import__('kamlib.run.cells').run.cells.run"
        done = self.request(f"{run}({sources!r}, {values!r})")
        seconds = done.get("seconds") or []
        for i, (cell, outputs) in enumerate(zip(code, done["outputs"], strict=False)):
            cell.execution_count = i + 1
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
            if i < len(seconds):
                cell.metadata.setdefault("papermill", {})["duration"] = seconds[i]
        if done["failed"] is not None:
            cell = code[done["failed"]]
            error: dict = next((o for o in cell.outputs if o.output_type == "error"), {})
            raise PapermillExecutionError(
                nb.cells.index(cell), cell.execution_count, cell.source,
                error.get("ename", "Error"), error.get("evalue", ""), error.get("traceback", []),
            )  # fmt: skip
        return done.get("values") or {}

    def request(self, code: str) -> dict:
        """Run ``code`` in the kernel and return the outputs it displays as
        :data:`kamlib.run.cells.MIME`. A kernel that dies raises nbclient's
        ``DeadKernelError``; one that runs past the time limit is replaced by a fresh
        kernel and raises ``TimeoutError``."""
        from jupyter_core.utils import run_sync

        try:
            return run_sync(self._await)(code, self.kc.execute(code, store_history=False))
        except TimeoutError:
            self.kill()
            self.start()
            raise TimeoutError(f"it ran longer than {self.timeout:.0f} s") from None

    async def _await(self, code: str, msg_id: str) -> dict:
        import queue

        from nbclient.exceptions import DeadKernelError

        from .cells import MIME

        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        found: dict | None = None
        error: dict = {}
        while True:
            try:
                msg = await self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                if not await self.km.is_alive():
                    raise DeadKernelError("Kernel died") from None
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError from None
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "display_data" and MIME in content.get("data", {}):
                found = content["data"][MIME]
            elif kind == "error":
                error = content
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        with contextlib.suppress(queue.Empty):  # the reply, so that none pile up
            while (await self.kc.get_shell_msg(timeout=10))["parent_header"].get(
                "msg_id"
            ) != msg_id:
                pass
        if found is None:
            raise RuntimeError(
                f"{error.get('ename', 'Error')}: {error.get('evalue', 'no outputs')} "
                f"(running {code[:40]}...)"
            )
        return found


def parameterized(read: Any, parameters: dict) -> Any:
    """A copy of ``read`` (a notebook as :func:`read_notebook` reads it) with
    ``parameters`` injected after its ``parameters`` cell, as papermill injects them."""
    import copy

    from papermill.parameterize import parameterize_notebook

    nb = copy.deepcopy(read)
    return parameterize_notebook(nb, parameters, kernel_name="python3", language="python")


def read_notebook(notebook: Path) -> Any:
    """A notebook as papermill reads it: every cell with its tags and ids."""
    from papermill.iorw import load_notebook_node

    nb = load_notebook_node(str(notebook))
    nb.metadata.papermill["input_path"] = str(notebook)
    return nb
