"""A large table's values summed per account and month, once: the sum over any window of
whole months without touching its lines again.

The segmentation screens the customers at the as-of date and, for the KPI review, at each
cohort date; each screen sums millions of revenue lines over two trailing windows. Summed
once per account and month, each window is a slice of a small array (accounts x months).
A window that does not run from month end to month end (an as-of date in mid-month) is not
a whole number of months: :meth:`MonthSums.window` says so (None) and the caller sums the
lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..intake.datapack import positions


def _month(values: np.ndarray) -> np.ndarray:
    """Months since 1970 (datetime64[M] as integers) of datetime64 values."""
    return values.astype("datetime64[M]").astype(np.int64)


_NS_PER_DAY = 86_400 * 10**9


def _days(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each date as its day within the span of the dates (-1: no date), and the month
    (as :func:`_month`) of each day of that span: days by integer arithmetic, months of
    the few hundred days of the span only, never of millions of lines.

    Examples
    --------
    >>> day, month = _days(pd.Series(pd.to_datetime(["2026-02-01", None, "2026-01-31"])))
    >>> day.tolist(), (month[day[[0, 2]]] - month[0]).tolist()
    ([1, -1, 0], [1, 0])
    """
    raw = dates.to_numpy("datetime64[ns]").view(np.int64)
    known = raw != np.iinfo(np.int64).min  # NaT
    if not known.any():
        return np.full(len(raw), -1, dtype=np.int64), np.empty(0, dtype=np.int64)
    number = raw // _NS_PER_DAY
    lo, hi = int(number[known].min()), int(number[known].max())
    span = (np.arange(lo, hi + 1, dtype=np.int64) * _NS_PER_DAY).astype("datetime64[ns]")
    return np.where(known, number - lo, -1), _month(span)


def sum_by_account(
    lines: pd.DataFrame, columns: list[str], at: np.ndarray | None, ids: pd.Index,
    by: tuple[str, ...] = (), min_count: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """``lines.groupby(["account_id", *by])[columns].sum(min_count=min_count)``, grouped by
    each line's position among the account ids ``ids`` (``at``, see
    :meth:`~kamlib.intake.datapack.DataPack.account_lines`) rather than by the text of its
    id: the same sums (each group's lines in the same order), sorted by id as the
    group-by sorts them. By the ids themselves without positions, or when a line's id is
    not among them.

    Examples
    --------
    >>> lines = pd.DataFrame({"account_id": ["b", "a", "b"], "amount": [1.0, 2.0, 4.0]})
    >>> sum_by_account(lines, ["amount"], np.array([0, 1, 0]), pd.Index(["b", "a"])).to_dict()
    {'amount': {'a': 2.0, 'b': 5.0}}
    """
    if at is None or len(at) != len(lines) or (at < 0).any():
        keys = ["account_id", *by]
        return lines.groupby(keys)[columns].sum(min_count=min_count)
    g = lines[columns].groupby([at, *(lines[c] for c in by)]).sum(min_count=min_count)
    names = ["account_id", *by]
    if by:
        account = ids.to_numpy()[g.index.get_level_values(0).to_numpy()]
        levels = [account, *(g.index.get_level_values(i) for i in range(1, len(names)))]
        g.index = pd.MultiIndex.from_arrays(levels, names=names)
    else:
        g.index = pd.Index(ids.to_numpy()[g.index.to_numpy()], dtype=ids.dtype, name=names[0])
    return g.sort_index()


def is_month_end(day: pd.Timestamp) -> bool:
    """True for the last day of a month (at midnight)."""
    return bool(day == day.normalize() and day.is_month_end)


@dataclass(frozen=True)
class MonthSums:
    """Per account (``ids``, rows) and month (columns from ``first``): each column's sum,
    and how many lines held a value (one count for the columns without gaps).

    Examples
    --------
    >>> days = pd.to_datetime(["2026-01-05", "2026-02-01", "2026-02-28"])
    >>> lines = pd.DataFrame({"account_id": ["a", "a", "b"], "amount": [1.0, 2.0, 4.0],
    ...                       "date": days})
    >>> s = MonthSums.of(pd.Index(["a", "b"]), lines, ["amount"])
    >>> s.sums["amount"].tolist()
    [[1.0, 2.0], [0.0, 4.0]]
    >>> s.window(pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-28"))["amount"].tolist()
    [2.0, 4.0]
    >>> s.window(pd.Timestamp("2025-11-30"), pd.Timestamp("2025-12-31"))["amount"].tolist()
    [nan, nan]
    >>> s.window(pd.Timestamp("2026-01-15"), pd.Timestamp("2026-02-28")) is None
    True
    """

    ids: pd.Index
    first: int  # months since 1970 of column 0
    sums: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]

    @classmethod
    def of(
        cls, ids: pd.Index | None, lines: pd.DataFrame, columns: list[str],
        codes: np.ndarray | None = None,
    ) -> MonthSums:  # fmt: skip
        """Sum ``columns`` of ``lines`` (with ``account_id`` and ``date``) per account of
        ``ids`` (None: the accounts of the lines, sorted) and month; lines of other
        accounts or without a date are left out. ``codes``: each line's position in
        ``ids`` when known (:meth:`~kamlib.intake.datapack.DataPack.account_lines`)."""
        if ids is None:
            codes, distinct = pd.factorize(lines["account_id"], sort=True)
            ids = pd.Index(distinct, name="account_id")
        elif codes is None:
            codes = positions(ids, lines["account_id"])
        day, of_day = _days(lines["date"])  # each day of the span converted once
        ok = (codes >= 0) & (day >= 0)
        every = bool(ok.all())  # the usual case: no line to leave out, no copy to make
        seen = of_day if every else of_day[day[ok]]  # the span's first and last: lines'
        first = int(seen.min()) if len(seen) else 0
        width = int(seen.max()) - first + 1 if len(seen) else 1
        cell = (codes if every else codes[ok]).astype(np.int64)
        cell *= width
        cell += (of_day - first)[day if every else day[ok]]
        size = len(ids) * width

        def cube(weights: np.ndarray | None) -> np.ndarray:
            return np.bincount(cell, weights=weights, minlength=size).reshape(len(ids), width)

        rows = cube(None).astype(np.int32)
        sums, counts = {}, {}
        for c in columns:
            v = lines[c].to_numpy(dtype=float, na_value=np.nan)
            v = v if every else v[ok]
            gaps = np.isnan(v)
            sums[c] = cube(np.where(gaps, 0.0, v))
            counts[c] = cube((~gaps).astype(float)).astype(np.int32) if gaps.any() else rows
        return cls(ids, first, sums, counts)

    def window(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
        """Each column's sum per account over the window ``(start, end]`` (NaN for an
        account without a value in it, as a group-by's ``sum(min_count=1)``); None when
        the window does not run from month end to month end."""
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        if not (is_month_end(start) and is_month_end(end)):
            return None
        width = next(iter(self.sums.values())).shape[1] if self.sums else 0
        lo = min(max(int(_month(np.array([start.asm8]))[0]) + 1 - self.first, 0), width)
        hi = min(max(int(_month(np.array([end.asm8]))[0]) + 1 - self.first, lo), width)
        out = {}
        for c, s in self.sums.items():
            n = self.counts[c][:, lo:hi].sum(axis=1)
            out[c] = np.where(n > 0, s[:, lo:hi].sum(axis=1), np.nan)
        return pd.DataFrame(out, index=self.ids)
