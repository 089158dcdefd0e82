"""Step 3 — profitability: what each account really earns after cost-to-serve.

Functions over the per-account table built by :func:`account_table`:

* :func:`waterfall` — list revenue to net contribution, reconciling to the totals;
* :func:`whale_curve` and :func:`whale_stats` — cumulative net contribution by account;
* :func:`quadrants` — net price level against cost-to-serve share, each account against
  its peers (:func:`peer_groups`);
* :func:`price_to_target` and :func:`package_saving` — the euro effect of each action;
* :func:`cost_sensitivity` — how the conclusions move when unit costs move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core import settings as settings_
from ..core.notes import Note, note
from .month_sums import sum_in_parts

if TYPE_CHECKING:
    from ..intake.engagement import Engagement
    from .segmentation import Segmentation
    from .service_model import ServiceModel


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
]  # the full waterfall; without an input the steps after (or before) it are left out


def account_table(
    screen: pd.DataFrame,
    revenue: pd.DataFrame,
    cts: pd.DataFrame | None,
    window: pd.Series,
    at: np.ndarray | None = None,
    accounts: pd.Index | None = None,
) -> pd.DataFrame:
    """Per account: list revenue, discounts, net revenue, cost of goods, gross profit,
    cost-to-serve, net contribution, net margin, price level and cost-to-serve share.

    ``screen`` is the segmentation's table (revenue, gross profit, class, segment...);
    ``revenue`` the pack's revenue rows and ``window`` their mask for the trailing period;
    ``cts`` the output of :func:`kamlib.method.costing.cost_to_serve`, or None without
    activities. Unknown is not zero: without list amounts, list revenue and discounts
    are NaN; without cost of goods, gross profit (and all after it) is NaN; without
    activities, cost-to-serve and net contribution are NaN. ``at``: each revenue line's
    position among the pack's ``accounts``: the window's lines are then summed a part of
    the accounts at a time (the same sums), not copied whole.

    Examples
    --------
    >>> sc = pd.DataFrame({"account_id": ["a"], "revenue": [100.0]})
    >>> rev = pd.DataFrame({"account_id": ["a"], "amount": [100.0]})
    >>> t = account_table(sc, rev, None, pd.Series([True]))
    >>> t[["net_revenue", "gross_profit", "cost_to_serve", "net_margin"]].values.tolist()
    [[100.0, nan, nan, nan]]
    """
    has_list = "list_amount" in revenue.columns and bool(revenue["list_amount"].notna().any())
    has_cost = "cost" in revenue.columns and bool(revenue["cost"].notna().any())
    sums = _window_money(revenue, np.asarray(window, dtype=bool), has_list, has_cost, at,
                         accounts)  # fmt: skip
    t = screen.copy()
    ids = t["account_id"]
    t["net_revenue"] = t["revenue"]
    if has_list:
        t["list_revenue"] = ids.map(sums["list_amount"]).fillna(t["net_revenue"]).to_numpy()
    else:
        t["list_revenue"] = np.nan
    t["discounts"] = t["list_revenue"] - t["net_revenue"]
    if has_cost:
        t["cost_of_goods"] = ids.map(sums["cost"]).fillna(0.0).to_numpy()
    else:
        t["cost_of_goods"] = np.nan
    t["gross_profit"] = t["net_revenue"] - t["cost_of_goods"]
    if cts is not None:
        c = cts.set_index("account_id")["cost_to_serve"] if len(cts) else pd.Series(dtype=float)
        t["cost_to_serve"] = ids.map(c).fillna(0.0).to_numpy()  # no activity: no cost
    else:
        t["cost_to_serve"] = np.nan
    t["net_contribution"] = t["gross_profit"] - t["cost_to_serve"]
    t["net_margin"] = (t["net_contribution"] / t["net_revenue"]).where(t["net_revenue"] > 0)
    t["price_level"] = (t["net_revenue"] / t["list_revenue"]).where(t["list_revenue"] > 0)
    t["cts_share"] = (t["cost_to_serve"] / t["net_revenue"]).where(t["net_revenue"] > 0)
    return t


def _window_money(
    revenue: pd.DataFrame, window: np.ndarray, has_list: bool, has_cost: bool,
    at: np.ndarray | None, accounts: pd.Index | None,
) -> pd.DataFrame:  # fmt: skip
    """Per account, the list amounts and costs of its lines in the ``window`` (those the
    pack has; NaN for an account without a value): a part of the accounts at a time when
    the lines' places among ``accounts`` are known (``at``)."""
    money = [c for c, has in (("list_amount", has_list), ("cost", has_cost)) if has]
    if not money:
        return pd.DataFrame()
    if at is not None and accounts is not None:
        return sum_in_parts(revenue, window, money, at, accounts, min_count=1)
    return revenue.loc[window, ["account_id", *money]].groupby("account_id")[money].sum(min_count=1)


