"""Step 0 — data review: is the client's data fit for the analysis?

Each function takes the loaded pack (or a table of it) and returns a new frame; the
notebook only displays them. The findings that depend on the engagement (as-of date,
window) are the intake's checks: :func:`kamlib.intake.checks.analysis_findings`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..core.evidence import of_pack
from ..core.periods import in_window, trailing_window
from ..intake.checks import invoiced_accounts, unplaced
from ..intake.datapack import ERROR, INFO, WARNING, DataPack, Finding
from ..intake.schema import TABLES

DATED = {
    "revenue": "date",
    "activities": "date",
    "service_ratings": "date",
    "surveys": "date",
    "churn": "date",
    "opportunities": "created",
    "contacts": "last_contact",
}


def table_overview(pack: DataPack) -> pd.DataFrame:
    """One row per table of the data dictionary: present or not, rows, columns, period."""
    rows = []
    for name, spec in TABLES.items():
        df = pack.tables.get(name)
        if df is None:
            df = pd.DataFrame()
        present = not df.empty
        date_col = DATED.get(name)
        first = last = None
        if present and date_col and pack.has(name, date_col):
            first, last = df[date_col].min(), df[date_col].max()
        rows.append(
            {
                "table": name,
                "required": "yes" if spec.required else "no",
                "status": "present" if present else "missing",
                "source": pack.sources.get(name, ""),
                "rows": len(df) if present else 0,
                "columns filled": (int((pack.filled(name) > 0).sum()) if present else 0),
                "columns known": len(spec.columns),
                "from": first,
                "to": last,
                "used by": ", ".join(spec.used_by),
            }
        )
    return pd.DataFrame(rows)


def completeness(pack: DataPack) -> pd.DataFrame:
    """Share of rows with a value, per table and column, for the tables present;
    ``present`` says whether the column was delivered with any value (an empty column
    is treated as absent)."""
    rows = []
    for name, df in pack.tables.items():
        spec = TABLES[name]
        counts = pack.filled(name) if len(df) else pd.Series(dtype=int)
        for col in spec.columns:
            filled = float(counts[col.name] / len(df)) if col.name in counts.index else 0.0
            rows.append(
                {
                    "table": name,
                    "column": col.name,
                    "required": "yes" if col.required else "no",
                    "present": filled > 0,  # an empty column counts as absent
                    "filled": filled,
                    "missing rows": int(round((1 - filled) * len(df))),
                }
            )
    return pd.DataFrame(
        rows, columns=["table", "column", "required", "present", "filled", "missing rows"]
    )


def monthly_revenue(pack: DataPack) -> pd.DataFrame:
    """Revenue and number of invoiced accounts per calendar month of the pack's revenue
    (each line's account counted by its number, :meth:`DataPack.account_lines`, not by
    the text of its id).

    Examples
    --------
    >>> pack = DataPack(".", "csv", {"accounts": pd.DataFrame({"account_id": ["a", "b"]}),
    ...     "revenue": pd.DataFrame({"account_id": ["a", "b", "a"], "amount": [1.0, 2.0, 4.0],
    ...         "date": pd.to_datetime(["2026-01-05", "2026-01-31", "2026-03-01"])})})
    >>> m = monthly_revenue(pack)
    >>> m["month"].dt.strftime("%b").tolist(), m["revenue"].tolist(), m["accounts"].tolist()
    (['Jan', 'Feb', 'Mar'], [3.0, 0.0, 4.0], [2, 0, 1])
    """
    revenue, at = pack["revenue"], pack.account_lines("revenue")
    day, days = pd.factorize(revenue["date"])  # a few distinct days: each converted once
    dated = day >= 0
    month = pd.DatetimeIndex(days).to_period("M").to_timestamp().to_numpy()[day[dated]]
    amount = revenue["amount"].to_numpy()[dated]
    sums = pd.Series(amount).groupby(month).sum().rename("revenue")
    if at is None or (at < 0).any():  # ids that are no account's: by their text
        ids = pd.Series(revenue["account_id"].to_numpy()[dated])
        accounts = ids.groupby(month).nunique()
    elif len(month):  # distinct (month, account) pairs, counted per month
        m = month.astype("datetime64[M]").astype(np.int64)
        m, n = m - m.min(), len(pack["accounts"])
        pairs = pd.unique(m * n + at[dated])
        accounts = pd.Series(np.bincount(pairs // n)[np.unique(m)], index=sums.index)
    else:
        accounts = sums.astype(np.int64)  # no dated line: no month
    out = pd.DataFrame({"revenue": sums, "accounts": accounts.astype(np.int64)})
    out.index.name = "month"
    full = pd.date_range(out.index.min(), out.index.max(), freq="MS")
    return out.reindex(full, fill_value=0).rename_axis("month").reset_index()


def _invoiced_in(pack: DataPack, lines: np.ndarray) -> int:
    """How many distinct account ids the revenue ``lines`` (a mask) name: counted by
    their places among the accounts (no copy of the lines' ids), by text when some id is
    no account's."""
    at = pack.account_lines("revenue")
    if at is not None and not unplaced(at, lines):
        return int(invoiced_accounts(pack, lines).sum())
    return int(pack["revenue"]["account_id"][lines].nunique())


def headline(
    pack: DataPack, findings: list[Finding], as_of: dt.date | str, months: int = 12
) -> dict:
    """The numbers of the executive summary."""
    rev = pack["revenue"]
    cur = in_window(rev["date"], trailing_window(as_of, months)).to_numpy()  # the window's
    present = [t for t in TABLES if pack.has(t)]
    return {
        "accounts": len(pack["accounts"]),
        "invoiced_accounts": _invoiced_in(pack, cur),
        # of the customers not invoiced in the window: bought before (lapsed) or never
        "never_invoiced": int((~invoiced_accounts(pack)).sum()),
        "revenue_rows": len(rev),
        # the window's amounts alone (not their index), summed as pandas sums a column
        "trailing_revenue": float(pd.Series(rev["amount"].to_numpy()[cur]).sum()),
        "first_month": rev["date"].min().strftime("%b %Y"),
        "last_month": rev["date"].max().strftime("%b %Y"),
        "months": len(np.unique(pack.days_of("revenue").to_numpy().astype("datetime64[M]"))),
        "window_months": of_pack(pack).compare(as_of, months).current_months,
        "window": months,
        "tables_present": len(present),
        "tables_known": len(TABLES),
        "optional_missing": [t for t in TABLES if t not in present],
        # the latest service interview: the service model rests on it
        "ratings_latest": pd.Timestamp(pack["service_ratings"]["date"].max())
        if pack.has("service_ratings", "date") and len(pack["service_ratings"])
        else None,
        "errors": sum(f.level == ERROR for f in findings),
        "warnings": sum(f.level == WARNING for f in findings),
        "notes": sum(f.level == INFO for f in findings),
    }
