"""Time windows of the analysis."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def trailing_window(
    as_of: dt.date | str, months: int = 12, back: int = 0
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window ``(start, end]`` of ``months`` months ending at ``as_of``.

    ``back=1`` gives the window just before it (the prior period for growth).

    Examples
    --------
    >>> trailing_window("2026-09-30", 12)
    (Timestamp('2025-09-30 00:00:00'), Timestamp('2026-09-30 00:00:00'))
    >>> trailing_window("2026-09-30", 12, back=1)[1]
    Timestamp('2025-09-30 00:00:00')
    """
    end = pd.Timestamp(as_of) - pd.DateOffset(months=months * back)
    return end - pd.DateOffset(months=months), end


def in_window(dates: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """True for dates inside ``(start, end]``; a month written YYYY-MM counts from its first day."""
    start, end = window
    return (dates > start) & (dates <= end)
