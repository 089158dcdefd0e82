"""What the account plan notebook shows: views of one :class:`~kamlib.method.plan_book.Plan`.

Every figure comes from the plan (its own account's rows and its segment's
aggregates). A field the account manager writes shows the manager's text; without it,
the data's draft (:mod:`kamlib.report.drafts`), marked as one to confirm or correct;
without either, a "to complete" box saying what to write. Nothing is invented.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import fmt
from ..intake import plan_inputs as pi
from ..method import account_plan as ap
from ..method.plan_book import Plan
from .drafts import (  # noqa: F401  (the notebook's views, re-exported)
    _fix,
    _has_fix,
    _lost,
    _path,
    _role,
    _stale_seniors,
    _to_rework,
    client_value_points,
    dated_actions,
    drafts,
    risk_items,
    risks_empty,
    suggested_actions,
    swot_data,
    unrecorded_projects,
)
from .rules import listing
from .tables import table_html
from .words import FIELD_TITLES, PART_TITLES, say


def _e(x: object) -> str:
    """A value inside HTML."""
    return html.escape(str(x))


def _m(x: object) -> str:
    """A value inside Markdown."""
    return fmt.md_text(x)


def field_html(p: Plan, name: str, title: str | None = "") -> str:
    """One field of the plan: the manager's text (with the data's points beneath, when
    there are any); else the data's draft, marked to confirm or correct; else a "to
    complete" box saying what to write.

    ``title=None`` shows no title (the field sits under a heading of its own).
    """
    if title is not None:
        title = title or FIELD_TITLES[name]
    text = p.inputs.get(name, "").strip()
    points = drafts(p).get(name, [])
    head = f'<div class="plan-field-title">{_e(title)}</div>' if title else ""
    bullets = "".join(f"<li>{_e(t)}</li>" for t in points)
    if text:
        paras = "".join(f"<p>{_e(t)}</p>" for t in text.splitlines() if t.strip())
        also = f'<p class="also">Also in the data:</p><ul class="from-data">{bullets}</ul>'
        return f'<div class="plan-field">{head}{paras}{also if points else ""}</div>'
    if points:
        label, hint = DRAFT_WORDS[p.fact_pack]
        return (
            f'<div class="draft"><span class="draft-label">{label}</span>'
            + (f'<span class="draft-title">{_e(title)}</span>' if title else "")
            + f"<ul>{bullets}</ul>"
            + f'<span class="draft-hint">{hint} {_e(_ask(name))}.</span></div>'
        )
    if p.fact_pack:  # a fact pack shows what the data says, nothing to complete
        return ""
    return (
        '<div class="todo"><span class="todo-label">To complete</span>'
        + (f'<span class="todo-title">{_e(title)}</span>' if title else "")
        + f'<span class="todo-hint">{_e(pi.PLAN_FIELDS[name])}, in the plan inputs '
        "workbook.</span></div>"
    )


#: A draft's label and hint: in a plan (to confirm) and in a fact pack (to discuss)
DRAFT_WORDS = {
    False: ("From the data — confirm or correct", "Add what only you know:"),
    True: ("From the data — to discuss", "At the kick-off, add what only you know:"),
}


def _ask(name: str) -> str:
    """What the manager writes in a field, as the end of a sentence."""
    text = pi.PLAN_FIELDS[name].removeprefix("SWOT: ")
    return text[:1].lower() + text[1:]


def parts(p: Plan) -> pd.DataFrame:
    """Each part of the plan with its status (from data, drafted, confirmed, to complete)
    and what is still needed, from the manager's inputs and the data's drafts."""
    return ap.part_status(set(p.inputs), len(p.contacts) > 0, set(drafts(p)))


def shares_of(p: Plan) -> list[float]:
    """The share of the plan's parts drafted and the share confirmed by the manager
    (:func:`kamlib.method.account_plan.shares`), for the plan index."""
    return list(ap.shares(parts(p)["status"]))


def fields_html(p: Plan, names: dict[str, str]) -> str:
    """Several inputs side by side: ``{field: title}``; nothing when none has anything to
    show (a fact pack where the data drafts neither)."""
    shown = [field_html(p, n, t) for n, t in names.items()]
    if not any(shown):
        return ""
    cells = "".join(f'<div class="plan-col">{c}</div>' for c in shown)
    return f'<div class="plan-cols">{cells}</div>'


def _bridge(p: Plan) -> pd.DataFrame:
    a = p.account
    targets = {h: float(a[f"target_{h}m"]) for h in p.horizons}
    wallet = a.get("estimated_wallet")
    return ap.target_bridge(
        _annual(p), targets, float(a["weighted"]), float(a["whitespace"]), wallet
    )


def _annual(p: Plan) -> float:
    """A year's revenue: the last 12 months, or fewer months of data annualised."""
    a = p.account
    v = a.get("annual_revenue")
    return float(v) if v is not None and pd.notna(v) else float(a["revenue"])


def _partial(p: Plan) -> bool:
    """The revenue is of fewer months than a year (and annualised where it meets a year)."""
    return abs(_annual(p) - float(p.account["revenue"])) > 1e-9


