"""Step 5 — the KPI review as the client reads it: the scorecard, the period tables,
health by segment, lifetime value, the early warnings, the summary in words, the
headline cards and ``05_kpi_review.xlsx``.

The numbers come from :mod:`kamlib.method.kpi_review`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import fmt
from ..core import settings as settings_
from ..method.kpi_review import (
    KpiReview,
    at_risk,
    at_risk_for_loss,
    lifetime_value,
    segment_health,
)
from .decision import Decision
from .rules import listing
from .words import KPI_LABELS, joined, say, say_all
from .workbook import page_header


def _fmt(v: float, unit: str, column: str) -> str:
    from ..core import fmt

    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if column == "nps":
        return f"{v:+.0f}".replace("-", "−")
    if column == "csat":
        return f"{v:.2f}"
    if column == "opps_won":
        return f"{v:.0f}"
    return fmt.pct(v, 1)


def _as_shown(v: float, column: str) -> float:
    """A KPI value rounded as :func:`_fmt` shows it."""
    if pd.isna(v):
        return float("nan")
    if column in ("nps", "opps_won"):
        return float(round(v))
    return round(v, 2) if column == "csat" else round(v, 3)


def shown_delta(actual: float, baseline: float, column: str) -> float:
    """The change between the figures as printed, so that the page's subtraction holds
    (98.9 % - 96.9 % is +2.0 points, whatever the decimals behind).

    Examples
    --------
    >>> round(shown_delta(0.988571, 0.969231, "logo_retention"), 4)
    0.02
    >>> shown_delta(3.937824, 3.397906, "csat"), shown_delta(33.68, -16.23, "nps")
    (0.54, 50.0)
    """
    if pd.isna(actual) or pd.isna(baseline):
        return float("nan")
    return _as_shown(actual, column) - _as_shown(baseline, column)


def _change(d: float, column: str) -> str:
    if d is None or np.isnan(d):
        return "n/a"
    if column in ("nps", "opps_won"):
        text = f"{d:+.0f}"
    else:
        text = f"{d:+.2f}" if column == "csat" else f"{d * 100:+.1f} points"
    return text.replace("-", "−")


def health_by_segment(r: KpiReview) -> pd.DataFrame:
    """Health per key-account segment (:func:`~kamlib.method.kpi_review.segment_health`),
    for readers."""
    return segment_health(r).rename(
        columns={
            "health": "median health",
            "change": "median change",
            "at_risk": "at risk",
            "revenue_at_risk": "revenue at risk",
        }
    )


def scorecard_view(r: KpiReview) -> pd.DataFrame:
    """The scorecard for readers: baseline, actual, target, change, status. Without a
    baseline, only the actual values (no target, no status)."""
    c = r.scorecard
    if c.empty:
        return pd.DataFrame()
    out = pd.DataFrame({"KPI (key accounts)": c["column"].map(KPI_LABELS)})
    cols = ("actual",) if r.measured else ("baseline", "actual", "target")
    for col in cols:
        out[col] = [_fmt(v, u, k) for v, u, k in zip(c[col], c["unit"], c["column"], strict=True)]
    if not r.measured:
        out["change"] = [
            _change(shown_delta(a, b, k), k)
            for a, b, k in zip(c["actual"], c["baseline"], c["column"], strict=True)
        ]
        if "others_delta" in c and c["others_delta"].notna().any():
            out["other accounts' change"] = [
                _change(d, k) for d, k in zip(c["others_delta"], c["column"], strict=True)
            ]
        out["status"] = c["status"]
        if "next_target" in c and c["next_target"].notna().any():  # from where it is now
            out["next target"] = [
                _fmt(v, u, k) if pd.notna(v) else ""
                for v, u, k in zip(c["next_target"], c["unit"], c["column"], strict=True)
            ]
    return out


def shared_gains(r: KpiReview) -> list[str]:
    """The KPIs on target whose gain the other accounts largely made as well (at least
    half as large, same direction): the programme can claim only the difference. Their
    labels, in scorecard order.

    A gain shared with the rest of the customer base points to the market or to how the
    figure is measured, not to key account management.
    """
    c = r.scorecard
    if r.measured is not None or c.empty or "others_delta" not in c:
        return []
    won = c[(c["status"] == "green") & c["others_delta"].notna() & (c["delta"] > 0)]
    return [KPI_LABELS[k] for k, d, o in zip(won["column"], won["delta"], won["others_delta"],
                                              strict=True) if o >= d / 2]  # fmt: skip


def to_check(r: KpiReview) -> list[str]:
    """The KPIs on target whose move is to check before it is credited: the NPS when it
    jumped from one period to the next (:func:`kamlib.method.kpi_review.nps_jump`)."""
    c = r.scorecard
    if r.measured is not None or c.empty or "status" not in c:
        return []
    jumped = any(n.code == "kr.nps_jump" for n in getattr(r, "notes", []))
    green = set(c.loc[c["status"] == "green", "column"])
    return [KPI_LABELS["nps"]] if jumped and "nps" in green else []


#: The KPIs of each period table (headers: the glossary's labels).
PERIOD_COLUMNS = {
    "revenue": ("logo_retention", "grr", "nrr", "growth", "acv_growth", "share_of_wallet"),
    "customers": ("nps", "respondents", "csat", "opps_identified", "opps_won"),
}


def period_view(r: KpiReview, part: str = "revenue") -> pd.DataFrame:
    """The KPIs per period, key accounts and the rest side by side, newest last:
    ``revenue`` (retention, growth, wallet) or ``customers`` (NPS, CSAT, opportunities)."""
    cols = {c: page_header(c) for c in PERIOD_COLUMNS[part]}
    t = r.table.sort_values(["period_end", "group"])
    t = t[t[list(cols)].notna().any(axis=1)]  # a period with nothing measured says nothing
    out = t[["period_end", "group", *cols]].rename(columns={"period_end": "period end", **cols})
    return out.reset_index(drop=True)


COMPONENT_LABELS = {
    "revenue_trend": "revenue trend",
    "margin_trend": "gross margin trend",
    "profitability": "profitability",
    "nps": "NPS",
    "engagement": "contact recency",
    "risks": "open risk signals",
}


def weights_view(r: KpiReview) -> pd.DataFrame:
    from ..method.health import COMPONENTS

    how = {
        "revenue_trend": "revenue change on the prior 12 months: −20 % = 0, flat = 50, +20 % = 100",
        "margin_trend": "gross margin change: −5 points = 0, +5 points = 100",
        "profitability": "net margin after cost-to-serve: −20 % = 0, break-even = 50, +20 % = 100",
        "nps": "NPS of the last 12 months, counted for an account with "
        f"{r.nps_min_respondents} respondents or more: −100 = 0, +100 = 100",
        "engagement": f"days since the last contact: today = 100, {2 * r.stale_days} days or "
        "more = 0; an account with no contact on record is left out of it",
        "risks": "open risk signals: none = 100, each one −25",
    }
    return pd.DataFrame(
        {"component": [COMPONENT_LABELS[c] for c in COMPONENTS],
         "weight": [r.weights.get(c, 0) for c in COMPONENTS],
         "score (0–100)": [how[c] for c in COMPONENTS]}
    )  # fmt: skip


def _said(rows: pd.DataFrame) -> list[str]:
    """Each KPI of ``rows`` with its value and its change as printed."""
    return [
        f"{KPI_LABELS[t.column]} {_fmt(t.actual, t.unit, t.column)}"
        + (
            f" ({_change(shown_delta(t.actual, t.baseline, t.column), t.column)})"
            if pd.notna(t.delta) and pd.notna(t.baseline)
            else ""
        )
        for t in rows.itertuples()
    ]


def _risk_text(r: KpiReview, currency: str | None) -> str:
    """The revenue at risk and on watch, and whose health cannot be measured."""
    from ..core import fmt

    risk_rev, risk_n = at_risk(r)["at risk"]
    watch_rev, watch_n = at_risk(r)["watch"]
    unmeasured = int(r.health["health"].isna().sum()) if len(r.health) else 0
    if unmeasured == len(r.health):
        return (
            "**At risk:** not known: no key account's health can be measured with the data "
            "delivered (it needs revenue and margin trends, NPS answers or contacts)."
        )
    risk = (
        f"**At risk:** {fmt.plural(risk_n, 'key account')} with "
        f"{fmt.money(risk_rev, currency)} of revenue have a health below the risk line; "
        f"{fmt.plural(watch_n, 'more is', 'more are')} on watch "
        f"({fmt.money(watch_rev, currency)}). The early-warning list names "
        f"{fmt.plural(len(r.warnings), 'account')} with the reasons and owners."
    )
    if unmeasured:
        risk += f" The health of {fmt.plural(unmeasured, 'key account')} cannot be measured."
    return risk


def summary_text(r: KpiReview, currency: str | None = None) -> str:
    """What improved, what did not, what is at risk, in money and points; or, without a
    baseline, why the programme's effect cannot be measured yet and where it stands."""
    from ..core import fmt

    c = r.scorecard
    if c.empty:
        return "No key accounts: there is nothing to review."

    said = _said
    last = c.attrs["actual_end"]
    risk = _risk_text(r, currency)
    if r.measured:
        now = said(c)
        return "\n\n".join(
            [
                fmt.md_text(say(r.measured)),
                f"**Key accounts at {fmt.day_long(last)}:** "
                + ("; ".join(now) if now else "no KPI can be measured")
                + ".",
                risk,
            ]
        )
    base = c.attrs["baseline_end"]
    held = _cohort(r, last)
    n = f" ({fmt.count(held)} at {fmt.day_long(last)})" if held is not None else ""
    lines = [
        f"Key accounts at {fmt.day_long(last)} against the baseline at {fmt.day_long(base)}, the "
        "last period end before the programme started. Each period counts the accounts "
        f"that were key at its start, 12 months before its end{n}, not today's list: a key "
        "account that stopped buying counts against retention. They are the accounts the "
        "segmentation's rules select on the data of that date: if the list the programme "
        "started with differed, the scorecard follows these accounts, not that list."
        + (
            " Their revenue growth is their net revenue retention less 100 % (the same "
            "accounts followed over a year), so it is scored once, as net revenue retention, "
            "against the higher of its own target and the growth target."
            if c.attrs.get("growth_is_nrr")
            else ""
        ),
        "**On target:** " + ("; ".join(said(c[c["status"] == "green"])) or "none") + ".",
        "**Part of the way:** " + ("; ".join(said(c[c["status"] == "amber"])) or "none") + ".",
        "**Off target:** " + ("; ".join(said(c[c["status"] == "red"])) or "none") + ".",
    ]
    open_ = said(c[~c["status"].isin(["green", "amber", "red"])])
    if open_:
        lines.append(
            "**Not scored** (no baseline, a baseline of zero, or too few accounts): "
            + "; ".join(open_)
            + "."
        )
    return "\n\n".join([*lines, risk])