def waterfall(table: pd.DataFrame) -> pd.DataFrame:
    """The price waterfall of a set of accounts: each step's amount and running level.

    Only the steps the data supports: without list prices it starts at net revenue,
    without cost of goods it ends there, without cost-to-serve at gross profit.

    Examples
    --------
    >>> t = pd.DataFrame({"list_revenue": [100.0], "discounts": [20.0], "net_revenue": [80.0],
    ...                   "cost_of_goods": [50.0], "gross_profit": [30.0],
    ...                   "cost_to_serve": [10.0], "net_contribution": [20.0]})
    >>> waterfall(t)["level"].tolist()
    [100.0, 80.0, 80.0, 30.0, 30.0, 20.0, 20.0]
    >>> waterfall(t.assign(cost_of_goods=np.nan, gross_profit=np.nan,
    ...                    net_contribution=np.nan))["step"].tolist()
    ['list revenue', 'discounts', 'net revenue']
    """
    cols = ["list_revenue", "discounts", "net_revenue", "cost_of_goods", "gross_profit",
            "cost_to_serve", "net_contribution"]  # fmt: skip
    s = table[cols].sum(min_count=1) if len(table) else pd.Series(np.nan, index=cols)
    rows = []
    if pd.notna(s["list_revenue"]):
        rows += [("list revenue", s["list_revenue"], s["list_revenue"], "total"),
                 ("discounts", -s["discounts"], s["net_revenue"], "step")]  # fmt: skip
    rows.append(("net revenue", s["net_revenue"], s["net_revenue"], "total"))
    if pd.notna(s["gross_profit"]):
        rows += [("cost of goods", -s["cost_of_goods"], s["gross_profit"], "step"),
                 ("gross profit", s["gross_profit"], s["gross_profit"], "total")]  # fmt: skip
        if pd.notna(s["net_contribution"]):
            rows += [("cost-to-serve", -s["cost_to_serve"], s["net_contribution"], "step"),
                     ("net contribution", s["net_contribution"], s["net_contribution"],
                      "total")]  # fmt: skip
    out = pd.DataFrame(rows, columns=["step", "amount", "level", "kind"])
    top = out["level"].iloc[0]
    out["share_of_list"] = out["level"] / top if top else np.nan
    return out


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


#: A peer group smaller than this is compared within key accounts (or the other
#: customers) as a whole: a median of two or three accounts says nothing.
MIN_PEERS = 5


def peer_groups(table: pd.DataFrame, min_peers: int = MIN_PEERS) -> pd.Series:
    """Who each account is compared with on price and cost-to-serve: a key account with
    the key accounts of its segment, any other customer with its class; a group smaller
    than ``min_peers`` joins the key accounts (or the other customers) as a whole. Without
    segments, everyone is one group.

    Examples
    --------
    >>> t = pd.DataFrame({"key": [True] * 6 + [False] * 2,
    ...                   "segment": ["Tier 1"] * 5 + ["Tier 2", "Core", "Core"],
    ...                   "class": ["Tier 1"] * 5 + ["Tier 2", "Core", "Core"]})
    >>> peer_groups(t, min_peers=5).tolist()[4:]
    ['Tier 1', 'key accounts', 'other customers', 'other customers']
    """
    if not {"key", "segment", "class"} <= set(table.columns):
        return pd.Series("all customers", index=table.index)
    key = table["key"].fillna(False).astype(bool)
    group = pd.Series(np.where(key, table["segment"], table["class"]), index=table.index)
    size = group.map(group.value_counts())
    side = pd.Series(np.where(key, "key accounts", "other customers"), index=table.index)
    return group.where(size >= min_peers, side)


