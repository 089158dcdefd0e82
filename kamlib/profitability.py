"""Step 3 — profitability: what each account really earns after cost-to-serve.

Functions over the per-account table built by :func:`account_table`:

* :func:`waterfall` — list revenue to net contribution, reconciling to the totals;
* :func:`whale_curve` and :func:`whale_stats` — cumulative net contribution by account;
* :func:`quadrants` — net price level against cost-to-serve relative to revenue;
* :func:`price_to_target` and :func:`package_saving` — the euro effect of each action;
* :func:`cost_sensitivity` — how the conclusions move when unit costs move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUADRANTS = {
    (True, True): "carriage trade",
    (True, False): "passive",
    (False, True): "aggressive",
    (False, False): "bargain basement",
}
WATERFALL_STEPS = [
    "list revenue",
    "discounts",
    "net revenue",
    "cost of goods",
    "gross profit",
    "cost-to-serve",
    "net contribution",
]


def account_table(
    screen: pd.DataFrame, revenue: pd.DataFrame, cts: pd.DataFrame, window: pd.Series
) -> pd.DataFrame:
    """Per account: list revenue, discounts, net revenue, cost of goods, gross profit,
    cost-to-serve, net contribution, net margin, price level and cost-to-serve share.

    ``screen`` is the segmentation's table (revenue, gross profit, class, segment...);
    ``revenue`` the pack's revenue rows and ``window`` their mask for the trailing period;
    ``cts`` the output of :func:`kamlib.costing.cost_to_serve`. Without list amounts,
    list revenue equals net revenue (no discount is shown); without cost of goods, gross
    profit equals net revenue.
    """
    r = revenue[window]
    lst = (
        r.groupby("account_id")["list_amount"].sum(min_count=1)
        if "list_amount" in r.columns
        else pd.Series(dtype=float)
    )
    cogs = (
        r.groupby("account_id")["cost"].sum(min_count=1)
        if "cost" in r.columns
        else pd.Series(dtype=float)
    )
    t = screen.copy()
    ids = t["account_id"]
    t["net_revenue"] = t["revenue"]
    t["list_revenue"] = ids.map(lst).fillna(t["net_revenue"]).to_numpy()
    t["discounts"] = t["list_revenue"] - t["net_revenue"]
    t["cost_of_goods"] = ids.map(cogs).fillna(0.0).to_numpy()
    t["gross_profit"] = t["net_revenue"] - t["cost_of_goods"]
    c = cts.set_index("account_id")["cost_to_serve"] if len(cts) else pd.Series(dtype=float)
    t["cost_to_serve"] = ids.map(c).fillna(0.0).to_numpy()
    t["net_contribution"] = t["gross_profit"] - t["cost_to_serve"]
    t["net_margin"] = (t["net_contribution"] / t["net_revenue"]).where(t["net_revenue"] > 0)
    t["price_level"] = (t["net_revenue"] / t["list_revenue"]).where(t["list_revenue"] > 0)
    t["cts_share"] = (t["cost_to_serve"] / t["net_revenue"]).where(t["net_revenue"] > 0)
    return t


def waterfall(table: pd.DataFrame) -> pd.DataFrame:
    """The price waterfall of a set of accounts: each step's amount and running level.

    Examples
    --------
    >>> t = pd.DataFrame({"list_revenue": [100.0], "discounts": [20.0], "net_revenue": [80.0],
    ...                   "cost_of_goods": [50.0], "gross_profit": [30.0],
    ...                   "cost_to_serve": [10.0], "net_contribution": [20.0]})
    >>> waterfall(t)["level"].tolist()
    [100.0, 80.0, 80.0, 30.0, 30.0, 20.0, 20.0]
    """
    s = table[
        [
            "list_revenue",
            "discounts",
            "net_revenue",
            "cost_of_goods",
            "gross_profit",
            "cost_to_serve",
            "net_contribution",
        ]
    ].sum()
    amounts = [
        s["list_revenue"],
        -s["discounts"],
        s["net_revenue"],
        -s["cost_of_goods"],
        s["gross_profit"],
        -s["cost_to_serve"],
        s["net_contribution"],
    ]
    levels = [
        s["list_revenue"],
        s["net_revenue"],
        s["net_revenue"],
        s["gross_profit"],
        s["gross_profit"],
        s["net_contribution"],
        s["net_contribution"],
    ]
    kind = ["total", "step", "total", "step", "total", "step", "total"]
    return pd.DataFrame(
        {
            "step": WATERFALL_STEPS,
            "amount": amounts,
            "level": levels,
            "kind": kind,
            "share_of_list": np.array(levels) / s["list_revenue"] if s["list_revenue"] else np.nan,
        }
    )


def whale_curve(table: pd.DataFrame) -> pd.DataFrame:
    """Cumulative net contribution (as a share of the total) against the share of
    customers, most profitable first."""
    v = table["net_contribution"].sort_values(ascending=False).to_numpy()
    n, total = len(v), v.sum()
    return pd.DataFrame(
        {
            "customers": np.arange(1, n + 1),
            "customer_share": np.arange(1, n + 1) / n,
            "cumulative": np.cumsum(v),
            "cumulative_share": np.cumsum(v) / total if total else np.nan,
        }
    )


def whale_stats(curve: pd.DataFrame) -> dict:
    """Peak of the whale curve (share of total profit), where it is reached, where the
    curve falls back below zero (if it does) and the value the tail destroys."""
    i = int(curve["cumulative"].to_numpy().argmax())
    total = float(curve["cumulative"].iloc[-1])
    peak = float(curve["cumulative"].iloc[i])
    below = curve.index[(curve.index > i) & (curve["cumulative"] < 0)]
    return {
        "peak_share": peak / total if total else np.nan,
        "peak_customers": int(curve["customers"].iloc[i]),
        "peak_customer_share": float(curve["customer_share"].iloc[i]),
        "zero_crossing_share": float(curve.loc[below[0], "customer_share"])
        if len(below)
        else np.nan,
        "value_destroyed": peak - total,
        "total": total,
    }


def quadrants(
    table: pd.DataFrame, price_cut: float | None = None, cost_cut: float | None = None
) -> pd.DataFrame:
    """Price level against cost-to-serve share, split at the medians or the cut-offs given.

    High price and high cost is carriage trade, high price and low cost passive, low price
    and high cost aggressive, low price and low cost bargain basement. Accounts without
    revenue are left out.
    """
    t = table[table["net_revenue"] > 0]
    p = t["price_level"].median() if price_cut is None else price_cut
    c = t["cts_share"].median() if cost_cut is None else cost_cut
    high_price = t["price_level"] >= p
    high_cost = t["cts_share"] >= c
    out = t[["account_id"]].copy()
    out["quadrant"] = [
        QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_price, high_cost, strict=True)
    ]
    out["price_cut"], out["cost_cut"] = p, c
    return out


def price_to_target(
    net_revenue: pd.Series, net_contribution: pd.Series, target_margin: pd.Series | float
) -> pd.Series:
    """Revenue to add by raising prices so the net margin reaches the target.

    A price increase adds to revenue and contribution alike:
    ``(NC + x) / (R + x) = m``  gives  ``x = (m R - NC) / (1 - m)``; zero when already there.

    Examples
    --------
    >>> price_to_target(pd.Series([100.0]), pd.Series([-10.0]), 0.2).round(2).tolist()
    [37.5]
    """
    m = target_margin
    x = (m * net_revenue - net_contribution) / (1 - m)
    return x.clip(lower=0.0)


def package_saving(cost_to_serve: pd.Series, package_cost: pd.Series) -> pd.Series:
    """What moving an account to its segment's package saves (never negative)."""
    return (cost_to_serve - package_cost).clip(lower=0.0)


def cost_sensitivity(
    table: pd.DataFrame, key: pd.Series, factors: tuple[float, ...] = (0.8, 1.0, 1.2)
) -> pd.DataFrame:
    """Key figures when every unit cost moves by a factor: share of unprofitable key
    accounts, number of unprofitable accounts, whale peak and total net contribution."""
    rows = []
    for f in factors:
        nc = table["gross_profit"] - table["cost_to_serve"] * f
        t = table.assign(net_contribution=nc)
        stats = whale_stats(whale_curve(t))
        rows.append(
            {
                "unit_costs": f"{f - 1:+.0%}" if f != 1 else "as given",
                "factor": f,
                "unprofitable_key_share": float((nc[key] < 0).mean()) if key.any() else np.nan,
                "unprofitable_accounts": int((nc < 0).sum()),
                "whale_peak": stats["peak_share"],
                "net_contribution": float(nc.sum()),
            }
        )
    return pd.DataFrame(rows)
