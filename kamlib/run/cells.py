"""A plan's cells run in the worker's warm kernel in **one request**.

The plan batch (:mod:`kamlib.run.worker`) sends each plan to its kernel as a single
execute request: :func:`run` forgets the previous plan's variables, runs the plan's code
cells one after another in the kernel's own shell, exactly as a notebook client would
(each cell's displays, its last expression's value, its printed text and its error kept
with it), and sends every cell's outputs back as one display. A client that asks the
kernel cell by cell pays a round trip of about twenty messages per cell on both sides;
here a plan costs four.

The outputs are the ones a notebook client records: ``display_data`` for
``display(...)``, ``execute_result`` for a cell's last expression, ``stream`` for printed
text (consecutive writes to the same stream joined), ``error`` for the exception that
stopped the plan (formatted by the shell, as Jupyter shows it). Running stops at the
first cell that fails.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher

from ..core.memory import give_back

#: The one display that carries a plan's outputs back to the worker.
MIME = "application/vnd.kam.cells+json"


class _Streams:
    """``sys.stdout`` or ``sys.stderr`` while a cell runs: text goes into the cell's
    outputs, joined with the stream's previous output when nothing came between."""

    encoding = "utf-8"

    def __init__(self, outputs: list[dict], name: str) -> None:
        self.outputs, self.name = outputs, name

    def write(self, text: str) -> int:
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == self.name:
            last["text"] += text
        elif text:
            self.outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _Publisher(DisplayPublisher):
    """``display(...)`` while a cell runs: a ``display_data`` output."""

    def __init__(self, outputs: list[dict]) -> None:
        super().__init__()
        self.outputs = outputs

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        self.outputs.append(
            {"output_type": "display_data", "data": data, "metadata": metadata or {}}
        )

    def clear_output(self, wait=False) -> None:
        self.outputs.clear()


class _Hook(DisplayHook):
    """A cell's last expression: an ``execute_result`` output (none when the cell ends
    with ``;``)."""

    def __init__(self, shell: Any, outputs: list[dict], source: str, count: int) -> None:
        super().__init__(shell=shell, cache_size=0)
        self.outputs, self.source, self.count = outputs, source, count

    def quiet(self) -> bool:
        return self.semicolon_at_end_of_expression(self.source)

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        self.outputs.append(
            {"output_type": "execute_result", "data": format_dict,
             "metadata": md_dict or {}, "execution_count": self.count}
        )  # fmt: skip

    def log_output(self, format_dict) -> None:
        pass


def run_cell(shell: Any, source: str, count: int) -> tuple[list[dict], bool]:
    """One cell's outputs, and whether it ran without error."""
    outputs: list[dict] = []

    def traceback(etype, evalue, stb) -> None:
        outputs.append(
            {"output_type": "error", "ename": etype.__name__, "evalue": str(evalue),
             "traceback": stb}
        )  # fmt: skip

    # run from within a cell, where the shell's display trap is already set: the cell's
    # last value goes to sys.displayhook as it is now
    saved = (sys.stdout, sys.stderr, sys.displayhook, shell.display_pub)
    sys.stdout, sys.stderr = _Streams(outputs, "stdout"), _Streams(outputs, "stderr")
    sys.displayhook = _Hook(shell, outputs, source, count)
    shell.display_pub = _Publisher(outputs)
    shell._showtraceback = traceback
    try:
        result = shell.run_cell(source, store_history=False)
    finally:
        sys.stdout, sys.stderr, sys.displayhook, shell.display_pub = saved
        del shell._showtraceback  # the shell's own again
    return outputs, bool(result.success)


def run(cells: str, values: str = "{}") -> None:
    """Run a plan's code cells (a JSON list of their sources) after forgetting the
    previous plan, and display every cell's outputs as one :data:`MIME` display:
    ``{"outputs": [[...], ...], "failed": index or None, "values": {...},
    "seconds": [...]}`` (each cell's time).

    ``values`` (JSON ``{name: expression}``), as Jupyter's ``user_expressions``: each
    expression evaluated in the notebook's namespace once every cell has run; its value,
    or None when it cannot be evaluated (or a cell failed)."""
    from IPython import get_ipython

    shell = get_ipython()
    shell.reset(new_session=False, aggressive=False)
    give_back()  # the previous notebook's memory, before this one needs its own
    gc.freeze()  # what stays loaded (libraries, the plan book) is never scanned again
    done: list[list[dict]] = []
    seconds: list[float] = []
    failed = None
    for i, source in enumerate(json.loads(cells)):
        t0 = time.perf_counter()
        outputs, ok = run_cell(shell, source, i + 1)
        seconds.append(round(time.perf_counter() - t0, 3))
        done.append(outputs)
        if not ok:
            failed = i
            break
    found = {}
    for name, expression in json.loads(values).items():
        try:
            found[name] = None if failed is not None else eval(expression, shell.user_ns)
        except Exception:
            found[name] = None
    payload = {"outputs": done, "failed": failed, "values": found, "seconds": seconds}
    shell.display_pub.publish({MIME: payload}, {})
