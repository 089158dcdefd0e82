"""Step 1 — segmentation: who is key, in which tier and segment, and where to draw the line.

The pipeline, each stage a function that takes frames and returns a new one:

1. :func:`financial_screen` — trailing revenue, gross profit, margin, growth, potential;
2. :func:`candidates` — the financial thresholds;
3. :func:`compatibility` — finance, strategy and attitude scores (percentile ranks
   within the client's base) and their weighted composite, re-normalised when a
   dimension is missing;
4. :func:`buyer_orientation` — price- vs loyalty-oriented, from the data or derived;
5. :func:`classify` — tiers, development track, core and transactional, with reasons;
6. :func:`apply_overrides` — the consultants' decisions, applied last;
7. :func:`threshold_sensitivity` — the decisive table, and :func:`recommend_line`.

:func:`segment` runs them all for an engagement; later steps call it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.evidence import Comparison
from ..core.notes import Note, note
from ..core.periods import in_window, trailing_window
from ..core.settings import Thresholds
from .churn import churned_sales, lost_accounts
from .month_sums import MonthSums, sum_by_account, sum_in_parts

if TYPE_CHECKING:
    from ..intake.datapack import DataPack
    from ..intake.engagement import Engagement


STRATEGY = ["market_leadership", "innovation_leadership", "strategic_fit"]
ATTITUDE = ["loyalty", "information_sharing", "engagement"]
DIMENSIONS = ("finance", "strategy", "attitude")
TIERS = ["Tier 1", "Tier 2", "Tier 3"]
CLASS_ORDER = TIERS + ["Development", "Core", "Transactional"]
ORIENTATION_LABEL = {"loyalty": "partner (loyalty)", "price": "price-driven"}


def money_columns(revenue: pd.DataFrame) -> list[str]:
    """The revenue table's money columns the screen sums: amount, and cost and list
    amount when the pack has them."""
    return ["amount"] + [c for c in ("cost", "list_amount") if c in revenue.columns]


def activity_cost_by_month(pack: DataPack, rates: pd.Series) -> MonthSums:
    """The cost of the pack's activities at ``rates`` (quantity x unit cost; none without
    a rate) per account and month, once per pack and rates."""

    def build(acc: pd.DataFrame, acts: pd.DataFrame) -> MonthSums:
        code, names = pack.text_codes("activities", "activity")  # as read: no rehashing
        rate = np.append(rates.reindex(names).fillna(0.0).to_numpy(float), 0.0)
        quantity = acts["quantity"].to_numpy(dtype=float, na_value=np.nan)
        return MonthSums.of(
            pd.Index(acc["account_id"]), acts, ["cost"], pack.account_lines("activities"),
            values=lambda _c, block: quantity[block] * rate[code[block]],  # a block's cost
        )  # fmt: skip

    kind = f"activity_cost_by_month{sorted(rates.items())}"
    return pack.derived(kind, ("accounts", "activities"), build)


def revenue_by_month(pack: DataPack) -> MonthSums:
    """The pack's revenue summed per account and month (money columns), once per pack."""
    return pack.derived(
        "revenue_by_month", ("accounts", "revenue"),
        lambda acc, rev: MonthSums.of(
            pd.Index(acc["account_id"]), rev, money_columns(rev), pack.account_lines("revenue")
        ),
    )  # fmt: skip


def _window_sums(
    revenue: pd.DataFrame, window: tuple, cols: list[str], sums: MonthSums | None,
    at: np.ndarray | None, ids: pd.Index,
) -> pd.DataFrame:  # fmt: skip
    """Per account, ``cols`` summed over the window: from the month sums when the window
    is whole months, else from the lines (``at``: each line's position among ``ids``)."""
    got = sums.window(*window) if sums is not None else None
    if got is not None:
        return got[cols]
    mask = in_window(revenue["date"], window).to_numpy()
    if at is not None:  # a part of the accounts' lines at a time
        return sum_in_parts(revenue, mask, cols, at, ids, min_count=1)
    lines = revenue.loc[mask, ["account_id", *cols]]
    return sum_by_account(lines, cols, None, ids, min_count=1)


