"""An engagement: its validated config and its validated data pack, loaded once."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core import fmt
from ..core.config import Config, load_config
from ..core.evidence import Evidence, of_pack
from .datapack import DataPack, Finding, load_datapack, read_datapack


@dataclass
class Engagement:
    config: Config
    pack: DataPack
    extra_findings: list[Finding] = field(default_factory=list)
    _evidence: Evidence | None = field(default=None, repr=False, compare=False)

    @property
    def client(self) -> str:
        return self.config.client

    @property
    def as_of(self) -> dt.date:
        return self.config.as_of

    @property
    def currency(self) -> str:
        return self.config.currency

    @property
    def evidence(self) -> Evidence:
        """The months of revenue history and the optional inputs the pack holds."""
        if self._evidence is None:
            self._evidence = of_pack(self.pack)
        return self._evidence


def open_engagement(
    engagement: str | Path = "demo", as_of: str = "", strict: bool = True
) -> Engagement:
    """Load an engagement's config and data pack.

    Parameters
    ----------
    engagement : folder, config file, or name under ``data/`` (e.g. ``"demo"``).
    as_of : overrides the config's as-of date when given (``YYYY-MM-DD``).
    strict : raise :class:`~kamlib.core.errors.DataPackError` on data errors (the default);
        ``False`` returns them in ``pack.findings`` (used by ``kam validate``).
    """
    config = load_config(engagement, overrides={"as_of": as_of} if as_of else None)
    fmt.use_currency(config.currency)  # no amount falls back to another currency
    pack = (_cached_pack(config) if strict else None) or read_pack(config, strict)
    return Engagement(config=config, pack=pack)


def read_pack(config: Config, strict: bool = True) -> DataPack:
    """The pack of ``config`` as its settings say to read it; ``strict``: validated
    (:class:`~kamlib.core.errors.DataPackError` on errors), else with its findings."""
    reader = load_datapack if strict else read_datapack
    return reader(
        config.data,
        mapping=config.mapping,
        decimal=config.decimal,
        examples=config.setting("data_review.examples"),
    )


def data_files(config: Config) -> list[Path]:
    """The data pack's files: the workbook itself, or the files of its folder."""
    data = Path(config.data)
    return sorted(p for p in data.iterdir() if p.is_file()) if data.is_dir() else [data]


def file_stamps(files: list[Path]) -> tuple:
    """(path, modification time, size) of each file, ``None`` for one that is missing:
    what a cache built from these files is valid for."""
    out = []
    for f in files:
        try:
            st = Path(f).stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), None, None))
    return tuple(out)


#: The runner reads and validates the pack once and hands it to its notebooks' kernels
#: as a pickle named by this variable; each notebook would otherwise parse it again.
PACK_CACHE = "KAM_PACK_CACHE"


def pack_key(config: Config) -> tuple:
    """What the parsed pack depends on: its files (path, size, modification time) and the
    config's mapping, decimal mark and number of examples in findings."""
    return (
        file_stamps(data_files(config)),
        repr(config.mapping),
        config.decimal,
        config.setting("data_review.examples"),
    )


@contextlib.contextmanager
def shared_pack(config: Config, pack: DataPack, folder: Path) -> Iterator[Path | None]:
    """Offer ``pack`` to the kernels started inside the block (they inherit the
    environment); the pickle is removed and the environment restored afterwards. When it
    cannot be written (a full disk), the kernels read the pack themselves."""
    path = Path(folder) / ".pack.pickle"
    before = os.environ.get(PACK_CACHE)
    try:
        with path.open("wb") as f:
            pickle.dump({"key": pack_key(config), "pack": pack}, f, protocol=5)
    except OSError:
        path.unlink(missing_ok=True)
        yield None
        return
    os.environ[PACK_CACHE] = str(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop(PACK_CACHE, None)
        else:
            os.environ[PACK_CACHE] = before
        path.unlink(missing_ok=True)


def _cached_pack(config: Config) -> DataPack | None:
    """The runner's pack when it is the one this config reads (same files, unchanged)."""
    path = os.environ.get(PACK_CACHE)
    if not path or not Path(path).is_file():
        return None
    try:
        cached = pickle.loads(Path(path).read_bytes())
        return cached["pack"] if cached["key"] == pack_key(config) else None
    except Exception:  # unreadable or from another version: read the pack itself
        return None
