"""Lost accounts: the churn table's explicit events, checked against the revenue.

An account counts as lost at a date when the churn table records it as lost on or before
that date and it bought nothing after the recorded date. A lost account is no candidate
for key-account status, counts as churned in logo retention even if it still had revenue
earlier in the window, and a plan for it (kept by a consultant's override) says so first.
Without a churn table, churn is inferred from revenue alone (no revenue in the window).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..intake.datapack import DataPack

COLUMNS = ["account_id", "lost_on", "reason"]


def churned_sales(pack: DataPack) -> pd.DataFrame:
    """The revenue lines of the accounts in the churn table (account, amount, date): all
    :func:`lost_accounts` reads of a large revenue table, selected once per pack."""

    def build(churn: pd.DataFrame, revenue: pd.DataFrame) -> pd.DataFrame:
        theirs = pack.lines_of("revenue", pd.Index(churn["account_id"].dropna().unique()))
        return revenue.loc[theirs, ["account_id", "amount", "date"]]

    if not pack.has("churn"):
        return pack["revenue"]
    return pack.derived("churned_sales", ("churn", "revenue"), build)


def lost_accounts(
    churn: pd.DataFrame | None,
    revenue: pd.DataFrame,
    as_of: object,
    since: object | None = None,
) -> pd.DataFrame:
    """The accounts lost by ``as_of`` (and after ``since`` when given), one row each:
    ``account_id``, ``lost_on`` (the latest recorded date) and ``reason``. Of ``revenue``,
    only the lines of the accounts in ``churn`` are read (:func:`churned_sales` selects
    them once).

    Examples
    --------
    >>> churn = pd.DataFrame({"account_id": ["a", "b"], "reason": ["competitor", "closed"],
    ...                       "date": pd.to_datetime(["2026-06-30", "2026-03-31"])})
    >>> rev = pd.DataFrame({"account_id": ["a", "b"], "amount": [10.0, 5.0],
    ...                     "date": pd.to_datetime(["2026-06-01", "2026-08-01"])})
    >>> lost_accounts(churn, rev, "2026-09-30")["account_id"].tolist()  # b bought again
    ['a']
    """
    if churn is None or churn.empty or "date" not in churn.columns:
        return pd.DataFrame(columns=COLUMNS)
    as_of = pd.Timestamp(as_of)
    c = churn[churn["date"].notna() & (churn["date"] <= as_of)]
    if since is not None:
        c = c[c["date"] > pd.Timestamp(since)]
    if c.empty:
        return pd.DataFrame(columns=COLUMNS)
    last = c.sort_values("date").groupby("account_id").tail(1)
    # the sales of the lost accounts only: a few rows of a large revenue table
    theirs = revenue.loc[
        revenue["account_id"].isin(last["account_id"]), ["account_id", "amount", "date"]
    ]
    bought = theirs[(theirs["amount"] > 0) & (theirs["date"] <= as_of)]
    last_sale = bought.groupby("account_id")["date"].max()
    after = last["account_id"].map(last_sale) > last["date"]
    out = last[~after.fillna(False).astype(bool)]
    reason = out["reason"] if "reason" in out.columns else pd.Series("", index=out.index)
    return pd.DataFrame(
        {
            "account_id": out["account_id"].to_numpy(),
            "lost_on": out["date"].to_numpy(),
            "reason": reason.fillna("").astype(str).to_numpy(),
        }
    ).reset_index(drop=True)