def financial_screen(
    accounts: pd.DataFrame,
    revenue: pd.DataFrame,
    as_of: dt.date | str,
    months: int = 12,
    comparison: Comparison | None = None,
    sums: MonthSums | None = None,
    at: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per account over the trailing window: revenue, gross profit, margin, growth, potential.

    Potential is the headroom ``estimated_wallet - revenue`` (never below zero) when the
    account has a wallet estimate; otherwise the growth-based fallback
    ``revenue x max(growth, 0)``: one more year at the account's current growth.
    ``potential_basis`` says which one each account got; ``none`` leaves it unknown (NaN),
    never zero.

    ``comparison`` (:meth:`kamlib.core.evidence.Evidence.compare`) says whether the data
    covers the prior window: when it does not, prior revenue and growth are not
    available (NaN) rather than computed on the months that happen to be there.

    ``sums``: the revenue's money columns summed per account and month
    (:func:`revenue_by_month`), which answer windows of whole months without the lines;
    ``at``: each revenue line's position among the accounts
    (:meth:`~kamlib.intake.datapack.DataPack.account_lines`), to sum the lines by number.

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["A"], "account_name": ["Alpha"]})
    >>> rev = pd.DataFrame({"account_id": ["A", "A"], "amount": [120.0, 100.0],
    ...                     "date": pd.to_datetime(["2026-03-01", "2025-03-01"])})
    >>> float(round(financial_screen(acc, rev, "2026-03-31").loc[0, "growth"], 6))
    0.2
    >>> from kamlib.core.evidence import Evidence
    >>> short = Evidence(pd.Timestamp("2025-03-01"), pd.Timestamp("2026-03-01"), frozenset())
    >>> financial_screen(acc, rev, "2026-03-31", comparison=short.compare("2026-03-31"))[
    ...     ["growth", "potential_basis"]].values.tolist()
    [[nan, 'none']]
    """
    money = money_columns(revenue)
    ids = pd.Index(accounts["account_id"])
    now = _window_sums(revenue, trailing_window(as_of, months), money, sums, at, ids)
    before = _window_sums(
        revenue, trailing_window(as_of, months, back=1), ["amount"], sums, at, ids
    )
    before = before.rename(columns={"amount": "prior_revenue"})
    keep = ["account_id", "account_name"] + [
        c
        for c in ("parent_id", "industry", "channel", "region", "size_band", "account_manager")
        if c in accounts.columns
    ]
    df = accounts[keep].set_index("account_id").join(now).join(before)
    df = df.rename(columns={"amount": "revenue"})
    df["revenue"] = df["revenue"].fillna(0.0)
    df["prior_revenue"] = df["prior_revenue"].fillna(0.0)
    has_cost = "cost" in df.columns and df["cost"].notna().any()
    df["gross_profit"] = (df["revenue"] - df["cost"].fillna(0.0)) if has_cost else np.nan
    df["gross_margin"] = (df["gross_profit"] / df["revenue"]).where(df["revenue"] > 0)
    if comparison is not None and not comparison.full:
        df["prior_revenue"] = np.nan
    df["growth"] = (df["revenue"] / df["prior_revenue"] - 1).where(df["prior_revenue"] > 0)
    if "list_amount" in df.columns:
        df["discount"] = (1 - df["revenue"] / df["list_amount"]).where(df["list_amount"] > 0)
    else:
        df["discount"] = np.nan
    wallet = (
        accounts.set_index("account_id")["estimated_wallet"]
        if "estimated_wallet" in accounts.columns
        else pd.Series(np.nan, index=df.index)
    )
    df["estimated_wallet"] = wallet.reindex(df.index)
    # a wallet is a year's spend: fewer months of revenue are annualised before the two meet
    annual = df["revenue"] * (comparison.to_year if comparison is not None else 1.0)
    df["share_of_wallet"] = (annual / df["estimated_wallet"]).where(df["estimated_wallet"] > 0)
    headroom = (df["estimated_wallet"] - annual).clip(lower=0)
    fallback = df["revenue"] * df["growth"].clip(lower=0)
    df["potential"] = headroom.where(df["estimated_wallet"].notna(), fallback)
    df["potential_basis"] = np.select(
        [df["estimated_wallet"].notna(), fallback.notna()], ["wallet", "growth"], "none"
    )
    return df.drop(columns=[c for c in ("cost", "list_amount") if c in df.columns]).reset_index()


def pareto(screen: pd.DataFrame, value: str = "revenue") -> pd.DataFrame:
    """Cumulative share of ``value`` against the share of customers, largest first."""
    v = screen[value].fillna(0.0).sort_values(ascending=False).to_numpy()
    n, total = len(v), v.sum()
    return pd.DataFrame(
        {
            "customers": np.arange(1, n + 1),
            "customer_share": np.arange(1, n + 1) / n,
            "value_share": np.cumsum(v) / total if total else np.zeros(n),
        }
    )


def customer_share_for(curve: pd.DataFrame, target: float = 0.8) -> float:
    """Share of customers needed to reach ``target`` of the value (the 80/20 check).

    Examples
    --------
    >>> customer_share_for(pareto(pd.DataFrame({"revenue": [80, 10, 5, 5]})), 0.8)
    0.25
    """
    hit = curve.loc[curve["value_share"] >= target - 1e-12, "customer_share"]
    return float(hit.iloc[0]) if len(hit) else float("nan")


def candidates(screen: pd.DataFrame, thresholds: Thresholds) -> pd.Series:
    """True for accounts passing every financial threshold that is set (None: not used).

    ``revenue_share`` keeps the largest accounts that together make that share of revenue.
    """
    t = thresholds
    ok = screen["revenue"] > 0
    if t.min_revenue is not None:
        ok &= screen["revenue"] >= t.min_revenue
    if t.min_gross_profit is not None:
        ok &= screen["gross_profit"].fillna(-np.inf) >= t.min_gross_profit
    if t.min_potential is not None:
        ok &= screen["potential"] >= t.min_potential
    share = t.revenue_share
    if share is not None:
        order = screen["revenue"].sort_values(ascending=False, kind="stable")
        before = (order.cumsum() - order) / order.sum()  # share made by the larger accounts
        ok &= (before < share).reindex(screen.index)
    return ok.rename("candidate")


def _pct(s: pd.Series) -> pd.Series:
    """Percentile rank 0-100 within the values present; outliers cannot dominate."""
    return s.rank(pct=True, method="average") * 100


def compatibility(screen: pd.DataFrame, accounts: pd.DataFrame, weights: dict) -> pd.DataFrame:
    """Finance, strategy and attitude scores (0-100) and the weighted composite.

    Each dimension is the percentile rank of its raw value within the client's base:
    finance from revenue, gross profit and potential (each ranked, then averaged);
    strategy and attitude from the mean of their 1-5 ratings. A missing dimension is
    never zero: the composite uses the dimensions present, with their weights
    re-normalised, and ``renormalised`` flags the account.
    """
    acc = accounts.set_index("account_id").reindex(screen["account_id"])
    parts = [_pct(screen["revenue"]), _pct(screen["potential"])]
    if screen["gross_profit"].notna().any():
        parts.append(_pct(screen["gross_profit"]))
    fin = pd.concat(parts, axis=1).mean(axis=1)
    out = pd.DataFrame({"account_id": screen["account_id"], "finance": fin.to_numpy()})
    for dim, cols in (("strategy", STRATEGY), ("attitude", ATTITUDE)):
        present = [c for c in cols if c in acc.columns]
        raw = acc[present].mean(axis=1) if present else pd.Series(np.nan, index=acc.index)
        out[dim] = _pct(raw).to_numpy()
    w = pd.Series({d: float(weights[d]) for d in DIMENSIONS})
    scores = out[list(DIMENSIONS)]
    avail = scores.notna()
    wsum = avail.mul(w, axis=1).sum(axis=1)
    out["score"] = (scores.fillna(0).mul(w, axis=1).sum(axis=1) / wsum).where(wsum > 0)
    soft = scores[["strategy", "attitude"]]
    wsoft = soft.notna().mul(w[["strategy", "attitude"]], axis=1).sum(axis=1)
    out["fit"] = (
        soft.fillna(0).mul(w[["strategy", "attitude"]], axis=1).sum(axis=1) / wsoft
    ).where(wsoft > 0)
    used = [d for d in DIMENSIONS if w[d] > 0]
    out["missing_dimensions"] = fmt.names_where(~avail[used])
    out["renormalised"] = out["missing_dimensions"] != ""
    return out


#: Buyer orientation from attitude ratings: loyalty from this mean, price up to the next.
LOYALTY_AT = 3.5
PRICE_AT = 2.5


def buyer_orientation(screen: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Price- or loyalty-oriented per account, and how it was decided.

    Rule when the data does not say: attitude ratings averaging 3.5 or more mean
    loyalty, 2.5 or less mean price; otherwise a discount deeper than the median of
    the invoiced base means price, shallower means loyalty; with neither, unknown.
    """
    acc = accounts.set_index("account_id").reindex(screen["account_id"])
    given = acc["buyer_orientation"] if "buyer_orientation" in acc.columns else None
    present = [c for c in ATTITUDE if c in acc.columns]
    att = acc[present].mean(axis=1) if present else pd.Series(np.nan, index=acc.index)
    disc = screen.set_index("account_id")["discount"]
    median = disc[screen.set_index("account_id")["revenue"] > 0].median()
    orient = pd.Series(None, index=acc.index, dtype=object)
    basis = pd.Series("unknown", index=acc.index, dtype=object)
    by_disc = disc.notna() & pd.notna(median)
    orient[by_disc] = np.where(disc[by_disc] > median, "price", "loyalty")
    basis[by_disc] = "discount depth"
    for cond, value in ((att >= LOYALTY_AT, "loyalty"), (att <= PRICE_AT, "price")):
        orient[cond] = value
        basis[cond] = "attitude ratings"
    if given is not None:
        known = given.notna()
        orient[known] = given[known]
        basis[known] = "client data"
    return pd.DataFrame(
        {
            "account_id": screen["account_id"].to_numpy(),
            "orientation": orient.to_numpy(),
            "orientation_basis": basis.to_numpy(),
        }
    )


