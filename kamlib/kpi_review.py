"""Step 5 — KPI review: is the key account programme working?

Pure functions over the pack's tables; each returns a frame or a number and says how it
is computed:

* :func:`retention` — logo retention, gross and net revenue retention of one starting
  cohort (accounts with revenue at the start; new accounts excluded; GRR capped at 100 %);
* :func:`trailing_revenue` — each account's revenue over the 12 months ending at each
  period end (the basis of retention and growth, free of seasonality);
* :func:`retention_by_period` — the retention KPIs at every period end against the same
  date a year earlier, for key accounts and for the rest;
* :func:`lifetime_value` — customer lifetime value = annual gross profit per account x
  expected lifetime, the lifetime being 1 / annual churn rate (capped);
* :func:`rag` — actual against target: green when met, amber within a tolerance, red.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FREQS = {"quarter": "Q", "month": "M", "year": "Y"}


def retention(start: pd.Series, end: pd.Series) -> dict[str, float]:
    """Retention of the cohort of accounts with revenue in ``start``.

    ``start`` and ``end`` are revenue per account over two equal windows (e.g. the
    trailing 12 months a year apart). Accounts absent or at zero in ``start`` are new and
    left out. Churn is the start revenue of accounts with nothing at the end,
    contraction the loss of those that shrank, expansion the gain of those that grew.

    ``GRR = (start - churn - contraction) / start`` (at most 100 %);
    ``NRR = (start - churn - contraction + expansion) / start``.

    Examples
    --------
    >>> s = pd.Series({"a": 6.0, "b": 3.1, "c": 0.9})
    >>> e = pd.Series({"a": 7.8, "b": 2.5, "n": 5.0})
    >>> r = retention(s, e)
    >>> round(r["grr"], 3), round(r["nrr"], 3), r["logo_retention"]
    (0.85, 1.03, 0.6666666666666666)
    """
    s = start[start > 0]
    e = end.reindex(s.index).fillna(0.0).clip(lower=0)
    total = float(s.sum())
    churned = e <= 0
    churn = float(s[churned].sum())
    contraction = float((s - e)[~churned & (e < s)].sum())
    expansion = float((e - s)[e > s].sum())
    if total <= 0:
        nan = float("nan")
        return {
            "accounts": 0,
            "start": 0.0,
            "churn": 0.0,
            "contraction": 0.0,
            "expansion": 0.0,
            "grr": nan,
            "nrr": nan,
            "logo_retention": nan,
        }
    return {
        "accounts": int(len(s)),
        "start": total,
        "churn": churn,
        "contraction": contraction,
        "expansion": expansion,
        "grr": min(1.0, (total - churn - contraction) / total),
        "nrr": (total - churn - contraction + expansion) / total,
        "logo_retention": float((~churned).sum() / len(s)),
    }


def period_ends(as_of, periods: int, freq: str = "quarter") -> list[pd.Timestamp]:
    """The last ``periods`` period ends up to ``as_of`` (oldest first).

    Examples
    --------
    >>> [str(d.date()) for d in period_ends("2026-09-30", 3)]
    ['2026-03-31', '2026-06-30', '2026-09-30']
    """
    code = FREQS[freq]
    last = pd.Period(pd.Timestamp(as_of), freq=code)
    if last.end_time.normalize() > pd.Timestamp(as_of):
        last -= 1  # the current period is not complete
    return [(last - i).end_time.normalize() for i in range(periods - 1, -1, -1)]


def trailing_revenue(revenue: pd.DataFrame, ends: list[pd.Timestamp]) -> pd.DataFrame:
    """Revenue per account over the 12 months ending at each date (columns: the ends)."""
    out = {}
    for end in ends:
        start = end - pd.DateOffset(months=12)
        w = revenue[(revenue["date"] > start) & (revenue["date"] <= end)]
        out[end] = w.groupby("account_id")["amount"].sum()
    return pd.DataFrame(out).fillna(0.0)


def retention_by_period(
    revenue: pd.DataFrame, key: pd.Series, ends: list[pd.Timestamp]
) -> pd.DataFrame:
    """Logo retention, GRR, NRR and revenue growth at each period end, against the same
    date a year earlier, for key accounts and the rest (``key``: account_id -> bool)."""
    year_before = [e - pd.DateOffset(years=1) for e in ends]
    t12 = trailing_revenue(revenue, sorted(set(ends) | set(year_before)))
    rows = []
    for end, before in zip(ends, year_before, strict=True):
        for group, members in (("key accounts", True), ("other accounts", False)):
            ids = key.index[key == members]
            s = t12[before].reindex(ids).fillna(0.0)
            e = t12[end].reindex(ids).fillna(0.0)
            r = retention(s, e)
            growth = e.sum() / s.sum() - 1 if s.sum() > 0 else float("nan")
            rows.append(
                {"period_end": end, "group": group, "revenue": e.sum(), "growth": growth, **r}
            )
    return pd.DataFrame(rows)


def lifetime_value(
    gross_profit_per_account: float, annual_churn: float, max_years: float = 20.0
) -> dict[str, float]:
    """Customer lifetime value = annual gross profit per account x expected lifetime,
    with lifetime = 1 / annual churn rate (at most ``max_years``; no churn: the cap).

    Examples
    --------
    >>> lifetime_value(50_000, 0.1)["clv"]
    500000.0
    >>> lifetime_value(50_000, 0.0)["lifetime_years"]
    20.0
    """
    life = max_years if annual_churn <= 0 else min(max_years, 1 / annual_churn)
    return {
        "gross_profit": float(gross_profit_per_account),
        "annual_churn": float(annual_churn),
        "lifetime_years": float(life),
        "clv": float(gross_profit_per_account * life),
    }


def rag(actual: float, target: float, higher_is_better: bool = True, amber: float = 0.5) -> str:
    """``green`` when the target is met, ``amber`` when at least ``amber`` of the way
    from 0 to the target (for a change) is reached, else ``red``; ``n/a`` without data.

    Examples
    --------
    >>> rag(0.08, 0.05), rag(0.03, 0.05), rag(0.01, 0.05), rag(float("nan"), 0.05)
    ('green', 'amber', 'red', 'n/a')
    """
    if actual is None or target is None or np.isnan(actual) or np.isnan(target):
        return "n/a"
    a, t = (actual, target) if higher_is_better else (-actual, -target)
    if a >= t:
        return "green"
    if t > 0 and a >= amber * t:
        return "amber"
    return "red"
