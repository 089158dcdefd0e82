"""Account health: NPS and a 0-100 health score per account, shared by steps 4 and 5.

The score is a weighted mean of six components, each mapped to 0-100:

* ``revenue_trend`` — trailing 12-month revenue change: -20 % or worse is 0, +20 % or
  better is 100, flat is 50;
* ``margin_trend`` — change of the gross margin in points: -5 points is 0, +5 is 100;
* ``profitability`` — net margin after cost-to-serve over the trailing 12 months: -20 %
  or worse is 0, break-even is 50, +20 % or better is 100. A loss also caps the score:
  an account losing more than 2 % of its revenue is never healthy (69 at most), one
  losing 20 % or more is at risk (39 at most), whatever its other components;
* ``nps`` — the account's NPS over the last 12 months: -100 is 0, +100 is 100;
* ``engagement`` — days since the last contact with anyone at the account: today is 100,
  twice the stale limit (default 360 days) or more is 0;
* ``risks`` — open risk signals: none is 100, each one takes 25 off.

A component without data is left out and the weights of the others re-normalised, so
an account is never penalised for data the client did not deliver. The score is a whole
number, and its band is decided on that number: the one every report prints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.evidence import Evidence
from ..core.periods import in_window, trailing_window
from ..core.settings import Health
from . import account_plan as ap
from .month_sums import sum_by_account

COMPONENTS = ["revenue_trend", "margin_trend", "profitability", "nps", "engagement", "risks"]
BANDS = ("healthy", "watch", "at risk")


def nps(scores: pd.Series) -> float:
    """Net Promoter Score in points: % promoters (9-10) minus % detractors (0-6).

    No respondents, no score (NaN), never 0.

    Examples
    --------
    >>> nps(pd.Series([10, 9, 8, 3]))
    25.0
    >>> import math; math.isnan(nps(pd.Series([], dtype=float)))
    True
    """
    s = pd.Series(scores).dropna()
    if s.empty:
        return float("nan")
    return float(100 * ((s >= 9).mean() - (s <= 6).mean()))


def nps_by(surveys: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """NPS, respondents and mean CSAT per group of a surveys table (rows without an NPS
    answer do not count as respondents)."""
    s = surveys[surveys["nps"].notna()]
    keys = [by] if isinstance(by, str) else list(by)
    s = s.assign(promoter=s["nps"] >= 9, detractor=s["nps"] <= 6)
    agg = {"respondents": ("nps", "size"), "promoters": ("promoter", "mean")}
    agg["detractors"] = ("detractor", "mean")
    if "csat" in s.columns:
        agg["csat"] = ("csat", "mean")
    g = s.groupby(keys).agg(**agg).reset_index()
    g["nps"] = 100 * (g["promoters"] - g["detractors"])
    return g.drop(columns=["promoters", "detractors"])


def component_scores(
    growth: pd.Series,
    margin_change: pd.Series,
    nps_now: pd.Series,
    days_since_contact: pd.Series,
    risk_count: pd.Series,
    stale_days: int = 180,
    net_margin: pd.Series | None = None,
) -> pd.DataFrame:
    """Each component on 0-100 (NaN where the data is missing), indexed like ``growth``.

    Examples
    --------
    >>> c = component_scores(pd.Series({"a": 0.1}), pd.Series({"a": -0.01}),
    ...                      pd.Series({"a": 20.0}), pd.Series({"a": 90.0}),
    ...                      pd.Series({"a": 1}), net_margin=pd.Series({"a": -0.1}))
    >>> c.loc["a"].round(1).tolist()
    [75.0, 40.0, 25.0, 60.0, 75.0, 75.0]
    """
    idx = growth.index
    out = pd.DataFrame(index=idx)
    out["revenue_trend"] = (50 + 250 * growth).clip(0, 100)
    out["margin_trend"] = (50 + 1000 * margin_change.reindex(idx)).clip(0, 100)
    nm = net_margin.reindex(idx) if net_margin is not None else pd.Series(np.nan, index=idx)
    out["profitability"] = (50 + 250 * nm).clip(0, 100)
    out["nps"] = (nps_now.reindex(idx) + 100) / 2
    out["engagement"] = (100 * (1 - days_since_contact.reindex(idx) / (2 * stale_days))).clip(
        0, 100
    )
    out["risks"] = (100 - 25 * risk_count.reindex(idx)).clip(0, 100)
    return out


def health_score(
    components: pd.DataFrame, weights: dict[str, float], watch_below: float = 70, risk_below=40
) -> pd.DataFrame:
    """The weighted health score (0-100) and its band per account.

    Missing components drop out and the other weights are re-normalised; ``basis`` names
    the components used.

    Examples
    --------
    >>> c = pd.DataFrame({"revenue_trend": [80.0], "nps": [float("nan")], "risks": [50.0]})
    >>> health_score(c, {"revenue_trend": 0.5, "nps": 0.3, "risks": 0.2}).values.tolist()
    [[71.0, 'healthy', 'revenue_trend, risks', False]]
    >>> str(health_score(c.assign(revenue_trend=[69.6]), {"revenue_trend": 1.0})["band"].iloc[0])
    'healthy'
    >>> float(health_score(c.assign(revenue_trend=np.nan), {"revenue_trend": 0.5,
    ...                    "risks": 0.2})["health"].iloc[0])
    nan
    """
    cols = [c for c in COMPONENTS if c in components.columns and weights.get(c, 0) > 0]
    values = components[cols]
    w = pd.Series({c: float(weights[c]) for c in cols})
    present = values.notna()
    wsum = present.mul(w, axis=1).sum(axis=1)
    score = values.fillna(0).mul(w, axis=1).sum(axis=1) / wsum.where(wsum > 0)
    # open risks are counted from the same data: with nothing else measured, "no risk
    # found" is no evidence of health, so there is no score (never a perfect 100)
    measured = present[[c for c in cols if c != "risks"]].any(axis=1)
    # a whole number, banded as printed: 69.6 is shown 70 and is healthy at a line of 70
    score = score.where(measured).round(0)
    score, capped = _loss_cap(components, cols, score, watch_below, risk_below)
    out = pd.DataFrame(index=components.index)
    out["health"] = score
    out["band"] = np.select(
        [score >= watch_below, score >= risk_below, score.notna()], list(BANDS), default=""
    )
    out["basis"] = fmt.names_where(present[cols])
    out["capped"] = capped
    return out


#: Net margins after cost-to-serve that cap the health score: a loss of more than
#: LOSS_WATCH of revenue is never healthy, one of LOSS_RISK or more is at risk.
LOSS_WATCH, LOSS_RISK = 0.02, 0.20


def _loss_cap(
    components: pd.DataFrame, cols: list[str], score: pd.Series, watch: float, risk: float
) -> tuple[pd.Series, pd.Series]:
    """The score capped by the account's loss after cost-to-serve (the profitability
    component: 0 at a loss of LOSS_RISK, 50 at break-even), and whether it was."""
    if "profitability" not in cols:
        return score, pd.Series(False, index=score.index)
    p = components["profitability"]
    cap = np.select(
        [p <= 50 - 250 * LOSS_RISK, p < 50 - 250 * LOSS_WATCH], [risk - 1, watch - 1], np.inf
    )
    capped = score.notna() & (score > cap)
    return score.where(~capped, cap), capped


def account_health(
    revenue: pd.DataFrame,
    surveys: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    ids: pd.Index,
    as_of,
    settings: Health,
    stale_days: int = 180,
    evidence: Evidence | None = None,
    activities: pd.DataFrame | None = None,
    rates: pd.Series | None = None,
    places: dict[str, np.ndarray | None] | None = None,
) -> pd.DataFrame:
    """Health of the accounts ``ids`` at ``as_of``: the components, the score, the band,
    the risk signals in words, and the facts behind them (growth, margin change, NPS,
    net margin after cost-to-serve with ``activities`` and their unit costs ``rates``).

    ``places``: for ``"revenue"`` and ``"activities"`` when known, each line's position
    among ``ids`` (lines of these accounts only): their sums are then grouped by number,
    not by the text of their ids (the same sums, in the same order).

    ``settings`` is the config's ``method.health``. Contacts last met after ``as_of``
    are not known at that date and count as no data. When ``evidence`` shows that the
    revenue data does not cover the 12 months before the last 12, the revenue and
    margin trends are not available (they drop out of the score and raise no signal)
    rather than computed on a partial year.
    """
    as_of = pd.Timestamp(as_of)
    out = pd.DataFrame(index=ids)
    places = places or {}
    gm_now, gm_before = _revenue_facts(out, revenue, ids, as_of, evidence, places.get("revenue"))
    _profit_facts(out, gm_now, activities, rates, ids, as_of, places.get("activities"))
    nps_now, nps_before = _nps_facts(out, surveys, ids, as_of, settings.nps_min_respondents)
    stale = _contact_facts(out, contacts, ids, as_of, stale_days)
    risks = ap.risk_signals(
        out["revenue"],
        out["prior_revenue"],
        gm_now,
        gm_before,
        nps_now,
        nps_before,
        stale,
        decline=-settings.revenue_decline,
        erosion=settings.margin_erosion,
        nps_drop=settings.nps_drop,
    ).set_index("account_id")
    out = out.join(risks.rename(columns={"count": "risk_count"}))
    comp = component_scores(
        out["growth"],
        out["margin_change"],
        out["nps"].where(out["nps_counted"]),
        out["days_since_contact"],
        out["risk_count"],
        stale_days,
        out["net_margin"],
    )
    score = health_score(comp, settings.weights, settings.watch_below, settings.risk_below)
    return out.join(comp.add_prefix("score_")).join(score)


def _revenue_facts(
    out: pd.DataFrame,
    revenue: pd.DataFrame,
    ids: pd.Index,
    as_of: pd.Timestamp,
    evidence: Evidence | None,
    at: np.ndarray | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Revenue now and a year before, growth and margin change into ``out``; returns the
    gross margins now and before (NaN without cost, or without a full prior year).
    ``at``: each line's position among ``ids``."""
    if at is None:
        revenue = revenue[revenue["account_id"].isin(ids)]
    money = ["amount"] + (["cost"] if "cost" in revenue.columns else [])

    def per_account(back: int) -> pd.DataFrame:
        w = in_window(revenue["date"], trailing_window(as_of, 12, back=back)).to_numpy()
        mine = None if at is None else at[w]
        return sum_by_account(revenue[w], money, mine, ids, min_count=1).reindex(ids)

    now, before = per_account(0), per_account(1)
    out["revenue"] = now["amount"].fillna(0.0)
    out["prior_revenue"] = before["amount"].fillna(0.0)
    if evidence is not None and not evidence.compare(as_of).full:
        out["prior_revenue"] = np.nan
        before = before * np.nan
    out["growth"] = (out["revenue"] / out["prior_revenue"] - 1).where(out["prior_revenue"] > 0)
    if "cost" in money:
        gm_now = ((now["amount"] - now["cost"]) / now["amount"]).where(now["amount"] > 0)
        gm_before = ((before["amount"] - before["cost"]) / before["amount"]).where(
            before["amount"] > 0
        )
    else:
        gm_now = gm_before = pd.Series(np.nan, index=ids)
    out["margin_change"] = gm_now - gm_before
    return gm_now, gm_before


