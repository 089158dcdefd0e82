"""The pack's checks that need the engagement: what the as-of date and the trailing window
make of the data, on top of the contract's validation (:mod:`.datapack`).

Rows dated after the as-of date, accounts never or no longer invoiced, a revenue history
too short or with holes, repeated rows, accounts whose revenue moved beyond a limit: each
a :class:`~.datapack.Finding` for the data owner, worded like validation's (file, column,
rows and the fix), for ``kam check`` and the data review.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.evidence import Comparison, of_pack
from ..core.fmt import plural
from ..core.periods import in_window, trailing_window
from .datapack import INFO, WARNING, Collector, DataPack, Finding


def revenue_change(
    revenue: pd.DataFrame,
    as_of: dt.date | str,
    months: int = 12,
    at: np.ndarray | None = None,
    ids: pd.Index | None = None,
) -> pd.DataFrame:
    """Per account with a line: trailing revenue, prior-period revenue and the change
    between them (``at``: each line's position among the account ids ``ids``: the lines
    are then summed by that number a block at a time, with no array the length of the
    table beside them; the same sums but for the last bit of rounding)."""
    windows = [trailing_window(as_of, months, back=b) for b in (0, 1)]
    if at is None or ids is None or (at < 0).any():  # an id that is no account's: by text
        cur, pri = (in_window(revenue["date"], w) for w in windows)
        sums = pd.DataFrame(
            {"trailing": revenue["amount"].where(cur, 0.0),
             "prior": revenue["amount"].where(pri, 0.0)}
        )  # fmt: skip
        g = sums.groupby(revenue["account_id"].rename("account_id"), sort=True).sum()
    else:
        lines, (trailing, prior) = _sums_by_position(revenue, windows, at, len(ids))
        g = pd.DataFrame(
            {"trailing": trailing, "prior": prior}, index=pd.Index(ids, name="account_id")
        )[lines > 0].sort_index()
    g["change"] = (g["trailing"] / g["prior"] - 1).where(g["prior"] > 0)
    return g.reset_index()


#: Lines summed at a time by :func:`_sums_by_position`.
BLOCK = 1 << 22


def _sums_by_position(
    revenue: pd.DataFrame, windows: list[tuple[pd.Timestamp, pd.Timestamp]], at: np.ndarray,
    n: int,
) -> tuple[np.ndarray, list[np.ndarray]]:  # fmt: skip
    """Per account position (``at``, each line's; ``n`` accounts): its lines, and the
    amount of its lines in each window ``(start, end]`` (missing amounts count nothing).

    Examples
    --------
    >>> days = pd.to_datetime(["2026-01-05", "2025-01-05", None, "2026-02-01"])
    >>> rev = pd.DataFrame({"amount": [1.0, 2.0, np.nan, 8.0], "date": days})
    >>> w = [(pd.Timestamp("2025-12-31"), pd.Timestamp("2026-01-31"))]
    >>> lines, (jan,) = _sums_by_position(rev, w, np.array([0, 0, 1, 1]), 3)
    >>> lines.tolist(), jan.tolist()
    ([2, 2, 0], [1.0, 0.0, 0.0])
    """
    lines = np.zeros(n, dtype=np.int64)
    sums = [np.zeros(n) for _ in windows]
    edges = [(np.datetime64(a.asm8, "ns"), np.datetime64(b.asm8, "ns")) for a, b in windows]
    for s in range(0, len(at), BLOCK):
        where = np.asarray(at[s : s + BLOCK])
        lines += np.bincount(where, minlength=n)
        day = revenue["date"].iloc[s : s + BLOCK].to_numpy("datetime64[ns]")
        amount = revenue["amount"].iloc[s : s + BLOCK].to_numpy(dtype=float, na_value=np.nan)
        amount = np.where(np.isnan(amount), 0.0, amount)
        for total, (start, end) in zip(sums, edges, strict=True):
            inside = (day > start) & (day <= end)  # NaT: in no window
            total += np.bincount(where[inside], weights=amount[inside], minlength=n)
    return lines, sums


def analysis_findings(
    pack: DataPack,
    as_of: dt.date | str,
    months: int = 12,
    outlier_change: float = 0.8,
    examples: int = 5,
) -> list[Finding]:
    """Findings that depend on the engagement (as-of date, window), on top of validation's:
    rows after the as-of date, accounts never or no longer invoiced, a revenue history too
    short or with holes, repeated rows, and accounts whose revenue moved beyond
    ``outlier_change``."""
    out = Collector(examples)
    as_of_ts = pd.Timestamp(as_of)
    later = _after_as_of(out, pack, as_of_ts)
    _idle_accounts(out, pack, as_of, months)
    comparison = of_pack(pack).compare(as_of_ts, months)
    _history(out, pack, as_of_ts, months, comparison)
    _duplicates(out, pack)
    _old_ratings(out, pack, as_of_ts)
    _outliers(out, pack, ~later.to_numpy(), as_of, months, outlier_change, comparison)
    return out.findings


#: Interviews this many months before the data date or older are flagged as old.
STALE_MONTHS = 12


def ratings_age(ratings: pd.DataFrame, as_of: object) -> int | None:
    """Whole months from the latest dated interview to ``as_of``; None without dates.

    Examples
    --------
    >>> ratings_age(pd.DataFrame({"date": pd.to_datetime(["2025-06-15", "2025-07-31"])}),
    ...             "2026-09-30")
    14
    """
    if "date" not in ratings.columns or ratings["date"].isna().all():
        return None
    latest, end = pd.Timestamp(ratings["date"].max()), pd.Timestamp(as_of)
    return (end.year - latest.year) * 12 + end.month - latest.month


def _old_ratings(out: Collector, pack: DataPack, as_of_ts: pd.Timestamp) -> None:
    """Interviews from a year or more before the as-of date: what key accounts value may
    have moved since."""
    if not pack.has("service_ratings", "date"):
        return
    ratings = pack["service_ratings"]
    age = ratings_age(ratings, as_of_ts)
    if age is not None and age >= STALE_MONTHS:
        out.add(
            WARNING,
            "service_ratings",
            pack.sources["service_ratings"],
            "date",
            f"the latest interview is from {ratings['date'].max():%B %Y}, {age} months before "
            f"the as-of date {fmt.day_long(as_of_ts)}",
            "Refresh the interviews: what the key accounts value may have moved since.",
            "used as they are; the service model says how old they are",
        )


def _after_as_of(out: Collector, pack: DataPack, as_of_ts: pd.Timestamp) -> pd.Series:
    """Revenue rows dated after the as-of date (left out of every figure)."""
    rev, src_rev = pack["revenue"], pack.sources["revenue"]
    later = rev["date"] > as_of_ts
    if later.any():
        out.add(
            WARNING,
            "revenue",
            src_rev,
            "date",
            f"are dated after the as-of date {fmt.day_long(as_of_ts)}",
            "They are left out of every figure; move the as-of date if they should count.",
            "left out",
            rows=rev.index[later],
            values=rev.loc[later, "date"].dt.strftime("%Y-%m-%d"),
        )
    return later


def invoiced_accounts(pack: DataPack, lines: np.ndarray | None = None) -> np.ndarray:
    """Per account of the accounts table: has it a revenue line (of ``lines`` when
    given, a mask of the revenue's lines)?

    Examples
    --------
    >>> pack = DataPack(".", "csv", {
    ...     "accounts": pd.DataFrame({"account_id": ["a", "b", "c"]}),
    ...     "revenue": pd.DataFrame({"account_id": ["c", "a", "c"]})})
    >>> first = np.array([True, False, False])
    >>> invoiced_accounts(pack).tolist(), invoiced_accounts(pack, first).tolist()
    ([True, False, True], [False, False, True])
    """
    acc, rev = pack["accounts"], pack["revenue"]
    at = pack.account_lines("revenue")
    if at is None:  # ids that repeat: by value
        ids = rev["account_id"] if lines is None else rev.loc[lines, "account_id"]
        return acc["account_id"].isin(pd.unique(ids)).to_numpy()
    seen = np.zeros(len(acc), dtype=bool)
    for s in range(0, len(at), BLOCK):  # a block of lines at a time
        where = np.asarray(at[s : s + BLOCK])
        where = where if lines is None else where[lines[s : s + BLOCK]]
        seen[where[where >= 0]] = True
    return seen


def unplaced(at: np.ndarray, lines: np.ndarray) -> bool:
    """Is the account of some of the ``lines`` (a mask) not in the accounts table (its
    place ``at`` -1)? Read a block at a time.

    >>> unplaced(np.array([0, -1, 2]), np.array([True, False, True]))
    False
    """
    return any(
        bool((np.asarray(at[s : s + BLOCK])[lines[s : s + BLOCK]] < 0).any())
        for s in range(0, len(at), BLOCK)
    )


def _idle_accounts(out: Collector, pack: DataPack, as_of: dt.date | str, months: int) -> None:
    """Accounts never invoiced, and accounts with no revenue in the trailing window."""
    acc, rev, src_acc = pack["accounts"], pack["revenue"], pack.sources["accounts"]
    window = trailing_window(as_of, months)
    invoiced = invoiced_accounts(pack)
    never = acc.loc[~invoiced, "account_id"]
    if len(never):
        out.add(
            WARNING,
            "accounts",
            src_acc,
            "account_id",
            "have no revenue at all",
            "They stay in the customer count with zero revenue; remove them from the "
            "accounts table if they are not customers.",
            "kept at zero",
            rows=never.index,
            values=never,
        )
    recent = invoiced_accounts(pack, in_window(rev["date"], window).to_numpy())
    idle = acc.loc[invoiced & ~recent, "account_id"]
    if len(idle):
        churn = pack.tables.get("churn")
        recorded = (
            int(idle.isin(churn["account_id"]).sum())
            if churn is not None and "account_id" in churn.columns
            else 0
        )
        verb = "is" if recorded == 1 else "are"
        also = f"; {fmt.count(recorded)} of them {verb} in the churn table" if recorded else ""
        out.add(
            INFO,
            "accounts",
            src_acc,
            "account_id",
            f"have no revenue in the trailing {months} months: lapsed customers",
            f"They count as churned in the KPI review unless revenue is missing from the data "
            f"pack{also}.",
            "treated as lapsed",
            rows=idle.index,
            values=idle,
        )


def _history(
    out: Collector, pack: DataPack, as_of_ts: pd.Timestamp, months: int, comparison: Comparison
) -> None:
    """A trailing window or prior year the data does not cover, and months without revenue."""
    src_rev = pack.sources["revenue"]
    days = pack.days_of("revenue")  # the distinct dates: the same span and months
    span = days[days <= as_of_ts]
    if len(span):
        first = span.min()
        if comparison.current_months < months:
            out.add(
                WARNING,
                "revenue",
                src_rev,
                "date",
                f"covers only {comparison.current_months} of the trailing {months} months",
                f"Revenue for 'the last {months} months' is the revenue of those "
                f"{comparison.current_months} months; the line sweep annualises it before "
                "weighing it against annual costs. Deliver the missing months to complete it.",
                "partial year",
            )
        if comparison.prior_months < months:
            out.add(
                WARNING,
                "revenue",
                src_rev,
                "date",
                f"starts on {fmt.day_long(first)}: the {months} months before the last {months} "
                + (
                    f"hold only {plural(comparison.prior_months, 'month')} of revenue"
                    if comparison.prior_months
                    else "hold no revenue"
                ),
                "Growth against the prior year is not computed, nor anything built on it "
                "(growth-based potential, revenue trend in health, retention, the outlier "
                f"check): the reports say so. Deliver revenue from {comparison.prior_start:%B %Y} "
                "on to measure it.",
                "growth left out",
            )
        seen = np.unique(span.to_numpy().astype("datetime64[M]"))
        every = np.arange(first.to_datetime64().astype("datetime64[M]"),
                          as_of_ts.to_datetime64().astype("datetime64[M]") + 1)  # fmt: skip
        gaps = [str(m) for m in np.setdiff1d(every, seen)]
        if gaps:
            out.add(
                WARNING,
                "revenue",
                src_rev,
                "date",
                "has months with no revenue at all",
                "Check the extract is complete; totals for those months are zero.",
                "kept as zero",
                keys=gaps,
            )


def repeated_lines(
    rev: pd.DataFrame, columns: list[str], at: np.ndarray | None,
    codes: dict[str, np.ndarray] | None = None,
) -> pd.Series:  # fmt: skip
    """``rev.duplicated(columns)``: the lines that repeat an earlier one. With ``at``
    (each line's account as a number, :meth:`DataPack.account_lines`), only the lines
    whose columns hash alike to another's are compared: the hash reads numbers, never the
    text of millions of account ids, and two equal lines always hash alike. The hashes
    are made a block of lines at a time and sorted in place (8 bytes a line held), then
    made again to find the lines of those that repeat. ``codes``: text columns as the
    reading coded them (:meth:`DataPack.text_codes`).

    Examples
    --------
    >>> rev = pd.DataFrame({"account_id": ["a", "a", "b", "a"], "amount": [1.0, 1.0, 1.0, -0.0],
    ...                     "date": pd.to_datetime(["2026-01-01"] * 4)})
    >>> repeated_lines(rev, ["account_id", "date", "amount"], np.array([0, 0, 1, 0])).tolist()
    [False, True, False, False]
    """
    if at is None or len(rev) < 2:
        return rev.duplicated(columns, keep="first")
    coded = dict(codes or {})
    for c in columns:  # text not coded by the reading: coded here, the whole column at once
        if c != "account_id" and c not in coded and rev[c].dtype.kind not in "Mmf":
            coded[c] = pd.factorize(rev[c])[0]

    def hashes(b: slice) -> np.ndarray:
        """The hash of each line of the block ``b``: its account and columns mixed."""
        hb = np.asarray(at[b]).astype(np.uint64)
        for c in columns:
            if c != "account_id":  # mix each column in
                hb ^= coded[c][b].astype(np.uint64) if c in coded else _as_numbers(rev[c].iloc[b])
                hb *= np.uint64(0x9E3779B97F4A7C15)
                hb ^= hb >> np.uint64(29)
        return hb

    blocks = [slice(s, s + BLOCK) for s in range(0, len(rev), BLOCK)]
    h = np.empty(len(rev), dtype=np.uint64)  # every line's hash, made a block at a time
    for b in blocks:
        h[b] = hashes(b)
    h.sort()  # sorted in place: the hashes that occur twice or more
    twice = np.unique(h[1:][h[1:] == h[:-1]])
    del h
    maybe = np.zeros(len(rev), dtype=bool)  # then their lines, hashed again block by block
    for b in blocks if len(twice) else ():
        hb = hashes(b)
        i = np.searchsorted(twice, hb).clip(max=len(twice) - 1)
        maybe[b] = twice[i] == hb
    dup = np.zeros(len(rev), dtype=bool)
    if maybe.any():  # the few lines that may repeat: compared by their values
        dup[maybe] = rev.loc[maybe, columns].duplicated(keep="first").to_numpy()
    return pd.Series(dup, index=rev.index)


def _as_numbers(s: pd.Series) -> np.ndarray:
    """Dates or amounts as 64-bit numbers that are equal where their values are: as they
    are stored (0.0 and -0.0 alike, every missing value alike)."""
    if s.dtype.kind in "Mm":
        return s.to_numpy().view(np.uint64)
    v = s.to_numpy(dtype=float) + 0.0  # -0.0 becomes 0.0
    return np.where(np.isnan(v), np.nan, v).view(np.uint64)


def _duplicates(out: Collector, pack: DataPack) -> None:
    """Revenue rows that repeat an earlier one exactly."""
    rev, src_rev = pack["revenue"], pack.sources["revenue"]
    key_cols = [
        c
        for c in ("account_id", "date", "product", "amount", "invoice_id")
        if pack.has("revenue", c)  # present with some value (counted once per pack)
    ]
    at = pack.account_lines("revenue") if "account_id" in key_cols else None
    texts = [c for c in key_cols if c != "account_id" and rev[c].dtype.kind not in "Mmf"]
    dup = repeated_lines(rev, key_cols, at, {c: pack.text_codes("revenue", c)[0] for c in texts})
    if dup.any():
        out.add(
            WARNING,
            "revenue",
            src_rev,
            ", ".join(key_cols),
            "are duplicates: they repeat an earlier row exactly (same " + ", ".join(key_cols) + ")",
            "They are kept, as invoice lines can repeat; remove them if they are double-counted.",
            "kept",
            rows=rev.index[dup],
        )


def _outliers(
    out: Collector,
    pack: DataPack,
    lines: np.ndarray,
    as_of: dt.date | str,
    months: int,
    outlier_change: float,
    comparison: Comparison,
) -> None:
    """Accounts whose trailing revenue (of the revenue's ``lines``) moved more than
    ``outlier_change`` on the prior window (not checked against a partial prior year)."""
    src_rev = pack.sources["revenue"]
    at = pack.account_lines("revenue")
    ids = pd.Index(pack["accounts"]["account_id"])
    if at is not None:  # the lines after the as-of date are in neither window: not copied
        change = revenue_change(pack["revenue"], as_of, months, at, ids)
    else:
        change = revenue_change(pack["revenue"][lines], as_of, months)
    moved = (change["change"].abs() > outlier_change) & (change["trailing"] > 0)  # lapsed: above
    big = change[moved].sort_values("change")
    if not comparison.full:  # against a partial year every account "moves": no check
        big = big.iloc[:0]
    if len(big):
        out.add(
            WARNING,
            "revenue",
            src_rev,
            "amount",
            f"{len(big):,} {'account' + chr(39) + 's' if len(big) == 1 else 'accounts' + chr(39)} "
            f"revenue over the trailing {months} months moved by more than "
            f"{fmt.pct(outlier_change)}, up or down, against the {months} months before",
            "Kept; check each is real (lost contract, acquisition, re-billing) "
            "and not a data error.",
            "kept",
            rows=None,
            keys=[f"{r.account_id} at {fmt.pct(r.change, signed=True)}" for r in big.itertuples()],
        )
