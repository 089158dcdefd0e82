"""Shared fixtures: small hand-made packs written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kamlib.core.paths import DATA

EXAMPLE = DATA / "example"


@pytest.fixture(scope="session", autouse=True)
def _demo_pack():
    """The demo's data pack (git-ignored; `make` generates it), built once per test run when
    it is missing, so a plain `pytest` works on a fresh checkout."""
    target = DATA / "demo" / "pack"
    if not (target / "accounts.csv").is_file():
        from kamlib.intake.demo import generate
        from kamlib.intake.form import write_pack

        write_pack(generate(accounts=1500, seed=42), target, "csv")


@pytest.fixture(autouse=True)
def _euro_until_an_engagement_says_otherwise():
    """Each test starts in the default currency; opening an engagement sets its own."""
    from kamlib import fmt

    fmt.use_currency("EUR")


def accounts_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "account_name": ["Alpha GmbH", "Beta SA", "Gamma BV"],
            "channel": ["direct", "partner", "online"],
        }
    )


def revenue_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A3"],
            "date": ["2026-01", "2026-02", "2026-01-15", "2025-12"],
            "amount": ["100.5", "200", "50", "10"],
        }
    )


def write_csvs(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A minimal valid pack: accounts and revenue only."""
    return write_csvs(tmp_path / "pack", {"accounts": accounts_frame(), "revenue": revenue_frame()})


def write_engagement(folder: Path, data: str = "pack", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yml").write_text(
        f"client: Testco Industries\nas_of: 2026-03-31\ndata: {data}\n{extra}", encoding="utf-8"
    )
    return folder