def _investment(p: Plan) -> pd.DataFrame:
    a = p.account
    amount = (
        pi.parse_amount(p.inputs["investment_amount"]) if "investment_amount" in p.inputs else None
    )
    target = float(a[f"target_{p.horizons[0]}m"])
    # an account breaking even first grows by its price path alone
    price = max(target - _annual(p), 0.0) if breaks_even(p) else 0.0
    return ap.investment_return(
        _annual(p),
        target,
        a["gross_margin"],
        float(a["cost_to_serve"]),
        a.get("package_change"),
        amount,
        price_rise=price,
        # a saving that waits for the rework; nothing to wait for where it saves nothing
        waits=_to_rework(a) and bool(pd.notna(a.get("package_change")) and a["package_change"]),
    )


def header_facts(p: Plan) -> str:
    """The account's name and identity: segment, orientation, manager, industry, region."""
    a = p.account
    facts = [
        ("Key-account segment", a.get("segment")),
        ("Buyer orientation", a.get("orientation")),
        ("Account manager", a.get("account_manager")),
        ("Industry", a.get("industry")),
        ("Region", a.get("region")),
        ("Channel", a.get("channel")),
    ]
    seg = str(a.get("segment") or "")
    items = "".join(
        f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>"
        for k, v in facts
        if v is not None
        and not (isinstance(v, float) and np.isnan(v))
        and str(v) != ""
        and not (k == "Buyer orientation" and f"({v})" in seg)  # the segment says it
    )
    head = f'<p class="plan-account">{_e(p.name)} <span>{_e(p.id)}</span></p>'
    return f'{head}<dl class="facts">{items}</dl>'


def summary_cards(p: Plan) -> list[tuple[str, str, str]]:
    """The plan's headline figures; a figure the data cannot give says why."""
    a, c = p.account, p.currency
    h0 = p.horizons[0]
    status = parts(p)["status"]
    drafted, confirmed = ap.shares(status)
    growth = (
        f"{fmt.pct(a['growth'], 1, signed=True)} on the prior year"
        if pd.notna(a.get("growth"))
        else "no full prior year to compare"
    )
    if _partial(p):
        growth = f"fewer than 12 months of data; a year: {fmt.money(_annual(p), c)}"
    if pd.notna(a.get("net_contribution")):
        earns = ("Net contribution", fmt.money(a["net_contribution"], c),
                 f"net margin {fmt.pct(a['net_margin'], 1)}")  # fmt: skip
    elif pd.notna(a.get("gross_profit")):
        earns = ("Gross profit", fmt.money(a["gross_profit"], c),
                 f"gross margin {fmt.pct(a['gross_margin'], 1)}; no cost-to-serve")  # fmt: skip
    else:
        earns = ("Net contribution", "n/a", "needs cost of goods and activities")
    wallet = (
        ("Share of wallet", fmt.pct(a.get("share_of_wallet")),
         f"headroom {fmt.money(a.get('headroom'), c)}")
        if pd.notna(a.get("share_of_wallet"))
        else ("Share of wallet", "n/a", "no wallet estimate")
    )  # fmt: skip
    return [
        ("Revenue, last 12 months", fmt.money(a["revenue"], c), growth),
        earns,
        wallet,
        (f"Target in {h0} months", fmt.money(a[f"target_{h0}m"], c), _rate_note(p)),
        ("Health", fmt.count(a.get("health")), str(a.get("band") or "no data")),
    ] + ([] if p.fact_pack else [
        ("Plan drafted", fmt.pct(drafted), _confirmed_note(status)),
    ])  # fmt: skip


def _confirmed_note(status: pd.Series) -> str:
    """How many of the parts the manager writes are confirmed, counted as parts so that a
    part only the data fills (the targets) never reads as the manager's."""
    written = status[status != ap.FROM_DATA]
    done = int((written == ap.CONFIRMED).sum())
    if not len(written):
        return "all from the data"
    return f"{done} of {len(written)} manager's parts confirmed"


def _earnings_sentence(p: Plan) -> str:
    """What the account bought and earns, in one sentence, saying only what the data
    supports."""
    a, c = p.account, p.currency
    text = f"It bought **{fmt.money(a['revenue'], c)}** in the last 12 months"
    if _partial(p):
        text += f" (the data holds fewer months: {fmt.money(_annual(p), c)} a year)"
    if pd.notna(a.get("growth")):
        text += f" ({fmt.pct(a['growth'], 1, signed=True)} on the prior year)"
    if pd.notna(a.get("gross_margin")):
        text += f", at a gross margin of {fmt.pct(a['gross_margin'], 1)}"
    if pd.notna(a.get("net_contribution")):
        text += (
            f"; after {fmt.money(a['cost_to_serve'], c)} cost-to-serve it contributes "
            f"**{fmt.money(a['net_contribution'], c)}**"
        )
    elif pd.notna(a.get("cost_to_serve")):
        text += (
            f"; serving it costs {fmt.money(a['cost_to_serve'], c)} a year (what it earns "
            "after that needs cost of goods, which the data does not hold)"
        )
    elif pd.notna(a.get("gross_margin")):
        text += "; its cost-to-serve is not known (no activities in the data)"
    else:
        text += "; what it earns is not known (no cost of goods or activities in the data)"
    return text + "."