#: How each scorecard KPI is written in the workbook: its unit, and the factor that
#: turns the method's value into it (shares become percent).
SCORECARD_UNITS = {"nps": ("NPS points", 1.0), "csat": ("score", 1.0),
                   "opps_won": ("count", 1.0)}  # fmt: skip
#: The Excel format of a scorecard row's values, by KPI (else one decimal: percent)
SCORECARD_FORMATS = {"nps": "#,##0", "csat": "0.00", "opps_won": "#,##0"}


def scorecard_numbers(r: KpiReview) -> pd.DataFrame:
    """The scorecard for the workbook: the same rows as the page, every value a number
    in the KPI's unit (percent for shares), never text."""
    c = r.scorecard
    if c.empty:
        return pd.DataFrame()
    unit = [SCORECARD_UNITS.get(k, ("%", 100.0)) for k in c["column"]]
    scale = pd.Series([f for _, f in unit], index=c.index)
    out = pd.DataFrame({"KPI (key accounts)": c["column"].map(KPI_LABELS),
                        "unit": [u for u, _ in unit]})  # fmt: skip
    cols = ("actual",) if r.measured else ("baseline", "actual", "target")
    for col in cols:  # rounded as the page prints them: one figure, one value
        shown = [_as_shown(v, k) for v, k in zip(c[col], c["column"], strict=True)]
        out[col] = (pd.Series(shown, index=c.index) * scale).round(4)
    if not r.measured:
        out["change since baseline"] = (pd.Series([
            shown_delta(a, b, k) for a, b, k in zip(c["actual"], c["baseline"], c["column"],
                                                    strict=True)
        ], index=c.index) * scale).round(4)  # fmt: skip
        out["status"] = c["status"]
    return out


