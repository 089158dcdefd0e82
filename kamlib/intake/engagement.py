"""An engagement: its validated config and its validated data pack, loaded once.

The runner reads the pack once and hands it to each notebook as a file (the ``cache``
parameter, see :mod:`kamlib.core.cache`); a notebook opened by hand reads it itself. The
kernels of one run also share what every later step starts from (the segmentation: see
:meth:`Engagement.reuse`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..core import cache as cached
from ..core import fmt, spill
from ..core.config import Config, load_config
from ..core.evidence import Evidence, of_pack
from .datapack import DataPack, Finding, load_datapack, read_datapack

T = TypeVar("T")


@dataclass
class Engagement:
    config: Config
    pack: DataPack
    extra_findings: list[Finding] = field(default_factory=list)
    _evidence: Evidence | None = field(default=None, repr=False, compare=False)
    #: the folder of the run whose kernels share step results (None: not run by the runner)
    run_folder: Path | None = field(default=None, repr=False, compare=False)

    @property
    def client(self) -> str:
        return self.config.client

    @property
    def as_of(self) -> dt.date:
        return self.config.as_of

    @property
    def currency(self) -> str:
        return self.config.currency

    def reuse(self, kind: str, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, computed once per run: a kernel of the runner's run saves the
        value for the later steps' kernels, which read it back while the pack's files and
        ``key`` (the settings and date it was computed for) are unchanged; a kernel that
        runs several steps keeps it in memory. Outside a run (a notebook opened by hand,
        a test), always ``build()``."""
        if self.run_folder is None:
            return build()
        path = self.run_folder / f"{STEP_RESULT}{kind}.pickle"
        full = (pack_key(self.config), key)

        def shared() -> T:
            value = cached.load(path, full)
            if value is None:
                value = build()
                cached.save(path, full, value)
            return value

        # a kernel that runs several of the run's steps keeps it too
        return cached.remember(f"{STEP_RESULT}{kind}", (str(path), full), shared)

    @property
    def evidence(self) -> Evidence:
        """The months of revenue history and the optional inputs the pack holds."""
        if self._evidence is None:
            self._evidence = of_pack(self.pack)
        return self._evidence


def open_engagement(
    engagement: str | Path = "demo", as_of: str = "", strict: bool = True, cache: str | Path = ""
) -> Engagement:
    """Load an engagement's config and data pack.

    Parameters
    ----------
    engagement : folder, config file, or name under ``data/`` (e.g. ``"demo"``).
    as_of : overrides the config's as-of date when given (``YYYY-MM-DD``).
    strict : raise :class:`~kamlib.core.errors.DataPackError` on data errors (the default);
        ``False`` returns them in ``pack.findings`` (used by ``kam validate``).
    cache : a file the runner saved the validated pack in (:func:`shared_pack`); used
        only while the pack's files and reading settings are unchanged.
    """
    config = load_config(engagement, overrides={"as_of": as_of} if as_of else None)
    fmt.use_currency(config.currency)  # no amount falls back to another currency
    shared = _shared_pack(cache, pack_key(config)) if strict else None
    pack = shared or read_pack(config, strict)
    # a kernel of the runner's run: the run folder holds the steps' shared results
    run = Path(cache).resolve().parent if shared is not None else None
    return Engagement(config=config, pack=pack, run_folder=run)


def _shared_pack(cache: str | Path, key: tuple) -> DataPack | None:
    """The pack the runner saved in ``cache`` (None: no such file, or one for other
    inputs). A kernel that runs several steps of one run reads it once and keeps it:
    the pack's tables are read, never changed in place."""
    if not cache:
        return None
    path = Path(cache).resolve()
    return cached.remember("pack", (str(path), key), lambda: cached.load(path, key))


def read_pack(config: Config, strict: bool = True, store: spill.Store | None = None) -> DataPack:
    """The pack of ``config`` as its settings say to read it; ``strict``: validated
    (:class:`~kamlib.core.errors.DataPackError` on errors), else with its findings.
    ``store``: where a large table's columns are kept, mapped from files."""
    reader = load_datapack if strict else read_datapack
    return reader(
        config.data,
        mapping=config.mapping,
        decimal=config.decimal,
        examples=config.method.data_review.examples,
        store=store,
    )


def data_files(config: Config) -> list[Path]:
    """The data pack's files: the workbook itself, or the files of its folder."""
    data = Path(config.data)
    return sorted(p for p in data.iterdir() if p.is_file()) if data.is_dir() else [data]


def file_stamps(files: list[Path]) -> tuple:
    """(path, modification time, size) of each file, ``None`` for one that is missing:
    what a cache built from these files is valid for."""
    out: list[tuple[str, int | None, int | None]] = []
    for f in files:
        try:
            st = Path(f).stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), None, None))
    return tuple(out)


def pack_key(config: Config) -> tuple:
    """What the parsed pack depends on: its files (path, size, modification time) and the
    config's mapping, decimal mark and number of examples in findings."""
    return (
        file_stamps(data_files(config)),
        repr(config.mapping),
        config.decimal,
        config.method.data_review.examples,
    )


#: how the files of the step results a run's kernels share begin (:meth:`Engagement.reuse`)
STEP_RESULT = ".step-"


@contextlib.contextmanager
def shared_pack(config: Config, pack: DataPack, folder: Path) -> Iterator[Path | None]:
    """Save ``pack`` in ``folder`` for the kernels started inside the block: a context
    yielding the file to name in their ``cache`` parameter (None when it cannot be
    written, a full disk: they then read the pack themselves); removed afterwards, with
    the step results the kernels shared."""
    # its columns kept in files are named, not copied (the kernels map the same files)
    handed = cached.shared(Path(folder) / ".pack.pickle", pack_key(config), pack, True)
    del pack  # the runner lets go of its copy while the kernels read the file
    try:
        with handed as path:
            yield path
    finally:
        for p in Path(folder).glob(f"{STEP_RESULT}*.pickle"):
            p.unlink(missing_ok=True)