def _target_sentence(p: Plan) -> str:
    b = _bridge(p).iloc[0]
    c = p.currency
    if _lost(p):
        return (
            "**Target:** none yet: the account is recorded as lost, so a growth target "
            f"({fmt.money(b['target'], c)} in {int(b['months'])} months at management's "
            "rate) only applies once a win-back is decided."
        )
    if breaks_even(p) and b["increase"] > 0:
        return (
            f"**Target:** {fmt.money(b['target'], c)} in {int(b['months'])} months "
            f"(+{fmt.money(b['increase'], c)}, from prices alone). {_cap(target_reason(p))}."
        )
    if not _rate(p)[0] and not bool(p.account.get("pipeline_floor", False)):
        return (
            f"**Target:** hold today's {fmt.money(b['target'], c)} a year. "
            f"{_cap(target_reason(p))}."
        )
    text = (
        f"**Target:** {fmt.money(b['target'], c)} in {int(b['months'])} months "
        f"(+{fmt.money(b['increase'], c)}), {target_reason(p)}."
    )
    if bool(p.account.get("pipeline_floor", False)):
        return text  # the pipeline is the whole increase
    parts = []
    if p.has.get("opportunities", True):
        parts.append(f"the weighted open pipeline covers {fmt.money(b['pipeline'], c)}")
    if p.has.get("products", True):
        parts.append(f"whitespace products not yet offered {fmt.money(b['whitespace'], c)}")
    if parts:
        provisional = (
            " (the manager's ongoing projects are not in it yet, so the target is provisional)"
            if unrecorded_projects(p) and not b["pipeline"]
            else ""
        )
        parts[0] += provisional
        if not b["pipeline"] and len(parts) == 2 and b["to_find"] <= 0:  # whitespace alone
            return (
                f"{text} Whitespace products not yet offered ({fmt.money(b['whitespace'], c)}) "
                f"cover the increase; the weighted open pipeline holds {fmt.money(0, c)} so "
                f"far{provisional}."
            )
        text += " " + _cap(" and ".join(parts)) + "; "
        text += (
            f"**{fmt.money(b['to_find'], c)} is still to find**."
            if b["to_find"] > 0
            else "together they cover the increase."
        )
    return text


def _cap(text: str) -> str:
    """A clause as the start of a sentence."""
    return text[:1].upper() + text[1:]


def _why_key(p: Plan) -> str:
    """Why the account is a key account, in the plan's words: where it ranks and how
    well it fits (the segmentation report explains the score)."""
    r = p.account.get("reason")
    v = getattr(r, "values", None) or {}
    if getattr(r, "code", "") == "seg.reason.override" and "by" in v:
        return f"decided by {v['by']}, as {_cap(str(v.get('reason', '')).rstrip('.'))}"
    if getattr(r, "code", "") != "seg.reason.key" or "score" not in v:
        return say(r)
    where = say(r).split(":", 1)[1].split(";", 1)[0].strip().replace(", top", " and the top")
    return (
        f"among the {where}, with a compatibility score of {v['score']:.0f} of 100 (its fit as "
        "a key account)"
    )


def summary_text(p: Plan) -> str:
    """The one-page summary in words, written from the plan's numbers."""
    a = p.account
    lines = [
        f"**{_m(p.name)}** is a **{_m(a['segment'])}** key account: {_m(_why_key(p))}.",
        _earnings_sentence(p),
        _target_sentence(p),
    ]
    # the loss is said once: by the target of an account breaking even, else by the
    # profitability line
    risks = [(k, e) for k, e in risk_items(p) if not (k == "profitability" and _has_fix(p))]
    if risks:
        lines.append("**Risks:** " + "; ".join(_m(e) for _, e in risks) + ".")
    if _has_fix(p):
        why = "" if breaks_even(p) else f"{_flagged_for(p)}; "  # its target says the loss
        lines.append(f"**Profitability:** {why}{_fix(p)}.")
    elif isinstance(a.get("better_action"), str):
        lines.append(
            "**Profitability:** a lower net price and a higher cost-to-serve than its peers, "
            "though still at its segment's net margin: watch its cost-to-serve."
        )
    return "\n\n".join(lines)


def _flagged_for(p: Plan) -> str:
    """Why the profitability step flagged the account, as its own figures say it: a loss,
    a net margin below its segment's, or a low price with a high cost-to-serve."""
    a, c = p.account, p.currency
    nc, margin, goal = a.get("net_contribution"), a.get("net_margin"), a.get("target_margin")
    if pd.notna(nc) and nc < 0:
        return f"it loses {fmt.money(-nc, c)} a year after cost-to-serve"
    if pd.notna(margin) and pd.notna(goal) and margin < goal:
        return f"a net margin of {fmt.pct(margin, 1)}, below its segment's {fmt.pct(goal, 1)}"
    return "a lower net price and a higher cost-to-serve than its peers"


def next_steps(p: Plan, n: int = 3) -> str:
    """The first suggested actions, as a short list, each with when it is due."""
    agreed = _agreed(p)
    s = dated_actions(p).head(n - min(len(agreed), 1))
    if s.empty and not agreed:
        return ""
    # the first clause of each reason: the whole of it is in the action plan
    # a move that waits for the rework says so in its own words: no "once ... once ..."
    text = "**Next steps suggested by the data:**\n\n" + "\n".join(
        f"- {_m(r.action)}"
        + ("" if "reworked" in r.action and "reworked" in r.due else f", {_m(r.due)}")
        + (f" ({_m(first_clause(r.why))})" if len(first_clause(r.why)) <= WHY_CHARS else "")
        for r in s.itertuples()
    )
    if agreed:  # the manager's own plan first: what is agreed comes before what is suggested
        text = "**Agreed with the account manager:** " + "; ".join(agreed) + ".\n\n" + text
    return text