def percentiles(screen: pd.DataFrame) -> pd.DataFrame:
    """Revenue and potential as percentiles (0-1) of the whole customer base.

    An account whose potential is unknown ranks below every estimate; when no account
    has one, the potential percentile is unknown for all (NaN) and tiers go by revenue.
    """
    pot = screen["potential"]
    known = pot.notna().any()
    return pd.DataFrame(
        {
            "revenue_pct": screen["revenue"].rank(pct=True, method="max").to_numpy(),
            "potential_pct": (
                pot.fillna(-np.inf).rank(pct=True, method="max") if known else pot * np.nan
            ).to_numpy(),
        }
    )


def classify(
    screen: pd.DataFrame,
    scores: pd.DataFrame,
    orientation: pd.DataFrame,
    candidate: pd.Series,
    tiers: dict,
    min_score: float,
    reasons: bool = True,
) -> pd.DataFrame:
    """Tier, class and segment per account, each with the reason in words (None for all
    when not ``reasons``).

    Candidates with a compatibility score of at least ``min_score`` take the first tier
    whose revenue and potential percentile minimums they meet. Other accounts go to the
    development track (small revenue, large potential), core (revenue percentile at or
    above ``tiers['core']``) or transactional. Segment = tier x buyer orientation.
    """
    df = screen[["account_id"]].copy()
    p = percentiles(screen)
    df["revenue_pct"], df["potential_pct"] = (
        p["revenue_pct"].to_numpy(),
        p["potential_pct"].to_numpy(),
    )
    df = df.merge(scores[["account_id", "score"]], on="account_id").merge(
        orientation, on="account_id"
    )
    df["candidate"] = candidate.to_numpy()
    compatible = df["score"].fillna(0) >= min_score
    df["tier"] = None
    # no potential estimate for anyone (no wallet, no full prior year): tiers go by revenue
    by_potential = df["potential_pct"].notna().any()
    for name, key in zip(TIERS, ("tier_1", "tier_2", "tier_3"), strict=True):
        rmin, pmin = tiers[key]
        hit = df["candidate"] & compatible & df["tier"].isna() & (df["revenue_pct"] >= rmin)
        if by_potential:
            hit &= df["potential_pct"] >= pmin
        df.loc[hit, "tier"] = name
    key = df["tier"].notna()
    dmin_r, dmin_p = tiers["development"]
    dev = ~key & (df["revenue_pct"] >= dmin_r) & (df["potential_pct"] >= dmin_p)
    core = ~key & ~dev & (df["revenue_pct"] >= tiers["core"])
    df["key"] = key
    df["class"] = np.select([key, dev, core], [df["tier"], "Development", "Core"], "Transactional")
    label = df["orientation"].map(ORIENTATION_LABEL).fillna("orientation unknown")
    df["segment"] = np.where(key, df["tier"].fillna("") + " · " + label, df["class"])
    if not reasons:
        df["reason"] = None
        return df
    used = ["revenue_pct", "potential_pct", "key", "tier", "score", "candidate", "class"]
    rows = zip(*(df[c].tolist() for c in used), strict=True)  # Python values, as records
    df["reason"] = [_reason(dict(zip(used, r, strict=True)), tiers, min_score) for r in rows]
    return df


def _reason(r: dict, tiers: dict, min_score: float) -> Note:
    """Why the account is in its class: the rule it met or missed, with its percentiles."""
    where = {"revenue_pct": r["revenue_pct"], "potential_pct": r["potential_pct"]}
    if r["key"]:
        return note("seg.reason.key", tier=r["tier"], score=r["score"], **where)
    if r["candidate"] and (pd.isna(r["score"]) or r["score"] < min_score):
        return note("seg.reason.low_score", score=r["score"], min_score=min_score, **where)
    if r["candidate"]:
        rmin, pmin = tiers["tier_3"]
        return note("seg.reason.below_tier", revenue_min=rmin, potential_min=pmin, **where)
    if r["class"] == "Development":
        return note("seg.reason.development", **where)
    return note("seg.reason.below", **where)


def _given(row: object, name: str) -> str | None:
    """A field of an override row, or None when absent, blank or NaN."""
    value = getattr(row, name, None)
    return value if isinstance(value, str) and value.strip() else None


