"""What is computed once and reused: the parsed data pack and the plan book.

Two stores, both keyed by what the value was computed from (the input files' paths,
sizes and modification times, and the settings that shape it), so a stale value is
never used:

* **between processes, a file**: the runner reads and validates the data pack once and
  names the file in each step notebook's ``cache`` parameter; the plan batch saves the
  plan book and names it in each plan's. A process that is given no file, or a file
  whose key does not match, computes the value itself.
* **within a process, the last value of each kind** (:func:`remember`): a kernel that
  drafts plan after plan opens the plan book once; any change to its inputs opens it
  again, so an analyst re-running a cell sees an edit at once.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: The one in-process store: kind -> (key, value); one value per kind, the last one.
_LAST: dict[str, tuple[Hashable, Any]] = {}


def remember(kind: str, key: Hashable, build: Callable[[], T]) -> T:
    """The value of ``kind`` for ``key``: the one kept in this process when its key
    matches, else ``build()`` (kept in its place: one value per kind).

    Examples
    --------
    >>> calls = []
    >>> remember("doctest", 1, lambda: calls.append(1) or "a")
    'a'
    >>> remember("doctest", 1, lambda: calls.append(1) or "b"), len(calls)
    ('a', 1)
    >>> remember("doctest", 2, lambda: "c")
    'c'
    """
    kept = _LAST.get(kind)
    if kept is not None and kept[0] == key:
        return kept[1]
    _LAST.pop(kind, None)  # never two: a long-lived kernel holds no stale books
    value = build()
    _LAST[kind] = (key, value)
    return value


def forget(kind: str | None = None) -> None:
    """Drop the value kept for ``kind`` (every kind when None)."""
    if kind is None:
        _LAST.clear()
    else:
        _LAST.pop(kind, None)


def save(path: str | Path, key: Hashable, value: Any, by_reference: bool = False) -> Path | None:
    """Write ``value`` with its ``key`` to ``path`` for other processes; None when it
    cannot be written (a full disk): they then compute the value themselves.
    ``by_reference``: an array mapped from a file (:mod:`.spill`) is saved as where it
    is, not as its bytes (the other process is on this machine, during the run)."""
    from . import spill

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as f:  # the key first: a reader checks it before the value
            pickle.dump(key, f, protocol=pickle.HIGHEST_PROTOCOL)
            if by_reference:
                spill.dump(value, f)
            else:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    return path


def load(path: str | Path | None, key: Hashable) -> Any | None:
    """The value saved at ``path`` when it was saved for ``key``; None when there is no
    file, it is unreadable or from another version, or its inputs have changed. The
    file is read as it is unpickled, never held whole in memory beside its value (a
    large client's pack: 0.6 GB less at the peak of each kernel)."""
    if not path or not Path(path).is_file():
        return None
    try:
        with Path(path).open("rb") as f:
            if pickle.load(f) != key:
                return None
            return pickle.load(f)
    except Exception:  # unreadable or from another version: computed again
        return None


@contextlib.contextmanager
def shared(
    path: str | Path, key: Hashable, value: Any, by_reference: bool = False
) -> Iterator[Path | None]:
    """Save ``value`` at ``path`` for the block (None when it cannot be written) and
    remove the file afterwards, whatever happens. The block does not keep ``value``
    alive: the caller may let go of it while the file stands in for it."""
    saved = save(path, key, value, by_reference)
    del value
    try:
        yield saved
    finally:
        Path(path).unlink(missing_ok=True)