def _agreed(p: Plan, n: int = 2) -> list[str]:
    """The manager's next agreed actions not done, with their due dates."""
    if p.fact_pack or "action_plan" not in p.inputs:
        return []
    a = action_plan_view(p)
    if "status" in a:
        a = a[~a["status"].astype(str).str.lower().isin(["done", "closed", "complete"])]
    return [f"{_m(r.action)}, {_m(r.due)}" for r in a.head(n).itertuples()]


#: A next step's reason longer than this is left to the action plan (page one stays one).
WHY_CHARS = 90


def first_clause(text: str) -> str:
    """The text up to its first ``'; '`` outside brackets.

    >>> first_clause("brings it to 4 % (its median earns 9 %; larger ones less); at renewal")
    'brings it to 4 % (its median earns 9 %; larger ones less)'
    """
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith("; ", i):
            return text[:i]
    return text


def completeness_view(p: Plan) -> pd.DataFrame:
    """The parts of the plan, each with its status and what is still needed, in words."""
    st = parts(p)
    return pd.DataFrame(
        {
            "part of the plan": st["part"].map(PART_TITLES),
            "status": st["status"],
            "still needed": st["missing"].map(
                lambda m: ", ".join(FIELD_TITLES[f].lower() for f in m)
            ),
        }
    )


def financials_view(p: Plan) -> pd.DataFrame:
    """Key financials of the account next to its segment's medians."""
    a, s = p.account, p.segment
    rows = [
        ("Revenue, last 12 months", a["revenue"], s.get("revenue"), "money"),
        ("Revenue growth", a["growth"], s.get("growth"), "pct"),
        ("Discount off list", a.get("discount"), s.get("discount"), "pct"),
        ("Gross margin", a["gross_margin"], s.get("gross_margin"), "pct"),
        ("Cost-to-serve, share of revenue", a.get("cts_share"), s.get("cts_share"), "pct"),
        ("Net margin", a["net_margin"], s.get("net_margin"), "pct"),
        ("Share of wallet", a.get("share_of_wallet"), s.get("share_of_wallet"), "pct"),
    ]
    f = {"money": lambda v: fmt.money(v, p.currency), "pct": lambda v: fmt.pct(v, 1)}
    alone = int(s.get("accounts", 0) or 0) < 2  # a median of itself compares with nothing
    return pd.DataFrame(
        [(k, f[kind](v), "only account" if alone else f[kind](m)) for k, v, m, kind in rows],
        columns=["indicator", "this account", "segment median"],
    )


def mix_view(p: Plan) -> pd.DataFrame:
    """Product mix: the account's revenue per product next to its segment's mix, and the
    change on the prior year where the data has one (a product bought only then: −100 %)."""
    m = p.products.copy()
    m["share"] = m["revenue"] / m["revenue"].sum() if len(m) else []
    seg = p.segment_mix.set_index("product")["share"]
    m["segment share"] = m["product"].map(seg)
    m = m.sort_values(["revenue", "prior_revenue"], ascending=False)
    cols = ["product", "revenue", "share", "segment share"]
    if "prior_revenue" in m and m["prior_revenue"].notna().any():
        m["on the prior year"] = (m["revenue"] / m["prior_revenue"] - 1).where(
            m["prior_revenue"] > 0
        )
        cols.append("on the prior year")
    return m[cols]


def contacts_view(p: Plan) -> pd.DataFrame:
    c = p.contacts
    if c.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "name": c["name"],
            "role": c.get("role"),
            "senior": np.where(c.get("senior", False) == True, "yes", "no"),  # noqa: E712
            "influence": c.get("influence"),
            "attitude": c.get("attitude"),
            "relationship (1–5)": c.get("relationship_strength"),
            "days since contact": c.get("days"),
        }
    )
    return out.sort_values(["influence", "name"], ascending=[False, True])


def nps_note(p: Plan) -> str:
    """How NPS is counted, and the latest year's score; or why there is none."""
    if p.nps.empty:
        return "No survey answers for this account: no NPS."
    nps12, n = p.account.get("nps"), int(p.account.get("nps_respondents", 0) or 0)
    last = " No answers in the last 12 months."
    if nps12 is not None and pd.notna(nps12):
        score = f"**{fmt.signed(nps12)}** from {fmt.plural(n, 'respondent')}"
        last = f" Over the last 12 months: {score}" + (
            "."
            if p.account.get("nps_counted", True)
            else ": too few to count in the health score or as a falling-NPS signal."
        )
    return (
        "NPS per quarter in points (% promoters scoring 9–10 minus % detractors 0–6), with "
        f"the number of respondents (n) and the mean CSAT (1–5).{last}"
    )


def whitespace_view(p: Plan) -> pd.DataFrame:
    w = p.whitespace
    return pd.DataFrame(
        {
            "product": w["product"],
            "bought by (segment)": w["adoption"],
            "typical spend": w["value"],
            "in the pipeline": np.where(w["in_pipeline"], "yes", "no"),
        }
    )


def opportunities_view(p: Plan) -> pd.DataFrame:
    o = p.opportunities.sort_values("weighted", ascending=False)
    cols = {
        "opportunity_id": "opportunity",
        "product": "product",
        "stage": "stage",
        "amount": "amount",
        "probability": "probability",
        "weighted": "weighted",
        "expected_close": "expected close",
    }
    return o[[c for c in cols if c in o.columns]].rename(columns=cols)