def quadrants(
    table: pd.DataFrame,
    price_cut: float | None = None,
    cost_cut: float | None = None,
    min_peers: int = MIN_PEERS,
) -> pd.DataFrame:
    """Price level against cost-to-serve share, each account against its peers.

    High price and high cost is carriage trade, high price and low cost passive, low price
    and high cost aggressive, low price and low cost bargain basement. A cut-off given
    (the engagement's) splits every account; without one, each account is split at the
    median of its peers (:func:`peer_groups`): the largest accounts negotiate the lowest
    prices, so against all customers nearly every key account would sit in the low-price
    half whatever it pays, and "aggressive" would say only that it is large. Accounts
    without revenue are left out. Returns each account's quadrant, its peers and the cuts
    it was split at.
    """
    t = table[table["net_revenue"] > 0]
    peers = peer_groups(t, min_peers)
    medians = t[["price_level", "cts_share"]].groupby(peers).transform("median")
    p = medians["price_level"] if price_cut is None else pd.Series(price_cut, index=t.index)
    c = medians["cts_share"] if cost_cut is None else pd.Series(cost_cut, index=t.index)
    high_price = t["price_level"] >= p
    high_cost = t["cts_share"] >= c
    out = t[["account_id"]].copy()
    out["quadrant"] = [
        QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_price, high_cost, strict=True)
    ]
    out["peers"], out["price_cut"], out["cost_cut"] = peers, p, c
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


def price_steps(increase: pd.Series, step: float = 0.10) -> pd.Series:
    """The yearly price steps of at most ``step`` that reach a price increase (a share of
    net revenue), compounding: 0 when no increase is needed.

    Examples
    --------
    >>> price_steps(pd.Series([0.0, 0.05, 0.10, 0.21, 0.74]), 0.10).tolist()
    [0, 1, 1, 2, 6]
    """
    x = increase.fillna(0.0).clip(lower=0.0)
    n = np.ceil(np.log1p(x) / np.log1p(step) - 1e-9)
    return n.clip(lower=0).astype(int)


#: A price increase below this share of revenue is not put to a customer after a package
#: saving: the package alone is the action.
MIN_PRICE_STEP = 0.02

#: What to do with a flagged key account, from the cheapest to the hardest.
PACKAGE, PRICE, BOTH, RENEGOTIATE = "package", "price", "package and price", "renegotiate or exit"


def action(saving: pd.Series, steps: pd.Series, max_steps: int) -> pd.Series:
    """The action per flagged account: the segment's package where it closes the gap
    alone, a price path of at most ``max_steps`` yearly steps (after the package where it
    saves something), else renegotiate the terms or exit.

    Examples
    --------
    >>> action(pd.Series([50.0, 0.0, 20.0, 10.0]), pd.Series([0, 2, 1, 5]), 3).tolist()
    ['package', 'price', 'package and price', 'renegotiate or exit']
    """
    out = np.where(steps == 0, PACKAGE, np.where(saving > 0, BOTH, PRICE))
    return pd.Series(np.where(steps > max_steps, RENEGOTIATE, out), index=saving.index)


def segment_cost(cost: pd.DataFrame, segment_of: pd.Series) -> pd.Series:
    """What a segment's key accounts spend on average on each activity a year, by
    (segment, activity): the cost the segment's package is set at."""
    c = cost.assign(segment=cost["account_id"].map(segment_of))
    n = segment_of.value_counts()
    return c.groupby(["segment", "activity"])["cost"].sum().div(n, level="segment")


