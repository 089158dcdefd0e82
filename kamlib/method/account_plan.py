"""Step 4 — account plans: the computations behind one key account's plan.

Each function works for every account at once (the batch needs that) and returns a
frame keyed by ``account_id``; a plan selects its own rows, so it never shows another
account's figures, only its segment's aggregates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..core.notes import Note, note

#: The plan's parts (completeness is measured over these, in this order) and the plan
#: inputs each needs before it counts as complete; their titles are the report's.
PART_INPUTS = {
    "baselines": ("challenges", "ongoing_projects"),
    "relationship": ("strengths", "weaknesses"),
    "growth": (),
    "actions_solution": ("required_actions", "desired_solution"),
    "client_value": ("client_value",),
    "investment": ("investment", "investment_amount"),
    "action_plan": ("action_plan", "deal_preparation"),
    "swot": ("opportunities", "threats"),
    "risks": ("risk_mitigation",),
}
#: Parts drafted (partly) from data; ``relationship`` also needs the contacts table.
DATA_PARTS = {"baselines", "relationship", "growth", "investment", "swot", "risks", "action_plan"}


#: A part's states: computed from data alone (nothing for the manager to write); every
#: field given by the manager; every field at least drafted from the data; a field
#: neither given nor drafted.
FROM_DATA, CONFIRMED, DRAFTED, TO_COMPLETE = "from data", "confirmed", "drafted", "to complete"


def part_status(
    filled: set[str], has_contacts: bool, drafted: set[str] | frozenset[str] = frozenset()
) -> pd.DataFrame:
    """Each part's status for one account (:data:`CONFIRMED` and the others) and what is
    missing: the fields neither given by the manager (``filled``) nor drafted from the
    data (``drafted``), and ``contacts`` for the relationship without any on record.

    Examples
    --------
    >>> s = part_status({"challenges", "ongoing_projects"}, False, {"strengths", "weaknesses"})
    >>> s.set_index("part").loc[["baselines", "relationship", "growth"], "status"].tolist()
    ['confirmed', 'to complete', 'from data']
    >>> s = part_status({"strengths"}, True, {"weaknesses", "challenges"})
    >>> s = s.set_index("part")
    >>> s.loc[["relationship", "baselines"], ["status", "missing"]].values.tolist()
    [['drafted', []], ['to complete', ['ongoing_projects']]]
    """
    rows = []
    for part, needs in PART_INPUTS.items():
        missing = [f for f in needs if f not in filled and f not in drafted]
        if part == "relationship" and not has_contacts:
            missing.append("contacts")
        if missing:
            status = TO_COMPLETE
        elif not needs:
            status = FROM_DATA
        else:
            status = CONFIRMED if all(f in filled for f in needs) else DRAFTED
        rows.append((part, status, missing))
    return pd.DataFrame(rows, columns=["part", "status", "missing"])


def shares(status: pd.Series) -> tuple[float, float]:
    """The share of a plan's parts drafted (from data, drafted or confirmed), and the share
    of the parts the manager writes that the manager has confirmed.

    Examples
    --------
    >>> d, c = shares(pd.Series(["from data", "drafted", "confirmed", "to complete"]))
    >>> d, round(c, 3)
    (0.75, 0.333)
    """
    if not len(status):
        return 0.0, 0.0
    drafted = float((status != TO_COMPLETE).mean())
    written = int((status != FROM_DATA).sum())
    return drafted, float((status == CONFIRMED).sum() / written) if written else 1.0


PARTS = list(PART_INPUTS)


def whitespace(
    product_revenue: pd.DataFrame, segment_of: pd.Series, min_adoption: float = 0.25
) -> pd.DataFrame:
    """Products each account does not buy that its segment does, valued at the segment's
    typical spend (the median spend of the segment's accounts that buy the product).

    ``product_revenue`` holds ``account_id``, ``product`` and ``amount`` over the trailing
    window. Only products bought by at least ``min_adoption`` of the segment count.

    Examples
    --------
    >>> pr = pd.DataFrame({"account_id": ["a", "b", "b"], "product": ["X", "X", "Y"],
    ...                    "amount": [10.0, 20.0, 30.0]})
    >>> seg = pd.Series({"a": "S", "b": "S"})
    >>> whitespace(pr, seg, 0.5)[["account_id", "product", "value"]].values.tolist()
    [['a', 'Y', 30.0]]
    """
    spend = product_revenue.groupby(["account_id", "product"], as_index=False)["amount"].sum()
    spend = spend[spend["amount"] > 0]
    spend["segment"] = spend["account_id"].map(segment_of)
    spend = spend[spend["segment"].notna()]
    size = segment_of.value_counts()
    typical = (
        spend.groupby(["segment", "product"])
        .agg(buyers=("account_id", "nunique"), value=("amount", "median"))
        .reset_index()
    )
    typical["adoption"] = typical["buyers"] / typical["segment"].map(size)
    typical = typical[typical["adoption"] >= min_adoption]
    accounts = pd.DataFrame({"account_id": segment_of.index, "segment": segment_of.to_numpy()})
    cand = accounts.merge(typical, on="segment")
    bought = set(zip(spend["account_id"], spend["product"], strict=True))
    mask = np.array(
        [(a, p) not in bought for a, p in zip(cand["account_id"], cand["product"], strict=True)],
        dtype=bool,
    )
    out = cand[mask][["account_id", "segment", "product", "adoption", "value"]]
    return out.sort_values(["account_id", "value"], ascending=[True, False]).reset_index(drop=True)


def weighted_pipeline(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Per account: open opportunities, their amount and their probability-weighted amount."""
    o = opportunities[opportunities["status"] == "open"]
    prob = o["probability"] if "probability" in o.columns else pd.Series(np.nan, index=o.index)
    o = o.assign(weighted=o["amount"] * prob.fillna(0.0))
    g = o.groupby("account_id").agg(
        open_opportunities=("amount", "size"),
        pipeline=("amount", "sum"),
        weighted=("weighted", "sum"),
    )
    return g.reset_index()


#: Why an account's target grows as it does (:func:`target_growth`).
GROWTH, WALLET, RECOVER, STABILISE, BREAK_EVEN = (
    "growth", "wallet", "recover", "stabilise", "break even",
)  # fmt: skip


#: A loss after cost-to-serve above this share of revenue makes breaking even the
#: account's first target; a smaller one only halves its growth target
MATERIAL_LOSS = 0.02


def target_growth(
    accounts: pd.DataFrame, rate: float, watch: str = "watch", at_risk: str = "at risk"
) -> pd.DataFrame:
    """Each account's annual growth target and why, from management's ``rate`` and the
    account's situation, first rule that applies:

    * losing money after cost-to-serve, more than ``MATERIAL_LOSS`` of its revenue: no
      growth target: its first target is to break even (``break even``);
    * health at risk: no growth until it is stabilised (``stabilise``);
    * revenue falling, health on watch or a small loss: half the rate while it recovers
      (``recover``);
    * an estimated wallet the rate would pass: the rate that reaches the wallet in a year
      (``wallet``; none when it is already spent);
    * otherwise management's rate (``growth``).

    ``accounts`` is indexed by account, with ``annual_revenue`` and, where known,
    ``net_contribution``, ``band``, ``growth`` and ``estimated_wallet``.

    Examples
    --------
    >>> a = pd.DataFrame({"annual_revenue": [100.0] * 6,
    ...                   "net_contribution": [-5.0, 10, 10, 10, 10, -1],
    ...                   "band": ["healthy", "at risk", "watch", "healthy", "healthy",
    ...                            "healthy"],
    ...                   "growth": [0.2, 0.1, 0.1, 0.1, 0.1, 0.1],
    ...                   "estimated_wallet": [None, None, None, 104.0, None, None]},
    ...                  index=list("abcdef"))
    >>> t = target_growth(a, 0.10)
    >>> t["rate"].round(3).tolist()
    [0.0, 0.0, 0.05, 0.04, 0.1, 0.05]
    >>> t["basis"].tolist()  # f loses 1 % of its revenue: it recovers, growing
    ['break even', 'stabilise', 'recover', 'wallet', 'growth', 'recover']
    """
    idx = accounts.index
    col = lambda c: accounts[c] if c in accounts else pd.Series(np.nan, index=idx)  # noqa: E731
    nc, band, growth = col("net_contribution"), col("band"), col("growth")
    wallet, annual = col("estimated_wallet"), col("annual_revenue")
    reach = (wallet / annual - 1).where(annual > 0).clip(lower=0)
    loss, risk = (nc < 0) & (nc < -MATERIAL_LOSS * annual), band == at_risk
    recover = (growth < 0) | (band == watch) | (nc < 0)
    capped = reach.notna() & (reach < rate)
    basis = np.select(
        [loss, risk, recover, capped], [BREAK_EVEN, STABILISE, RECOVER, WALLET], GROWTH
    )
    out = pd.DataFrame({"basis": basis}, index=idx)
    out["rate"] = np.select(
        [loss | risk, recover], [0.0, rate / 2], np.where(capped, reach, rate)
    ).astype(float)
    # a recovering account is not asked past its wallet either
    out.loc[recover & ~loss & ~risk, "rate"] = np.minimum(
        out.loc[recover & ~loss & ~risk, "rate"], reach[recover & ~loss & ~risk].fillna(np.inf)
    )
    return out[["rate", "basis"]]


def targets(
    base: pd.Series,
    growth: float | pd.Series,
    horizons: list[int],
    weighted: pd.Series | None = None,
    floor: pd.Series | None = None,
) -> pd.DataFrame:
    """Revenue targets per account: an annual growth rate (management's, or each
    account's from :func:`target_growth`) applied to each account.

    ``target_<h>m = base x (1 + growth) ^ (h / 12)``. ``from_pipeline`` is how much of the
    first horizon's increase the weighted open pipeline covers; ``to_find`` the rest.
    Where ``floor`` is true and the weighted pipeline promises more than the first
    horizon's increase, the target is never below today plus that pipeline (the later
    horizons grow from it at the same rate; ``pipeline_floor`` says so).

    Examples
    --------
    >>> t = targets(pd.Series({"a": 100.0}), 0.1, [12, 24], pd.Series({"a": 4.0}))
    >>> t[["target_12m", "target_24m", "from_pipeline", "to_find"]].round(2).values.tolist()
    [[110.0, 121.0, 4.0, 6.0]]
    >>> t = targets(pd.Series({"a": 100.0}), 0.1, [12, 24], pd.Series({"a": 30.0}),
    ...             floor=pd.Series({"a": True}))
    >>> t[["target_12m", "target_24m", "from_pipeline", "pipeline_floor"]].values.tolist()
    [[130.0, 143.0, 30.0, True]]
    """
    out = pd.DataFrame({"account_id": base.index, "base": base.to_numpy()})
    rate = growth.reindex(base.index).to_numpy() if isinstance(growth, pd.Series) else growth
    w = (
        weighted.reindex(base.index).fillna(0.0).to_numpy()
        if weighted is not None
        else np.zeros(len(out))
    )
    h0 = horizons[0]
    grown = out["base"] * (1 + rate) ** (h0 / 12)
    lift = (
        floor.reindex(base.index).fillna(False).astype(bool).to_numpy()
        if floor is not None
        else np.zeros(len(out), dtype=bool)
    ) & (out["base"] + w > grown).to_numpy()
    start = np.where(lift, out["base"] + w, grown)
    for h in horizons:
        out[f"target_{h}m"] = start * (1 + rate) ** ((h - h0) / 12)
    out["pipeline_floor"] = lift
    first = out[f"target_{h0}m"] - out["base"]
    out["from_pipeline"] = np.minimum(w, first.clip(lower=0).to_numpy())
    out["to_find"] = (first - out["from_pipeline"]).clip(lower=0)
    return out


def stakeholder_gaps(
    contacts: pd.DataFrame, as_of: dt.date | str, stale_days: int = 180
) -> pd.DataFrame:
    """Per account with contacts: senior contact, supporter, staleness and influential
    detractors, each as a flag, and ``gaps``: the list of gaps as notes."""
    c = contacts.copy()
    as_of = pd.Timestamp(as_of)
    c["days"] = (as_of - c["last_contact"]).dt.days if "last_contact" in c.columns else np.nan
    senior = (
        c["senior"].fillna(False).astype(bool)
        if "senior" in c.columns
        else pd.Series(False, index=c.index)
    )
    attitude = c["attitude"] if "attitude" in c.columns else pd.Series(None, index=c.index)
    influence = c["influence"] if "influence" in c.columns else pd.Series(np.nan, index=c.index)
    c = c.assign(
        is_senior=senior,
        supporter=attitude == "supporter",
        key_detractor=(attitude == "detractor") & (influence >= 4),
    )
    c["senior_days"] = c["days"].where(c["is_senior"])
    g = c.groupby("account_id").agg(
        contacts=("name", "size"),
        senior_contacts=("is_senior", "sum"),
        supporters=("supporter", "sum"),
        key_detractors=("key_detractor", "sum"),
        days_since_senior=("senior_days", "min"),
        days_since_contact=("days", "min"),
    )
    g["no_senior"] = g["senior_contacts"] == 0
    g["no_supporter"] = g["supporters"] == 0
    g["stale_senior"] = g["days_since_senior"] > stale_days
    found = []
    for r in g.itertuples():
        w = []
        if r.no_senior:
            w.append(note("gap.no_senior"))
        elif r.stale_senior:
            w.append(note("gap.stale_senior", days=int(r.days_since_senior)))
        if r.no_supporter:
            w.append(note("gap.no_supporter"))
        if r.key_detractors:
            w.append(note("gap.detractors", count=int(r.key_detractors)))
        found.append(w)
    g["gaps"] = pd.Series(found, index=g.index, dtype=object)
    return g.reset_index()


#: Gaps that say the senior relationship is missing or stale.
SENIOR_GAPS = {"gap.no_senior", "gap.stale_senior"}


def risk_signals(
    revenue_now: pd.Series,
    revenue_before: pd.Series,
    margin_now: pd.Series,
    margin_before: pd.Series,
    nps_recent: pd.Series | None = None,
    nps_earlier: pd.Series | None = None,
    stale_senior: pd.Series | None = None,
    decline: float = -0.05,
    erosion: float = 0.02,
    nps_drop: float = 10.0,
) -> pd.DataFrame:
    """Data-driven churn signals per account, each flag and ``signals``: the list of
    signals as notes with the figures behind them.

    Declining revenue (trailing change below ``decline``), margin erosion (gross margin
    down by ``erosion`` or more), falling NPS (down ``nps_drop`` points or more) and a
    stale senior contact.
    """
    idx = revenue_now.index
    change = (revenue_now / revenue_before - 1).where(revenue_before > 0)
    out = pd.DataFrame(index=idx)
    out["declining_revenue"] = change < decline
    out["margin_erosion"] = (margin_before - margin_now) >= erosion
    if nps_recent is not None and nps_earlier is not None:
        out["falling_nps"] = (nps_earlier.reindex(idx) - nps_recent.reindex(idx)) >= nps_drop
    else:
        out["falling_nps"] = False
    out["stale_senior"] = (
        stale_senior.reindex(idx).fillna(False).astype(bool) if stale_senior is not None else False
    )
    earlier = nps_earlier.reindex(idx) if nps_earlier is not None else pd.Series(np.nan, idx)
    recent = nps_recent.reindex(idx) if nps_recent is not None else pd.Series(np.nan, idx)
    found: list[list[Note]] = [[] for _ in range(len(idx))]
    figures = (  # each signal, in the order they are listed, with the figure behind it
        ("declining_revenue", "risk.revenue_down", "change", change),
        ("margin_erosion", "risk.margin_down", "points", 100 * (margin_before - margin_now)),
        ("falling_nps", "risk.nps_down", "points", earlier - recent),
        ("stale_senior", "risk.stale_senior", "", None),
    )
    for flag, key, name, values in figures:
        hit = np.flatnonzero(out[flag].to_numpy(dtype=bool, na_value=False))
        shown = values.reindex(idx).to_numpy()[hit] if values is not None else [None] * len(hit)
        for i, v in zip(hit, shown, strict=True):
            found[i].append(note(key, **{name: v}) if name else note(key))
    out["signals"] = pd.Series(found, index=idx, dtype=object)
    out["count"] = out[["declining_revenue", "margin_erosion", "falling_nps", "stale_senior"]].sum(
        axis=1
    )
    return out.rename_axis("account_id").reset_index()


def price_targets(
    base: pd.Series, price_rise: pd.Series, step: float, horizons: list[int]
) -> pd.DataFrame:
    """Revenue targets of accounts whose first target is to break even: today's revenue
    plus their price path, a yearly ``step`` at most, until it has added ``price_rise``
    (no volume growth is asked of them).

    Examples
    --------
    >>> t = price_targets(pd.Series({"a": 100.0, "b": 100.0}), pd.Series({"a": 15.0,
    ...     "b": 5.0}), 0.10, [12, 24, 36])
    >>> t.round(2).values.tolist()
    [[110.0, 115.0, 115.0], [105.0, 105.0, 105.0]]
    """
    rise = price_rise.reindex(base.index).fillna(0.0).clip(lower=0.0)
    return pd.DataFrame(
        {f"target_{h}m": np.minimum(base * (1 + step) ** (h / 12), base + rise) for h in horizons},
        index=base.index,
    )


def break_even_path(
    net_contribution: float,
    package_saving: float,
    price_first_year: float,
    price_total: float,
    steps: int,
    package_first: bool = True,
) -> pd.DataFrame:
    """How a loss-making account breaks even: today's net contribution, then what the
    segment's package saves, the first year's price step and the rest of the price path
    (``price_total`` over ``steps`` yearly steps), each with the net contribution after it.
    A step worth nothing is left out; prices move revenue, not cost, so each euro of price
    is a euro of net contribution. A package that waits (``package_first=False``, a package
    still to rework) comes after the first price step, as it will in time.

    Examples
    --------
    >>> b = break_even_path(-100.0, 60.0, 25.0, 45.0, 2)
    >>> b["step"].tolist()
    ['today', 'the package', 'price, first year', 'price, later years']
    >>> b["net_contribution"].tolist()
    [-100.0, -40.0, -15.0, 5.0]
    >>> break_even_path(-100.0, 60.0, 25.0, 45.0, 2, package_first=False)["step"].tolist()
    ['today', 'price, first year', 'the package', 'price, later years']
    """
    rows = [("today", np.nan, net_contribution)]
    level = net_contribution
    first = min(max(price_first_year, 0.0), max(price_total, 0.0)) if steps else 0.0
    later = max(price_total, 0.0) - first if steps > 1 else 0.0
    order = [("the package", package_saving), ("price, first year", first)]
    for step, effect in [*(order if package_first else order[::-1]),
                         ("price, later years", later)]:  # fmt: skip
        if pd.notna(effect) and effect > 0:
            level += effect
            rows.append((step, effect, level))
    return pd.DataFrame(rows, columns=["step", "effect", "net_contribution"])


def target_bridge(
    base: float,
    targets: dict[int, float],
    weighted_pipeline: float,
    whitespace: float,
    wallet: float | None = None,
) -> pd.DataFrame:
    """How each horizon's target is reached: the weighted open pipeline first, then the
    whitespace not yet in the pipeline, and what is still to find; and whether the
    target fits in the account's estimated wallet.

    Examples
    --------
    >>> b = target_bridge(100.0, {12: 110.0, 24: 121.0}, 4.0, 10.0, wallet=115.0)
    >>> b[["increase", "pipeline", "whitespace", "to_find", "within_wallet"]].values.tolist()
    [[10.0, 4.0, 6.0, 0.0, True], [21.0, 4.0, 10.0, 7.0, False]]
    """
    rows = []
    for h, target in targets.items():
        increase = max(target - base, 0.0)
        pipe = min(max(weighted_pipeline, 0.0), increase)
        space = min(max(whitespace, 0.0), increase - pipe)
        fits = None if wallet is None or pd.isna(wallet) else bool(target <= wallet)
        rows.append((h, target, increase, pipe, space, increase - pipe - space, fits))
    cols = ["months", "target", "increase", "pipeline", "whitespace", "to_find", "within_wallet"]
    return pd.DataFrame(rows, columns=cols)


def investment_return(
    base: float,
    target_12m: float,
    gross_margin: float,
    cost_to_serve: float,
    package_change: float | None,
    investment: float | None,
    price_rise: float = 0.0,
    waits: bool = False,
) -> pd.DataFrame:
    """The first year's return of the plan, line by line, adding up as printed.

    Serving the account with its segment's package changes cost-to-serve by
    ``package_change`` (the trim of :func:`kamlib.method.profitability.package_effect`,
    negative: what it costs above its segment's package at its size on the elements it
    includes), giving its cost-to-serve with package. Extra gross profit: of the
    increase to the 12-month target, the part that is a price rise (``price_rise``) in
    full, the rest at the gross margin; the net return is the extra gross profit less the
    change in cost-to-serve and the planned investment. A package that ``waits`` for the
    service model's rework is shown but not counted in the first year's return, and says
    so; a package not priced (None) counts as no change and says so; an investment not
    planned yet, a gross margin or a cost-to-serve the data does not hold leaves what
    depends on it unknown (NaN), never 0.

    Examples
    --------
    >>> r = investment_return(1000.0, 1100.0, 0.4, 120.0, -20.0, 15.0).set_index("line")
    >>> r.loc[["cost-to-serve with package", "extra gross profit", "net return"],
    ...       "amount"].tolist()
    [100.0, 40.0, 45.0]
    >>> r = investment_return(1000.0, 1100.0, 0.4, 120.0, -20.0, 15.0, price_rise=100.0)
    >>> float(r.set_index("line").at["extra gross profit", "amount"])
    100.0
    >>> r = investment_return(1000.0, 1100.0, 0.4, 120.0, -20.0, 15.0, waits=True)
    >>> float(r.set_index("line").at["net return", "amount"])
    25.0
    >>> r = investment_return(1000.0, 1100.0, float("nan"), float("nan"), -20.0, 15.0)
    >>> r.set_index("line").loc[["extra gross profit", "net return"], "amount"].isna().all()
    np.True_
    """
    extra_rev = max(target_12m - base, 0.0)
    price = min(max(price_rise, 0.0), extra_rev)
    extra_gp = price + (extra_rev - price) * gross_margin if pd.notna(gross_margin) else np.nan
    if price and not extra_rev - price:  # all of it is price: no margin needed
        extra_gp = price
    priced = package_change is not None and bool(pd.notna(package_change))
    change = float(package_change) if package_change is not None and priced else np.nan
    planned = investment is not None and bool(pd.notna(investment))
    # not planned yet: the return is to complete
    inv = float(investment) if investment is not None and planned else np.nan
    counted = priced and not waits
    net = extra_gp - (change if counted else 0.0) - inv
    roi = net / inv if inv > 0 else float("nan")
    margin = gross_margin if pd.notna(gross_margin) else None
    rows = [
        ("cost-to-serve today", cost_to_serve,
         note("how.cost_to_serve", known=bool(pd.notna(cost_to_serve)))),
        ("change with package", change, note("how.change", priced=priced, waits=waits)),
        ("cost-to-serve with package", cost_to_serve + change if priced else np.nan,
         note("how.with_package")),
        ("planned extra investment", investment, note("how.investment")),
        ("extra revenue (12 months)", extra_rev, note("how.extra_revenue")),
        ("extra gross profit", extra_gp,
         note("how.extra_gross_profit", margin=margin, price=price or None,
              rest=bool(extra_rev - price))),
        ("net return", net, note("how.net_return", priced=priced, waits=waits)),
        ("return on investment", roi, note("how.return")),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["line", "amount", "how"])