def targets_view(p: Plan) -> pd.DataFrame:
    """The target per horizon and how it is reached."""
    b = _bridge(p)
    out = pd.DataFrame(
        {
            "horizon": [f"{m} months" for m in b["months"]],
            "target": b["target"],
            "increase": b["increase"],
            "from the pipeline": b["pipeline"],
            "from whitespace": b["whitespace"],
            "still to find": b["to_find"],
        }
    )
    if not p.has.get("opportunities", True):
        out = out.drop(columns="from the pipeline")
    if not p.has.get("products", True):
        out = out.drop(columns="from whitespace")
    if b["within_wallet"].notna().any():
        out["within the wallet"] = b["within_wallet"].map({True: "yes", False: "no"})
    return out


def _rate(p: Plan) -> tuple[float, str]:
    """The account's annual growth target and why (see
    :func:`~kamlib.method.account_plan.target_growth`)."""
    a = p.account
    rate = a.get("target_growth")
    if rate is None or pd.isna(rate):
        return p.growth_target, ap.GROWTH
    return float(rate), str(a.get("target_basis") or ap.GROWTH)


def _rate_note(p: Plan) -> str:
    """The target tile's note: the rate, and the situation that set it."""
    rate, basis = _rate(p)
    if bool(p.account.get("pipeline_floor", False)):
        return "today + weighted pipeline"
    return {
        ap.BREAK_EVEN: "break even first",
        ap.STABILISE: "stabilise first",
        ap.RECOVER: f"{fmt.pct(rate, signed=True)} a year while it recovers",
        ap.WALLET: f"{fmt.pct(rate, signed=True)} a year, up to the wallet",
    }.get(basis, f"{fmt.pct(rate, signed=True)} a year")


def target_reason(p: Plan) -> str:
    """Why the target grows as it does, in one clause: management's rate, or the
    account's situation that scales it; and the weighted pipeline where it sets the
    first target."""
    a = p.account
    if bool(a.get("pipeline_floor", False)):
        rate, basis = _rate(p)
        usual = (
            f"management's {fmt.pct(rate)} a year"
            if basis == ap.GROWTH
            else f"the {fmt.pct(rate, signed=True)} a year it would get "
            + {
                ap.RECOVER: f"while it recovers ({_recover_why(p)})",
                ap.WALLET: "up to its wallet",
            }.get(basis, "")  # fmt: skip
        ).strip()
        return f"today's revenue plus the weighted open pipeline, more than {usual}"
    return _target_reason(p)


def _target_reason(p: Plan) -> str:
    a, c = p.account, p.currency
    rate, basis = _rate(p)
    if basis == ap.BREAK_EVEN:
        return (
            f"it loses {fmt.money(-a['net_contribution'], c)} a year after cost-to-serve, so "
            f"its first target is to break even {_break_even_when(p)}"
        )
    if basis == ap.STABILISE:
        return f"its health of {fmt.count(a.get('health'))} is at risk, to stabilise first"
    if basis == ap.RECOVER:
        return (
            f"{fmt.pct(rate, signed=True)} a year, half management's "
            f"{fmt.pct(p.growth_target)}, while it recovers ({_recover_why(p)})"
        )
    if basis == ap.WALLET:
        wallet = fmt.money(a.get("estimated_wallet"), c)
        return (
            f"its estimated wallet ({wallet}) is already spent"
            if rate == 0
            else f"{fmt.pct(rate, signed=True)} a year, up to its estimated wallet ({wallet})"
        )
    return f"management's growth target of {fmt.pct(rate)} a year"


def _recover_why(p: Plan) -> str:
    """What an account recovers from: falling revenue, a small loss, or a health on
    watch."""
    a, c = p.account, p.currency
    nc = a.get("net_contribution")
    if pd.notna(a.get("growth")) and a["growth"] <= -0.0005:
        return f"revenue {fmt.pct(a['growth'], 1, signed=True)} on the prior year"
    if pd.notna(a.get("growth")) and a["growth"] < 0:
        return "revenue slightly down on the prior year"
    if pd.notna(nc) and nc < 0:
        return f"a small loss after cost-to-serve, {fmt.money(-nc, c)} a year"
    return f"health on watch at {fmt.count(a.get('health'))}"


def _break_even_when(p: Plan) -> str:
    """When the account's actions take it to break even: within the first year, as its
    price path completes, or not at all on today's terms. A package waiting for the service
    model's rework is not dated: what rests on it says so."""
    v = break_even_view(p)
    b = v["net contribution after"]
    later = v["step"] == "prices, the later steps"
    on_package = v["step"].str.startswith("serve it")
    waits = _to_rework(p.account) and bool(on_package.any())
    saving = float(p.account.get("package_saving") or 0.0) if waits else 0.0
    dated = b - saving * (on_package.cumsum() > 0)  # without an undated package
    n = int(p.account.get("price_steps") or 0)
    rework = "once its segment's package is reworked (not dated yet)"
    if (dated[~later & ~on_package] >= 0).any():
        return "within 12 months"
    if (b[~later] >= 0).any():
        return f"{rework} and prices take their first step"
    if dated.iloc[-1] >= 0:
        return f"within {n} years, as its price path completes"
    if b.iloc[-1] >= 0:
        return f"{rework} and its {n}-year price path completes"
    return "on new terms: the package and a price path cannot get it there"