def package_effect(
    cost: pd.DataFrame,
    segment_of: pd.Series,
    mean: pd.Series,
    packages: pd.DataFrame,
    element_activities: dict[str, list[str]],
    revenue: pd.Series | None = None,
) -> pd.DataFrame:
    """What serving each account (``segment_of``: account id -> segment) with its
    segment's package changes a year, element by element:

    * ``trim`` — what it costs above the package at its size on the elements its package
      includes. The package at its size is the larger of the segment's average per
      account (``mean``, from :func:`segment_cost`) and, given each account's net
      ``revenue``, the segment's cost per unit of revenue times the account's: a large
      account is not asked to live on a small one's service;
    * ``lift`` — what it would cost more to bring those elements up to the average;
    * ``charge`` — what it costs on the elements its package charges separately (recovered
      by charging, or saved where the account stops asking);
    * ``stop`` — what it costs on the elements its package does not offer.

    Activities no element maps to stay as they are, as does a segment without a package.

    Examples
    --------
    >>> cost = pd.DataFrame({"account_id": ["a", "a", "a", "b"],
    ...     "activity": ["visit", "ticket", "course", "visit"], "cost": [50.0, 30.0, 9.0, 10.0]})
    >>> seg = pd.Series({"a": "S", "b": "S"})
    >>> pk = pd.DataFrame({"segment": "S", "element": ["advice", "support", "training"],
    ...     "decision": ["included", "charged separately", "not offered"]})
    >>> acts = {"advice": ["visit"], "support": ["ticket"], "training": ["course"]}
    >>> e = package_effect(cost, seg, segment_cost(cost, seg), pk, acts)
    >>> e.loc["a"].tolist(), e.loc["b"].tolist()
    ([20.0, 0.0, 30.0, 9.0], [0.0, 20.0, 0.0, 0.0])

    With four times b's revenue, a's advice at its size is 48 (60 for 500 of revenue).

    >>> rev = pd.Series({"a": 400.0, "b": 100.0})
    >>> package_effect(cost, seg, segment_cost(cost, seg), pk, acts, rev).loc["a"].tolist()
    [2.0, 0.0, 30.0, 9.0]
    """
    from .service_model import CHARGED, INCLUDED, NOT_OFFERED

    element_of = {a: e for e, acts in element_activities.items() for a in acts}
    c = cost[cost["account_id"].isin(segment_of.index)]
    c = c.assign(segment=c["account_id"].map(segment_of), element=c["activity"].map(element_of))
    c = c[c["element"].notna()]
    # an element the segment gets at its average: its accounts without the activity too
    grid = pd.DataFrame(
        [(a, s, e) for a, s in segment_of.items() for e in element_activities],
        columns=["account_id", "segment", "element"],
    )
    spend = c.groupby(["account_id", "element"])["cost"].sum()
    here = pd.MultiIndex.from_frame(grid[["account_id", "element"]])
    grid["cost"] = spend.reindex(here).fillna(0.0).to_numpy()
    avg = pd.Series(
        {(s, e): float(sum(mean.get((s, a), 0.0) for a in acts))
         for s in segment_of.unique() for e, acts in element_activities.items()}, dtype=float,
    )  # fmt: skip
    keys = pd.MultiIndex.from_frame(grid[["segment", "element"]])
    grid["mean"] = avg.reindex(keys).fillna(0.0).to_numpy()
    grid["size"] = _at_size(grid, revenue)
    decided = packages.set_index(["segment", "element"])["decision"]
    grid["decision"] = decided.reindex(keys).to_numpy()
    included = grid["decision"] == INCLUDED
    above = grid["cost"] - np.maximum(grid["mean"], grid["size"])
    grid["trim"] = above.clip(lower=0.0).where(included, 0.0)
    grid["lift"] = (grid["mean"] - grid["cost"]).clip(lower=0.0).where(included, 0.0)
    grid["charge"] = grid["cost"].where(grid["decision"] == CHARGED, 0.0)
    grid["stop"] = grid["cost"].where(grid["decision"] == NOT_OFFERED, 0.0)
    cols = ["trim", "lift", "charge", "stop"]
    out = grid.groupby("account_id", sort=False)[cols].sum()
    return out.reindex(segment_of.index, fill_value=0.0).rename_axis("account_id")


def _at_size(grid: pd.DataFrame, revenue: pd.Series | None) -> pd.Series:
    """Each (account, element)'s cost at the segment's cost per unit of revenue times the
    account's revenue; 0 without revenue (the average per account alone applies)."""
    if revenue is None:
        return pd.Series(0.0, index=grid.index)
    rev = grid["account_id"].map(revenue).fillna(0.0).clip(lower=0.0)
    per_segment = rev.groupby([grid["segment"], grid["element"]]).transform("sum")
    spend = grid.groupby(["segment", "element"])["cost"].transform("sum")
    rate = (spend / per_segment).where(per_segment > 0, 0.0)
    return rate * rev


#: The unit-cost factors of the robustness check: every unit cost 20 % lower and higher.
COST_FACTORS = (0.8, 1.0, 1.2)


