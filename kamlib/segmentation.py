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

import numpy as np
import pandas as pd

from . import fmt
from .periods import in_window, trailing_window

STRATEGY = ["market_leadership", "innovation_leadership", "strategic_fit"]
ATTITUDE = ["loyalty", "information_sharing", "engagement"]
DIMENSIONS = ("finance", "strategy", "attitude")
TIERS = ["Tier 1", "Tier 2", "Tier 3"]
ORIENTATION_LABEL = {"loyalty": "partner (loyalty)", "price": "price-driven"}


def _account_sums(revenue: pd.DataFrame, mask: pd.Series, cols: list[str]) -> pd.DataFrame:
    return revenue.loc[mask, ["account_id", *cols]].groupby("account_id").sum(min_count=1)


def financial_screen(
    accounts: pd.DataFrame, revenue: pd.DataFrame, as_of: dt.date | str, months: int = 12
) -> pd.DataFrame:
    """Per account over the trailing window: revenue, gross profit, margin, growth, potential.

    Potential is the headroom ``estimated_wallet - revenue`` (never below zero) when the
    account has a wallet estimate; otherwise the growth-based fallback
    ``revenue x max(growth, 0)``: one more year at the account's current growth.
    ``potential_basis`` says which one each account got.

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["A"], "account_name": ["Alpha"]})
    >>> rev = pd.DataFrame({"account_id": ["A", "A"], "amount": [120.0, 100.0],
    ...                     "date": pd.to_datetime(["2026-03-01", "2025-03-01"])})
    >>> float(round(financial_screen(acc, rev, "2026-03-31").loc[0, "growth"], 6))
    0.2
    """
    cur = in_window(revenue["date"], trailing_window(as_of, months))
    pri = in_window(revenue["date"], trailing_window(as_of, months, back=1))
    money = ["amount"] + [c for c in ("cost", "list_amount") if c in revenue.columns]
    now = _account_sums(revenue, cur, money)
    before = _account_sums(revenue, pri, ["amount"]).rename(columns={"amount": "prior_revenue"})
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
    df["share_of_wallet"] = (df["revenue"] / df["estimated_wallet"]).where(
        df["estimated_wallet"] > 0
    )
    headroom = (df["estimated_wallet"] - df["revenue"]).clip(lower=0)
    fallback = df["revenue"] * df["growth"].clip(lower=0)
    df["potential"] = headroom.where(df["estimated_wallet"].notna(), fallback)
    df["potential_basis"] = np.select(
        [df["estimated_wallet"].notna(), fallback.notna()], ["wallet", "growth"], "none"
    )
    df["potential"] = df["potential"].fillna(0.0)
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


def candidates(screen: pd.DataFrame, thresholds: dict) -> pd.Series:
    """True for accounts passing every financial threshold that is set (None: not used).

    ``revenue_share`` keeps the largest accounts that together make that share of revenue.
    """
    ok = screen["revenue"] > 0
    if thresholds.get("min_revenue") is not None:
        ok &= screen["revenue"] >= thresholds["min_revenue"]
    if thresholds.get("min_gross_profit") is not None:
        ok &= screen["gross_profit"].fillna(-np.inf) >= thresholds["min_gross_profit"]
    if thresholds.get("min_potential") is not None:
        ok &= screen["potential"] >= thresholds["min_potential"]
    share = thresholds.get("revenue_share")
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
    missing = avail[used].apply(lambda r: ", ".join(d for d in used if not r[d]), axis=1)
    out["missing_dimensions"] = missing.to_numpy()
    out["renormalised"] = out["missing_dimensions"] != ""
    return out


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
    for cond, value in ((att >= 3.5, "loyalty"), (att <= 2.5, "price")):
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
    """Revenue and potential as percentiles (0-1) of the whole customer base."""
    return pd.DataFrame(
        {
            "revenue_pct": screen["revenue"].rank(pct=True, method="max").to_numpy(),
            "potential_pct": screen["potential"].rank(pct=True, method="max").to_numpy(),
        }
    )