def portfolio_text(pf: dict, currency: str | None) -> str:
    """The plans together as a business case (:func:`kamlib.method.plan_book.portfolio`):
    what the targets add in their first year, then, once complete, what growth and
    profitability's actions earn against the model's cost, each time frame in its own
    sentence. Figures are added and subtracted as printed (:func:`kamlib.core.fmt.rounded`),
    so the sentences add up and the actions match the profitability report's."""
    c, h, r = currency, int(pf["months"]), fmt.rounded
    increase = r(pf["target"]) - r(pf["revenue"]) if pf["increase"] else 0.0
    text = (
        f"Together the {h}-month targets take the key accounts from "
        f"{fmt.money(pf['revenue'], c)} to {fmt.money(pf['target'], c)} a year, "
        f"{fmt.money(increase, c)} more"
    )
    gp = pf["extra_gross_profit"]
    if pd.isna(gp):
        return text + "."
    priced = increase - r(pf["growth"])
    share = gp / pf["growth"] if pf["growth"] else np.nan
    unit = fmt.money_scale([increase, pf["growth"], gp])  # one unit in the sentence
    text += f": {fmt.money(pf['growth'], c, scale=unit)} from growth" + (
        f", worth about {fmt.money(gp, c, scale=unit)} of gross profit at each account's own "
        f"gross margin ({fmt.pct(share)} on average)"
        if pd.notna(share)
        else ""
    )
    if pf["increase"] - pf["growth"] > 0.5 and priced > 0:
        text += (
            f", and {fmt.money(priced, c, scale=unit)} from the first price steps of the "
            "accounts that must break even first"
        )
    text += "."
    v = case_figures(pf)
    if v is None:
        return text
    fixes = v["savings"] + v["prices"] if pd.notna(v["savings"]) else v["fixes"]
    years = int(pf.get("price_steps", 0) or 0)
    when = f"Once complete (up to {years} years)" if years > 1 else "Once complete"
    if pd.notna(fixes) and fixes > 0:
        text += (
            f" {when}, profitability's package savings and price paths, those first steps "
            f"included, add {fmt.money(fixes, c)} a year of net contribution"
        )
        total = f"; with the first year's growth, {fmt.money(v['total'], c)} a year against the "
    else:
        total = f" {when}, growth's gross profit is {fmt.money(v['total'], c)} a year against the "
    verdict = (
        "enough to pay for it"
        if v["gap"] <= 0
        else f"{fmt.money(v['gap'], c)} short of paying for it"
    )
    later = " before the growth of the later years" if v["gap"] > 0 else ""
    return (
        f"{text}{total}{fmt.money(pf['programme_cost'], c)} the key-account model costs a "
        f"year (a planning assumption until the client's own figures replace it): "
        f"{verdict}{later}."
    )


def case_figures(pf: dict) -> dict | None:
    """The plans' business case (:func:`kamlib.method.plan_book.portfolio`) added as
    printed (:func:`kamlib.core.fmt.rounded`): the growth in gross profit, the package
    savings and price paths as the profitability report adds them (NaN apart where only
    their sum is known), their total, the model's cost and the gap; None without a gross
    margin or a cost."""
    r = fmt.rounded
    gp, cost = pf["extra_gross_profit"], pf["programme_cost"]
    if pd.isna(gp) or pd.isna(cost) or cost <= 0:
        return None
    parts = [pf.get("savings", np.nan), pf.get("price_paths", np.nan)]
    known = all(pd.notna(x) for x in parts)
    v = {
        "growth": r(gp),
        "savings": r(parts[0]) if known else np.nan,
        "prices": r(parts[1]) if known else np.nan,
        "fixes": r(parts[0]) + r(parts[1]) if known else r(pf["fixes"]),
        "cost": r(cost),
    }
    v["total"] = v["growth"] + (v["fixes"] if pd.notna(v["fixes"]) else 0.0)
    v["gap"] = v["cost"] - v["total"]
    return v


def breaks_even(p: Plan) -> bool:
    """The account's first target is to break even (its revenue targets hold today's)."""
    return _rate(p)[1] == ap.BREAK_EVEN and not bool(p.account.get("pipeline_floor", False))


def break_even_view(p: Plan) -> pd.DataFrame:
    """For an account whose first target is to break even: what the profitability
    actions bring, step by step, and the net contribution after each, a year."""
    a = p.account
    num = lambda c: float(a[c]) if pd.notna(a.get(c)) else 0.0  # noqa: E731
    act = a.get("better_action")
    priced = act in ("price", "package and price")
    b = ap.break_even_path(
        float(a["net_contribution"]),
        num("package_saving") if isinstance(act, str) else 0.0,
        num("price_first_year") if priced else 0.0,
        num("price_after_package") if priced else 0.0,
        int(num("price_steps")) if priced else 0,
        package_first=not _to_rework(a),  # a package to rework comes when it is reworked
    )
    package = "serve it with its segment's package" + (", once reworked" if _to_rework(a) else "")
    names = {"today": "today", "the package": package,
             "price, first year": "prices, first year's step",
             "price, later years": "prices, the later steps"}  # fmt: skip
    return pd.DataFrame(
        {
            "step": b["step"].map(names),
            "adds a year": [
                "" if pd.isna(v) else "+" + fmt.money(v, p.currency) for v in b["effect"]
            ],  # fmt: skip
            "net contribution after": b["net_contribution"],
        }
    )


def break_even_caption(path: pd.DataFrame) -> str:
    """The caption of the break-even table ``path`` (:func:`break_even_view`): how it
    breaks even, or, when its actions leave a loss, what they add (a title never claims
    what the table's last line denies)."""
    if float(path["net contribution after"].iloc[-1]) >= 0:
        return "How it breaks even: what each action adds a year, in the order they come"
    return (
        "What each action adds a year, in the order they come: on today's terms not "
        "enough to break even"
    )


