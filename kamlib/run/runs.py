"""The run folders of an engagement: one run at a time, and no leftovers.

``reports/<engagement>/`` holds one folder per run (``20261129-221400``) and the link
``latest`` to the newest complete one. This module

* takes the engagement's **lock** for the length of a run, so two runs of the same
  engagement never write at once (the second is refused with a clear message; the lock
  goes with the process, so a killed run never leaves it behind);
* reads what each run folder is (:func:`runs`): complete, partial, failed, interrupted,
  or killed (no manifest, or one still saying "running");
* removes leftovers (:func:`tidy`, at the start of every run): the folders of killed
  runs, every failed or interrupted run but the newest (kept for inspection), and the
  work files a killed run leaves inside an otherwise kept folder;
* removes on request (:func:`clean`, ``kam clean``) every run that is not complete and,
  with ``keep``, complete runs older than the newest ``keep``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import KamError

LOCK = ".lock"
RUN_NAME = re.compile(r"^\d{8}-\d{6}(-\d+)?$")
#: Files a run writes while it lasts and removes at its end: a killed run leaves them.
WORK_FILES = (".pack.pickle", "plans/.work")
#: What each status means, for the user.
COMPLETE = {"succeeded", "partial"}


class RunInProgress(KamError):
    """Another run of the same engagement holds the lock."""


@dataclass(frozen=True)
class Run:
    path: Path
    status: str  # succeeded, partial, failed, interrupted, killed
    latest: bool

    @property
    def complete(self) -> bool:
        return self.status in COMPLETE


def _status(folder: Path) -> str:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "killed"
    status = manifest.get("status", "")
    return "killed" if status in {"", "running"} else status


def runs(root: Path) -> list[Run]:
    """Every run folder under ``root`` (oldest first) with its status.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "20260101-090000").mkdir()
    >>> [(r.path.name, r.status) for r in runs(root)]
    [('20260101-090000', 'killed')]
    """
    root = Path(root)
    if not root.is_dir():
        return []
    latest = root / "latest"
    target = os.readlink(latest) if latest.is_symlink() else ""
    out = []
    for p in sorted(root.iterdir()):
        if p.is_dir() and not p.is_symlink() and RUN_NAME.match(p.name):
            out.append(Run(p, _status(p), p.name == target))
    return out


@contextlib.contextmanager
def engagement_lock(root: Path, what: str) -> Iterator[None]:
    """Hold the engagement's lock while the block runs; refuse when another run holds it.

    ``what`` describes this run for the message the other one would get.
    """
    import fcntl

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in {errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES}:
                raise
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip()
            raise RunInProgress(
                f"another run of this engagement is writing to {root} "
                f"({holder or 'started by another process'}). Wait for it to finish (or "
                "stop it), then run again; nothing was written."
            ) from None
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{what}, process {os.getpid()}, started {stamp}".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


def _remove(path: Path) -> int:
    size = _size(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return size


@dataclass
class Removed:
    runs: list[Run]
    work: list[Path]  # work files removed from runs that were kept
    bytes: int

    def __bool__(self) -> bool:
        return bool(self.runs or self.work)

    def summary(self) -> str:
        """One line for the user.

        Examples
        --------
        >>> Removed([Run(Path("20260101-090000"), "killed", False)], [], 3_100_000).summary()
        'removed 1 killed run (20260101-090000); 3.1 MB freed'
        """
        from ..core.fmt import plural

        parts = []
        for status in sorted({r.status for r in self.runs}):
            names = [r.path.name for r in self.runs if r.status == status]
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            what = plural(len(names), f"{status} run")
            parts.append(f"{what} ({', '.join(names[:3])}{more})")
        if self.work:
            folders = {w.parent if w.name == ".pack.pickle" else w.parent.parent for w in self.work}
            parts.append(f"the work files {plural(len(folders), 'earlier run')} left")
        return f"removed {'; '.join(parts)}; {self.bytes / 1e6:.1f} MB freed"


def _work_files(run: Path) -> list[Path]:
    return [run / w for w in WORK_FILES if (run / w).exists()]


def _remove_runs(root: Path, all_runs: list[Run], drop: list[Run]) -> Removed:
    out = Removed(runs=[], work=[], bytes=0)
    for r in sorted(drop, key=lambda r: r.path.name):
        out.bytes += _remove(r.path)
        out.runs.append(r)
    for r in all_runs:
        if r not in drop:
            for w in _work_files(r.path):
                out.bytes += _remove(w)
                out.work.append(w)
    for stale in Path(root).glob(".latest-*"):  # a link a killed run was about to move
        out.bytes += _remove(stale)
    return out


def tidy(root: Path) -> Removed:
    """What a new run removes first (the caller holds the lock): killed runs, failed or
    interrupted runs but the newest one, and work files left in the runs it keeps."""
    all_runs = runs(root)
    failed = [r for r in all_runs if r.status in {"failed", "interrupted"} and not r.latest]
    drop = [r for r in all_runs if r.status == "killed" and not r.latest] + failed[:-1]
    return _remove_runs(root, all_runs, drop)


def clean(root: Path, keep: int | None = None) -> Removed:
    """Remove every run that is not complete and, with ``keep``, the complete runs but
    the newest ``keep`` (``latest`` is always kept). The caller holds the lock."""
    all_runs = runs(root)
    complete = [r for r in all_runs if r.complete]
    old = set()
    if keep is not None:
        old = {r.path for r in complete[: max(0, len(complete) - max(keep, 1))]}
    drop = [r for r in all_runs if not r.latest and (not r.complete or r.path in old)]
    return _remove_runs(root, all_runs, drop)
