"""Step 5 — KPI review: is the key account programme working?

Pure functions over the pack's tables; each returns a frame or a number and says how it
is computed:

* :func:`retention` — logo retention, gross and net revenue retention of one starting
  cohort (accounts with revenue at the start; new accounts excluded; GRR capped at 100 %);
* :func:`trailing_revenue` — each account's revenue over the 12 months ending at each
  period end (the basis of retention and growth, free of seasonality);
* :func:`retention_by_period` — the retention KPIs at every period end against the same
  date a year earlier, for key accounts and for the rest;
* :func:`lifetime_value` — customer lifetime value from gross profit per account,
  retention and a discount rate: ``m x (1 + d) / (1 + d - r)``;
* :func:`rag` — actual against target: green when met, amber within a tolerance, red.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.notes import Note, note
from .churn import churned_sales, lost_accounts
from .month_sums import MonthSums, is_month_end

if TYPE_CHECKING:
    from ..core.evidence import Evidence
    from ..intake.datapack import DataPack
    from ..intake.engagement import Engagement
    from .segmentation import Segmentation


FREQS = {"quarter": "Q", "month": "M", "year": "Y"}


def retention(start: pd.Series, end: pd.Series, lost: set | None = None) -> dict[str, float]:
    """Retention of the cohort of accounts with revenue in ``start``.

    ``start`` and ``end`` are revenue per account over two equal windows (e.g. the
    trailing 12 months a year apart). Accounts absent or at zero in ``start`` are new and
    left out. Churn is the start revenue of accounts with nothing at the end,
    contraction the loss of those that shrank, expansion the gain of those that grew.
    ``lost``: accounts the churn table records as lost in the window; they count as churned
    even with revenue before they left: in logo retention, and what their revenue fell by
    is churn rather than contraction (GRR and NRR are unchanged).

    ``GRR = (start - churn - contraction) / start`` (at most 100 %);
    ``NRR = (start - churn - contraction + expansion) / start``.

    Examples
    --------
    >>> s = pd.Series({"a": 6.0, "b": 3.1, "c": 0.9})
    >>> e = pd.Series({"a": 7.8, "b": 2.5, "n": 5.0})
    >>> r = retention(s, e)
    >>> round(r["grr"], 3), round(r["nrr"], 3), r["logo_retention"]
    (0.85, 1.03, 0.6666666666666666)
    >>> r = retention(s, e, lost={"b"})
    >>> round(r["churn"], 2), round(r["contraction"], 2), round(r["grr"], 3)
    (1.5, 0.0, 0.85)
    """
    pos = (start > 0).to_numpy()
    s = start[pos]
    if end.index is start.index:  # aligned (the periods' cohorts): no lookup by label
        e = pd.Series(end.to_numpy()[pos], index=s.index)
    else:
        e = end.reindex(s.index)
    e = e.fillna(0.0).clip(lower=0)
    total = float(s.sum())
    churned = (e <= 0) | s.index.isin(list(lost or ()))
    churn = float((s - e)[churned].clip(lower=0).sum())
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


def trailing_revenue(
    revenue: pd.DataFrame, ends: list[pd.Timestamp], sums: MonthSums | None = None
) -> pd.DataFrame:
    """Revenue per account over the 12 months ending at each date (columns: the ends; rows:
    the accounts with revenue lines in any of the windows).

    Windows of whole months (ends at month ends, the period ends) are summed from one
    account x month table built in a single pass over the lines, not one pass per end:
    ``sums`` when the revenue's month sums are already built (the pack's,
    :func:`kamlib.method.segmentation.revenue_by_month`).

    Examples
    --------
    >>> rev = pd.DataFrame({"account_id": ["a", "a", "b"], "amount": [1.0, 2.0, 4.0],
    ...     "date": pd.to_datetime(["2025-01-15", "2025-12-31", "2024-12-31"])})
    >>> t = trailing_revenue(rev, [pd.Timestamp("2024-12-31"), pd.Timestamp("2025-12-31")])
    >>> t.index.tolist(), t.to_numpy().tolist()
    (['a', 'b'], [[0.0, 3.0], [4.0, 0.0]])
    """
    ends = [pd.Timestamp(e) for e in ends]
    starts = [e - pd.DateOffset(months=12) for e in ends]
    if ends and all(is_month_end(d) for d in ends + starts):
        return _trailing_by_month(revenue, ends, starts, sums)
    return _trailing_by_dates(revenue, ends)


def _trailing_by_dates(revenue: pd.DataFrame, ends: list[pd.Timestamp]) -> pd.DataFrame:
    """:func:`trailing_revenue` for any dates: one pass over the lines per end."""
    out = {}
    for end in ends:
        start = end - pd.DateOffset(months=12)
        w = revenue[(revenue["date"] > start) & (revenue["date"] <= end)]
        out[end] = w.groupby("account_id")["amount"].sum()
    return pd.DataFrame(out).fillna(0.0)


def _trailing_by_month(
    revenue: pd.DataFrame, ends: list[pd.Timestamp], starts: list[pd.Timestamp],
    sums: MonthSums | None = None,
) -> pd.DataFrame:  # fmt: skip
    """:func:`trailing_revenue` for windows of whole months: each account's revenue per
    month in one pass (a line's month, counted once), then each window's 12 months."""
    sums = sums if sums is not None else MonthSums.of(None, revenue, ["amount"])
    windows = [sums.window(start, end) for start, end in zip(starts, ends, strict=True)]
    frame = pd.DataFrame(
        {end: w["amount"] for end, w in zip(ends, windows, strict=True) if w is not None}
    )
    return frame[frame.notna().any(axis=1)].fillna(0.0).sort_index()


Cohorts = "pd.Series | dict[pd.Timestamp, pd.Series]"


def _cohort(key: pd.Series | dict, end: pd.Timestamp) -> pd.Series:
    """The key-account flags that apply to the period ending at ``end``."""
    return key[end] if isinstance(key, dict) else key


def _groups(flags: pd.Series) -> list[tuple[str, np.ndarray]]:
    """The key accounts and the rest of a cohort: (group, which of its accounts)."""
    return [
        ("key accounts", flags.eq(True).to_numpy()),
        ("other accounts", flags.eq(False).to_numpy()),
    ]


class _Lookups:
    """Where each account of a cohort is in a table keyed by account (trailing revenue,
    wallets), and where each line of a table (surveys, opportunities) is in the cohort:
    looked up once per cohort, not once per period and group (a cohort is often the same
    for several periods; 100,000 accounts make each lookup count)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, int], tuple[object, pd.Index, np.ndarray]] = {}

    def where(self, values: pd.Index | pd.DataFrame, index: pd.Index) -> np.ndarray:
        """The position in ``index`` of each of ``values`` (a table: its account ids;
        -1: not there)."""
        k = (id(values), id(index))
        if k not in self._kept:  # both kept with the answer: their ids stay theirs
            ids = values["account_id"] if isinstance(values, pd.DataFrame) else values
            self._kept[k] = (values, index, index.get_indexer(ids))
        return self._kept[k][2]

    def values(
        self, by_account: pd.DataFrame | pd.Series, flags: pd.Series, members: np.ndarray,
        column: object = None, fill: float = 0.0,
    ) -> pd.Series:  # fmt: skip
        """A series keyed by account (or a frame's ``column``) for the ``members`` of
        the cohort ``flags``, in its order; ``fill`` for an account without a value."""
        at = self.where(flags.index, by_account.index)[members]  # the frame's own index
        col = by_account[column] if isinstance(by_account, pd.DataFrame) else by_account
        got = np.where(at >= 0, col.to_numpy(dtype=float)[at], fill)
        return pd.Series(got, index=flags.index[members])

    def lines(self, table: pd.DataFrame, flags: pd.Series, members: np.ndarray) -> np.ndarray:
        """Which lines of ``table`` are of the cohort's ``members``."""
        return np.append(members, False)[self.where(table, flags.index)]