def period_numbers(r: KpiReview) -> pd.DataFrame:
    """The KPIs per period for the workbook: the retention bridge (starting revenue,
    churn, contraction, expansion) left blank where retention is not measured, as the
    page shows it ("n/a"), never a figure from too short a history."""
    t = r.table.copy()
    bridge = [c for c in ("start", "churn", "contraction", "expansion") if c in t]
    if "nrr" in t and bridge:
        t.loc[t["nrr"].isna(), bridge] = np.nan
    return t


def scorecard_formats(r: KpiReview) -> dict[str, list[str]]:
    """The Excel format of each scorecard cell, row by row: whole NPS points and counts,
    CSAT to two decimals, percentages to one (as the page prints them); the change
    signed."""
    kinds = [SCORECARD_FORMATS.get(k, "0.0") for k in r.scorecard["column"]]
    signed = [f'+{k};"−"{k};{k}' for k in kinds]
    cols = ("actual",) if r.measured else ("baseline", "actual", "target")
    out = {c: kinds for c in cols}
    if not r.measured:
        out["change since baseline"] = signed
    return out


def export(output_dir: str, r: KpiReview, colour: str = "#0B3D91") -> str:
    """The KPI table, the scorecard, the health of every key account and the early
    warnings, to ``05_kpi_review.xlsx``."""
    from .workbook import export as export_report

    health = r.health.reset_index().rename(columns={"index": "account_id"})
    keep = ["account_id", "account_name", "segment", "revenue", "growth", "margin_change",
            "nps", "nps_respondents", "days_since_contact", "risk_count", "signals", "health",
            "band", "health_before", "change"]  # fmt: skip
    health = health[[c for c in keep if c in health.columns]]
    if "margin_change" in health.columns:  # in points, as the pages say it
        health = health.assign(margin_change=health["margin_change"] * 100)
    if "signals" in health.columns:
        health = health.assign(signals=health["signals"].map(joined))
    sheets = {
        "Scorecard": scorecard_numbers(r),
        "KPIs per period": period_numbers(r),
        "Health": health,
        "Early warnings": r.warnings.assign(reasons=r.warnings["reasons"].map(joined)),
    }
    notes = say_all(([r.measured] if r.measured else []) + r.notes)
    if notes:
        sheets["Notes"] = pd.DataFrame({"note": notes})
    formats = {"Scorecard": scorecard_formats(r) if len(r.scorecard) else {}}
    return export_report(output_dir, "05_kpi_review.xlsx", sheets, colour, formats=formats)


