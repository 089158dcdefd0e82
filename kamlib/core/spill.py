"""A large client's line tables kept in files, not in memory.

A million accounts' pack holds 160 M revenue and activity lines: their numbers (amounts,
costs, quantities, dates) and where each line's account and product are (codes) are
7 GB in memory if held there, twice if the runner and the kernel each hold a copy. The
runner's reading writes each large column, once parsed, to a file of the run and keeps
it **mapped**: the system reads its pages when they are used and drops them again
when memory is wanted, so the run's memory no longer holds the pack's numbers (they
are on disk and in the file cache, which any process can have back). The kernel is
handed the same files: the pack it is given names them instead of copying their bytes.

A mapped column is read-only: the pack's tables are read, never changed in place, and
an attempt to write into one fails instead of changing a copy the file does not hold.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Literal

import numpy as np

#: how a store's folder begins (then the process number: :func:`stale`)
FOLDER_PREFIX = ".pack-"

#: a table of at least this many lines keeps its number and code columns in files
SPILL_ROWS = 1_000_000

#: Each mapped file's address range in this process: start -> (end, path, file offset of
#: the start). An array inside one of them is handed to another process by reference.
_MAPPED: dict[int, tuple[int, str, int]] = {}


def _register(array: np.ndarray, path: str, offset: int) -> None:
    """Remember where ``array`` (mapped from ``path`` at ``offset``) lies, until the
    mapping is released (no view of it is left: then the address may hold other data)."""
    start = int(array.__array_interface__["data"][0])
    _MAPPED[start] = (start + array.nbytes, path, offset)
    weakref.finalize(array, _MAPPED.pop, start, None)


def _map(
    path: str, offset: int, dtype: str, shape: tuple[int, ...], order: Literal["C", "F"]
) -> np.ndarray:
    """The array stored in ``path`` at ``offset``, mapped read-only (not read)."""
    m = np.memmap(path, dtype=np.dtype(dtype), mode="r", offset=offset, shape=shape, order=order)
    _register(m, path, offset)
    return m.view(np.ndarray)  # a plain array to pandas; it keeps the mapping alive


def where(array: np.ndarray) -> tuple[str, int] | None:
    """The file and the offset in it that ``array`` is mapped from; None for an array
    in memory (or one whose elements are not laid out one after another).

    Examples
    --------
    >>> store = Store(Path(tempfile.mkdtemp()))
    >>> mapped = store.put(np.arange(5.0))
    >>> path, offset = where(mapped[2:])
    >>> Path(path).parent == store.folder, offset, where(np.arange(5.0))
    (True, 16, None)
    >>> store.close()
    """
    if (
        not _MAPPED
        or array.dtype.hasobject
        or not (array.flags.c_contiguous or array.flags.f_contiguous)
    ):
        return None
    at = int(array.__array_interface__["data"][0])
    for start, (end, path, offset) in _MAPPED.items():
        if start <= at and at + array.nbytes <= end:
            return path, offset + (at - start)
    return None


class Store:
    """A run's folder of mapped columns, made in ``parent`` (the reports' disk, not a
    memory-backed temporary folder) when the first column is put in it; :meth:`close`
    removes it (a process still mapping a file keeps its pages until it lets go)."""

    def __init__(self, parent: Path) -> None:
        self.parent = Path(parent)
        self.folder: Path | None = None
        self._made_parent = False
        self._count = 0
        self.full = False  # a write failed (a full disk): what follows stays in memory

    def _file(self) -> Path:
        if self.folder is None:
            self._made_parent = not self.parent.exists()
            self.parent.mkdir(parents=True, exist_ok=True)
            prefix = f"{FOLDER_PREFIX}{os.getpid()}-"
            self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=self.parent))
        self._count += 1
        return self.folder / f"{self._count}.bin"

    def put(self, values: np.ndarray) -> np.ndarray:
        """``values`` written to a file of the store and mapped from it (read-only): the
        same numbers, no longer held in memory. As is when they are Python objects, none
        at all, or cannot be written (a full disk)."""
        if values.dtype.hasobject or self.full or values.ndim != 1 or not len(values):
            return values
        try:
            path = self._file()
            with path.open("wb") as f:
                np.ascontiguousarray(values).tofile(f)
        except OSError:
            self.full = True
            return values
        return _map(str(path), 0, values.dtype.str, values.shape, "C")

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self._made_parent:  # a run that stopped before writing leaves no folder
            with contextlib.suppress(OSError):
                self.parent.rmdir()


def stale(parent: Path) -> list[Path]:
    """The stores in ``parent`` of processes that no longer run (a run killed before it
    could remove its own): what a new run removes.

    Examples
    --------
    >>> parent = Path(tempfile.mkdtemp())
    >>> (parent / f"{FOLDER_PREFIX}{2**22 + 1}-x").mkdir()  # beyond any process number
    >>> (parent / f"{FOLDER_PREFIX}{os.getpid()}-y").mkdir()  # this one's
    >>> [p.name.endswith("-x") for p in stale(parent)]
    [True]
    """
    out = []
    for p in sorted(Path(parent).glob(f"{FOLDER_PREFIX}*-*")):
        pid = p.name[len(FOLDER_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            out.append(p)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal: only whether it runs
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True


def keep(store: Store | None, values: np.ndarray) -> np.ndarray:
    """``values`` mapped from ``store`` when there is one and they are many; else as is."""
    if store is None or len(values) < SPILL_ROWS:
        return values
    return store.put(values)


class _ByReference(pickle.Pickler):
    """Pickles a mapped array as where it is (file, offset), not as its bytes."""

    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, np.ndarray):
            return NotImplemented
        found = where(obj)
        if found is None or not obj.size:
            return NotImplemented
        order: Literal["C", "F"] = "C" if obj.flags.c_contiguous else "F"
        return _map, (found[0], found[1], obj.dtype.str, obj.shape, order)


def dump(value: Any, f: io.BufferedWriter) -> None:
    """``pickle.dump(value, f)``, each mapped array named by its file, not copied."""
    _ByReference(f, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def mapped_bytes() -> int:
    """How many bytes of this process's arrays are mapped from files."""
    return sum(end - start for start, (end, _p, _o) in _MAPPED.items())


__all__ = ["SPILL_ROWS", "Store", "dump", "keep", "mapped_bytes", "stale", "where"]
