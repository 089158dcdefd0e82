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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.frames import plain
from ..intake.datapack import positions


def _month(values: np.ndarray) -> np.ndarray:
    """Months since 1970 (datetime64[M] as integers) of datetime64 values."""
    return values.astype("datetime64[M]").astype(np.int64)


_NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min

#: Lines summed at a time: what a build holds beside its result is a block's few
#: arrays, never one the length of the table (a million accounts' 88 M revenue lines)
BLOCK = 1 << 22


def _blocks(n: int) -> range:
    return range(0, n, BLOCK)


def _span(raw: np.ndarray, codes: np.ndarray) -> tuple[int, int] | None:
    """The first and last day (days since 1970) of the lines with an account (``codes``
    not negative) and a date (``raw``: nanoseconds, NaT where none), a block at a time;
    None when there is none.

    Examples
    --------
    >>> days = pd.to_datetime(["2026-02-01", None, "2026-01-31", "2025-01-01"])
    >>> raw = days.to_numpy("datetime64[ns]").view(np.int64)
    >>> _span(raw, np.array([0, 0, 1, -1])) == (20484, 20485)  # 2026-01-31, 2026-02-01
    True
    """
    found: list[tuple[int, int]] = []
    for s in _blocks(len(raw)):
        r, c = raw[s : s + BLOCK], codes[s : s + BLOCK]
        ok = (r != _NAT) & (c >= 0)
        if ok.any():
            days = r[ok] // _NS_PER_DAY
            found.append((int(days.min()), int(days.max())))
    return (min(f[0] for f in found), max(f[1] for f in found)) if found else None


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
        return plain(lines.groupby(keys)[columns].sum(min_count=min_count))
    g = lines[columns].groupby([at, *(lines[c] for c in by)]).sum(min_count=min_count)
    names = ["account_id", *by]
    if by:
        account = ids.to_numpy()[g.index.get_level_values(0).to_numpy()]
        levels = [account, *(g.index.get_level_values(i) for i in range(1, len(names)))]
        g.index = pd.MultiIndex.from_arrays(levels, names=names)
    else:
        g.index = pd.Index(ids.to_numpy()[g.index.to_numpy()], dtype=ids.dtype, name=names[0])
    return plain(g.sort_index())


#: The lines :func:`sum_in_parts` groups at a time (about; an account's lines are never
#: split between parts).
PART_LINES = 1 << 22


def account_parts(counts: np.ndarray, most: int) -> np.ndarray:
    """Each account's part, for accounts taken in their order with ``counts`` lines each:
    consecutive accounts of about ``most`` lines a part (one with more is a part alone).

    >>> account_parts(np.array([2, 3, 0, 5, 1]), 4).tolist()
    [0, 1, 1, 2, 2]
    """
    return (np.cumsum(counts) - 1).clip(0) // most