def _profit_facts(
    out: pd.DataFrame,
    gross_margin: pd.Series,
    activities: pd.DataFrame | None,
    rates: pd.Series | None,
    ids: pd.Index,
    as_of: pd.Timestamp,
    at: np.ndarray | None = None,
) -> None:
    """Net margin after cost-to-serve over the trailing 12 months into ``out`` (NaN
    without cost of goods or without activities: not known, never break-even). ``at``:
    each line's position among ``ids``."""
    from .costing import activity_cost

    if activities is None or rates is None or gross_margin.isna().all():
        out["net_margin"] = np.nan
        return
    if at is None:
        activities = activities[activities["account_id"].isin(ids)]
    cost = activity_cost(activities, rates, as_of, 12, at, None if at is None else ids)
    cts = cost.groupby("account_id")["cost"].sum().reindex(ids).fillna(0.0)
    revenue = out["revenue"]
    out["net_margin"] = (gross_margin - cts / revenue).where(revenue > 0)


def _nps_facts(
    out: pd.DataFrame,
    surveys: pd.DataFrame | None,
    ids: pd.Index,
    as_of: pd.Timestamp,
    least: int,
) -> tuple[pd.Series | None, pd.Series | None]:
    """Each account's NPS and respondents over the last 12 months into ``out``; returns
    the NPS now and a year before where enough answered (None without surveys).

    An account's NPS from a handful of answers swings by 50 points: below ``least``
    respondents it is shown but counts neither in health nor as a signal."""
    counted = []
    out["nps"], out["nps_respondents"] = np.nan, 0
    if surveys is not None and "nps" in surveys.columns:
        s = surveys[surveys["account_id"].isin(ids)]
        for back in (0, 1):
            w = s[in_window(s["date"], trailing_window(as_of, 12, back=back))]
            g = nps_by(w, "account_id").set_index("account_id").reindex(ids)
            g["respondents"] = g["respondents"].fillna(0)
            counted.append(g["nps"].where(g["respondents"] >= least))
            if back == 0:
                out["nps"], out["nps_respondents"] = g["nps"], g["respondents"]
    out["nps_respondents"] = out["nps_respondents"].astype(int)
    out["nps_counted"] = out["nps_respondents"] >= least
    return (counted[0], counted[1]) if counted else (None, None)


def _contact_facts(
    out: pd.DataFrame,
    contacts: pd.DataFrame | None,
    ids: pd.Index,
    as_of: pd.Timestamp,
    stale_days: int,
) -> pd.Series:
    """Days since the last contact and the last senior one into ``out``; returns which
    accounts' senior contact is stale. Contacts met after ``as_of`` are not known then."""
    stale = pd.Series(False, index=ids)
    out["days_since_contact"] = np.nan
    out["days_since_senior"] = np.nan
    out["no_senior"] = False
    if contacts is not None and "last_contact" in contacts.columns:
        c = contacts[contacts["account_id"].isin(ids) & (contacts["last_contact"] <= as_of)]
        if len(c):
            g = ap.stakeholder_gaps(c, as_of, stale_days).set_index("account_id")
            out["days_since_contact"] = g["days_since_contact"].reindex(ids)
            out["days_since_senior"] = g["days_since_senior"].reindex(ids)
            out["no_senior"] = g["no_senior"].reindex(ids).fillna(False).astype(bool)
            stale = g["stale_senior"].reindex(ids).fillna(False).astype(bool)
    return stale