def cost_sensitivity(
    table: pd.DataFrame, key: pd.Series, factors: tuple[float, ...] = COST_FACTORS
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
                "unit_costs": f - 1,  # the change of every unit cost (0: as given)
                "factor": f,
                "unprofitable_key_share": float((nc[key] < 0).mean()) if key.any() else np.nan,
                "unprofitable_accounts": int((nc < 0).sum()),
                "whale_peak": stats["peak_share"],
                "net_contribution": float(nc.sum()),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Profitability:
    """Everything step 3 computes for an engagement."""

    table: pd.DataFrame  # per account, with segment, class, key, quadrant
    activities: pd.DataFrame | None  # cost per activity, trailing window
    whale: pd.DataFrame
    whale_stats: dict
    actions: pd.DataFrame  # flagged key accounts with the euro effect of each action
    sensitivity: pd.DataFrame
    has_cts: bool
    has_list: bool
    notes: list[Note] = field(default_factory=list)
    price_cut: float = float("nan")  # the one cut for everyone; NaN: each peer group's own
    cost_cut: float = float("nan")
    has_cost: bool = True  # cost of goods delivered: gross profit is known
    # per key account, what its segment's package changes (package_effect); None without
    package: pd.DataFrame | None = None
    # what the key-account model costs a year at the recommended line (segmentation)
    programme_cost: float = float("nan")
    programme_accounts: int = 0  # the key accounts it is counted for

    @property
    def earns(self) -> bool:
        """Net contribution is known (cost of goods and cost-to-serve both delivered)."""
        return self.has_cts and self.has_cost

    @property
    def key(self) -> pd.DataFrame:
        return self.table[self.table["key"]]


def analyse(
    engagement: Engagement, seg: Segmentation | None = None, model: ServiceModel | None = None
) -> Profitability:
    """Run step 3; ``seg`` and ``model`` are steps 1 and 2 (computed when not given)."""
    from ..core.periods import in_window, trailing_window
    from . import costing, segmentation, service_model

    cfg, pack = engagement.config, engagement.pack
    s = cfg.method.profitability
    model = model or (service_model.analyse(engagement) if seg is None else None)
    seg = seg or segmentation.segment(engagement)
    notes: list[Note] = []
    revenue = pack["revenue"]
    window = in_window(revenue["date"], trailing_window(cfg.as_of, cfg.method.trailing_months))
    act = costing.engagement_activity_cost(engagement)
    has_cts = act is not None
    has_cost = pack.has("revenue", "cost")
    has_list = pack.has("revenue", "list_amount")
    cts = costing.cost_to_serve(act) if has_cts else None
    if not has_cts:
        notes.append(note("pf.no_activities"))
    if not has_list:
        notes.append(note("pf.no_list_amounts"))
    if not has_cost:
        notes.append(note("pf.no_cost"))
    at = None if seg.grouped else pack.account_lines("revenue")
    t = account_table(seg.accounts, revenue, cts, window, at, pack.accounts_index())
    q = quadrants(t, s.price_cut, s.cost_cut) if has_cts and has_list else None
    t["quadrant"] = None
    if q is not None:  # each account with its quadrant, its peers and the cuts applied
        t = t.drop(columns="quadrant").merge(q, on="account_id", how="left")
    earns = has_cts and has_cost  # net contribution is known
    curve = whale_curve(t) if earns else pd.DataFrame()
    stats = whale_stats(curve) if earns else {}
    model = model or service_model.analyse(engagement, seg)
    effects = (
        _package_effects(t, act, model, cfg.method.service_model)
        if has_cts and act is not None
        else None
    )
    actions = _actions(t, s, model, effects) if earns else pd.DataFrame()
    sens = cost_sensitivity(t, t["key"]) if earns else pd.DataFrame()
    # one cut for everyone (the engagement's cut-offs), else NaN: each peer group has its own
    price_cut, cost_cut = (
        float(q[c].iloc[0]) if q is not None and len(q) and q[c].nunique() == 1 else float("nan")
        for c in ("price_cut", "cost_cut")
    )
    return Profitability(
        t, act, curve, stats, actions, sens, has_cts, has_list, notes, price_cut, cost_cut,
        has_cost=has_cost, package=effects,
        programme_cost=segmentation.programme_cost(
            seg.sensitivity, seg.recommendation.get("key_accounts", 0), int(t["key"].sum())
        ),
        programme_accounts=int(t["key"].sum()),
    )  # fmt: skip


def segment_margins(table: pd.DataFrame) -> pd.Series:
    """Net margin of each segment: its net contribution over its net revenue."""
    g = table.groupby("segment")[["net_contribution", "net_revenue"]].sum()
    return (g["net_contribution"] / g["net_revenue"]).where(g["net_revenue"] > 0)


def _package_effects(
    t: pd.DataFrame, act: pd.DataFrame, model: ServiceModel, sm: settings_.ServiceModel
) -> pd.DataFrame | None:
    """:func:`package_effect` for every key account, on the packages as they would be
    promised (reworked where the segment cannot afford its own); ``reworked`` marks the
    accounts whose package waits for that rework. None without packages."""
    from . import service_model

    pk = service_model.reworked(model, sm.affordable_share, sm.loyalty_always)
    if pk is None:
        return None
    key = t[t["key"]]
    segment_of = key.set_index("account_id")["segment"]
    revenue = key.set_index("account_id")["net_revenue"]
    mean = segment_cost(act, segment_of)
    e = package_effect(act, segment_of, mean, pk, sm.element_activities, revenue)
    bad = (
        set(model.costs.loc[model.costs["affordable"] == False, "segment"])  # noqa: E712
        if model.costs is not None and len(model.costs)
        else set()
    )
    return e.assign(reworked=segment_of.reindex(e.index).isin(bad).to_numpy())


def _effects_of(flagged: pd.DataFrame, effects: pd.DataFrame | None) -> pd.DataFrame:
    """The package effects of the flagged accounts, in their order (none: nothing)."""
    if effects is None:
        return pd.DataFrame(0.0, index=flagged["account_id"], columns=["trim", "charge", "stop"])
    return effects.reindex(flagged["account_id"]).fillna(0.0)


def _actions(
    t: pd.DataFrame,
    settings: settings_.Profitability,
    model: ServiceModel,
    effects: pd.DataFrame | None,
) -> pd.DataFrame:
    flagged = t[t["key"] & ((t["net_contribution"] < 0) | (t["quadrant"] == "aggressive"))]
    if flagged.empty:
        return pd.DataFrame()
    margins = segment_margins(t[t["key"]])
    goal = (
        flagged["segment"].map(margins)
        if settings.target_margin is None
        else pd.Series(settings.target_margin, index=flagged.index)
    )
    pkg = (
        model.costs.set_index("segment")["package_cost"]
        if model.costs is not None
        else pd.Series(dtype=float)
    )
    package = flagged["segment"].map(pkg)
    raise_by = price_to_target(flagged["net_revenue"], flagged["net_contribution"], goal)
    e = _effects_of(flagged, effects)
    # the sure part: the package's own elements served at the segment's cost at its size
    save = pd.Series(e["trim"].to_numpy(), index=flagged.index)
    # after the package, what prices still have to close, and in how many yearly steps
    rest = price_to_target(flagged["net_revenue"], flagged["net_contribution"] + save, goal)
    rest_pct = rest / flagged["net_revenue"]
    s = settings.price_step
    # a remainder too small to take to a customer: the package alone is the action
    steps = price_steps(rest_pct, s).where(~((rest_pct < MIN_PRICE_STEP) & (save > 0)), 0)
    out = pd.DataFrame(
        {
            "account_id": flagged["account_id"],
            "account": flagged["account_name"],
            "segment": flagged["segment"],
            "quadrant": flagged["quadrant"],
            "net_revenue": flagged["net_revenue"],
            "net_contribution": flagged["net_contribution"],
            "net_margin": flagged["net_margin"],
            "target_margin": goal,
            "price_increase": raise_by,
            "price_increase_pct": raise_by / flagged["net_revenue"],
            "cost_to_serve": flagged["cost_to_serve"],
            "package_cost": package,
            "package_saving": save,
            # and what the package charges for or leaves out, if the account accepts it
            "package_charge": e["charge"].to_numpy(),
            "package_stop": e["stop"].to_numpy(),
            "package_reworked": (
                e["reworked"].astype(bool).to_numpy() if "reworked" in e else False
            ),
            "price_after_package": rest,
            "price_after_package_pct": rest_pct,
            "price_steps": steps,
            # what the path adds in its first year: one step, or less when less is needed
            "price_first_year": (flagged["net_revenue"] * np.minimum(rest_pct, s)).where(
                steps > 0, 0.0
            ),
        }
    )
    out["better_action"] = action(out["package_saving"], out["price_steps"], settings.price_steps)
    return out.sort_values("net_contribution").reset_index(drop=True)


def headline(p: Profitability) -> dict:
    """The numbers of the executive summary; NaN where the data does not support them."""
    t, k = p.table, p.key
    nan = float("nan")
    nc = t["net_contribution"]
    return {
        "net_contribution": float(nc.sum()) if p.earns else nan,
        "cost_to_serve": float(t["cost_to_serve"].sum()) if p.has_cts else nan,
        "cts_share": float(t["cost_to_serve"].sum() / t["net_revenue"].sum())
        if p.has_cts and t["net_revenue"].sum()
        else nan,
        "gross_profit": float(t["gross_profit"].sum()) if p.has_cost else nan,
        "unprofitable_gp": int((t["gross_profit"] < 0).sum()) if p.has_cost else 0,
        "unprofitable": int((nc < 0).sum()) if p.earns else 0,
        # no revenue and no cost in the window: they earn nothing, nor lose
        "idle": int(((t["net_revenue"] == 0) & (nc == 0)).sum()) if p.earns else 0,
        "unprofitable_key": int((k["net_contribution"] < 0).sum()) if p.earns else 0,
        "key_accounts": len(k),
        "aggressive_key": int((k["quadrant"] == "aggressive").sum()),
        "whale_peak": p.whale_stats.get("peak_share", nan),
        "whale_at": p.whale_stats.get("peak_customer_share", nan),
        "destroyed": p.whale_stats.get("value_destroyed", nan),
        "flagged": len(p.actions),
        # what price paths add once complete, for the accounts that take one
        "price_total": float(
            p.actions.loc[
                p.actions["better_action"].isin([PRICE, BOTH]), "price_after_package"
            ].sum()
        )
        if len(p.actions)
        else 0.0,
        "renegotiate": int((p.actions["better_action"] == RENEGOTIATE).sum())
        if len(p.actions)
        else 0,
        **_savings(p.actions),
        # what bringing the key accounts served below their segment's average up to it
        # would cost (a choice; the flagged accounts' savings do not net it)
        "lift_total": float(p.package["lift"].sum()) if p.package is not None else 0.0,
    }


def _savings(a: pd.DataFrame) -> dict:
    """What the packages bring the flagged accounts a year: the sure part (their own
    elements at the segment's cost at its size), and the most, should the accounts also pay for or
    give up what their package charges for or leaves out; and of each, what waits for a
    package to be reworked."""
    if a.empty:
        return dict.fromkeys(["saving_total", "saving_high", "saving_later", "later_high"], 0.0)
    high = a["package_saving"] + a["package_charge"] + a["package_stop"]
    later = a["package_reworked"].astype(bool)
    return {
        "saving_total": float(a["package_saving"].sum()),
        "saving_high": float(high.sum()),
        "saving_later": float(a.loc[later, "package_saving"].sum()),
        "later_high": float(high[later].sum()),
    }


def group_totals(p: Profitability, column: str = "segment") -> pd.DataFrame:
    """Accounts, revenue, gross profit, cost-to-serve, net contribution, unprofitable
    accounts and net margin per segment or class, largest revenue first."""

    def total(v: pd.Series) -> float:
        return v.sum(min_count=1)

    g = p.table.groupby(column).agg(
        accounts=("account_id", "size"),
        revenue=("net_revenue", "sum"),
        gross_profit=("gross_profit", total),
        cost_to_serve=("cost_to_serve", total),
        net_contribution=("net_contribution", total),
        unprofitable=(
            "net_contribution",
            lambda s: float((s < 0).sum()) if s.notna().any() else np.nan,
        ),
    )
    g["net_margin"] = (g["net_contribution"] / g["revenue"]).where(g["revenue"] > 0)
    g = g.sort_values("revenue", ascending=False).reset_index()
    return g


def activity_totals(p: Profitability) -> pd.DataFrame:
    """Cost-to-serve per activity: quantity, unit cost, cost and share of the total,
    largest cost first (empty without activities)."""
    if p.activities is None:
        return pd.DataFrame()
    a = p.activities.groupby("activity").agg(
        quantity=("quantity", "sum"), unit_cost=("unit_cost", "first"), cost=("cost", "sum")
    )
    a["share"] = a["cost"] / a["cost"].sum()
    out = a.sort_values("cost", ascending=False).reset_index()
    return out


def segment_waterfalls(p: Profitability) -> pd.DataFrame:
    """The waterfall of every key-account segment, per account: a row per segment."""
    rows = []
    for name, g in p.key.groupby("segment"):
        w = waterfall(g).set_index("step")["amount"] / len(g)
        rows.append({"segment": name, **w.to_dict()})
    return pd.DataFrame(rows)