def sum_in_parts(
    lines: pd.DataFrame, mask: np.ndarray, columns: list[str], at: np.ndarray, ids: pd.Index,
    by: tuple[str, ...] = (), min_count: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """``sum_by_account`` of the lines of ``mask`` (``at``: every line's position among
    ``ids``), taken a part of whole accounts at a time, about :data:`PART_LINES` lines
    each: only a part's lines are copied and grouped at once (a million accounts' window
    holds 25 M activity lines). Each group's sum is its own lines' in their order, so the
    sums are those of one group-by of all of them, to the last bit, in the same order.

    Examples
    --------
    >>> lines = pd.DataFrame({"account_id": ["b", "a", "b", "c"], "amount": [1.0, 2.0, 4.0, 8.0]})
    >>> mask = np.array([True, True, True, False])
    >>> sum_in_parts(lines, mask, ["amount"], np.array([0, 1, 0, 2]), pd.Index(["b", "a", "c"])
    ...              ).to_dict()
    {'amount': {'a': 2.0, 'b': 5.0}}
    """
    rows = np.flatnonzero(mask)
    where = np.asarray(at)[rows]
    need = [*columns, *by] + (["account_id"] if "account_id" in lines.columns else [])

    def part(r: np.ndarray, w: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame({c: lines[c].take(r) for c in dict.fromkeys(need)})
        return sum_by_account(frame, columns, w, ids, by, min_count)

    if len(rows) <= PART_LINES or (where < 0).any():  # an id that is no account's: by text
        return part(rows, where)
    counts = np.bincount(where, minlength=len(ids))
    of_line = account_parts(counts, PART_LINES)[where]
    parts = [part(rows[of_line == k], where[of_line == k]) for k in np.unique(of_line)]
    return pd.concat(parts).sort_index()


def is_month_end(day: pd.Timestamp) -> bool:
    """True for the last day of a month (at midnight)."""
    return bool(day == day.normalize() and day.is_month_end)


@dataclass(frozen=True)
class MonthSums:
    """Per account (``ids``, rows) and month (columns from ``first``): each column's sum,
    and whether any line held a value of it there.

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
    held: dict[str, np.ndarray]  # per account and month: a line held a value (bool)

    @classmethod
    def of(
        cls, ids: pd.Index | None, lines: pd.DataFrame, columns: list[str],
        codes: np.ndarray | None = None,
        values: Callable[[str, slice], np.ndarray] | None = None,
    ) -> MonthSums:  # fmt: skip
        """Sum ``columns`` of ``lines`` (with ``account_id`` and ``date``) per account of
        ``ids`` (None: the accounts of the lines, sorted) and month; lines of other
        accounts or without a date are left out. ``codes``: each line's position in
        ``ids`` when known (:meth:`~kamlib.intake.datapack.DataPack.account_lines`).
        ``values(column, block)``: a column's values for a block of lines, when they are
        computed rather than read (the activities' cost: quantity x unit cost).

        The lines are summed a block at a time, each added in their order to the cell of
        its account and month: the sums are those of one pass over all of them (to the
        last bit), and no array the length of the table is made beside them."""
        if ids is None:
            codes, distinct = pd.factorize(lines["account_id"], sort=True)
            ids = pd.Index(distinct, name="account_id")
        elif codes is None:
            codes = positions(ids, lines["account_id"])
        raw = lines["date"].to_numpy("datetime64[ns]").view(np.int64)
        span = _span(raw, codes)
        lo = span[0] if span else 0
        days = np.arange(lo, (span[1] if span else lo) + 1, dtype=np.int64) * _NS_PER_DAY
        month = _month(days.astype("datetime64[ns]"))  # of each day of the span: a few
        first = int(month[0])
        width = int(month[-1]) - first + 1
        size = len(ids) * width
        get = values or (lambda c, b: lines[c].to_numpy(dtype=float, na_value=np.nan)[b])
        rows = np.zeros(size, dtype=np.int64)
        sums = {c: np.zeros(size) for c in columns}
        held: dict[str, np.ndarray] = {}
        for s in _blocks(len(raw)) if span else ():
            b = slice(s, s + BLOCK)
            r, c = raw[b], codes[b]
            ok = (r != _NAT) & (c >= 0)
            every = bool(ok.all())
            cell = (c if every else c[ok]).astype(np.int64) * width
            cell += (month - first)[(r if every else r[ok]) // _NS_PER_DAY - lo]
            rows += np.bincount(cell, minlength=size)
            for col in columns:
                v = get(col, b)
                v = v if every else v[ok]
                gaps = np.isnan(v)
                if gaps.any() and col not in held:  # the lines so far each held one
                    held[col] = (rows - np.bincount(cell, minlength=size)) > 0
                np.add.at(sums[col], cell, np.where(gaps, 0.0, v))
                if col in held:
                    held[col][cell[~gaps]] = True
        shape = (len(ids), width)
        has = (rows > 0).reshape(shape)
        return cls(
            ids,
            first,
            {c: v.reshape(shape) for c, v in sums.items()},
            {c: held[c].reshape(shape) if c in held else has for c in columns},
        )

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
            some = self.held[c][:, lo:hi].any(axis=1)
            out[c] = np.where(some, s[:, lo:hi].sum(axis=1), np.nan)
        return pd.DataFrame(out, index=self.ids)