PERIOD_FORMATS = {
    "period end": "day",
    "group": "text",
    **{page_header(c): "pct" for c in PERIOD_COLUMNS["revenue"]},
    page_header("nps"): "points",
    page_header("csat"): "number2",
    **{page_header(c): "int" for c in ("respondents", "opps_identified", "opps_won")},
}


LIFETIME_FORMATS = {
    "gross profit per account": "money_short",
    "net contribution per account": "money_short",
    "annual churn": "pct",
    "discount rate": "pct0",
    "lifetime value": "money_short",
    "years of gross profit": "number",
    "lifetime value after cost-to-serve": "money_short",
}


def lifetime_note(r: KpiReview) -> str:
    """How lifetime value is computed, in words (no formula on a client's page).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> lifetime_note(SimpleNamespace(discount_rate=0.1, net_contribution={}))[:46]
    'Customer lifetime value: what the gross profit'
    """
    d = r.discount_rate
    text = (
        "Customer lifetime value: what the gross profit an account brings each year is worth "
        "today, for as long as it stays, with the chance of staying each year taken from "
        f"the latest period's retention and each later year discounted by {fmt.pct(d)}."
    )
    if d > 0:  # what a value amounts to: with little churn, the discount bounds it
        text += (
            " *Years of gross profit* says what it amounts to: with little churn the "
            f"discount bounds it, at most {fmt.count((1 + d) / d)} years of today's gross profit."
        )
    if r.net_contribution:
        text += (
            " After cost-to-serve: the same on the net contribution, the gross profit minus "
            "the cost of serving the account, as in the profitability report."
        )
    return text