def classify(
    screen: pd.DataFrame,
    scores: pd.DataFrame,
    orientation: pd.DataFrame,
    candidate: pd.Series,
    tiers: dict,
    min_score: float,
) -> pd.DataFrame:
    """Tier, class and segment per account, each with the reason in words.

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
    for name, key in zip(TIERS, ("tier_1", "tier_2", "tier_3"), strict=True):
        rmin, pmin = tiers[key]
        hit = df["candidate"] & compatible & df["tier"].isna()
        hit &= (df["revenue_pct"] >= rmin) & (df["potential_pct"] >= pmin)
        df.loc[hit, "tier"] = name
    key = df["tier"].notna()
    dmin_r, dmin_p = tiers["development"]
    dev = ~key & (df["revenue_pct"] >= dmin_r) & (df["potential_pct"] >= dmin_p)
    core = ~key & ~dev & (df["revenue_pct"] >= tiers["core"])
    df["key"] = key
    df["class"] = np.select([key, dev, core], [df["tier"], "Development", "Core"], "Transactional")
    label = df["orientation"].map(ORIENTATION_LABEL).fillna("orientation unknown")
    df["segment"] = np.where(key, df["tier"].fillna("") + " · " + label, df["class"])
    df["reason"] = [_reason(r, tiers, min_score) for r in df.to_dict("records")]
    return df


def _reason(r: dict, tiers: dict, min_score: float) -> str:
    rp, pp = round(r["revenue_pct"] * 100), round(r["potential_pct"] * 100)
    where = f"revenue percentile {rp}, potential percentile {pp}"
    if r["key"]:
        return f"{r['tier']}: {where}; compatibility {r['score']:.0f}"
    if r["candidate"] and (pd.isna(r["score"]) or r["score"] < min_score):
        return f"Candidate, but compatibility {r['score']:.0f} is below {min_score:g}; {where}"
    if r["candidate"]:
        rmin, pmin = tiers["tier_3"]
        return f"Candidate, but below the Tier 3 rule ({rmin:.0%} / {pmin:.0%}); {where}"
    if r["class"] == "Development":
        return f"Development track: small revenue, large potential; {where}"
    return f"Below the candidate thresholds; {where}"


def _given(row: object, name: str) -> str | None:
    """A field of an override row, or None when absent, blank or NaN."""
    value = getattr(row, name, None)
    return value if isinstance(value, str) and value.strip() else None


def apply_overrides(classes: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """Apply the consultants' decisions last; returns the new classes with ``override`` set.

    ``key = yes`` promotes (tier from the override, else the computed tier, else Tier 3);
    ``key = no`` demotes to core. A given segment replaces the computed one.
    """
    df = classes.copy()
    df["override"] = ""
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
        else:
            df.loc[i, ["key", "tier", "class", "segment"]] = [False, None, "Core", "Core"]
        if _given(o, "segment"):
            df.at[i, "segment"] = o.segment
        df.at[i, "override"] = f"{before} → {df.at[i, 'class']}: {o.reason} ({by})"
        df.at[i, "reason"] = f"Override by {by}: {o.reason}"
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
) -> pd.DataFrame:
    """For a sweep of key-account lines (the largest n accounts by revenue): coverage,
    managers needed, cost of the key-account service model and what the accounts bring.

    The model costs ``ceil(n / mid) x manager_cost + n x service_cost`` with ``mid`` the
    middle of the accounts-per-manager rule; ``marginal_gp`` is the average gross profit
    of the accounts added since the previous line, against ``cost_per_account``.
    """
    ranked = screen[screen["revenue"] > 0].sort_values("revenue", ascending=False)
    gp = ranked["gross_profit"] if ranked["gross_profit"].notna().any() else ranked["revenue"]
    n_all = len(screen)
    total_rev, total_gp = ranked["revenue"].sum(), gp.sum()
    mid = (per_manager[0] + per_manager[1]) / 2
    per_account = manager_cost / mid + service_cost
    rows, prev = [], 0
    for share in shares:
        n = min(len(ranked), max(1, round(n_all * share)))
        if n <= prev:
            continue
        top = ranked.iloc[:n]
        cost = math.ceil(n / mid) * manager_cost + n * service_cost
        rows.append(
            {
                "key_accounts": n,
                "customer_share": n / n_all,
                "min_revenue": float(top["revenue"].iloc[-1]),
                "revenue_share": top["revenue"].sum() / total_rev,
                "gross_profit_share": gp.iloc[:n].sum() / total_gp if total_gp else np.nan,
                "managers_at_" + str(per_manager[1]): math.ceil(n / per_manager[1]),
                "managers_at_" + str(per_manager[0]): math.ceil(n / per_manager[0]),
                "model_cost": float(cost),
                "gross_profit": float(gp.iloc[:n].sum()),
                "marginal_gp": float(gp.iloc[prev:n].mean()),
                "cost_per_account": per_account,
            }
        )
        prev = n
    out = pd.DataFrame(rows)
    out["pays"] = out["marginal_gp"] >= out["cost_per_account"]
    return out


def recommend_line(sensitivity: pd.DataFrame, currency: str = "EUR") -> dict:
    """The recommended line: the widest whose every added band still pays for the model.

    Returns the chosen row as a dict plus ``reason``; where even the first band does not
    pay, the first row is returned and the reason says so.
    """
    pays = sensitivity["pays"].to_numpy()
    stop = int(np.argmin(pays)) if not pays.all() else len(pays)
    chosen = sensitivity.iloc[max(stop - 1, 0)].to_dict()
    if stop == 0:
        chosen["reason"] = (
            "Even the largest accounts bring less gross profit than the "
            "key-account model costs per account: revisit the cost assumptions."
        )
    elif stop < len(pays):
        nxt = sensitivity.iloc[stop]
        chosen["reason"] = (
            f"Beyond {int(chosen['key_accounts'])} accounts the next accounts bring "
            f"{fmt.money(nxt['marginal_gp'], currency)} of gross profit each on average, less "
            f"than the {fmt.money(nxt['cost_per_account'], currency)} the key-account model "
            "costs per account."
        )
    else:
        chosen["reason"] = "Every band in the sweep still pays for the key-account model."
    return chosen


@dataclass
class Segmentation:
    """Everything step 1 computes for an engagement; later steps read ``accounts``."""

    accounts: pd.DataFrame  # one row per account (or group): metrics, scores, class, reason
    pareto_revenue: pd.DataFrame
    pareto_gross_profit: pd.DataFrame | None
    sensitivity: pd.DataFrame
    recommendation: dict
    overrides: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    grouped: bool = False

    @property
    def key_accounts(self) -> pd.DataFrame:
        return self.accounts[self.accounts["key"]]


def segment(engagement) -> Segmentation:
    """Run step 1 on an engagement (see :func:`kamlib.open_engagement`)."""
    cfg, pack = engagement.config, engagement.pack
    s = cfg.setting("segmentation")
    accounts, revenue = pack["accounts"], pack["revenue"]
    notes: list[str] = []
    grouped = bool(s["roll_up_groups"]) and pack.has("accounts", "parent_id")
    if s["roll_up_groups"] and not grouped:
        notes.append(
            "Group roll-up was asked for, but no account has a parent_id: accounts "
            "are scored one by one."
        )
    if grouped:
        accounts, revenue = roll_up(accounts, revenue)
        notes.append(
            f"Accounts are scored as groups: {len(pack['accounts']):,} entities roll "
            f"up into {len(accounts):,} groups and single accounts (parent_id)."
        )
    screen = financial_screen(accounts, revenue, cfg.as_of, cfg.setting("trailing_months"))
    if not pack.has("revenue", "cost"):
        notes.append(
            "No cost of goods in the revenue table: gross profit and margin cannot "
            "be computed; the financial score uses revenue and potential only."
        )
    if not screen["estimated_wallet"].notna().any():
        notes.append("No wallet estimates: potential is growth-based (revenue x growth).")
    for dim, cols in (("strategy", STRATEGY), ("attitude", ATTITUDE)):
        if not any(pack.has("accounts", c) for c in cols):
            notes.append(
                f"No {dim} ratings: the {dim} dimension is not scored; weights are "
                "re-normalised over the dimensions present."
            )
    per_manager = tuple(int(x) for x in s["accounts_per_manager"])
    sens = threshold_sensitivity(screen, per_manager, s["manager_cost"], s["service_cost"])
    line = recommend_line(sens, cfg.currency)
    thresholds = dict(s["thresholds"])
    if all(v is None for v in thresholds.values()):
        thresholds["min_revenue"] = line["min_revenue"]
        notes.append(
            f"No candidate threshold is set in the config: candidates are the accounts "
            f"above the recommended line (revenue of at least {line['min_revenue']:,.0f})."
        )
    cand = candidates(screen, thresholds)
    scores = compatibility(screen, accounts, s["weights"])
    orient = buyer_orientation(screen, accounts)
    classes = classify(screen, scores, orient, cand, s["tiers"], s["min_score"])
    overrides = pack.tables.get("overrides")
    final = apply_overrides(classes, overrides if not grouped else None)
    if grouped and overrides is not None and not overrides.empty:
        notes.append("Overrides name single accounts; with group roll-up they are not applied.")
    table = screen.merge(scores, on="account_id").merge(
        final.drop(columns=["score"]), on="account_id"
    )
    return Segmentation(
        accounts=table,
        pareto_revenue=pareto(screen, "revenue"),
        pareto_gross_profit=pareto(screen, "gross_profit") if pack.has("revenue", "cost") else None,
        sensitivity=sens,
        recommendation=line,
        overrides=final[final["override"] != ""][["account_id", "override"]],
        notes=notes,
        grouped=grouped,
    )


def portfolio_frame(seg: Segmentation) -> tuple[pd.DataFrame, int]:
    """Key and development accounts with a compatibility rating, and how many have none."""
    a = seg.accounts[seg.accounts["key"] | (seg.accounts["class"] == "Development")].copy()
    # key accounts all rank high in the whole base: rank them among themselves to spread them
    a["attractiveness"] = a["finance"].rank(pct=True) * 100
    return a[a["fit"].notna()], int(a["fit"].isna().sum())


def headline(seg: Segmentation) -> dict:
    """The numbers of the executive summary."""
    a, k = seg.accounts, seg.key_accounts
    gp_total = a["gross_profit"].sum() if a["gross_profit"].notna().any() else np.nan
    line = seg.recommendation
    per = [c for c in seg.sensitivity.columns if c.startswith("managers_at_")]
    lo, hi = sorted(int(c.rsplit("_", 1)[1]) for c in per)
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
        "pareto_80": customer_share_for(seg.pareto_revenue, 0.8),
        "pareto_80_gp": customer_share_for(seg.pareto_gross_profit, 0.8)
        if seg.pareto_gross_profit is not None
        else np.nan,
        "tiers": k["tier"].value_counts().reindex(TIERS, fill_value=0).to_dict(),
        "development": int((a["class"] == "Development").sum()),
        "overrides": len(seg.overrides),
        "renormalised": int((a["candidate"] & a["renormalised"]).sum()),
    }


def summary_text(h: dict, currency: str = "EUR") -> str:
    """The executive summary in words."""
    lo, hi = h["per_manager"]
    tiers = ", ".join(f"{v} in {t}" for t, v in h["tiers"].items())
    gp = (
        " (gross profit needs cost of goods, which the data does not hold)"
        if np.isnan(h["gross_profit_share"])
        else f" and {fmt.pct(h['gross_profit_share'])} of gross profit"
    )
    pareto_gp = (
        ""
        if np.isnan(h["pareto_80_gp"])
        else f" and {fmt.pct(h['pareto_80_gp'])} make 80 % of gross profit"
    )
    verb = "is" if h["overrides"] == 1 else "are"
    return (
        f"**{fmt.count(h['key_accounts'])} of {fmt.count(h['customers'])} customers "
        f"({fmt.pct(h['key_share'])}) are key accounts**: {tiers}. Together they make "
        f"**{fmt.pct(h['revenue_share'])} of revenue**{gp}. "
        f"At {lo} to {hi} key accounts per manager they need "
        f"**{h['managers_low']} to {h['managers_high']} key account managers**. "
        f"{fmt.pct(h['pareto_80'])} of customers make 80 % of revenue{pareto_gp}. "
        f"We recommend drawing the line at the **{fmt.count(h['line_accounts'])} largest "
        f"accounts** (revenue of at least {fmt.money(h['line_min_revenue'], currency)}, "
        f"{fmt.pct(h['line_revenue_share'])} of revenue). {h['line_reason']} "
        f"{fmt.plural(h['development'], 'smaller account')} with large potential go to the "
        f"development track; {fmt.plural(h['overrides'], 'consultant override')} {verb} applied."
    )


def kpi_cards(h: dict, currency: str = "EUR") -> list[tuple[str, str, str]]:
    """The headline figures as (label, value, note) cards."""
    lo, hi = h["per_manager"]
    no_gp = np.isnan(h["gross_profit_share"])
    return [
        (
            "key accounts",
            fmt.count(h["key_accounts"]),
            f"{fmt.pct(h['key_share'])} of {fmt.count(h['customers'])} customers",
        ),
        ("share of revenue", fmt.pct(h["revenue_share"]), "trailing 12 months"),
        (
            "share of gross profit",
            "n/a" if no_gp else fmt.pct(h["gross_profit_share"]),
            "no cost of goods in the data" if no_gp else "trailing 12 months",
        ),
        (
            "key account managers",
            f"{h['managers_low']}–{h['managers_high']}",
            f"at {lo} to {hi} accounts each",
        ),
        (
            "recommended line",
            fmt.money(h["line_min_revenue"], currency),
            f"the {fmt.count(h['line_accounts'])} largest accounts",
        ),
    ]


def by_segment(seg: Segmentation) -> pd.DataFrame:
    """Accounts, revenue, gross profit and compatibility per segment, tiers first."""
    a = seg.accounts
    g = a.groupby("segment").agg(
        accounts=("account_id", "size"),
        revenue=("revenue", "sum"),
        gross_profit=("gross_profit", "sum"),
        score=("score", "mean"),
    )
    g["revenue_share"] = g["revenue"] / a["revenue"].sum()
    order = {name: i for i, name in enumerate(TIERS + ["Development", "Core", "Transactional"])}
    g = g.reset_index()
    g["_o"] = g["segment"].map(lambda s: order.get(s.split(" · ")[0], 9))
    g = g.sort_values(["_o", "revenue"], ascending=[True, False]).drop(columns="_o")
    return g.rename(
        columns={
            "gross_profit": "gross profit",
            "score": "compatibility",
            "revenue_share": "share of revenue",
        }
    )


EXPORT_COLUMNS = {
    "account_id": "account id",
    "account_name": "account",
    "class": "class",
    "tier": "tier",
    "segment": "segment",
    "reason": "reason",
    "override": "override",
    "revenue": "revenue",
    "prior_revenue": "prior revenue",
    "growth": "growth",
    "gross_profit": "gross profit",
    "gross_margin": "gross margin",
    "discount": "discount",
    "estimated_wallet": "wallet",
    "share_of_wallet": "share of wallet",
    "potential": "potential",
    "potential_basis": "potential basis",
    "revenue_pct": "revenue percentile",
    "potential_pct": "potential percentile",
    "finance": "finance score",
    "strategy": "strategy score",
    "attitude": "attitude score",
    "score": "compatibility",
    "renormalised": "weights re-normalised",
    "missing_dimensions": "dimensions missing",
    "orientation": "orientation",
    "orientation_basis": "orientation from",
    "candidate": "candidate",
}


def export_table(seg: Segmentation) -> pd.DataFrame:
    """Every account with its metrics, scores, class and the reason, for the Excel export."""
    cols = [c for c in EXPORT_COLUMNS if c in seg.accounts.columns]
    extra = [
        c
        for c in ("industry", "channel", "region", "account_manager", "members")
        if c in seg.accounts.columns
    ]
    out = seg.accounts[cols[:2] + extra + cols[2:]].rename(columns=EXPORT_COLUMNS)
    return out.sort_values("revenue", ascending=False, kind="stable")


def export(output_dir: str, seg: Segmentation, colour: str = "#0B3D91") -> str:
    """Write ``01_segmentation.xlsx``: accounts, sensitivity, segments; nothing without a folder."""
    from .excel import export_report

    if not output_dir:
        return ""
    pct = {
        c: "pct"
        for c in (
            "growth",
            "gross margin",
            "discount",
            "share of wallet",
            "revenue percentile",
            "potential percentile",
        )
    }
    money = {
        c: "money" for c in ("revenue", "prior revenue", "gross profit", "wallet", "potential")
    }
    sens_pct = {c: "pct" for c in ("customer_share", "revenue_share", "gross_profit_share")}
    return export_report(
        output_dir,
        "01_segmentation.xlsx",
        {
            "Accounts": export_table(seg),
            "Sensitivity": seg.sensitivity,
            "Segments": by_segment(seg),
        },
        colour,
        formats={
            "Accounts": {
                **pct,
                **money,
                "finance score": "number",
                "strategy score": "number",
                "attitude score": "number",
                "compatibility": "number",
            },
            "Sensitivity": sens_pct,
            "Segments": {"share of revenue": "pct", "compatibility": "number"},
        },
    )


CLASS_ORDER = TIERS + ["Development", "Core", "Transactional"]


def screen_summary(seg: Segmentation) -> pd.DataFrame:
    """The financial screen per class: accounts, revenue, gross profit, margin, growth."""
    a = seg.accounts
    g = a.groupby("class").agg(
        accounts=("account_id", "size"),
        revenue=("revenue", "sum"),
        gp=("gross_profit", "sum"),
        prior=("prior_revenue", "sum"),
        potential=("potential", "sum"),
    )
    g = g.reindex([c for c in CLASS_ORDER if c in g.index])
    total = g.sum()
    total.name = "All customers"
    g = pd.concat([g, total.to_frame().T])
    return pd.DataFrame(
        {
            "class": g.index,
            "accounts": g["accounts"].astype(int).to_numpy(),
            "revenue": g["revenue"].to_numpy(),
            "gross profit": g["gp"].to_numpy(),
            "gross margin": (g["gp"] / g["revenue"]).to_numpy(),
            "growth": (g["revenue"] / g["prior"] - 1).to_numpy(),
            "potential": g["potential"].to_numpy(),
        }
    )


SENSITIVITY_FORMATS = {
    "customers": "pct0",
    "from revenue": "money_short",
    "revenue": "pct0",
    "gross profit": "pct0",
    "model cost": "money_short",
    "GP per added account": "money_short",
}


def sensitivity_view(seg: Segmentation) -> pd.DataFrame:
    """The sensitivity table with reader-facing column names."""
    s = seg.sensitivity
    per = sorted(
        (c for c in s.columns if c.startswith("managers_at_")),
        key=lambda c: -int(c.rsplit("_", 1)[1]),
    )
    return pd.DataFrame(
        {
            "key accounts": s["key_accounts"],
            "customers": s["customer_share"],
            "from revenue": s["min_revenue"],
            "revenue": s["revenue_share"],
            "gross profit": s["gross_profit_share"],
            **{f"KAMs at {c.rsplit('_', 1)[1]}": s[c] for c in per},
            "model cost": s["model_cost"],
            "GP per added account": s["marginal_gp"],
            "pays": np.where(s["pays"], "yes", "no"),
        }
    )


def weights_table(config) -> pd.DataFrame:
    """The compatibility weights and what each dimension is made of."""
    w = config.setting("segmentation.weights")
    made = {
        "finance": "revenue, gross profit, potential",
        "strategy": "market leadership, innovation leadership, strategic fit",
        "attitude": "loyalty, information sharing, engagement",
    }
    return pd.DataFrame(
        {
            "dimension": list(DIMENSIONS),
            "weight": [w[d] for d in DIMENSIONS],
            "made of": [made[d] for d in DIMENSIONS],
        }
    )


def renormalised_list(seg: Segmentation) -> pd.DataFrame:
    """Candidates scored without one or more dimensions, largest first."""
    a = seg.accounts[seg.accounts["candidate"] & seg.accounts["renormalised"]]
    return a.sort_values("revenue", ascending=False)[
        ["account_name", "class", "revenue", "missing_dimensions", "score"]
    ].rename(
        columns={
            "account_name": "account",
            "missing_dimensions": "not rated",
            "score": "compatibility",
        }
    )


def orientation_table(seg: Segmentation) -> pd.DataFrame:
    """Key accounts by orientation and by where the orientation came from."""
    k = seg.key_accounts
    t = pd.crosstab(k["orientation"].fillna("unknown"), k["orientation_basis"])
    t = t.reindex(
        columns=[
            c
            for c in ("client data", "attitude ratings", "discount depth", "unknown")
            if c in t.columns
        ]
    )
    t["key accounts"] = t.sum(axis=1)
    return t.reset_index().rename(columns={"orientation": "orientation"})


def unplaced_text(unplaced: int) -> str:
    """The note under the portfolio matrix."""
    if not unplaced:
        return "Every key and development account has strategic or attitude ratings."
    return (
        f"{unplaced} key or development accounts have no strategic or attitude rating and "
        "cannot be placed on the compatibility axis; rate them to complete the picture."
    )


def overrides_table(seg: Segmentation) -> pd.DataFrame:
    """The overrides applied, with the accounts' names."""
    names = seg.accounts.set_index("account_id")["account_name"]
    o = seg.overrides
    if o.empty:
        return pd.DataFrame({"account": [], "decision": []})
    return pd.DataFrame(
        {"account": o["account_id"].map(names).to_numpy(), "decision": o["override"].to_numpy()}
    )


def key_account_list(seg: Segmentation) -> pd.DataFrame:
    """Key accounts, largest first, with tier, segment and scores."""
    k = seg.key_accounts.sort_values("revenue", ascending=False)
    return pd.DataFrame(
        {
            "account": k["account_name"],
            "segment": k["segment"],
            "revenue": k["revenue"],
            "growth": k["growth"],
            "gross margin": k["gross_margin"],
            "compatibility": k["score"],
            "manager": k.get("account_manager", ""),
        }
    )
