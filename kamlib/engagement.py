"""An engagement: its validated config and its validated data pack, loaded once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, load_config
from .datapack import DataPack, Finding, load_datapack, read_datapack


@dataclass
class Engagement:
    config: Config
    pack: DataPack
    extra_findings: list[Finding] = field(default_factory=list)

    @property
    def client(self) -> str:
        return self.config.client

    @property
    def as_of(self) -> dt.date:
        return self.config.as_of

    @property
    def currency(self) -> str:
        return self.config.currency


def open_engagement(
    engagement: str | Path = "demo", as_of: str = "", strict: bool = True
) -> Engagement:
    """Load an engagement's config and data pack.

    Parameters
    ----------
    engagement : folder, config file, or name under ``data/`` (e.g. ``"demo"``).
    as_of : overrides the config's as-of date when given (``YYYY-MM-DD``).
    strict : raise :class:`~kamlib.errors.DataPackError` on data errors (the default);
        ``False`` returns them in ``pack.findings`` (used by ``kam validate``).
    """
    config = load_config(engagement, overrides={"as_of": as_of} if as_of else None)
    reader = load_datapack if strict else read_datapack
    pack = reader(
        config.data,
        mapping=config.mapping,
        decimal=config.decimal,
        examples=config.setting("data_review.examples"),
    )
    return Engagement(config=config, pack=pack)