def apply_overrides(classes: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """Apply the consultants' decisions last; returns the new classes with ``override``
    set (a note of the move and its reason; None where no override applies).

    ``key = yes`` promotes (tier from the override, else the computed tier, else Tier 3);
    ``key = no`` demotes a key account to core (and leaves any other account as it is). A
    given segment replaces the computed one.
    """
    df = classes.copy()
    df["override"] = None
    df["reason"] = df["reason"].astype(object)  # an override's reason is a note
    if overrides is None or overrides.empty:
        return df
    idx = df.set_index("account_id").index
    for o in overrides.itertuples(index=False):
        if o.account_id not in idx:
            continue
        i = idx.get_loc(o.account_id)
        before = df.at[i, "class"]
        by = _given(o, "by") or "consultant"
        if o.key:
            computed = df.at[i, "tier"] if isinstance(df.at[i, "tier"], str) else None
            tier = _given(o, "tier") or computed or "Tier 3"
            label = ORIENTATION_LABEL.get(df.at[i, "orientation"], "orientation unknown")
            df.loc[i, ["key", "tier", "class"]] = [True, tier, tier]
            df.at[i, "segment"] = f"{tier} · {label}"
        elif df.at[i, "key"]:
            df.loc[i, ["key", "tier", "class", "segment"]] = [False, None, "Core", "Core"]
        # key = no for an account that is not key changes nothing, and says so
        if _given(o, "segment"):
            df.at[i, "segment"] = o.segment
        move = {"before": before, "after": df.at[i, "class"], "reason": o.reason, "by": by}
        df.at[i, "override"] = note("seg.override", **move)
        df.at[i, "reason"] = note("seg.reason.override", **move)
    return df


def units(accounts: pd.DataFrame) -> pd.Series:
    """account_id -> the unit it is analysed as under group roll-up: its ``parent_id``,
    or itself when it has none."""
    unit = accounts["parent_id"].where(accounts["parent_id"].notna(), accounts["account_id"])
    return pd.Series(unit.to_numpy(), index=accounts["account_id"])


def roll_up(accounts: pd.DataFrame, revenue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts and revenue at group level: each entity counts under its ``parent_id``.

    The group takes the parent account's name (or its id when the parent is not in
    the accounts table), the sum of wallets, the mean of ratings and the most frequent
    orientation; ``members`` counts its entities.
    """
    to_unit = units(accounts)
    acc = accounts.assign(unit=to_unit.to_numpy())
    names = accounts.set_index("account_id")["account_name"]
    agg: dict = {"members": ("account_id", "size")}
    if "estimated_wallet" in acc.columns:
        agg["estimated_wallet"] = ("estimated_wallet", lambda s: s.sum(min_count=1))
    for c in STRATEGY + ATTITUDE:
        if c in acc.columns:
            agg[c] = (c, "mean")
    if "buyer_orientation" in acc.columns:
        agg["buyer_orientation"] = (
            "buyer_orientation",
            lambda s: s.mode().iloc[0] if s.notna().any() else None,
        )
    for c in ("industry", "channel", "region", "size_band", "account_manager"):
        if c in acc.columns:
            agg[c] = (c, "first")
    groups = acc.groupby("unit", sort=True).agg(**agg).reset_index()
    groups = groups.rename(columns={"unit": "account_id"})
    groups.insert(1, "account_name", groups["account_id"].map(names).fillna(groups["account_id"]))
    rev = revenue.assign(account_id=revenue["account_id"].map(to_unit).to_numpy())
    return groups, rev


def threshold_sensitivity(
    screen: pd.DataFrame,
    per_manager: tuple[int, int] = (5, 10),
    manager_cost: float = 180_000,
    service_cost: float = 25_000,
    shares: tuple[float, ...] = (
        0.01,
        0.02,
        0.03,
        0.05,
        0.075,
        0.10,
        0.125,
        0.15,
        0.175,
        0.20,
        0.25,
        0.30,
        0.35,
        0.40,
    ),
    assumed_margin: float | None = None,
    months: int = 12,
) -> pd.DataFrame:
    """For a sweep of key-account lines (the largest n accounts by revenue): coverage,
    managers needed, cost of the key-account service model and what the accounts bring.

    The model costs ``ceil(n / mid) x manager_cost + n x service_cost`` with ``mid`` the
    middle of the accounts-per-manager rule (whole managers: one key account needs a
    whole manager); ``marginal_gp`` is the average gross profit of the accounts added
    since the previous line, against ``cost_per_account``, what the model's cost grows by
    per added account, and ``break_even_margin`` the gross margin those accounts need to
    pay for it.

    Without cost of goods, gross profit is unknown: with ``assumed_margin`` it is
    revenue x that margin (``attrs["gp_basis"] == "assumed"``); without, ``pays`` is
    known only where even a 100 % margin would not pay (False) and is otherwise NaN.

    With a ``cost_to_serve`` column (measured from activities), ``marginal_cts`` is what
    serving the added accounts costs today on average: a cost they already carry, beside
    the model's added cost, never part of it.

    ``months``: the months of data behind the revenue when fewer than 12; what the added
    accounts bring is then annualised (x 12 / months) before it is set against the
    model's annual cost, and ``attrs["annualised_from"]`` says so.

    Examples
    --------
    >>> sc = pd.DataFrame({"revenue": [400.0, 300.0, 100.0, 50.0],
    ...                    "gross_profit": [np.nan] * 4})
    >>> t = threshold_sensitivity(sc, (1, 1), 100.0, 0.0, shares=(0.25, 0.5, 0.75))
    >>> t[["key_accounts", "break_even_margin", "pays"]].values.tolist()
    [[1, 0.25, nan], [2, 0.3333333333333333, nan], [3, 1.0, nan]]
    >>> t = threshold_sensitivity(sc, (1, 1), 100.0, 0.0, shares=(0.25, 0.5, 0.75, 1.0),
    ...                           assumed_margin=0.4)
    >>> t["pays"].tolist(), t.attrs["gp_basis"]
    ([True, True, False, False], 'assumed')
    """
    ranked = screen[screen["revenue"] > 0].sort_values("revenue", ascending=False)
    has_gp = bool(ranked["gross_profit"].notna().any())
    basis = "data" if has_gp else ("assumed" if assumed_margin is not None else "none")
    if has_gp:
        gp = ranked["gross_profit"]
    elif assumed_margin is not None:
        gp = ranked["revenue"] * assumed_margin
    else:
        gp = ranked["revenue"] * np.nan
    n_all = len(screen)
    total_rev, total_gp = ranked["revenue"].sum(), gp.sum()
    mid = (per_manager[0] + per_manager[1]) / 2
    per_account = manager_cost / mid + service_cost
    scale = 12 / months if 0 < months < 12 else 1.0
    cts = ranked["cost_to_serve"] if "cost_to_serve" in ranked else ranked["revenue"] * np.nan
    rows, prev = [], 0
    for share in shares:
        n = min(len(ranked), max(1, round(n_all * share)))
        if n <= prev:
            continue
        top = ranked.iloc[:n]
        cost = math.ceil(n / mid) * manager_cost + n * service_cost
        added_revenue = float(ranked["revenue"].iloc[prev:n].mean()) * scale
        total_revenue = float(top["revenue"].sum()) * scale
        rows.append(
            {
                "key_accounts": n,
                "customer_share": n / n_all,
                "min_revenue": float(top["revenue"].iloc[-1]),
                "revenue_share": top["revenue"].sum() / total_rev,
                "gross_profit_share": gp.iloc[:n].sum() / total_gp
                if has_gp and total_gp
                else np.nan,
                "managers_at_" + str(per_manager[1]): math.ceil(n / per_manager[1]),
                "managers_at_" + str(per_manager[0]): math.ceil(n / per_manager[0]),
                "model_cost": float(cost),
                "gross_profit": float(gp.iloc[:n].sum()) * scale if basis != "none" else np.nan,
                "marginal_gp": float(gp.iloc[prev:n].mean()) * scale if basis != "none" else np.nan,
                "marginal_revenue": added_revenue,
                "total_revenue": total_revenue,
                # the margin at which both the band and the whole line pay
                "break_even_margin": max(per_account / added_revenue, cost / total_revenue)
                if added_revenue > 0 and total_revenue > 0
                else np.inf,
                "cost_per_account": per_account,
                # what serving the added accounts costs today (step 3's cost-to-serve):
                # already in their costs, shown beside the model's added cost
                "marginal_cts": float(cts.iloc[prev:n].mean()) * scale,
                "cost_to_serve": float(cts.iloc[:n].sum(min_count=1)) * scale,
            }
        )
        prev = n
    out = _pays(pd.DataFrame(rows), basis)
    out.attrs["gp_basis"] = basis
    out.attrs["assumed_margin"] = assumed_margin
    out.attrs["annualised_from"] = months if scale != 1.0 else None
    return out


def _pays(out: pd.DataFrame, basis: str) -> pd.DataFrame:
    """Whether each band (``band_pays``) and each whole line (``pays``) pays for the
    key-account model: True/False on gross profit (measured or assumed); without gross
    profit False only where revenue is below cost (no margin can pay), else unknown."""
    if out.empty:
        out = pd.DataFrame(columns=["key_accounts", "min_revenue", "marginal_gp", "pays"])
    elif basis == "none":
        # a line whose revenue is below its cost cannot pay at any margin; else unknown
        out["band_pays"] = pd.Series(
            [False if r < c else np.nan for r, c in zip(out["marginal_revenue"],
                                                        out["cost_per_account"], strict=True)],
            dtype=object,
        )  # fmt: skip
        out["pays"] = pd.Series(
            [False if v > 1 else np.nan for v in out["break_even_margin"]], dtype=object
        )
    else:
        # the added band covers its share of the model, and the whole line its whole cost
        # (one key account needs a whole manager)
        out["band_pays"] = out["marginal_gp"] >= out["cost_per_account"]
        out["pays"] = out["band_pays"] & (out["gross_profit"] >= out["model_cost"])
    return out


def net_line(sensitivity: pd.DataFrame) -> int | None:
    """Where the line would sit if what serving the accounts costs today (step 3's
    cost-to-serve) came off their gross profit first: the widest line up to which every
    added band's net contribution covers the model's cost per account and the whole
    line's its whole cost. None without cost-to-serve or gross profit.

    Examples
    --------
    >>> t = pd.DataFrame({"key_accounts": [5, 10, 20], "marginal_gp": [60.0, 50.0, 40.0],
    ...                   "marginal_cts": [10.0, 15.0, 10.0], "cost_per_account": 40.0,
    ...                   "gross_profit": [300.0, 550.0, 950.0],
    ...                   "cost_to_serve": [50.0, 125.0, 225.0], "model_cost": 40.0})
    >>> net_line(t)  # the second band nets 35 per account, under 40
    5
    """
    need = ("marginal_gp", "marginal_cts", "cost_to_serve", "gross_profit")
    if sensitivity.empty or any(c not in sensitivity for c in need):
        return None
    s = sensitivity
    if s["marginal_cts"].isna().all() or s["gross_profit"].isna().all():
        return None
    band = (s["marginal_gp"] - s["marginal_cts"].fillna(0)) >= s["cost_per_account"]
    whole = (s["gross_profit"] - s["cost_to_serve"].fillna(0)) >= s["model_cost"]
    fails = (~band).to_numpy()
    stop = int(np.argmax(fails)) if fails.any() else len(fails)
    paying = [i for i in range(stop) if bool(whole.iloc[i])]
    return int(s["key_accounts"].iloc[paying[-1]]) if paying else 0


def covering(accounts: pd.DataFrame, per_account: float) -> int | None:
    """Key accounts whose own net contribution (gross profit − today's cost-to-serve)
    covers the model's cost per account; None without cost-to-serve.

    Examples
    --------
    >>> a = pd.DataFrame({"key": [True, True, True, False], "gross_profit": [90.0, 60, 50, 99],
    ...                   "cost_to_serve": [30.0, 20, 5, 0]})
    >>> covering(a, 45.0)  # 60 and 45 cover it, 40 does not; the other account is not key
    2
    """
    k = accounts[accounts["key"]]
    if "cost_to_serve" not in k or k["cost_to_serve"].isna().all() or pd.isna(per_account):
        return None
    return int((key_net(accounts) >= per_account).sum())


def key_net(accounts: pd.DataFrame) -> pd.Series:
    """Each key account's own net contribution today: gross profit − cost-to-serve."""
    k = accounts[accounts["key"]]
    return k["gross_profit"] - k["cost_to_serve"]


def recommend_line(sensitivity: pd.DataFrame) -> dict:
    """The recommended line: the widest that pays as a whole, and up to which every added
    band still pays its share of the model.

    Returns the chosen row as a dict plus ``reason`` and ``decided``. When no line pays,
    the recommendation is **no key-account model** (``key_accounts`` 0, ``min_revenue``
    infinite); when whether they pay is unknown (no cost of goods and no assumed margin),
    no line is recommended (``decided`` False) and the reason says what would decide it.

    Examples
    --------
    >>> t = pd.DataFrame({"key_accounts": [5, 10], "min_revenue": [9.0, 5.0],
    ...                   "revenue_share": [0.5, 0.7], "pays": [False, False],
    ...                   "band_pays": [True, False], "marginal_gp": [1.0, 0.5],
    ...                   "gross_profit": [5.0, 7.5], "model_cost": [10.0, 20.0],
    ...                   "cost_per_account": [2.0, 2.0]})
    >>> r = recommend_line(t)
    >>> r["key_accounts"], r["decided"]
    (0, True)
    """
    pays = sensitivity["pays"] if "pays" in sensitivity.columns else pd.Series(dtype=object)
    basis = sensitivity.attrs.get("gp_basis", "data")
    none = {"key_accounts": 0, "min_revenue": float("inf"), "revenue_share": 0.0}
    if pays.empty:
        return {**none, "decided": True, "none_pay": True, "reason": note("seg.line.no_revenue")}
    band = sensitivity.get("band_pays", pays)
    known = pays.notna()
    # a band that may still pay (unknown) does not end the sweep; one that cannot, does
    fails = band.map(lambda v: v is False or v is np.False_).to_numpy()
    stop = int(np.argmax(fails)) if fails.any() else len(fails)
    if pays.iloc[:stop].isna().any():  # some line may pay: only a margin would tell
        return {
            **none,
            "decided": False,
            "none_pay": False,
            "reason": note("seg.line.no_cost"),
        }
    ok = pays.where(known, False).astype(bool).to_numpy()
    paying = [i for i in range(stop) if ok[i]]
    # the gross margin the sweep assumed (None: measured), which every reason states
    assumed = sensitivity.attrs["assumed_margin"] if basis == "assumed" else None
    if not paying:
        return {**none, "decided": True, "none_pay": True,
                "reason": _none_pays(sensitivity.iloc[0], assumed)}  # fmt: skip
    chosen = sensitivity.iloc[paying[-1]].to_dict()
    chosen.update(decided=True, none_pay=False)
    if stop < len(fails):
        nxt = sensitivity.iloc[stop]
        chosen["reason"] = note(
            "seg.line.next_band_short", accounts=int(chosen["key_accounts"]),
            marginal_gp=nxt["marginal_gp"], cost_per_account=nxt["cost_per_account"],
            assumed_margin=assumed,
        )  # fmt: skip
    else:
        chosen["reason"] = note("seg.line.every_band_pays", assumed_margin=assumed)
    return chosen


def _none_pays(first: pd.Series, assumed: float | None) -> Note:
    """Why no line pays, told on the narrowest one (``first``): what it brings (gross
    profit, or revenue when gross profit is unknown) against what the model costs."""
    gp = first.get("gross_profit")
    known = bool(pd.notna(gp))
    return note(
        "seg.line.none_pays", accounts=int(first["key_accounts"]),
        gross_profit=gp if known else None,
        revenue=None if known else first["marginal_revenue"] * first["key_accounts"],
        model_cost=first["model_cost"], assumed_margin=assumed,
    )  # fmt: skip


@dataclass
class Segmentation:
    """Everything step 1 computes for an engagement; later steps read ``accounts``."""

    accounts: pd.DataFrame  # one row per account (or group): metrics, scores, class, reason
    pareto_revenue: pd.DataFrame
    pareto_gross_profit: pd.DataFrame | None
    sensitivity: pd.DataFrame
    recommendation: dict
    overrides: pd.DataFrame
    notes: list[Note] = field(default_factory=list)
    grouped: bool = False
    comparison: Comparison | None = None  # the growth comparison and its evidence

    @property
    def key_accounts(self) -> pd.DataFrame:
        return self.accounts[self.accounts["key"]]


def segment(engagement: Engagement, as_of: dt.date | str | None = None) -> Segmentation:
    """Run step 1 on an engagement (see :func:`kamlib.open_engagement`).

    ``as_of`` classifies the customers as they stood at another date (the KPI review
    measures each period on the accounts that were key at its start, see
    :func:`key_at`); default: the engagement's as-of date.
    """
    when = pd.Timestamp(as_of or engagement.config.as_of)
    key = (when, engagement.config.method)  # all it depends on besides the pack
    return engagement.reuse("segmentation", key, lambda: _segment(engagement, when))


def _segment(engagement: Engagement, as_of: pd.Timestamp) -> Segmentation:
    notes: list[Note] = []
    d = _decide(engagement, as_of, notes, True)
    screen, final, lost = d.screen, d.final, d.lost
    overrides = engagement.pack.tables.get("overrides")
    if d.grouped and overrides is not None and not overrides.empty:
        notes.append(note("seg.overrides_not_applied"))
    table = screen.merge(d.scores, on="account_id").merge(
        final.drop(columns=["score"]), on="account_id"
    )
    lost_cols = lost.rename(columns={"reason": "lost_reason"})
    table = table.merge(lost_cols, on="account_id", how="left")
    return Segmentation(
        accounts=table,
        pareto_revenue=pareto(screen, "revenue"),
        pareto_gross_profit=pareto(screen, "gross_profit") if d.has_cost else None,
        sensitivity=d.sensitivity,
        recommendation=d.line,
        overrides=final[final["override"].notna()][["account_id", "override"]],
        notes=notes,
        grouped=d.grouped,
        comparison=d.comparison,
    )


def key_at(engagement: Engagement, as_of: dt.date | str) -> pd.Series:
    """account_id -> True for the accounts :func:`segment` makes key at ``as_of``: the
    same rules on the data of that date, without the reasons and tables around them
    (the KPI review asks this for every cohort date)."""
    d = _decide(engagement, pd.Timestamp(as_of), [], False)
    ids = d.final["account_id"].to_numpy()
    return pd.Series(d.final["key"].to_numpy(), index=_one_index(engagement.pack, ids))


def _one_index(pack: DataPack, ids: np.ndarray) -> pd.Index:
    """``ids`` as an index: the one the pack keeps for its accounts when they are those
    accounts in their order (the cohorts of every date then share it, and what is looked
    up in it is looked up once), else their own."""
    acc = pack.accounts_index()
    if len(acc) == len(ids) and np.array_equal(acc.to_numpy(dtype=object), ids):
        return acc
    return pd.Index(ids)


@dataclass
class _Decision:
    """What decides each account's class at a date (:func:`_decide`)."""

    screen: pd.DataFrame
    scores: pd.DataFrame
    final: pd.DataFrame
    lost: pd.DataFrame
    sensitivity: pd.DataFrame
    line: dict
    grouped: bool
    has_cost: bool
    comparison: Comparison


def _decide(
    engagement: Engagement, as_of: pd.Timestamp, notes: list[Note], reasons: bool
) -> _Decision:
    """Screen, score and classify the customers at ``as_of``, overrides applied last;
    notes on what it rests on. With ``reasons``, each class's reason in words and the
    buyer orientation; without (:func:`key_at`, asked at many dates), the screen sums the
    revenue and the cost-to-serve from their month sums, built once per pack."""
    cfg, pack = engagement.config, engagement.pack
    s = cfg.method.segmentation
    months = cfg.method.trailing_months
    accounts, revenue, grouped = _scored_units(pack, s.roll_up_groups, notes)
    comparison = engagement.evidence.compare(as_of, months)
    by_month = not (grouped or reasons)
    sums = revenue_by_month(pack) if by_month else None
    at = None if grouped else pack.account_lines("revenue")
    screen = financial_screen(accounts, revenue, as_of, months, comparison, sums, at)
    has_cost = pack.has("revenue", "cost")
    screen["cost_to_serve"] = _cost_to_serve(engagement, screen, as_of, months, grouped, by_month)
    _what_is_scored(pack, screen, has_cost, comparison, notes)
    sens, line = _line_sweep(screen, s, has_cost, comparison, months, notes)
    lost = (
        lost_accounts(pack.tables.get("churn"), churned_sales(pack), as_of)
        if not grouped
        else pd.DataFrame(columns=["account_id", "lost_on", "reason"])
    )
    cand = _candidates(screen, s.thresholds, line, lost, notes)
    scores = compatibility(screen, accounts, s.weights)
    if reasons:
        orient = buyer_orientation(screen, accounts)
    else:  # the orientation names a key account's segment; it does not make it key
        ids = screen["account_id"].to_numpy()
        orient = pd.DataFrame({"account_id": ids, "orientation": None, "orientation_basis": None})
    classes = classify(screen, scores, orient, cand, s.tiers, s.min_score, reasons)
    if reasons:
        classes = _mark_lost(classes, lost)
    overrides = pack.tables.get("overrides")
    final = apply_overrides(classes, overrides if not grouped else None)
    return _Decision(screen, scores, final, lost, sens, line, grouped, has_cost, comparison)


def _cost_to_serve(
    engagement: Engagement, screen: pd.DataFrame, as_of: pd.Timestamp, months: int,
    grouped: bool, by_month: bool = False,
) -> pd.Series:  # fmt: skip
    """Each screened unit's cost-to-serve over the window, as step 3 measures it (NaN for
    all without activities, 0 for an account without any); ``by_month``: from the cost
    per account and month (accounts one by one, not rolled up)."""
    from . import costing

    pack, cfg = engagement.pack, engagement.config
    if not pack.has("activities"):
        return pd.Series(np.nan, index=screen.index)
    rates = costing.unit_costs(
        pack.tables.get("activity_rates"), cfg.method.profitability.activity_rates
    )
    if by_month:  # whole months: from the costs per account and month, kept with the pack
        got = activity_cost_by_month(pack, rates).window(*trailing_window(as_of, months))
        if got is not None:
            return screen["account_id"].map(got["cost"]).fillna(0.0)
    at, ids = pack.account_lines("activities"), pd.Index(pack["accounts"]["account_id"])
    cost = costing.activity_cost(pack["activities"], rates, as_of, months, at, ids)
    if grouped:
        cost = cost.assign(account_id=cost["account_id"].map(units(pack["accounts"])))
    per = cost.groupby("account_id")["cost"].sum()
    return screen["account_id"].map(per).fillna(0.0)


def _scored_units(
    pack: DataPack, roll_up_groups: bool, notes: list[Note]
) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The accounts and revenue to score: one by one, or rolled up into groups when the
    settings ask for it and the accounts name their parents."""
    accounts, revenue = pack["accounts"], pack["revenue"]
    grouped = bool(roll_up_groups) and pack.has("accounts", "parent_id")
    if roll_up_groups and not grouped:
        notes.append(note("seg.no_parents"))
    if grouped:
        accounts, revenue = roll_up(accounts, revenue)
        notes.append(note("seg.groups", entities=len(pack["accounts"]), units=len(accounts)))
    return accounts, revenue, grouped


def _what_is_scored(
    pack: DataPack, screen: pd.DataFrame, has_cost: bool, comparison: Comparison, notes: list[Note]
) -> None:
    """Notes on the parts of the scores the data cannot feed: margins without cost of
    goods, growth without a full prior year, potential without wallet estimates, strategy
    and attitude without ratings."""
    if not has_cost:
        notes.append(note("seg.no_cost"))
    wallet = screen["estimated_wallet"].notna().any()
    if not comparison.full:
        notes.append(note("seg.no_growth", comparison=comparison, wallet=bool(wallet)))
    if not wallet and comparison.full:
        notes.append(note("seg.potential_from_growth"))
    if not wallet and not comparison.full:
        notes.append(note("seg.no_potential"))
    for dim, cols in (("strategy", STRATEGY), ("attitude", ATTITUDE)):
        if not any(pack.has("accounts", c) for c in cols):
            notes.append(note("seg.no_ratings", dimension=dim))


def _line_sweep(
    screen: pd.DataFrame,
    s: Any,
    has_cost: bool,
    comparison: Comparison,
    months: int,
    notes: list[Note],
) -> tuple[pd.DataFrame, dict]:
    """The threshold sensitivity and the recommended line (``s``: the segmentation
    settings), with what the sweep rests on."""
    lo, hi = (int(x) for x in s.accounts_per_manager)
    assumed = None if has_cost else s.assumed_gross_margin
    sens = threshold_sensitivity(
        screen, (lo, hi), s.manager_cost, s.service_cost, assumed_margin=assumed,
        months=min(months, comparison.current_months) or months,
    )  # fmt: skip
    if comparison.current_months < months:
        notes.append(note("seg.part_year", covered=comparison.current_months, months=months))
    if assumed is not None:
        notes.append(note("seg.assumed_margin", margin=assumed))
    return sens, recommend_line(sens)


def _candidates(
    screen: pd.DataFrame, thresholds: Thresholds, line: dict, lost: pd.DataFrame,
    notes: list[Note],
) -> pd.Series:  # fmt: skip
    """The candidates: above the settings' thresholds, or above the recommended line when
    none is set; never a customer the churn table records as lost."""
    if thresholds == Thresholds():  # none set: the recommended line draws it
        thresholds = Thresholds(min_revenue=line["min_revenue"])
        if line["key_accounts"]:
            notes.append(note("seg.line_as_threshold", min_revenue=line["min_revenue"]))
        else:
            notes.append(note("seg.no_threshold_no_line"))
    cand = candidates(screen, thresholds)
    if len(lost):
        cand &= ~screen["account_id"].isin(lost["account_id"]).to_numpy()
        notes.append(note("seg.lost_excluded", customers=len(lost)))
    return cand


def _mark_lost(classes: pd.DataFrame, lost: pd.DataFrame) -> pd.DataFrame:
    """Each lost customer's reason says when it was lost, and why when known."""
    if not len(lost):
        return classes
    info = lost.set_index("account_id")
    gone = classes["account_id"].isin(info.index)
    when = classes.loc[gone, "account_id"].map(info["lost_on"])
    why = classes.loc[gone, "account_id"].map(info["reason"])
    classes.loc[gone, "reason"] = [
        note("seg.reason.lost", lost_on=d, why=r) for d, r in zip(when, why, strict=True)
    ]
    return classes


def programme_cost(sensitivity: pd.DataFrame, line: int, accounts: int) -> float:
    """What the key-account model costs a year for ``accounts`` key accounts at its cost
    per account at the recommended ``line`` (planning assumptions, from the sweep); NaN
    where the sweep has no such line.

    Examples
    --------
    >>> s = pd.DataFrame({"key_accounts": [10, 20], "cost_per_account": [0.5, 0.45]})
    >>> programme_cost(s, 20, 18), programme_cost(s, 0, 18)
    (8.1, nan)
    """
    if not line or sensitivity is None or "cost_per_account" not in sensitivity:
        return float("nan")
    row = sensitivity.loc[sensitivity["key_accounts"] == line, "cost_per_account"]
    return round(float(row.iloc[0]) * accounts, 6) if len(row) else float("nan")


def headline(seg: Segmentation) -> dict:
    """The numbers of the executive summary."""
    a, k = seg.accounts, seg.key_accounts
    gp_total = a["gross_profit"].sum() if a["gross_profit"].notna().any() else np.nan
    line = seg.recommendation
    per = [c for c in seg.sensitivity.columns if c.startswith("managers_at_")]
    lo, hi = sorted(int(c.rsplit("_", 1)[1]) for c in per) if per else (5, 10)
    return {
        "customers": len(a),
        "key_accounts": len(k),
        "key_share": len(k) / len(a) if len(a) else np.nan,
        "revenue_share": k["revenue"].sum() / a["revenue"].sum() if a["revenue"].sum() else np.nan,
        "gross_profit_share": k["gross_profit"].sum() / gp_total if gp_total else np.nan,
        "managers_low": math.ceil(len(k) / hi),
        "managers_high": math.ceil(len(k) / lo),
        "per_manager": (lo, hi),
        "line_accounts": int(line["key_accounts"]),
        "line_min_revenue": float(line["min_revenue"]),
        "line_revenue_share": float(line["revenue_share"]),
        "line_reason": line["reason"],
        "line_decided": bool(line.get("decided", True)),
        "line_none_pay": bool(line.get("none_pay", False)),
        "pareto_80": customer_share_for(seg.pareto_revenue, 0.8),
        "pareto_80_gp": customer_share_for(seg.pareto_gross_profit, 0.8)
        if seg.pareto_gross_profit is not None
        else np.nan,
        "tiers": k["tier"].value_counts().reindex(TIERS, fill_value=0).to_dict(),
        "development": int((a["class"] == "Development").sum()),
        "overrides": len(seg.overrides),
        "key_by_override": int(k["override"].notna().sum()) if "override" in k else 0,
        "renormalised": int((a["candidate"] & a["renormalised"]).sum()),
        **_managers_today(k),
    }


def _managers_today(k: pd.DataFrame) -> dict:
    """How many account managers hold the key accounts today, and the most one holds
    (from the accounts table's manager; nothing without it)."""
    if "account_manager" not in k or k["account_manager"].isna().all():
        return {}
    held = k["account_manager"].dropna().astype(str).value_counts()
    return {"managers_today": len(held), "most_per_manager": int(held.max())}


def segment_totals(seg: Segmentation) -> pd.DataFrame:
    """Accounts, revenue, gross profit, mean compatibility and share of revenue per
    segment, tiers first."""
    a = seg.accounts
    g = a.groupby("segment").agg(
        accounts=("account_id", "size"),
        revenue=("revenue", "sum"),
        gross_profit=("gross_profit", lambda v: v.sum(min_count=1)),
        score=("score", "mean"),
    )
    g["revenue_share"] = g["revenue"] / a["revenue"].sum()
    order = {name: i for i, name in enumerate(CLASS_ORDER)}
    g = g.reset_index()
    g["_o"] = g["segment"].map(lambda s: order.get(s.split(" · ")[0], 9))
    g = g.sort_values(["_o", "revenue"], ascending=[True, False]).drop(columns="_o")
    return g


def class_totals(seg: Segmentation) -> pd.DataFrame:
    """The financial screen per class, then all customers: accounts, revenue, gross
    profit, gross margin, growth, potential.

    A quantity whose input is missing (cost of goods, a full prior year, any potential
    estimate) is NaN, shown as "n/a", never 0.
    """
    a = seg.accounts.assign(
        growth_base=seg.accounts["prior_revenue"].where(seg.accounts["growth"].notna())
    )
    a = a.assign(growth_now=a["revenue"].where(a["growth"].notna()))

    def total(v: pd.Series) -> float:
        return v.sum(min_count=1)

    g = a.groupby("class").agg(
        accounts=("account_id", "size"),
        revenue=("revenue", "sum"),
        gp=("gross_profit", total),
        prior=("growth_base", total),
        now=("growth_now", total),
        potential=("potential", total),
    )
    g = g.reindex([c for c in CLASS_ORDER if c in g.index])
    all_ = a.agg({"account_id": "size", "revenue": "sum"}).to_dict()
    total_row = pd.DataFrame(
        {
            "accounts": [all_["account_id"]],
            "revenue": [all_["revenue"]],
            "gp": [total(a["gross_profit"])],
            "prior": [total(a["growth_base"])],
            "now": [total(a["growth_now"])],
            "potential": [total(a["potential"])],
        },
        index=["All customers"],
    )
    g = pd.concat([g, total_row])
    return pd.DataFrame(
        {
            "class": g.index,
            "accounts": g["accounts"].astype(int).to_numpy(),
            "revenue": g["revenue"].to_numpy(),
            "gross_profit": g["gp"].to_numpy(),
            "gross_margin": (g["gp"] / g["revenue"]).where(g["revenue"] > 0).to_numpy(),
            "growth": (g["now"] / g["prior"] - 1).where(g["prior"] > 0).to_numpy(),
            "potential": g["potential"].to_numpy(),
        }
    )


def portfolio_frame(seg: Segmentation) -> tuple[pd.DataFrame, int]:
    """Key and development accounts with a compatibility rating, and how many have none."""
    a = seg.accounts[seg.accounts["key"] | (seg.accounts["class"] == "Development")].copy()
    # key accounts all rank high in the whole base: rank them among themselves to spread them
    a["attractiveness"] = a["finance"].rank(pct=True) * 100
    return a[a["fit"].notna()], int(a["fit"].isna().sum())


def line_bridge(
    seg: Segmentation, min_score: float, tier_3: tuple[float, float] | None = None
) -> dict:
    """From the recommended line to the key-account list, account by account: the line's
    accounts, the lost customers and other differences that make the candidates, the
    candidates the rules leave out (compatibility below ``min_score``, or below the
    tier minimums), and the consultants' demotions and promotions.

    Each group is a frame of its accounts, largest first, with ``rank`` (1 = the
    largest customer); ``below_tier`` says which Tier 3 minimum (``tier_3``: revenue and
    potential percentiles) each missed in ``missed``: "revenue" or "potential". ``line``
    is 0 when no line is drawn; ``key`` always equals
    ``line - lost + other - low_score - below_tier - demoted + promoted`` (in counts).
    """
    a = seg.accounts.sort_values("revenue", ascending=False, kind="stable").reset_index(drop=True)
    a["rank"] = range(1, len(a) + 1)
    line = seg.recommendation
    drawn = bool(line.get("decided", True)) and int(line.get("key_accounts", 0)) > 0
    in_line = (a["revenue"] >= line["min_revenue"]) & (a["revenue"] > 0)
    if not drawn:
        in_line &= False
    before = a["override"].map(lambda n: n.values.get("before") if n is not None else None)
    was_key = before.isin(TIERS)
    moved = a["override"].notna()
    promoted = moved & a["key"] & ~was_key
    demoted = moved & ~a["key"] & was_key
    rule_key = (a["key"] & ~promoted) | demoted
    cand = a["candidate"].astype(bool)
    left_out = cand & ~rule_key
    low = left_out & (a["score"].isna() | (a["score"] < min_score))
    lost = in_line & a["lost_on"].notna() if "lost_on" in a else in_line & False
    a["by"] = a["override"].map(lambda n: n.values.get("by") if n is not None else None)
    a["why"] = a["override"].map(lambda n: n.values.get("reason") if n is not None else None)
    rmin = tier_3[0] if tier_3 is not None else 0.0
    short = a["revenue_pct"] < rmin if "revenue_pct" in a else a["key"] & False
    a["missed"] = pd.Series(np.where(short, "revenue", "potential"), index=a.index).where(
        left_out & ~low
    )
    cols = ["account_id", "account_name", "revenue", "rank", "class", "by", "why", "missed"]
    cols += [c for c in ("growth", "potential_basis") if c in a]
    pick = lambda m: a.loc[m, cols].reset_index(drop=True)  # noqa: E731
    return {
        "line": int(in_line.sum()),
        "lost": pick(lost),
        # candidates outside the line, less line accounts that are not candidates (lost
        # aside): thresholds agreed for the engagement instead of the line
        "other": int((cand & ~in_line).sum() - (in_line & ~cand & ~lost).sum()),
        "low_score": pick(low),
        "below_tier": pick(left_out & ~low),
        "demoted": pick(demoted),
        "promoted": pick(promoted),
        "key": int(a["key"].sum()),
    }