def targets_note(p: Plan) -> str:
    a, c = p.account, p.currency
    b = _bridge(p)
    reason = target_reason(p)
    start = fmt.money(_annual(p), c) + (
        " (the months of data there are, annualised)" if _partial(p) else ""
    )
    if breaks_even(p):
        b = break_even_view(p)
        after = float(b["net contribution after"].iloc[-1])
        lead = (
            f"The revenue targets are today's {start} a year plus the price path"
            if float(_bridge(p)["increase"].max()) > 0
            else f"The revenue targets hold today's {start} a year"
        )
        growth = a.get("growth")
        held = (
            f" The targets count no volume growth (it grew {fmt.pct(growth, 1, signed=True)} "
            "on the prior year): until it breaks even the plan's effort goes to its margin, "
            "and any growth comes on top."
            if pd.notna(growth) and growth > 0
            else ""
        )
        return f"{lead}. {_cap(reason)}.{held} " + (
            f"The actions above take it to {fmt.money(after, c)} a year."
            if after >= 0
            else f"The actions above leave it at {fmt.money(after, c)} a year: renegotiate "
            "the terms on the package in full, or exit."
        )
    if bool(a.get("pipeline_floor", False)):
        text = (
            f"The {p.horizons[0]}-month target is today's {start} plus the weighted open "
            f"pipeline ({fmt.money(a['weighted'], c)}), which alone brings more than its usual "
            f"target of {fmt.pct(_rate(p)[0], signed=True)} a year; the later targets grow from "
            "it at that rate."
        )
    else:
        text = (
            f"The targets hold today's {start} a year: {reason}."
            if not _rate(p)[0]
            else f"The targets start from {start} a year: {reason}, each year on the one before."
        )
    text += (
        " The weighted pipeline (each open opportunity's amount times its probability) is "
        "counted first, then the typical spend of whitespace products not yet in the "
        "pipeline."
    )
    over = b[b["within_wallet"] == False]  # noqa: E712
    if len(over):
        text += (
            f" The {int(over['months'].iloc[0])}-month target exceeds the estimated wallet "
            f"({fmt.money(a['estimated_wallet'], c)}): it needs a larger wallet (new sites, "
            "new budgets) or a lower target for this account."
        )
    return text


def _rated(p: Plan) -> bool:
    """The account has rated our service itself (importance or satisfaction)."""
    r = p.ratings
    return bool(len(r)) and any(
        c in r and r[c].notna().any() for c in ("importance", "satisfaction")
    )


def package_view(p: Plan) -> pd.DataFrame:
    """The segment's service package next to what this account says matters to it; empty
    where the account has not rated us (:func:`package_empty` says it in a sentence)."""
    pk = p.package[["element", "decision"]].rename(columns={"decision": "segment package"})
    if not _rated(p):
        return pk.iloc[:0]
    r = p.ratings.set_index("element") if len(p.ratings) else pd.DataFrame()
    for col, name in (("importance", "importance here"), ("satisfaction", "satisfaction here")):
        pk[name] = pk["element"].map(r[col]) if col in r.columns else np.nan
    return pk


def package_empty(p: Plan) -> str:
    """Where the package table would be empty: no package, or the package in one sentence
    beside the fact that the account has not rated us."""
    pk = p.package
    if not len(pk):
        return "No service package: the service model had no ratings to decide on."
    by = {d: list(pk.loc[pk["decision"] == d, "element"]) for d in pk["decision"].unique()}
    parts = (
        [f"charges separately for {listing(by['charged separately'])}"]
        if by.get("charged separately")
        else []
    )
    parts += [f"does not offer {listing(by['not offered'])}"] if by.get("not offered") else []
    what = (
        f"its segment's package (service model) {' and '.join(parts)}; the rest is included"
        if parts
        else "its segment's package (service model) includes every element"
    )
    return f"The account has not rated our service itself: {what}."


def cts_view(p: Plan) -> pd.DataFrame:
    """Today's cost-to-serve by activity."""
    a = p.activities.sort_values("cost", ascending=False)
    total = a["cost"].sum()
    return pd.DataFrame(
        {
            "activity": a["activity"].str.replace("_", " "),
            "quantity": a["quantity"],
            "unit cost": a["unit_cost"],
            "cost": a["cost"],
            "share": a["cost"] / total if total else np.nan,
        }
    )


def investment_view(p: Plan) -> pd.DataFrame:
    r = _investment(p)
    money = r.loc[r["line"] != "return on investment", "amount"]
    scale = fmt.money_scale(money)  # one unit for every amount of the column
    vals = []
    for line, amount in zip(r["line"], r["amount"], strict=True):
        if line == "return on investment":
            planned = "investment_amount" in p.inputs
            vals.append(
                fmt.pct(amount) if pd.notna(amount) else ("n/a" if planned else _to_plan(p))
            )
        elif (
            line in ("extra revenue (12 months)", "extra gross profit")
            and not _rate(p)[0]
            and not amount
        ):
            vals.append("none: no growth target")  # a target held flat, not a missing figure
        elif amount is None or pd.isna(amount):
            todo = line == "planned extra investment" or (
                line == "net return" and "investment_amount" not in p.inputs
            )
            vals.append(_to_plan(p) if todo else "n/a")
        else:
            vals.append(fmt.money(amount, p.currency, scale=scale))
    out = pd.DataFrame({"": r["line"], "per year": vals, "how": r["how"].map(say)})
    if unrecorded_projects(p) and "investment_amount" in p.inputs:
        # the investment serves deals the targets cannot count yet: no return to state
        out.loc[out[""] == "net return", "how"] = (
            "on the target as counted, which leaves out the ongoing projects named in this plan "
            "(not in the pipeline); the investment serves them: record them to count their return"
        )
        out.loc[out[""] == "return on investment", "how"] = "provisional, for the same reason"
    return out


