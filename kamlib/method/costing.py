"""Activity-based cost-to-serve: what serving each account costs, activity by activity.

Shared by the service model (package costs), profitability and the account plans.
Cost-to-serve allocates only the activities in the data pack at their unit costs;
overheads without a driver are not allocated.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.frames import plain
from ..core.periods import in_window, trailing_window
from .month_sums import sum_in_parts

if TYPE_CHECKING:
    from ..intake.engagement import Engagement


def unit_costs(rates: pd.DataFrame | None, config_rates: dict | None = None) -> pd.Series:
    """Unit cost per activity: the data pack's table, with the config's rates on top.

    Examples
    --------
    >>> unit_costs(pd.DataFrame({"activity": ["visit"], "unit_cost": [400.0]}), {"visit": 450})
    activity
    visit    450.0
    Name: unit_cost, dtype: float64
    """
    base = (
        rates.set_index("activity")["unit_cost"].astype(float)
        if rates is not None and not rates.empty
        else pd.Series(dtype=float, name="unit_cost")
    )
    extra = pd.Series({k: float(v) for k, v in (config_rates or {}).items()}, dtype=float)
    out = pd.concat([base[~base.index.isin(extra.index)], extra]).rename("unit_cost")
    out.index.name = "activity"
    return out


def activity_cost(
    activities: pd.DataFrame, rates: pd.Series, as_of: dt.date | str, months: int = 12,
    at: np.ndarray | None = None, ids: pd.Index | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Quantity and cost per account and activity over the trailing window (``at``: each
    line's position among the account ids ``ids``, to sum them by number).

    Activities without a unit cost carry no cost (the data review lists them).
    """
    cur = in_window(activities["date"], trailing_window(as_of, months)).to_numpy()
    if at is None or ids is None:
        lines = activities.loc[cur, ["account_id", "activity", "quantity"]]  # what is summed
        q = plain(lines.groupby(["account_id", "activity"], as_index=False)["quantity"].sum())
    else:  # a part of the accounts' lines at a time
        q = sum_in_parts(activities, cur, ["quantity"], at, ids, by=("activity",)).reset_index()
    q["unit_cost"] = q["activity"].map(rates)
    q["cost"] = q["quantity"] * q["unit_cost"].fillna(0.0)
    return q


def cost_to_serve(cost: pd.DataFrame) -> pd.DataFrame:
    """Per account: cost of each activity as columns, and the total ``cost_to_serve``."""
    wide = cost.pivot_table(
        index="account_id", columns="activity", values="cost", aggfunc="sum", fill_value=0.0
    )
    wide.columns = [str(c) for c in wide.columns]
    wide["cost_to_serve"] = wide.sum(axis=1)
    return wide.reset_index()


def priced_activities(
    engagement: Engagement, units: pd.Series | None = None
) -> tuple[pd.DataFrame | None, pd.Series | None]:
    """The pack's activities (rolled up to ``units`` when accounts are scored as groups)
    and their unit costs (pack rates, the config's on top); (None, None) without
    activities."""
    cfg, pack = engagement.config, engagement.pack
    if not pack.has("activities"):
        return None, None
    acts = pack["activities"]
    if units is not None:
        acts = acts.assign(account_id=acts["account_id"].map(units).to_numpy())
    rates = unit_costs(pack.tables.get("activity_rates"), cfg.method.profitability.activity_rates)
    return acts, rates


def engagement_activity_cost(engagement: Engagement) -> pd.DataFrame | None:
    """Trailing activity costs of an engagement (pack rates, the config's on top); None
    when the pack has no activities."""
    acts, rates = priced_activities(engagement)
    if acts is None or rates is None:
        return None
    cfg, pack = engagement.config, engagement.pack
    months = cfg.method.trailing_months

    def build(acc: pd.DataFrame, lines: pd.DataFrame, *_: pd.DataFrame) -> pd.DataFrame:
        at, ids = pack.account_lines("activities"), pd.Index(acc["account_id"])
        return activity_cost(lines, rates, cfg.as_of, months, at, ids)

    kind = f"activity_cost{sorted(rates.items())}{cfg.as_of}{months}"  # once per pack: steps 2, 3
    tables = ("accounts", "activities", *(["activity_rates"] if pack.has("activity_rates") else []))
    return pack.derived(kind, tables, build)
