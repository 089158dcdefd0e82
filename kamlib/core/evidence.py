"""What evidence stands behind a figure: the months of history on each side of a
comparison, and which of the pack's optional inputs were delivered.

A report sent under the firm's name never states more than its data supports. The
rules, applied by every step:

* **Partial periods.** A comparison of the trailing 12 months with the 12 months
  before needs revenue data for every month of both. When the history starts inside
  the earlier window, growth (and every quantity built on it: growth-based potential,
  the revenue trend in health, the outlier check, retention and NRR) is *not
  available*, with the months the data holds as the reason; it is never shown as a
  result, scored, or fed into tiers.
* **Unknown is not zero.** A quantity whose input was not delivered (cost of goods,
  list prices, activities, products, ratings, surveys, contacts, opportunities) is
  *not available*, never 0.

:class:`Evidence` answers both questions for an engagement; :class:`Comparison` for one
comparison of two windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Optional inputs: table, column (None: the table itself) and what they are in words.
INPUTS: dict[str, tuple[str, str | None, str]] = {
    "cost": ("revenue", "cost", "cost of goods"),
    "list_amount": ("revenue", "list_amount", "list prices"),
    "products": ("revenue", "product", "products"),
    "wallet": ("accounts", "estimated_wallet", "wallet estimates"),
    "activities": ("activities", None, "cost-to-serve activities"),
    "service_ratings": ("service_ratings", None, "service ratings"),
    "satisfaction": ("service_ratings", "satisfaction", "satisfaction ratings"),
    "nps": ("surveys", "nps", "NPS answers"),
    "csat": ("surveys", "csat", "CSAT answers"),
    "contacts": ("contacts", None, "contacts"),
    "opportunities": ("opportunities", None, "opportunities"),
}


def _month(d: pd.Timestamp) -> pd.Period:
    return pd.Timestamp(d).to_period("M")


@dataclass(frozen=True)
class Comparison:
    """The trailing ``months`` ending at ``end`` against the ``months`` before them."""

    end: pd.Timestamp
    months: int
    current_months: int  # months of the later window the data covers
    prior_months: int  # months of the earlier window the data covers
    first: pd.Timestamp | None  # first month of data

    @property
    def full(self) -> bool:
        """Both windows are covered month for month."""
        return self.prior_months >= self.months and self.current_months >= self.months

    @property
    def to_year(self) -> float:
        """What the later window's revenue is multiplied by to stand for a year: 1 when it
        is covered month for month, ``months / covered`` when fewer months hold data.

        Examples
        --------
        >>> Comparison(pd.Timestamp("2026-09-30"), 12, 6, 0, None).to_year
        2.0
        """
        n = self.current_months
        return self.months / n if 0 < n < self.months else 1.0

    @property
    def prior_start(self) -> pd.Timestamp:
        """First day of the earlier window."""
        return self.end - pd.DateOffset(months=2 * self.months) + pd.Timedelta(days=1)


@dataclass(frozen=True)
class Evidence:
    """The revenue history and the optional inputs of an engagement's data pack."""

    first: pd.Timestamp | None  # first month with revenue data
    last: pd.Timestamp | None  # last month with revenue data
    inputs: frozenset[str]  # the names of ``INPUTS`` the pack delivers

    def has(self, name: str) -> bool:
        """The pack delivers input ``name`` (a key of :data:`INPUTS`)."""
        return name in self.inputs

    def months_in(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """Whole months of the window ``(start, end]`` that the revenue data covers.

        Examples
        --------
        >>> e = Evidence(pd.Timestamp("2025-04-01"), pd.Timestamp("2026-09-01"), frozenset())
        >>> e.months_in(pd.Timestamp("2024-09-30"), pd.Timestamp("2025-09-30"))
        6
        """
        if self.first is None or self.last is None:
            return 0
        lo = max(_month(pd.Timestamp(start) + pd.Timedelta(days=1)), _month(self.first))
        hi = min(_month(end), _month(self.last))
        return max(0, (hi - lo).n + 1)

    def compare(self, end: object, months: int = 12) -> Comparison:
        """The comparison of the ``months`` ending at ``end`` with the ``months`` before.

        Examples
        --------
        >>> e = Evidence(pd.Timestamp("2025-04-01"), pd.Timestamp("2026-09-01"), frozenset())
        >>> c = e.compare("2026-09-30")
        >>> c.full, c.current_months, c.prior_months
        (False, 12, 6)
        >>> e.compare("2026-09-30", 3).full
        True
        """
        end = pd.Timestamp(end)
        mid = end - pd.DateOffset(months=months)
        start = mid - pd.DateOffset(months=months)
        return Comparison(
            end=end,
            months=months,
            current_months=min(months, self.months_in(mid, end)),
            prior_months=min(months, self.months_in(start, mid)),
            first=self.first,
        )

    def history_before(self, end: object, months: int) -> bool:
        """The data covers every one of the ``months`` months up to ``end``."""
        end = pd.Timestamp(end)
        return self.months_in(end - pd.DateOffset(months=months), end) >= months

    def missing(self, name: str) -> str:
        """What the data pack does not hold, in words: ``no cost of goods in the revenue
        data`` / ``no contacts table``."""
        table, column, words = INPUTS[name]
        if column is None:
            return f"no {words} table" if words == table else f"no {words} ({table} table)"
        return f"no {words} in the {table.replace('_', ' ')} data"


def of_pack(pack: object) -> Evidence:
    """The evidence a validated :class:`~kamlib.intake.datapack.DataPack` holds (once
    per pack: it reads every table)."""
    tables = tuple(pack.tables)  # type: ignore[attr-defined]
    return pack.derived("evidence", tables, lambda *_: _of_pack(pack))  # type: ignore[attr-defined]


def _of_pack(pack: object) -> Evidence:
    dates = pack.days_of("revenue")  # type: ignore[attr-defined]  # distinct, sorted
    first = dates[0].to_period("M").to_timestamp() if len(dates) else None
    last = dates[-1].to_period("M").to_timestamp() if len(dates) else None
    have = frozenset(
        name
        for name, (table, column, _) in INPUTS.items()
        if (pack.has(table, column) if column else pack.has(table))  # type: ignore[attr-defined]
    )
    return Evidence(first=first, last=last, inputs=have)