def _to_plan(p: Plan) -> str:
    """A figure the manager's planned investment gives: to complete in a plan, not yet
    planned in a fact pack."""
    return "not planned yet" if p.fact_pack else "to complete"


def action_plan_view(p: Plan) -> pd.DataFrame:
    """The agreed actions from the plan inputs, owner, due date and status; a due date
    written as a date is shown as the plan writes dates ("15 Nov 2026"), any other text
    as written."""
    out = pi.parse_actions(p.inputs.get("action_plan"))
    when = pd.to_datetime(out["due"], format="%Y-%m-%d", errors="coerce")
    out["due"] = [fmt.day(w) if pd.notna(w) else d for w, d in zip(when, out["due"], strict=True)]
    return out


_NONE_SHOWN = '<p class="table-note">None the data shows.</p>'


def swot_html(p: Plan) -> str:
    """The SWOT as a 2 x 2 grid, each quadrant a field of the plan (:func:`field_html`):
    the manager's text, else the data's draft, else what to write."""
    cells = [
        f'<div class="swot-cell swot-{name}"><h4>{name.capitalize()}</h4>'
        f"{field_html(p, name, None) or _NONE_SHOWN}</div>"
        for name in ("strengths", "weaknesses", "opportunities", "threats")
    ]
    rows = "".join(f'<div class="swot-row">{a}{b}</div>' for a, b in (cells[:2], cells[2:]))
    return f'<div class="swot">{rows}</div>'


def risks_view(p: Plan) -> pd.DataFrame:
    """The risks the plan's figures show (see :func:`risk_items`), each with its evidence."""
    return pd.DataFrame(risk_items(p), columns=["risk", "evidence (from the data)"])


def cts_empty(p: Plan) -> str:
    """What an empty cost-to-serve table means."""
    if not p.has.get("activities", True):
        return "Cost-to-serve is not known: the data pack has no activities with unit costs."
    return "No activity recorded for this account in the last 12 months: no cost-to-serve."


def whitespace_empty(p: Plan) -> str:
    """What an empty whitespace table means."""
    if not p.has.get("products", True):
        return "Whitespace needs the product of each sale, which the revenue data does not hold."
    if int(p.segment.get("accounts", 0) or 0) < 2:
        return (
            "Whitespace needs other accounts in the segment to compare with: this account is "
            "the only one."
        )
    return "No whitespace: the account buys every product its segment commonly buys."


def signoff_html(p: Plan) -> str:
    """The sign-off table: every business area that owns the plan, to sign by hand."""
    rows = "".join(
        f"<tr><td>{_e(area)}</td><td></td><td></td><td></td><td></td></tr>" for area in p.sign_off
    )
    return (
        '<table class="kam-table signoff"><thead><tr><th>Business area</th><th>Name</th>'
        "<th>Role</th><th>Date</th><th>Signature</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def table(df: pd.DataFrame, **kw) -> str:
    """A plan table (see :func:`kamlib.report.tables.table_html`)."""
    return table_html(df, **kw)


def input_context(p: Plan) -> dict[str, str]:
    """The data's draft of each plan input field, one point a line, for the inputs
    workbook: the manager edits it rather than writes from nothing."""
    return {name: "\n".join(points) for name, points in drafts(p).items()}


def write_inputs_template(
    engagement: str = "demo", as_of: str = "", force: bool = False
) -> tuple[Path, int]:
    """Write the engagement's plan inputs workbook: a row per key account and field,
    with what the data says and the texts already given. An existing workbook is only
    replaced with ``force`` (and kept as ``.bak.xlsx``). Returns the path and row count."""
    from ..core.config import load_config
    from ..core.errors import DataPackError, KamError
    from ..method.plan_book import open_book, plan

    path = pi.workbook_path(load_config(engagement, overrides={"as_of": as_of} if as_of else None))
    replaced = path.exists()
    if replaced:
        if not force:
            raise KamError(
                f"{path} already exists; nothing was changed. Its texts are read into every "
                "plan. To write a fresh template that keeps them, add --force (the current "
                f"file is kept as {path.with_suffix('.bak.xlsx').name})."
            )
        shutil.move(path, path.with_suffix(".bak.xlsx"))  # a damaged one must not stop us
    book = open_book(engagement, as_of)
    earlier = None
    if replaced:
        try:  # the texts of the replaced workbook are carried into the new one
            earlier = pi.read_inputs(path.with_suffix(".bak.xlsx"))
        except DataPackError:
            earlier = None  # damaged or not ours: it stays as the .bak for the record
    accounts = book.accounts.sort_values("revenue", ascending=False)
    context = pd.DataFrame(
        [
            (aid, f, text)
            for aid in accounts["account_id"]
            for f, text in input_context(plan(book, aid)).items()
        ],
        columns=["account_id", "field", "text"],
    )
    pi.inputs_template(
        path,
        accounts[["account_id", "account_name"]],
        context,
        pi.combine(book.inputs, earlier),
        book.config.brand.primary_colour,
    )
    return path, len(accounts) * len(pi.PLAN_FIELDS)