def lifetime_view(r: KpiReview) -> pd.DataFrame:
    """Lifetime value per group from the latest period's churn and the gross profit per
    account; not available without cost of goods or a measurable churn."""
    last = r.table[r.table["period_end"] == r.table["period_end"].max()]
    rows = []
    for t in last.itertuples():
        gp = r.gross_profit.get(t.group, np.nan)
        churn = 1 - t.logo_retention if pd.notna(t.logo_retention) else np.nan
        nc = r.net_contribution.get(t.group, np.nan)
        v = lifetime_value(gp, churn, r.discount_rate) if pd.notna(gp) and pd.notna(churn) else None
        w = lifetime_value(nc, churn, r.discount_rate) if pd.notna(nc) and pd.notna(churn) else None
        rows.append(
            {
                "group": t.group,
                "gross profit per account": gp,
                "net contribution per account": nc,
                "annual churn": churn,
                "discount rate": r.discount_rate,
                "lifetime value": v["clv"] if v else np.nan,
                # what it amounts to: the discount rate bounds it when churn is low
                "years of gross profit": v["clv"] / gp if v and gp else np.nan,
                "lifetime value after cost-to-serve": w["clv"] if w else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    if not r.net_contribution:  # no cost-to-serve: the columns would only say "n/a"
        out = out.drop(
            columns=["net contribution per account", "lifetime value after cost-to-serve"]
        )
    return out if out["lifetime value"].notna().any() else out.iloc[:0]


def lifetime_missing(r: KpiReview) -> str:
    """Why lifetime value is not shown, in one sentence; empty when it is."""
    if len(lifetime_view(r)):
        return ""
    last = r.table[r.table["period_end"] == r.table["period_end"].max()]
    why = []
    if all(pd.isna(v) for v in r.gross_profit.values()):
        why.append("gross profit needs cost of goods, which the revenue data does not hold")
    if last["logo_retention"].isna().all():
        why.append("churn needs 24 months of revenue behind the latest period end")
    return "Customer lifetime value is not available: " + "; ".join(why) + "."


def warnings_empty(r: KpiReview, settings: settings_.KpiReview) -> str:
    """What an empty early-warning list means: the rules applied, and those the data did
    not allow (``settings``: the config's ``method.kpi_review``)."""
    drop, senior = settings.health_drop, settings.senior_days
    h = r.health
    checks = [
        (h["health"].notna().any(), f"health down {drop:g} points"),
        (h["growth"].notna().any(), "declining revenue"),
        (h["nps"].notna().any(), "falling NPS"),
        ("net_margin" in h and h["net_margin"].notna().any(), "a loss after cost-to-serve"),
        (h["days_since_contact"].notna().any(), f"no senior contact for {senior} days"),
    ]
    done = [w for ok, w in checks if ok]
    skipped = [w for ok, w in checks if not ok]
    text = "No key account meets a warning rule"
    text += f" ({', '.join(done)})." if done else "."
    if skipped:
        text += " Not checked for lack of data: " + ", ".join(skipped) + "."
    return text


def warnings_view(r: KpiReview) -> pd.DataFrame:
    w = r.warnings.assign(reasons=r.warnings["reasons"].map(joined))
    return w.drop(columns=["account_id"])


def _risk_note(r: KpiReview, n: int) -> str:
    """The at-risk tile's note: how many accounts, and how many of them for a loss."""
    from ..core import fmt

    loss = at_risk_for_loss(r)
    return fmt.plural(n, "key account") + (f", {loss} of them for a loss" if loss else "")


def kpi_cards(r: KpiReview, currency: str | None = None) -> list[tuple[str, str, str]]:
    from ..core import fmt

    c = r.scorecard.set_index("column") if len(r.scorecard) else pd.DataFrame()
    if c.empty:
        return []

    def card(col: str, label: str) -> tuple[str, str, str] | None:
        if col not in c.index:
            return None
        row = c.loc[col]
        value = _fmt(row["actual"], row["unit"], col)
        if row["status"] not in ("green", "amber", "red"):
            return (label, value, "not scored: " + row["status"])
        # a status against a target nobody agreed yet says so
        on = "" if getattr(r, "targets_agreed", False) else " on the proposed target"
        return (label, value, f"{row['status']}{on} · baseline "
                f"{_fmt(row['baseline'], row['unit'], col)}")  # fmt: skip

    risk_rev, risk_n = at_risk(r)["at risk"]
    measured = bool(len(r.health)) and r.health["health"].notna().any()
    cards = [
        card("nrr", KPI_LABELS["nrr"]),
        card("growth", KPI_LABELS["growth"]),
        card("nps", KPI_LABELS["nps"]),
        card("csat", KPI_LABELS["csat"]),
        ("Revenue at risk", fmt.money(risk_rev, currency), _risk_note(r, risk_n))
        if measured
        else ("Revenue at risk", "n/a", "health not measurable"),
        ("Early warnings", fmt.count(len(r.warnings)), "key accounts to review with their owners"),
    ]
    return [x for x in cards if x is not None]


def _verdict(r: KpiReview) -> tuple[str, str, str]:
    """Headline, recommendation and kind from the scorecard's statuses."""
    c = r.scorecard

    def names(status: str) -> list[str]:
        return [KPI_LABELS[x] for x in c.loc[c["status"] == status, "column"]]

    green, amber, red = names("green"), names("amber"), names("red")
    scored = len(green) + len(amber) + len(red)
    if r.measured is not None or not scored:
        why = say(r.measured) if r.measured is not None else "no KPI has a baseline and a target."
        rec = (
            "Use this review as the baseline: agree the targets with management now, and "
            f"measure against them every {r.period} from here."
        )
        return f"**The programme's effect cannot be measured yet**: {why}", rec, "warn"
    on = "are on target" if getattr(r, "targets_agreed", False) else "meet the proposed targets"
    head = (
        f"**{len(green)} of {scored} key-account KPIs {on}** against the baseline "
        f"before the programme; {len(amber) or 'none'} {'is' if len(amber) == 1 else 'are'} "
        "part of the way, "
        f"{len(red) or 'none'} off target."
    )
    shared = shared_gains(r)
    if shared:  # the headline says what the programme can claim, not more
        n = len(shared)
        head = head[:-1] + (
            f"; for {n} of the {len(green)} the other accounts gained at least half as much."
            if n > 1
            else f"; for one of the {len(green)} the other accounts gained at least half as much."
        )
    parts = []
    if red:
        parts.append(
            f"put {_and(red)} on the steering committee's agenda, each with an owner and a "
            "recovery plan"
        )
    if amber:
        parts.append(f"keep {_and(amber)} under review: part of the way to target")
    if not parts:
        parts.append("hold the course and raise the targets where they are already met")
    rec = parts[0][0].upper() + parts[0][1:] + "".join("; " + p for p in parts[1:]) + "."
    if to_check(r):
        rec += " Check the NPS survey before the NPS gain is reported: it jumped in one period."
    if shared:
        rec += (
            f" For {_and([s[:1].lower() + s[1:] if not s[:2].isupper() else s for s in shared])}"
            " the other accounts gained at least half as much in the same time: the programme "
            "can claim only the difference; check what moved both (the market, or how the "
            "figure is measured) before the gain is reported."
        )
    return head, rec, "bad" if red else ("warn" if amber else "good")


def _cohort(r: KpiReview, end: object) -> int | None:
    """How many accounts the key-account cohort of the period ending ``end`` holds."""
    t = r.table
    n = t.loc[(t["group"] == "key accounts") & (t["period_end"] == end), "accounts"]
    return int(n.iloc[0]) if len(n) and pd.notna(n.iloc[0]) else None


def _cohort_sentence(r: KpiReview) -> str:
    """Whom the scorecard follows: the accounts key at the start of the latest period's
    comparison, said beside today's key accounts when the two differ."""
    from ..core import fmt

    c = r.scorecard
    if r.measured is not None or c.empty or r.table.empty or "actual_end" not in c.attrs:
        return ""
    last, today = c.attrs["actual_end"], len(r.health)
    now = _cohort(r, last)
    if now is None or now == today:
        return ""
    base = _cohort(r, c.attrs.get("baseline_end"))
    at_base = f" ({fmt.count(base)} at the baseline)" if base is not None and base != now else ""
    return (
        f" The scorecard follows the {fmt.count(now)} accounts that were key a year before "
        f"{fmt.day_long(last)}{at_base}, not today's {fmt.count(today)}: a key account lost "
        "in the year counts against the programme."
    )


def _banded_sentence(r: KpiReview, currency: str | None, watch: float, risk: float) -> str:
    """The key-account revenue at risk or on watch, and how many at risk are there for a
    loss after cost-to-serve rather than a falling trend."""
    from ..core import fmt

    risk_rev, risk_n = at_risk(r)["at risk"]
    watch_rev, watch_n = at_risk(r)["watch"]
    if not (risk_n or watch_n):
        return ""
    return (
        f" {fmt.money(risk_rev + watch_rev, currency)} of key-account revenue sits with "
        f"accounts at risk ({fmt.count(risk_n)}, health below {risk:g}) or on "
        f"watch ({fmt.count(watch_n)}, below {watch:g})"
        + (
            f"; {fmt.count(capped)} of those at risk {'is' if capped == 1 else 'are'} there "
            "for losing 20 % or more of revenue after cost-to-serve, a profit risk more "
            "than a churn risk."
            if (capped := at_risk_for_loss(r))
            else "."
        )
    )


def decision(
    r: KpiReview, currency: str | None = None, watch: float = 70, risk: float = 40
) -> Decision:
    """The KPI review's decision page: is the programme working, what to put on the
    steering committee's agenda, and which accounts to act on now (``watch`` and
    ``risk``: the health lines of the engagement)."""
    from ..core import fmt

    tiles = [t for t in kpi_cards(r, currency) if t[0] != KPI_LABELS["csat"]][:5]
    if r.scorecard.empty:
        return Decision("**No key accounts: there is nothing to review.**", tiles,
                        "Run the segmentation first.", kind="warn")  # fmt: skip
    head, rec, kind = _verdict(r)
    rec += _cohort_sentence(r)
    risk_rev, risk_n = at_risk(r)["at risk"]
    watch_rev, watch_n = at_risk(r)["watch"]
    rec += _banded_sentence(r, currency, watch, risk)
    if len(r.warnings) and (risk_n or watch_n):
        hl = r.health if "account_id" in r.health else r.health.reset_index()
        banded = set(hl.loc[hl["band"].isin(["at risk", "watch"]), "account_id"])
        both = int(r.warnings["account_id"].isin(banded).sum())
        losing = int(
            r.warnings["reasons"].map(lambda why: any(n.code == "warn.loss" for n in why)).sum()
        )
        loss = (
            f", and {fmt.count(losing)} {'loses' if losing == 1 else 'lose'} money after "
            "cost-to-serve (the profitability review acts on those)"
            if losing
            else ""
        )
        rec += (
            f" The early-warning list ({fmt.plural(len(r.warnings), 'account')}) flags what "
            f"to act on: health falling, revenue declining, NPS dropping, a loss after "
            "cost-to-serve, no senior contact; "
            f"{fmt.count(both)} of them {'is' if both == 1 else 'are'} also at risk or on "
            f"watch{loss}."
        )
    steps = []
    if len(r.warnings):
        top = r.warnings.head(2)  # the list's order: the weakest health first
        largest = " and ".join(fmt.md_text(fmt.shorten(n, 50)) for n in top["account"])
        steps.append(
            f"Review the early-warning account, {largest}, with its owner this {r.period}."
            if len(r.warnings) == 1
            else f"Review the {fmt.plural(len(r.warnings), 'early-warning account')} with their "
            f"owners this {r.period}, the weakest health first: {largest} (every one is "
            "in the workbook)."
        )
    provisional = (
        "until they are agreed the statuses above are provisional; "
        if r.measured is None and r.scorecard["status"].isin(["green", "amber", "red"]).any()
        else ""
    )
    if not getattr(r, "targets_agreed", False):
        steps.append(
            f"Confirm the targets with management: {provisional}they are stated with the "
            "scorecard, beside what a published case of a comparable programme aimed at and "
            "reported."
        )
    steps.append(f"Repeat this review every {r.period} and report it to the steering committee.")
    # the KPIs one by one follow on the next page (the scorecard): the page stays one page
    return Decision(headline=head, tiles=tiles, recommendation=rec, next_steps=steps, kind=kind)


def _and(items: list[str]) -> str:
    """KPI labels inside a sentence: lower case but for NPS and CSAT."""
    return listing([i if i[:2] in ("NP", "CS") else i[0].lower() + i[1:] for i in items])