def retention_by_period(
    revenue: pd.DataFrame,
    key: pd.Series | dict,
    ends: list[pd.Timestamp],
    measurable: set | None = None,
    lost: dict | None = None,
    t12: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Logo retention, GRR, NRR and revenue growth at each period end, against the same
    date a year earlier, for key accounts and the rest (``t12``: the revenue's
    :func:`trailing_revenue` at the ends and a year before them, when already summed).

    ``key`` is account_id -> bool, one Series for every period or a dict per period end
    (the accounts that were key at the start of each period: then an account that
    stopped buying counts against retention). Period ends not in ``measurable`` (when
    given: the data does not cover the 24 months behind them) get NaN, not a rate
    computed on part of a year. ``lost``: period end -> the accounts recorded as lost in
    its window (see :func:`retention`).

    Examples
    --------
    >>> rev = pd.DataFrame({"account_id": ["a", "b", "a"], "amount": [10.0, 10.0, 12.0],
    ...     "date": pd.to_datetime(["2025-03-01", "2025-03-01", "2026-03-01"])})
    >>> end = pd.Timestamp("2026-03-31")
    >>> key = {end: pd.Series({"a": True, "b": True})}  # both key a year earlier
    >>> r = retention_by_period(rev, key, [end]).iloc[0]
    >>> float(r["logo_retention"]), round(float(r["nrr"]), 6)
    (0.5, 0.6)
    """
    year_before = [e - pd.DateOffset(years=1) for e in ends]
    if t12 is None:
        t12 = trailing_revenue(revenue, sorted(set(ends) | set(year_before)))
    rows, look = [], _Lookups()
    for end, before in zip(ends, year_before, strict=True):
        flags = _cohort(key, end)
        for group, members in _groups(flags):
            s = look.values(t12, flags, members, before)
            e = look.values(t12, flags, members, end)
            e.index = s.index  # one index: retention pairs them by position
            r = retention(s, e, (lost or {}).get(end))
            growth = e.sum() / s.sum() - 1 if s.sum() > 0 else float("nan")
            if measurable is not None and end not in measurable:
                r.update({k: float("nan") for k in ("grr", "nrr", "logo_retention")})
                growth = float("nan")
            rows.append(
                {"period_end": end, "group": group, "revenue": e.sum(), "growth": growth, **r}
            )
    return pd.DataFrame(rows)


def lifetime_value(
    gross_profit_per_account: float, annual_churn: float, discount_rate: float = 0.10
) -> dict[str, float]:
    """Customer lifetime value, the standard retention-based formula: annual gross profit
    per account ``m``, retention ``r = 1 - churn`` and discount rate ``d``:
    ``CLV = m x (1 + d) / (1 + d - r)``. Without churn and discount it is unbounded
    (NaN).

    Examples
    --------
    >>> round(lifetime_value(40_000, 0.08, 0.10)["clv"], 2)
    244444.44
    >>> round(lifetime_value(50_000, 0.0, 0.10)["clv"])
    550000
    """
    r = 1 - annual_churn
    denominator = 1 + discount_rate - r
    clv = (
        gross_profit_per_account * (1 + discount_rate) / denominator if denominator > 0 else np.nan
    )
    return {
        "gross_profit": float(gross_profit_per_account),
        "annual_churn": float(annual_churn),
        "discount_rate": float(discount_rate),
        "clv": float(clv),
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


def _window(dates: pd.Series, end: pd.Timestamp, freq: str) -> pd.Series:
    start = (pd.Period(end, freq=FREQS[freq]) - 1).end_time.normalize()
    return (dates > start) & (dates <= end)


def period_kpis(
    revenue: pd.DataFrame,
    key: pd.Series | dict,
    ends: list[pd.Timestamp],
    freq: str = "quarter",
    surveys: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    wallet: pd.Series | None = None,
    measurable: set | None = None,
    current: set | None = None,
    lost: dict | None = None,
    sums: MonthSums | None = None,
) -> pd.DataFrame:
    """Every KPI at each period end, for key accounts and the rest: one row per period
    end and group (``sums``: the revenue's month sums, when built).

    Retention, NRR, GRR, revenue and ACV growth compare the trailing 12 months with the
    12 months a year earlier (annual, free of seasonality); NPS, CSAT and opportunities
    count what happened within the period. ACV growth is the change of the average
    annual revenue per active account; share of wallet the trailing revenue of accounts
    with a wallet estimate over their wallets. A KPI without its data is NaN, and so are
    the annual comparisons at period ends outside ``measurable`` (see
    :func:`retention_by_period`); so are ACV and share of wallet at period ends outside
    ``current`` (their trailing 12 months are not covered), and the survey and
    opportunity counts of a period that begins before that table's data does.
    ``key``: one Series, or one per period end.
    """
    every = sorted(set(ends) | {e - pd.DateOffset(years=1) for e in ends})
    t12 = trailing_revenue(revenue, every, sums)
    table = retention_by_period(revenue, key, ends, measurable, lost, t12)
    extra = []

    def starts(frame: pd.DataFrame | None, column: str) -> pd.Period | None:
        if frame is None or column not in frame.columns or frame[column].isna().all():
            return None
        return frame[column].min().to_period("M")

    def before_data(first: pd.Period | None, end: pd.Timestamp) -> bool:
        start = (pd.Period(end, freq=FREQS[freq]) - 1).end_time.normalize() + pd.Timedelta(days=1)
        return first is None or start.to_period("M") < first

    survey_start = starts(surveys, "date")
    opp_start = starts(opportunities, "created")
    look = _Lookups()
    for end in ends:
        before = end - pd.DateOffset(years=1)
        flags = _cohort(key, end)
        for group, members in _groups(flags):
            now = look.values(t12, flags, members, end)
            then = look.values(t12, flags, members, before)
            acv_now = now[now > 0].mean() if (now > 0).any() else np.nan
            acv_then = then[then > 0].mean() if (then > 0).any() else np.nan
            row = {"period_end": end, "group": group, "acv": acv_now}
            row["acv_growth"] = acv_now / acv_then - 1 if acv_then and acv_then > 0 else np.nan
            if measurable is not None and end not in measurable:
                row["acv_growth"] = np.nan
            share = np.nan
            if wallet is not None:
                w = look.values(wallet, flags, members, fill=np.nan)
                has = (w > 0).to_numpy()  # an estimate, above zero
                share = now[has].sum() / w[has].sum() if has.any() else np.nan
            row["share_of_wallet"] = share
            if current is not None and end not in current:
                row["acv"] = row["share_of_wallet"] = np.nan
            mine = None
            if surveys is not None and survey_start is not None:
                if end.to_period("M") >= survey_start:
                    mine = surveys[look.lines(surveys, flags, members)]
            row.update(_survey_kpis(mine, end, freq, surveys is not None))
            row.update({"opps_identified": np.nan, "opps_won": np.nan, "won_value": np.nan})
            if opportunities is not None and not before_data(opp_start, end):
                o = opportunities[look.lines(opportunities, flags, members)]
                row.update(_opportunity_kpis(o, end, freq))
            extra.append(row)
    return table.merge(pd.DataFrame(extra), on=["period_end", "group"])


def _survey_kpis(
    surveys: pd.DataFrame | None, end: pd.Timestamp, freq: str, surveyed: bool
) -> dict:
    """NPS, respondents and CSAT of a group's ``surveys`` in the period ending at ``end``.
    None while the pack has surveys (``surveyed``): they begin after the period, so the
    respondents are unknown, not zero."""
    row: dict = {"nps": np.nan, "respondents": 0, "csat": np.nan}
    if surveys is None:
        return row | {"respondents": np.nan} if surveyed else row
    if "nps" not in surveys.columns:
        return row
    # a score is a rate: answers from part of a period still make one
    s = surveys[_window(surveys["date"], end, freq)]
    answered = s["nps"].dropna()
    row["respondents"] = int(len(answered))
    if len(answered):
        from .health import nps

        row["nps"] = nps(answered)
    if "csat" in s.columns and s["csat"].notna().any():
        row["csat"] = float(s["csat"].mean())
    return row


def _opportunity_kpis(o: pd.DataFrame, end: pd.Timestamp, freq: str) -> dict:
    """Opportunities identified, won and their value, of a group in the period ending at
    ``end``."""
    row: dict = {}
    if "created" in o.columns:
        row["opps_identified"] = int(_window(o["created"], end, freq).sum())
    if "expected_close" in o.columns and "status" in o.columns:
        won = o[(o["status"] == "won") & _window(o["expected_close"], end, freq)]
        row["opps_won"] = int(len(won))
        row["won_value"] = float(won["amount"].sum()) if "amount" in won else np.nan
    return row


#: The scorecard's KPIs: column, how the target is set, and the unit of the delta (the
#: report names them: ``kamlib.report.workbook.GLOSSARY``).
SCORECARD = [
    ("logo_retention", "retention", "points"),
    ("grr", "retention", "points"),
    ("nrr", "retention", "points"),
    ("growth", "revenue_growth", "level"),
    ("acv_growth", "revenue_growth", "level"),
    ("share_of_wallet", "share_of_wallet", "points"),
    ("nps", "nps", "nps"),
    ("csat", "satisfaction", "relative"),
    ("opps_won", "opportunities", "relative"),
]


#: KPIs counted per period (not a level at the period end): their baseline is the
#: average period of the year before the programme, not one period that may be an outlier.
FLOWS = ("opps_won",)

#: What a comparable key account programme (a European telecom, METHOD.md's reference
#: case) aimed at in its first year, and what it reported: stated beside the targets.
REFERENCE_CASE = {
    "retention": (0.05, 0.10),  # aimed: retention up 5 to 10 %
    "satisfaction": (0.15, 0.20),  # aimed: satisfaction up 15 to 20 %
    "revenue_growth": (0.10, 0.15),  # aimed: key-account revenue up 10 to 15 %
}
REFERENCE_REPORTED = {"retention": 0.08, "revenue_growth": 0.12}  # what it reported


def scorecard(
    table: pd.DataFrame,
    baseline_end: pd.Timestamp | None,
    targets: dict[str, float],
    amber: float = 0.5,
    min_accounts: int = 1,
) -> pd.DataFrame:
    """Key accounts' KPIs before and after the programme: baseline, actual (the latest
    period end), target, delta and RAG.

    A KPI measured on fewer than ``min_accounts`` key accounts (respondents for NPS and
    CSAT) at the baseline or now is shown but not scored (status ``too few``).

    ``baseline_end`` is the last period end before the programme started (see
    :func:`baseline_end`), or None when there is none: then no KPI has a target or a
    status. A KPI whose baseline is not available (its data does not reach back) has
    none either; a KPI that cannot be measured now is left out and named in
    ``attrs["not_measured"]``.

    Targets: ``retention`` and ``share_of_wallet`` add points to the baseline (a share
    at most half of the way to 100 %: 97 % + 5 points is 98.5 %, not an unreachable 100 %);
    opportunities won (a count per period, :data:`FLOWS`) start from the average period of
    the year up to the baseline;
    ``satisfaction`` and ``opportunities`` are relative improvements; ``nps`` adds NPS
    points; ``revenue_growth`` is the growth rate to reach. Where the key accounts'
    revenue growth is their NRR less 100 % (:func:`growth_is_nrr`), it is not scored twice:
    NRR's target is the higher of its own and 100 % plus the growth target.

    Examples
    --------
    >>> t = pd.DataFrame({"period_end": pd.to_datetime(["2025-09-30", "2026-09-30"]),
    ...                   "group": "key accounts", "logo_retention": [0.90, 0.96]})
    >>> c = scorecard(t, pd.Timestamp("2025-09-30"), {"retention": 0.05})
    >>> c[["baseline", "actual", "status"]].values.tolist()
    [[0.9, 0.96, 'green']]
    >>> scorecard(t, None, {"retention": 0.05})["status"].tolist()
    ['no baseline']
    """
    k = table[table["group"] == "key accounts"].sort_values("period_end")
    if k.empty:
        return pd.DataFrame()
    others = table[table["group"] == "other accounts"].sort_values("period_end")
    last = k.iloc[-1]
    base = k[k["period_end"] == baseline_end] if baseline_end is not None else k.iloc[:0]
    base = base.iloc[-1] if len(base) else None
    rows, missing = [], []
    folded = growth_is_nrr(k)
    for col, tkey, unit in SCORECARD:
        if col not in k.columns or (col == "growth" and folded):
            continue
        a = float(last[col]) if pd.notna(last[col]) else np.nan
        if np.isnan(a):
            missing.append(col)
            continue
        b = baseline_value(k, col, baseline_end) if base is not None else np.nan
        t = targets.get(tkey, np.nan)
        size = "respondents" if col in ("nps", "csat") else "accounts"
        sizes = [r.get(size) for r in (last, base) if r is not None]
        few = any(pd.notna(n) and n < min_accounts for n in sizes)
        if np.isnan(b):
            target = delta = np.nan
            status = "no baseline"
        elif few:
            target, delta, status = np.nan, a - b, "too few"
        else:
            target = target_from(col, unit, b, t, targets, folded)
            delta = a - b
            need = target - b
            if np.isnan(target):
                status = "no target"
            else:
                status = (
                    rag(delta, need, amber=amber)
                    if unit != "level"
                    else rag(a, target, amber=amber)
                )
        rows.append(
            {
                "column": col,
                "baseline": b,
                "actual": a,
                "target": target,
                "delta": delta,
                "status": status,
                "unit": unit,
                "others_delta": _change_of(others, col, last["period_end"], baseline_end),
                # the next period's target: the same rule, from where the KPI is now
                "next_target": target_from(col, unit, a, t, targets, folded)
                if not np.isnan(target)
                else np.nan,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "column", "baseline", "actual", "target", "delta", "status", "unit", "others_delta",
            "next_target",
        ],
    )  # fmt: skip
    out.attrs["baseline_end"] = base["period_end"] if base is not None else None
    out.attrs["actual_end"] = last["period_end"]
    out.attrs["not_measured"] = missing
    out.attrs["growth_is_nrr"] = folded
    return out


def target_from(
    col: str, unit: str, start: float, step: float, targets: dict[str, float], folded: bool
) -> float:
    """A KPI's target a period on from ``start`` (:func:`scorecard`'s rules): points added
    to a share, at most half of the way to 100 %; NPS points up to 100; a relative
    improvement of something; a level as given.

    Examples
    --------
    >>> target_from("logo_retention", "points", 0.97, 0.05, {}, False)
    0.985
    >>> target_from("nps", "nps", 34.0, 10.0, {}, False), target_from("csat", "relative", 0.0,
    ...                                                                  0.1, {}, False)
    (44.0, nan)
    """
    if unit == "points":
        # a share cannot pass 100 %, and a year closes at most half of what is left
        target = min(start + step, start + (1.0 - start) / 2) if col != "nrr" else start + step
        if col == "nrr" and folded:  # it carries the growth ambition too
            target = max(target, 1 + targets.get("revenue_growth", -np.inf))
        return float(target)
    if unit == "nps":
        return float(min(100.0, start + step))
    if unit == "relative":
        return float(start * (1 + step)) if start > 0 else np.nan  # +10 % of nothing is none
    return float(step)


def growth_is_nrr(k: pd.DataFrame) -> bool:
    """The key accounts' revenue growth is their net revenue retention less 100 % at
    every period end where both are measured: the same accounts followed over a year
    (no new account among them), so the scorecard counts it once, as NRR.

    Examples
    --------
    >>> growth_is_nrr(pd.DataFrame({"growth": [0.088, np.nan], "nrr": [1.088, np.nan]}))
    True
    >>> growth_is_nrr(pd.DataFrame({"growth": [0.10], "nrr": [1.05]}))
    False
    """
    if not {"growth", "nrr"} <= set(k.columns):
        return False
    both = k[["growth", "nrr"]].dropna()
    return bool(len(both)) and bool(np.allclose(both["growth"], both["nrr"] - 1, atol=1e-9))


def baseline_value(group: pd.DataFrame, col: str, base_end: pd.Timestamp | None) -> float:
    """A group's KPI at the baseline period end; a count per period (:data:`FLOWS`) is
    noisy, so its baseline is the average period of the year up to then. NaN where the
    baseline period has no value.

    Examples
    --------
    >>> g = pd.DataFrame({"period_end": pd.to_datetime(["2025-06-30", "2025-09-30"]),
    ...                   "nps": [1.0, 3.0], "opps_won": [4, 6]})
    >>> baseline_value(g, "nps", pd.Timestamp("2025-09-30"))
    3.0
    >>> baseline_value(g, "opps_won", pd.Timestamp("2025-09-30"))
    5.0
    """
    if base_end is None or col not in group:
        return float("nan")
    at = group.loc[group["period_end"] == base_end, col]
    if at.isna().all():
        return float("nan")
    if col not in FLOWS:
        return float(at.iloc[-1])
    year = group.loc[
        (group["period_end"] > base_end - pd.DateOffset(months=12))
        & (group["period_end"] <= base_end),
        col,
    ]
    return float(year.mean())


def _change_of(
    group: pd.DataFrame, col: str, end: pd.Timestamp, base_end: pd.Timestamp | None
) -> float:
    """A group's change of one KPI from the baseline (:func:`baseline_value`) to ``end``,
    measured as the scorecard measures it; NaN where either end is not known.

    Examples
    --------
    >>> g = pd.DataFrame({"period_end": pd.to_datetime(["2025-06-30", "2025-09-30",
    ...                   "2026-09-30"]), "nps": [1.0, 3.0, 10.0], "opps_won": [4, 6, 9]})
    >>> _change_of(g, "nps", pd.Timestamp("2026-09-30"), pd.Timestamp("2025-09-30"))
    7.0
    >>> _change_of(g, "opps_won", pd.Timestamp("2026-09-30"), pd.Timestamp("2025-09-30"))
    4.0
    """
    if col not in group:
        return float("nan")
    now = group.loc[group["period_end"] == end, col]
    if now.isna().all():
        return float("nan")
    return float(now.iloc[-1]) - baseline_value(group, col, base_end)


def baseline_end(
    programme_start: object, as_of: object, freq: str = "quarter"
) -> pd.Timestamp | None:
    """The baseline: the last period end strictly before the programme started, or None
    when there is no start date or the programme starts after the last complete period.

    Examples
    --------
    >>> str(baseline_end("2025-10-01", "2026-09-30").date())
    '2025-09-30'
    >>> baseline_end("2025-09-30", "2026-09-30").strftime("%Y-%m-%d")  # strictly before
    '2025-06-30'
    >>> baseline_end("2026-10-01", "2026-09-30") is None  # not started yet
    True
    """
    if not programme_start:
        return None
    start = pd.Timestamp(programme_start)
    last = period_ends(as_of, 1, freq)[-1]
    if start > last:
        return None
    p = pd.Period(start - pd.Timedelta(days=1), freq=FREQS[freq])
    end = p.end_time.normalize()
    if end >= start:  # the period holding the day before the start ends after it
        end = (p - 1).end_time.normalize()
    return end


#: What an early warning reads of a key account's health (:func:`early_warnings`).
WARNING_FACTS = ("health", "declining_revenue", "growth", "falling_nps", "signals",
                 "net_margin", "revenue", "no_senior", "days_since_senior")  # fmt: skip


def early_warnings(
    now: pd.DataFrame,
    before: pd.DataFrame,
    owners: pd.Series,
    names: pd.Series,
    health_drop: float = 10.0,
    senior_days: int = 180,
) -> pd.DataFrame:
    """Key accounts to act on, each with its reasons (a list of notes) and owner: health down
    ``health_drop`` points or more since the last period, declining revenue, falling NPS,
    a loss after cost-to-serve, or no senior contact in ``senior_days`` days; the weakest
    health first. ``now`` / ``before`` come from
    :func:`kamlib.method.health.account_health`."""
    change = (now["health"] - before["health"].reindex(now.index)).to_dict()
    rows = []
    read = [c for c in WARNING_FACTS if c in now.columns]  # only these: 17,000 key accounts
    for a, r in now[read].to_dict("index").items():  # a row as a dict
        why = []
        if pd.notna(change.get(a)) and change[a] <= -health_drop:
            why.append(note("warn.health_down", points=-change[a], health=r["health"]))
        if r.get("declining_revenue"):
            why.append(note("warn.revenue_down", growth=r["growth"]))
        if r.get("falling_nps"):
            fell = next(s for s in r["signals"] if s.code == "risk.nps_down")
            why.append(note("warn.nps_down", points=fell.values["points"]))
        margin = r.get("net_margin", np.nan)
        if pd.notna(margin) and margin < 0:
            why.append(note("warn.loss", amount=-margin * r["revenue"], margin=margin))
        if bool(r.get("no_senior")):
            why.append(note("warn.no_senior"))
        elif pd.notna(r.get("days_since_senior")) and r["days_since_senior"] > senior_days:
            why.append(note("warn.stale_senior", days=int(r["days_since_senior"])))
        if why:
            rows.append(
                {
                    "account_id": a,
                    "account": names.get(a, a),
                    "owner": owners.get(a, ""),
                    "health": r["health"],
                    "change": change.get(a),
                    "revenue": r["revenue"],
                    "reasons": why,
                }
            )
    cols = ["account_id", "account", "owner", "health", "change", "revenue", "reasons"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["health", "revenue"], ascending=[True, False]).reset_index(drop=True)


@dataclass
class KpiReview:
    table: pd.DataFrame  # one row per period end and group
    scorecard: pd.DataFrame
    health: pd.DataFrame  # key accounts now, with the change since the last period
    warnings: pd.DataFrame
    weights: dict
    period: str
    notes: list[Note] = field(default_factory=list)
    gross_profit: dict = field(default_factory=dict)  # per account and year, per group
    nps_min_respondents: int = 1  # an account's NPS counts in its health from this many
    discount_rate: float = 0.10  # for customer lifetime value
    measured: Note | None = None  # why the programme's effect cannot be measured; None: it can
    # per account and year, per group, after cost-to-serve (step 3's); empty without it
    net_contribution: dict = field(default_factory=dict)
    stale_days: int = 180  # a contact older than this is stale (health: contact recency)
    targets_agreed: bool = False  # agreed with management; else the targets are proposed


def cohorts(
    engagement, ends: list[pd.Timestamp], today: pd.Series, measurable: set
) -> dict[pd.Timestamp, pd.Series]:
    """For each period end, the accounts that were key at the start of its comparison
    (12 months earlier), by the segmentation's rules applied to the data of that date:
    account_id -> bool. Where the data does not reach back that far (no annual KPI is
    measured there), the period's surveys and opportunities are counted for ``today``'s
    key accounts."""
    from . import segmentation

    out = {}
    for end in ends:
        if end not in measurable:
            out[end] = today
            continue
        out[end] = segmentation.key_at(engagement, end - pd.DateOffset(years=1))
    return out


def analyse(
    engagement: Engagement, seg: Segmentation | None = None, period: str = "", periods: int = 0
) -> KpiReview:
    """Run step 5 on an engagement (``seg``: step 1, computed when not given).

    Evidence rules: the annual KPIs (retention, GRR, NRR, growth, ACV growth) at a period
    end need revenue data for the 24 months behind it, else they are not available; each
    period's key accounts are those that were key 12 months before its end; the baseline
    is the last period end before the programme started, and without one (no start date,
    a programme that has not started, data that does not reach back) no KPI gets a target
    or a RAG status.
    """
    from . import segmentation

    cfg, pack = engagement.config, engagement.pack
    s = cfg.method.kpi_review
    period = period or s.period
    if period not in FREQS:
        from ..core.errors import ParameterError

        raise ParameterError(
            f"period '{period}' is not known: use {', '.join(repr(f) for f in FREQS)}."
        )
    seg = seg or segmentation.segment(engagement)
    notes: list[Note] = []
    acc = seg.accounts
    key = pd.Series(acc["key"].to_numpy(), index=acc["account_id"])
    revenue = pack["revenue"]
    if seg.grouped:
        unit = segmentation.units(pack["accounts"])
        revenue = revenue.assign(account_id=revenue["account_id"].map(unit).to_numpy())
    start = cfg.method.programme_start
    base_end = baseline_end(start, cfg.as_of, period)
    ends = _review_ends(engagement.evidence, cfg.as_of, periods or s.periods, period, notes)
    every = sorted(set(ends) | ({base_end} if base_end is not None else set()))
    measurable, current = _measurable(engagement.evidence, ends, every, notes)
    surveys, opps, wallet = _optional_inputs(pack, acc, notes)
    groups = cohorts(engagement, every, key, measurable)
    churn = pack.tables.get("churn") if not seg.grouped else None
    sales = churned_sales(pack) if churn is not None else revenue
    lost = {
        e: set(lost_accounts(churn, sales, e, since=e - pd.DateOffset(years=1))["account_id"])
        for e in every
    }
    sums = None if seg.grouped else segmentation.revenue_by_month(pack)  # the cohorts' too
    full = period_kpis(
        revenue, groups, every, period, surveys, opps, wallet, measurable, current, lost, sums
    )
    # the baseline's values, then the periods shown
    table = full[full["period_end"].isin(ends)].reset_index(drop=True)
    card_table = table
    if base_end is not None and base_end not in ends:
        card_table = pd.concat([full[full["period_end"] == base_end], table], ignore_index=True)
    measured = _unmeasurable(start, base_end, ends, engagement.evidence)
    card = scorecard(card_table, None if measured else base_end, s.targets, s.amber, s.min_accounts)
    _scorecard_notes(card, measured, base_end, s.min_accounts, notes)
    jump = nps_jump(card_table)
    if jump:
        notes.append(note("kr.nps_jump", period=period, **jump))
    notes.append(_cohort_note(bool(set(every) - measurable)))
    units = segmentation.units(pack["accounts"]) if seg.grouped else None
    now, warn = _health_now(engagement, acc, key, revenue, surveys, ends[-1], period, units)
    h = cfg.method.health
    gp, nc = per_account_year(acc)
    return KpiReview(
        table, card, now, warn, dict(h.weights), period, notes, gp,
        h.nps_min_respondents, s.discount_rate, measured, nc,
        cfg.method.account_plan.stale_days, bool(s.targets_agreed),
    )  # fmt: skip


def per_account_year(accounts: pd.DataFrame) -> tuple[dict, dict]:
    """Average gross profit, and net contribution (gross profit − cost-to-serve), per
    invoiced account and year, for key and other accounts; the net contribution only
    where both are known for every account of the group ({} without cost-to-serve).

    Examples
    --------
    >>> acc = pd.DataFrame({"key": [True, True, False], "revenue": [9.0, 5.0, 1.0],
    ...                     "gross_profit": [4.0, 2.0, 0.5],
    ...                     "cost_to_serve": [1.0, 3.0, 0.1]})
    >>> per_account_year(acc)
    ({'key accounts': 3.0, 'other accounts': 0.5}, {'key accounts': 1.0, 'other accounts': 0.4})
    """
    a = accounts.assign(group=np.where(accounts["key"], "key accounts", "other accounts"))
    a = a[a["revenue"] > 0]
    gp = a.groupby("group")["gross_profit"].mean()
    if "cost_to_serve" not in a or a["cost_to_serve"].isna().all():
        return gp.to_dict(), {}
    net = (a["gross_profit"] - a["cost_to_serve"]).groupby(a["group"])
    known = net.count() == net.size()  # a group with an unknown account has no average
    return gp.to_dict(), net.mean()[known].round(10).to_dict()


def _cohort_note(today_for_some: bool) -> Note:
    """Which key accounts each period counts."""
    return note("kr.cohorts", today_for_some=today_for_some)


def _review_ends(
    ev: Evidence, as_of: dt.date, periods: int, period: str, notes: list[Note]
) -> list[pd.Timestamp]:
    """The period ends the review shows: the last ``periods``, from the first with a whole
    period of data (at least the last one, said when even it is not whole)."""
    ends = period_ends(as_of, periods, period)
    span = {"quarter": 3, "month": 1, "year": 12}[period]
    dropped = [e for e in ends if not ev.history_before(e, span)]
    ends = [e for e in ends if e not in dropped]
    if dropped and ends:
        notes.append(note("kr.late_start", first=ev.first, start=ends[0], period=period))
    if not ends:
        ends = [period_ends(as_of, 1, period)[-1]]
        notes.append(note("kr.no_whole_period", period=period))
    return ends


def _measurable(
    ev: Evidence, ends: list[pd.Timestamp], every: list[pd.Timestamp], notes: list[Note]
) -> tuple[set[pd.Timestamp], set[pd.Timestamp]]:
    """The period ends with 24 months of revenue behind them (annual KPIs measurable) and
    those with 12 (today's figures)."""
    measurable = {e for e in every if ev.history_before(e, 24)}
    current = {e for e in every if ev.history_before(e, 12)}
    if [e for e in ends if e not in measurable]:
        since = min(measurable) if measurable else None
        notes.append(note("kr.annual_unmeasured", first=ev.first, since=since))
    return measurable, current


def _optional_inputs(
    pack: DataPack, acc: pd.DataFrame, notes: list[Note]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.Series | None]:
    """Surveys, opportunities and wallet estimates, each None (and said) when missing."""
    surveys = pack.tables.get("surveys") if pack.has("surveys", "nps") else None
    opps = pack.tables.get("opportunities") if pack.has("opportunities") else None
    wallet = (
        acc.set_index("account_id")["estimated_wallet"]
        if acc["estimated_wallet"].notna().any()
        else None
    )
    for missing, code in (
        (surveys is None, "kr.no_surveys"),
        (opps is None, "kr.no_opportunities"),
        (wallet is None, "kr.no_wallet"),
    ):
        if missing:
            notes.append(note(code))
    return surveys, opps, wallet


def _unmeasurable(
    start: dt.date | None, base_end: pd.Timestamp | None, ends: list[pd.Timestamp], ev: Evidence
) -> Note | None:
    """Why the programme's effect cannot be measured (no baseline); None when it can."""
    if not start:
        return note("kr.no_start")
    if base_end is None:
        return note("kr.starts_later", start=pd.Timestamp(start), last=ends[-1])
    if ev.first is not None and base_end < ev.first:
        return note("kr.started_before_data", start=pd.Timestamp(start), first=ev.first)
    return None


#: A move of the key accounts' NPS of at least this many points from one period to the
#: next is checked before the programme is credited with it.
NPS_JUMP = 30.0


def nps_margin(nps: float, respondents: float, z: float = 1.96) -> float:
    """The widest sampling error of an NPS, in points at 95 % (``z``), from the NPS and its
    respondents alone: promoters and detractors together are at most all respondents, so
    the variance is at most 1 − NPS² (NPS as a share).

    Examples
    --------
    >>> round(nps_margin(0.0, 100), 1), round(nps_margin(50.0, 400), 1)
    (19.6, 8.5)
    """
    if not respondents or pd.isna(respondents) or pd.isna(nps):
        return float("nan")
    share = min(abs(float(nps)) / 100, 1.0)
    return float(z * 100 * np.sqrt((1 - share**2) / float(respondents)))


def nps_jump(table: pd.DataFrame, points: float = NPS_JUMP) -> dict | None:
    """The key accounts' largest NPS move from one period to the next, when it reaches
    ``points``: the periods, the values, the respondents and whether the move is more
    than the two periods' sampling errors (:func:`nps_margin`) together; None otherwise.

    Examples
    --------
    >>> t = pd.DataFrame({"group": "key accounts", "period_end": pd.to_datetime(
    ...     ["2025-06-30", "2025-09-30", "2025-12-31"]), "nps": [-14.0, -16.0, 20.0],
    ...     "respondents": [255, 191, 193]})
    >>> j = nps_jump(t)
    >>> j["before"], j["after"], j["beyond_sampling"], round(j["margin"], 1)
    (-16.0, 20.0, True, 14.0)
    """
    if "nps" not in table or "respondents" not in table:
        return None
    k = table[table["group"] == "key accounts"].sort_values("period_end")
    k = k[k["nps"].notna() & (k["respondents"] > 0)]
    if len(k) < 2:
        return None
    move = k["nps"].diff()
    i = move.abs().idxmax()
    if pd.isna(move[i]) or abs(move[i]) < points:
        return None
    j = k.index.get_loc(i)
    prev, now = k.iloc[j - 1], k.iloc[j]
    m0 = nps_margin(prev["nps"], prev["respondents"])
    m1 = nps_margin(now["nps"], now["respondents"])
    return {
        "from": prev["period_end"], "to": now["period_end"],
        "before": float(prev["nps"]), "after": float(now["nps"]),
        "respondents": (int(prev["respondents"]), int(now["respondents"])),
        "margin": max(m0, m1), "beyond_sampling": bool(abs(move[i]) > m0 + m1),
    }  # fmt: skip


def _scorecard_notes(
    card: pd.DataFrame,
    measured: Note | None,
    base_end: pd.Timestamp | None,
    min_accounts: int,
    notes: list[Note],
) -> None:
    """What the scorecard leaves without a status, and why."""
    if len(card) and (card["status"] == "too few").any():
        notes.append(note("kr.too_few", min_accounts=min_accounts))
    if not measured and card.attrs.get("baseline_end") is not None:
        lacking = card[card["status"] == "no baseline"]["column"].tolist()
        if lacking:
            notes.append(note("kr.no_baseline_for", at=base_end, kpis=lacking))
    if card.attrs.get("not_measured"):
        notes.append(note("kr.not_measured", kpis=list(card.attrs["not_measured"])))


def _health_now(
    engagement: Engagement,
    acc: pd.DataFrame,
    key: pd.Series,
    revenue: pd.DataFrame,
    surveys: pd.DataFrame | None,
    last_end: pd.Timestamp,
    period: str,
    units: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Today's key accounts' health with its change since the period before the last one
    shown, and the early warnings (``units``: the groups accounts roll up to, if any)."""
    from . import costing
    from . import health as hl

    cfg, pack, ev = engagement.config, engagement.pack, engagement.evidence
    h, s = cfg.method.health, cfg.method.kpi_review
    stale = cfg.method.account_plan.stale_days
    ids = key.index[key]
    contacts = pack.tables.get("contacts") if pack.has("contacts") else None
    acts, rates = costing.priced_activities(engagement, units)
    prev_end = (pd.Period(last_end, freq=FREQS[period]) - 1).end_time.normalize()
    parts: tuple[list[pd.DataFrame], list[pd.DataFrame]] = ([], [])  # now, and before
    for part in _health_parts(pack, ids, units is not None):
        # the part's lines, selected once for the two dates (each call reads only those),
        # with where each line's account is among them when the pack knows it
        places: dict[str, np.ndarray | None] = {}
        lines, places["revenue"] = _lines_of(
            pack, "revenue", revenue, part, ("date", "amount", "cost")
        )
        part_acts = None
        if acts is not None:
            what = ("date", "activity", "quantity")  # what health reads of the lines, placed
            part_acts, places["activities"] = _lines_of(pack, "activities", acts, part, what)
        for out, day in zip(parts, (cfg.as_of, prev_end), strict=True):
            out.append(hl.account_health(lines, surveys, contacts, part, day, h, stale, ev,
                                         part_acts, rates, places))  # fmt: skip
        del lines, part_acts, places  # let go of this part's lines before the next part's
    now, before = (pd.concat(p) for p in parts)
    now = now.assign(health_before=before["health"], change=now["health"] - before["health"])
    info = acc.set_index("account_id")
    owners = info["account_manager"] if "account_manager" in info else pd.Series(dtype=str)
    warn = early_warnings(now, before, owners, info["account_name"], s.health_drop, s.senior_days)
    return now.join(info[["account_name", "segment"]]), warn


def _health_parts(pack: DataPack, ids: pd.Index, grouped: bool) -> list[pd.Index]:
    """``ids`` in consecutive parts of about :data:`~.month_sums.PART_LINES` revenue lines:
    their dates, amounts and costs are copied, so a million accounts' key accounts are
    scored a part at a time (each account's health is its own lines': the same scores).
    One part for groups, or when the pack does not know where its lines' accounts are."""
    from . import month_sums

    at = pack.account_lines("revenue")
    if grouped or at is None or len(ids) == 0:
        return [ids]
    per = pack.derived(
        "lines_per_account",
        ("accounts", "revenue"),
        lambda acc, _: _lines_per_account(at, len(acc)),
    )
    where = pack.accounts_index().get_indexer(ids)
    part = month_sums.account_parts(np.where(where >= 0, per[where], 0), month_sums.PART_LINES)
    starts = np.flatnonzero(np.diff(part)) + 1
    return [ids[p] for p in np.split(np.arange(len(ids)), starts)]


def _lines_per_account(at: np.ndarray, n: int) -> np.ndarray:
    """How many lines each of ``n`` accounts has, of the lines' positions ``at`` (-1:
    none), a block at a time."""
    from .month_sums import BLOCK

    count = np.zeros(n, dtype=np.int64)
    for s in range(0, len(at), BLOCK):
        block = np.asarray(at[s : s + BLOCK])
        count += np.bincount(block[block >= 0], minlength=n)
    return count


def _lines_of(
    pack: DataPack, table: str, lines: pd.DataFrame, ids: pd.Index, columns: tuple[str, ...]
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The ``lines`` of the accounts ``ids``, and each one's position among them: of the
    pack's own ``table``, by where each line's account is (:meth:`DataPack.places_of`),
    with only the ``columns`` it has (a million lines' ids and products are not copied
    for nothing); of lines rolled up to groups, by their ids (no positions)."""
    own = pack.tables.get(table)
    among = pack.places_of(table, ids) if own is not None and lines is own else None
    if own is None or among is None:
        return lines[lines["account_id"].isin(ids)], None
    kept = among >= 0
    return own.loc[kept, [c for c in own.columns if c in columns]], among[kept]


def at_risk(r: KpiReview) -> dict:
    """Revenue of key accounts by health band (the at-risk revenue is the headline)."""
    h = r.health
    by = h.groupby("band")["revenue"].agg(["sum", "size"])
    return {b: (float(by.loc[b, "sum"]), int(by.loc[b, "size"])) if b in by.index else (0.0, 0)
            for b in ("healthy", "watch", "at risk")}  # fmt: skip


def at_risk_for_loss(r: KpiReview) -> int:
    """Of the key accounts at risk, how many are there because they lose 20 % or more of
    their revenue after cost-to-serve (the health score's loss cap), not for a falling
    trend or sentiment."""
    h = r.health
    if "capped" not in h:
        return 0
    return int((h["capped"].fillna(False).astype(bool) & (h["band"] == "at risk")).sum())


def segment_health(r: KpiReview) -> pd.DataFrame:
    """Per key-account segment: accounts, median health now and its change, accounts and
    revenue at risk."""
    h = r.health
    risk = h["band"] == "at risk"
    g = h.assign(risk=risk, risk_revenue=h["revenue"].where(risk, 0.0)).groupby("segment")
    out = g.agg(
        accounts=("health", "size"),
        measured=("health", "count"),
        health=("health", "median"),
        change=("change", "median"),
        at_risk=("risk", "sum"),
        revenue_at_risk=("risk_revenue", "sum"),
    ).reset_index()
    blind = out["measured"] == 0  # nobody's health known: at risk is unknown, not zero
    out.loc[blind, ["at_risk", "revenue_at_risk"]] = np.nan
    return out.drop(columns="measured")
