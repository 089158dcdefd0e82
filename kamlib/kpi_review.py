"""Step 5 — KPI review: is the key account programme working?

Pure functions over the pack's tables; each returns a frame or a number and says how it
is computed:

* :func:`retention` — logo retention, gross and net revenue retention of one starting
  cohort (accounts with revenue at the start; new accounts excluded; GRR capped at 100 %);
* :func:`trailing_revenue` — each account's revenue over the 12 months ending at each
  period end (the basis of retention and growth, free of seasonality);
* :func:`retention_by_period` — the retention KPIs at every period end against the same
  date a year earlier, for key accounts and for the rest;
* :func:`lifetime_value` — customer lifetime value = annual gross profit per account x
  expected lifetime, the lifetime being 1 / annual churn rate (capped);
* :func:`rag` — actual against target: green when met, amber within a tolerance, red.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FREQS = {"quarter": "Q", "month": "M", "year": "Y"}


def retention(start: pd.Series, end: pd.Series) -> dict[str, float]:
    """Retention of the cohort of accounts with revenue in ``start``.

    ``start`` and ``end`` are revenue per account over two equal windows (e.g. the
    trailing 12 months a year apart). Accounts absent or at zero in ``start`` are new and
    left out. Churn is the start revenue of accounts with nothing at the end,
    contraction the loss of those that shrank, expansion the gain of those that grew.

    ``GRR = (start - churn - contraction) / start`` (at most 100 %);
    ``NRR = (start - churn - contraction + expansion) / start``.

    Examples
    --------
    >>> s = pd.Series({"a": 6.0, "b": 3.1, "c": 0.9})
    >>> e = pd.Series({"a": 7.8, "b": 2.5, "n": 5.0})
    >>> r = retention(s, e)
    >>> round(r["grr"], 3), round(r["nrr"], 3), r["logo_retention"]
    (0.85, 1.03, 0.6666666666666666)
    """
    s = start[start > 0]
    e = end.reindex(s.index).fillna(0.0).clip(lower=0)
    total = float(s.sum())
    churned = e <= 0
    churn = float(s[churned].sum())
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


def trailing_revenue(revenue: pd.DataFrame, ends: list[pd.Timestamp]) -> pd.DataFrame:
    """Revenue per account over the 12 months ending at each date (columns: the ends)."""
    out = {}
    for end in ends:
        start = end - pd.DateOffset(months=12)
        w = revenue[(revenue["date"] > start) & (revenue["date"] <= end)]
        out[end] = w.groupby("account_id")["amount"].sum()
    return pd.DataFrame(out).fillna(0.0)


def retention_by_period(
    revenue: pd.DataFrame, key: pd.Series, ends: list[pd.Timestamp]
) -> pd.DataFrame:
    """Logo retention, GRR, NRR and revenue growth at each period end, against the same
    date a year earlier, for key accounts and the rest (``key``: account_id -> bool)."""
    year_before = [e - pd.DateOffset(years=1) for e in ends]
    t12 = trailing_revenue(revenue, sorted(set(ends) | set(year_before)))
    rows = []
    for end, before in zip(ends, year_before, strict=True):
        for group, members in (("key accounts", True), ("other accounts", False)):
            ids = key.index[key == members]
            s = t12[before].reindex(ids).fillna(0.0)
            e = t12[end].reindex(ids).fillna(0.0)
            r = retention(s, e)
            growth = e.sum() / s.sum() - 1 if s.sum() > 0 else float("nan")
            rows.append(
                {"period_end": end, "group": group, "revenue": e.sum(), "growth": growth, **r}
            )
    return pd.DataFrame(rows)


def lifetime_value(
    gross_profit_per_account: float, annual_churn: float, max_years: float = 20.0
) -> dict[str, float]:
    """Customer lifetime value = annual gross profit per account x expected lifetime,
    with lifetime = 1 / annual churn rate (at most ``max_years``; no churn: the cap).

    Examples
    --------
    >>> lifetime_value(50_000, 0.1)["clv"]
    500000.0
    >>> lifetime_value(50_000, 0.0)["lifetime_years"]
    20.0
    """
    life = max_years if annual_churn <= 0 else min(max_years, 1 / annual_churn)
    return {
        "gross_profit": float(gross_profit_per_account),
        "annual_churn": float(annual_churn),
        "lifetime_years": float(life),
        "clv": float(gross_profit_per_account * life),
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
    key: pd.Series,
    ends: list[pd.Timestamp],
    freq: str = "quarter",
    surveys: pd.DataFrame | None = None,
    opportunities: pd.DataFrame | None = None,
    wallet: pd.Series | None = None,
) -> pd.DataFrame:
    """Every KPI at each period end, for key accounts and the rest: one row per period
    end and group.

    Retention, NRR, GRR, revenue and ACV growth compare the trailing 12 months with the
    12 months a year earlier (annual, free of seasonality); NPS, CSAT and opportunities
    count what happened within the period. ACV growth is the change of the average
    annual revenue per active account; share of wallet the trailing revenue of accounts
    with a wallet estimate over their wallets. A KPI without its data is NaN.
    """
    table = retention_by_period(revenue, key, ends)
    t12 = trailing_revenue(revenue, sorted(set(ends) | {e - pd.DateOffset(years=1) for e in ends}))
    extra = []
    for end in ends:
        before = end - pd.DateOffset(years=1)
        for group, members in (("key accounts", True), ("other accounts", False)):
            ids = key.index[key == members]
            now, then = t12[end].reindex(ids).fillna(0.0), t12[before].reindex(ids).fillna(0.0)
            acv_now = now[now > 0].mean() if (now > 0).any() else np.nan
            acv_then = then[then > 0].mean() if (then > 0).any() else np.nan
            row = {"period_end": end, "group": group, "acv": acv_now}
            row["acv_growth"] = acv_now / acv_then - 1 if acv_then and acv_then > 0 else np.nan
            w = wallet.reindex(ids).dropna() if wallet is not None else pd.Series(dtype=float)
            w = w[w > 0]
            row["share_of_wallet"] = now.reindex(w.index).sum() / w.sum() if len(w) else np.nan
            row.update({"nps": np.nan, "respondents": 0, "csat": np.nan})
            if surveys is not None and "nps" in surveys.columns:
                s = surveys[surveys["account_id"].isin(ids) & _window(surveys["date"], end, freq)]
                answered = s["nps"].dropna()
                row["respondents"] = int(len(answered))
                if len(answered):
                    from .health import nps

                    row["nps"] = nps(answered)
                if "csat" in s.columns and s["csat"].notna().any():
                    row["csat"] = float(s["csat"].mean())
            row.update({"opps_identified": np.nan, "opps_won": np.nan, "won_value": np.nan})
            if opportunities is not None:
                o = opportunities[opportunities["account_id"].isin(ids)]
                if "created" in o.columns:
                    row["opps_identified"] = int(_window(o["created"], end, freq).sum())
                if "expected_close" in o.columns and "status" in o.columns:
                    won = o[(o["status"] == "won") & _window(o["expected_close"], end, freq)]
                    row["opps_won"] = int(len(won))
                    row["won_value"] = float(won["amount"].sum()) if "amount" in won else np.nan
            extra.append(row)
    return table.merge(pd.DataFrame(extra), on=["period_end", "group"])


#: The scorecard's KPIs: column, label, how the target is set, and the unit of the delta.
SCORECARD = [
    ("logo_retention", "Key account retention (logo)", "retention", "points"),
    ("grr", "Gross revenue retention", "retention", "points"),
    ("nrr", "Net revenue retention", "retention", "points"),
    ("growth", "Key-account revenue growth", "revenue_growth", "level"),
    ("acv_growth", "Annual contract value growth", "revenue_growth", "level"),
    ("share_of_wallet", "Share of wallet", "share_of_wallet", "points"),
    ("nps", "NPS (points)", "nps", "nps"),
    ("csat", "Customer satisfaction (CSAT)", "satisfaction", "relative"),
    ("opps_won", "Expansion opportunities won", "opportunities", "relative"),
]


def scorecard(
    table: pd.DataFrame, programme_start, targets: dict[str, float], amber: float = 0.5
) -> pd.DataFrame:
    """Key accounts' KPIs before and after the programme: baseline (the last period end
    before the programme starts), actual (the latest), target, delta and RAG.

    Targets: ``retention`` and ``share_of_wallet`` add points to the baseline;
    ``satisfaction`` and ``opportunities`` are relative improvements; ``nps`` adds NPS
    points; ``revenue_growth`` is the growth rate to reach.
    """
    k = table[table["group"] == "key accounts"].sort_values("period_end")
    if k.empty:
        return pd.DataFrame()
    start = pd.Timestamp(programme_start) if programme_start else None
    pre = k[k["period_end"] <= start] if start is not None else k.iloc[:1]
    base = (pre if len(pre) else k.iloc[:1]).iloc[-1]
    last = k.iloc[-1]
    rows = []
    for col, label, tkey, unit in SCORECARD:
        b, a = float(base[col]), float(last[col])
        t = targets.get(tkey, np.nan)
        if unit == "points":
            target = min(1.0, b + t) if col != "nrr" else b + t  # a share cannot pass 100 %
        elif unit == "nps":
            target = min(100.0, b + t)
        elif unit == "relative":
            target = b * (1 + t)
        else:
            target = t
        delta = a - b
        need = target - b
        status = rag(delta, need, amber=amber) if unit != "level" else rag(a, target, amber=amber)
        rows.append(
            {
                "kpi": label,
                "column": col,
                "baseline": b,
                "actual": a,
                "target": target,
                "delta": delta,
                "status": status,
                "unit": unit,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["baseline_end"] = base["period_end"]
    out.attrs["actual_end"] = last["period_end"]
    return out


def early_warnings(
    now: pd.DataFrame,
    before: pd.DataFrame,
    owners: pd.Series,
    names: pd.Series,
    health_drop: float = 10.0,
    senior_days: int = 180,
) -> pd.DataFrame:
    """Key accounts to act on, each with the reasons in words and the owner: health down
    ``health_drop`` points or more since the last period, declining revenue, falling NPS,
    or no senior contact in ``senior_days`` days. ``now`` / ``before`` come from
    :func:`kamlib.health.account_health`."""
    change = now["health"] - before["health"].reindex(now.index)
    rows = []
    for a in now.index:
        r = now.loc[a]
        why = []
        if pd.notna(change.get(a)) and change[a] <= -health_drop:
            why.append(f"health down {-change[a]:.0f} points to {r['health']:.0f}")
        if r.get("declining_revenue"):
            why.append(f"revenue {r['growth']:+.0%} on the prior 12 months")
        if r.get("falling_nps"):
            why.append("NPS fell: " + next(s for s in r["signals"].split("; ") if "NPS" in s))
        if bool(r.get("no_senior")):
            why.append("no senior contact")
        elif pd.notna(r.get("days_since_senior")) and r["days_since_senior"] > senior_days:
            why.append(f"no senior contact for {int(r['days_since_senior'])} days")
        if why:
            rows.append(
                {
                    "account_id": a,
                    "account": names.get(a, a),
                    "owner": owners.get(a, ""),
                    "health": r["health"],
                    "change": change.get(a),
                    "revenue": r["revenue"],
                    "reasons": "; ".join(why),
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
    notes: list[str] = field(default_factory=list)
    gross_profit: dict = field(default_factory=dict)  # per account and year, per group
    nps_min_respondents: int = 1  # an account's NPS counts in its health from this many


def analyse(engagement, seg=None, period: str = "", periods: int = 0) -> KpiReview:
    """Run step 5 on an engagement (``seg``: step 1, computed when not given)."""
    from . import health as hl
    from . import segmentation

    cfg, pack = engagement.config, engagement.pack
    s = cfg.setting("kpi_review")
    period = period or s["period"]
    if period not in FREQS:
        from .errors import ParameterError

        raise ParameterError(
            f"period '{period}' is not known: use {', '.join(repr(f) for f in FREQS)}."
        )
    seg = seg or segmentation.segment(engagement)
    notes: list[str] = []
    acc = seg.accounts
    key = pd.Series(acc["key"].to_numpy(), index=acc["account_id"])
    revenue = pack["revenue"]
    if seg.grouped:
        unit = segmentation.units(pack["accounts"])
        revenue = revenue.assign(account_id=revenue["account_id"].map(unit).to_numpy())
    ends = period_ends(cfg.as_of, periods or s["periods"], period)
    first = revenue["date"].min()
    full = [e for e in ends if e - pd.DateOffset(months=24) >= first - pd.Timedelta(days=1)]
    if len(full) < len(ends):
        notes.append(
            f"Retention and growth compare 12 months with the 12 months a year earlier: "
            f"the revenue data starts {first:%B %Y}, so the review starts at "
            + (f"{full[0]:%d %B %Y}." if full else "no period end (less than 24 months).")
        )
    ends = full or ends[-1:]
    surveys = pack.tables.get("surveys") if pack.has("surveys", "nps") else None
    opps = pack.tables.get("opportunities") if pack.has("opportunities") else None
    wallet = (
        acc.set_index("account_id")["estimated_wallet"]
        if acc["estimated_wallet"].notna().any()
        else None
    )
    for missing, text in (
        (surveys is None, "No surveys: NPS and CSAT are not available."),
        (
            opps is None,
            "No opportunities table: opportunities identified and won are not available.",
        ),
        (wallet is None, "No wallet estimates: share of wallet is not available."),
    ):
        if missing:
            notes.append(text)
    table = period_kpis(revenue, key, ends, period, surveys, opps, wallet)
    start = cfg.setting("programme_start")
    if not start:
        notes.append(
            "No programme start in the config (method.programme_start): the baseline is the "
            "first period shown."
        )
    card = scorecard(table, start, s["targets"], s["amber"])
    notes.append(
        "Key accounts are today's key accounts, followed back in time: their logo retention "
        "is high by construction (they still buy today); GRR, NRR and growth show how "
        "their revenue developed."
    )
    h = cfg.setting("health")
    stale = cfg.setting("account_plan.stale_days")
    ids = key.index[key]
    contacts = pack.tables.get("contacts") if pack.has("contacts") else None
    now = hl.account_health(revenue, surveys, contacts, ids, cfg.as_of, h, stale)
    prev_end = (pd.Period(ends[-1], freq=FREQS[period]) - 1).end_time.normalize()
    before = hl.account_health(revenue, surveys, contacts, ids, prev_end, h, stale)
    now = now.assign(health_before=before["health"], change=now["health"] - before["health"])
    info = acc.set_index("account_id")
    owners = info["account_manager"] if "account_manager" in info else pd.Series(dtype=str)
    warn = early_warnings(
        now, before, owners, info["account_name"], s["health_drop"], s["senior_days"]
    )
    now = now.join(info[["account_name", "segment"]])
    gp = acc.assign(group=np.where(acc["key"], "key accounts", "other accounts"))
    gp = gp[gp["revenue"] > 0].groupby("group")["gross_profit"].mean()
    return KpiReview(
        table, card, now, warn, dict(h["weights"]), period, notes, gp.to_dict(),
        h["nps_min_respondents"],
    )  # fmt: skip


def _fmt(v: float, unit: str, column: str) -> str:
    from . import fmt

    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if column == "nps":
        return f"{v:+.0f}"
    if column == "csat":
        return f"{v:.2f}"
    if column == "opps_won":
        return f"{v:.0f}"
    return fmt.pct(v, 1)


def _change(d: float, column: str) -> str:
    if d is None or np.isnan(d):
        return "n/a"
    if column in ("nps", "opps_won"):
        return f"{d:+.0f}"
    return f"{d:+.2f}" if column == "csat" else f"{d * 100:+.1f} pts"


def health_by_segment(r: KpiReview) -> pd.DataFrame:
    """Per key-account segment: accounts, median health now and its change, accounts and
    revenue at risk."""
    h = r.health
    risk = h["band"] == "at risk"
    g = h.assign(risk=risk, risk_revenue=h["revenue"].where(risk, 0.0)).groupby("segment")
    out = g.agg(
        accounts=("health", "size"),
        health=("health", "median"),
        change=("change", "median"),
        at_risk=("risk", "sum"),
        revenue_at_risk=("risk_revenue", "sum"),
    ).reset_index()
    return out.rename(
        columns={
            "health": "median health",
            "change": "median change",
            "at_risk": "at risk",
            "revenue_at_risk": "revenue at risk",
        }
    )


def scorecard_view(r: KpiReview) -> pd.DataFrame:
    """The scorecard for readers: baseline, actual, target, change, status."""
    c = r.scorecard
    if c.empty:
        return c
    out = pd.DataFrame({"KPI (key accounts)": c["kpi"]})
    for col in ("baseline", "actual", "target"):
        out[col] = [_fmt(v, u, k) for v, u, k in zip(c[col], c["unit"], c["column"], strict=True)]
    out["change"] = [_change(d, k) for d, k in zip(c["delta"], c["column"], strict=True)]
    out["status"] = c["status"]
    return out


def period_view(r: KpiReview, part: str = "revenue") -> pd.DataFrame:
    """The KPIs per period, key accounts and the rest side by side, newest last:
    ``revenue`` (retention, growth, wallet) or ``customers`` (NPS, CSAT, opportunities)."""
    cols = {
        "revenue": {
            "logo_retention": "logo retention",
            "grr": "GRR",
            "nrr": "NRR",
            "growth": "revenue growth",
            "acv_growth": "ACV growth",
            "share_of_wallet": "share of wallet",
        },
        "customers": {
            "nps": "NPS",
            "respondents": "respondents",
            "csat": "CSAT",
            "opps_identified": "opps identified",
            "opps_won": "opps won",
        },
    }[part]
    t = r.table.sort_values(["period_end", "group"])
    out = t[["period_end", "group", *cols]].rename(columns={"period_end": "period end", **cols})
    return out.reset_index(drop=True)


def weights_view(r: KpiReview) -> pd.DataFrame:
    from .health import COMPONENTS

    how = {
        "revenue_trend": "revenue change on the prior 12 months: -20 % = 0, flat = 50, +20 % = 100",
        "margin_trend": "gross margin change: -5 points = 0, +5 points = 100",
        "nps": f"NPS of the last 12 months, from {r.nps_min_respondents} respondents: "
        "-100 = 0, +100 = 100",
        "engagement": "days since the last contact: today = 100, twice the stale limit = 0",
        "risks": "open risk signals: none = 100, each one -25",
    }
    return pd.DataFrame(
        {"component": COMPONENTS, "weight": [r.weights.get(c, 0) for c in COMPONENTS],
         "score (0-100)": [how[c] for c in COMPONENTS]}
    )  # fmt: skip


def at_risk(r: KpiReview) -> dict:
    """Revenue of key accounts by health band (the at-risk revenue is the headline)."""
    h = r.health
    by = h.groupby("band")["revenue"].agg(["sum", "size"])
    return {b: (float(by.loc[b, "sum"]), int(by.loc[b, "size"])) if b in by.index else (0.0, 0)
            for b in ("healthy", "watch", "at risk")}  # fmt: skip


def summary_text(r: KpiReview, currency: str = "EUR") -> str:
    """What improved, what did not, what is at risk — in euros and points."""
    from . import fmt

    c = r.scorecard
    if c.empty:
        return "No key accounts: there is nothing to review."

    def said(rows: pd.DataFrame) -> list[str]:
        return [
            f"{r.kpi} {_fmt(r.actual, r.unit, r.column)} ({_change(r.delta, r.column)})"
            for r in rows.itertuples()
        ]

    improved = said(c[c["status"] == "green"])
    partly = said(c[c["status"] == "amber"])
    missed = said(c[c["status"] == "red"])
    base, last = c.attrs["baseline_end"], c.attrs["actual_end"]
    risk_rev, risk_n = at_risk(r)["at risk"]
    watch_rev, watch_n = at_risk(r)["watch"]
    lines = [
        f"Key accounts at {last:%d %B %Y} against the baseline at {base:%d %B %Y}.",
        "**On target:** " + ("; ".join(improved) if improved else "none") + ".",
        "**Part of the way:** " + ("; ".join(partly) if partly else "none") + ".",
        "**Off target:** " + ("; ".join(missed) if missed else "none") + ".",
        f"**At risk:** {fmt.plural(risk_n, 'key account')} with "
        f"{fmt.money(risk_rev, currency)} of revenue have a health below the risk line; "
        f"{fmt.plural(watch_n, 'more is', 'more are')} on watch "
        f"({fmt.money(watch_rev, currency)}). The early-warning list names "
        f"{fmt.plural(len(r.warnings), 'account')} with the reasons and owners.",
    ]
    return "\n\n".join(lines)


def export(output_dir: str, r: KpiReview, colour: str = "#0B3D91") -> str:
    """The KPI table, the scorecard, the health of every key account and the early
    warnings, to ``05_kpi_review.xlsx``."""
    from .excel import export_report

    health = r.health.reset_index().rename(columns={"index": "account_id"})
    keep = ["account_id", "account_name", "segment", "revenue", "growth", "margin_change",
            "nps", "nps_respondents", "days_since_contact", "risk_count", "signals", "health",
            "band", "health_before", "change"]  # fmt: skip
    sheets = {
        "Scorecard": scorecard_view(r),
        "KPIs per period": r.table,
        "Health": health[[c for c in keep if c in health.columns]],
        "Early warnings": r.warnings,
    }
    return export_report(output_dir, "05_kpi_review.xlsx", sheets, colour)


PERIOD_FORMATS = {
    "period end": "date",
    "group": "text",
    "logo retention": "pct",
    "GRR": "pct",
    "NRR": "pct",
    "revenue growth": "pct",
    "ACV growth": "pct",
    "share of wallet": "pct",
    "NPS": "number",
    "respondents": "int",
    "CSAT": "number",
    "opps identified": "int",
    "opps won": "int",
}

LIFETIME_NOTE = (
    "Customer lifetime value = gross profit per account and year x expected lifetime; the "
    "lifetime is 1 / the annual churn rate (1 - logo retention of the last 12 months), at "
    "most 20 years."
)


def lifetime_view(r: KpiReview) -> pd.DataFrame:
    """Lifetime value per group from the latest period's retention and gross profit."""
    last = r.table[r.table["period_end"] == r.table["period_end"].max()]
    rows = []
    for t in last.itertuples():
        gp = r.gross_profit.get(t.group, np.nan)
        churn = 1 - t.logo_retention if pd.notna(t.logo_retention) else np.nan
        v = lifetime_value(gp, churn) if pd.notna(gp) and pd.notna(churn) else None
        rows.append(
            {
                "group": t.group,
                "gross profit per account": gp,
                "annual churn": churn,
                "lifetime (years)": v["lifetime_years"] if v else np.nan,
                "lifetime value": v["clv"] if v else np.nan,
            }
        )
    return pd.DataFrame(rows)


def warnings_view(r: KpiReview) -> pd.DataFrame:
    w = r.warnings
    return w.drop(columns=["account_id"]).rename(columns={"change": "change"})


def kpi_cards(r: KpiReview, currency: str = "EUR") -> list[tuple[str, str, str]]:
    from . import fmt

    c = r.scorecard.set_index("column") if len(r.scorecard) else pd.DataFrame()
    if c.empty:
        return []

    def card(col: str, label: str) -> tuple[str, str, str]:
        row = c.loc[col]
        return (label, _fmt(row["actual"], row["unit"], col), f"{row['status']} · baseline "
                f"{_fmt(row['baseline'], row['unit'], col)}")  # fmt: skip

    risk_rev, risk_n = at_risk(r)["at risk"]
    return [
        card("nrr", "Net revenue retention"),
        card("growth", "Key-account growth"),
        card("nps", "NPS"),
        card("csat", "CSAT"),
        ("Revenue at risk", fmt.money(risk_rev, currency), fmt.plural(risk_n, "key account")),
        ("Early warnings", fmt.count(len(r.warnings)), "key accounts to act on"),
    ]
