"""Every sentence the method's findings become: one wording per :class:`Note` code.

The method returns notes (a code and the values a sentence needs, see
:mod:`kamlib.core.notes`); :func:`say` words them. A code has exactly one wording here,
grouped by step, so the client's language is reviewed, restyled or translated in one
file; ``tests/test_words.py`` checks that every code the method can emit is worded and
every wording is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from ..core import fmt
from ..core.evidence import Comparison
from ..core.notes import Note
from ..method.kpi_review import SCORECARD
from .workbook import GLOSSARY

_WORDS: dict[str, Callable[..., str]] = {}


def words(code: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register the function that words the notes of ``code``."""

    def register(fn: Callable[..., str]) -> Callable[..., str]:
        if code in _WORDS:
            raise ValueError(f"note code '{code}' is worded twice")
        _WORDS[code] = fn
        return fn

    return register


def say(item: Note | str | None) -> str:
    """A note in words (text passes through as it is; None is "").

    Examples
    --------
    >>> from kamlib.core.notes import note
    >>> say(note("seg.no_ratings", dimension="strategy"))[:33]
    'No strategy ratings: the strategy'
    """
    if item is None or not _known(item):  # None, NaN, NA: no note
        return ""
    if isinstance(item, str):
        return item
    return _WORDS[item.code](**item.values)


def say_all(items: Iterable[Note | str]) -> list[str]:
    """Each note in words, in order."""
    return [say(n) for n in items]


def joined(items: Iterable[Note | str] | None, sep: str = "; ") -> str:
    """Notes in words, one after the other (a row's reasons); "" for none."""
    return sep.join(say(n) for n in items or ())


def unbracket(text: str) -> str:
    """A name with its role in brackets, for a sentence that is itself in brackets:
    "A (role)" -> "A, role".

    Examples
    --------
    >>> unbracket("Lukas Meyer (sales director)"), unbracket("M. Laurent")
    ('Lukas Meyer, sales director', 'M. Laurent')
    """
    return re.sub(r"\s*\(([^()]*)\)\s*$", r", \1", text)


def codes() -> set[str]:
    """Every code worded here."""
    return set(_WORDS)


def comparison_reason(c: Comparison) -> str:
    """Why the growth comparison is not made, in words; "" when it is full.

    Examples
    --------
    >>> c = Comparison(pd.Timestamp("2026-09-30"), 12, 12, 6, pd.Timestamp("2025-04-01"))
    >>> comparison_reason(c)[:37]
    'the revenue data starts in April 2025'
    >>> comparison_reason(c)[37:]
    ', so the 12 months before the last 12 hold only 6 months of it'
    """
    if c.full:
        return ""
    if c.first is None:
        return "there is no revenue data"
    why = []
    if c.prior_months < c.months:
        held = (
            f"hold only {fmt.plural(c.prior_months, 'month')} of it"
            if c.prior_months
            else "hold none"
        )
        why.append(
            f"the revenue data starts in {c.first:%B %Y}, so the {c.months} months "
            f"before the last {c.months} {held}"
        )
    if c.current_months < c.months:
        why.append(f"the revenue data covers only {c.current_months} of the last {c.months} months")
    return "; ".join(why)


def _assumed(margin: float | None) -> str:
    return f" (at the assumed gross margin of {fmt.pct(margin)})" if margin is not None else ""


# --- step 1: segmentation -------------------------------------------------------------


def _top(pct: float) -> str:
    """A percentile as the share of customers at or above it: 0.987 -> "top 2 %"."""
    return f"top {max(1, round((1 - pct) * 100))} %"


def _known(x: object) -> bool:
    """A value, not None, NaN or NA (plain Python: asked for each of 100,000 rows).

    Examples
    --------
    >>> [_known(v) for v in (0.5, None, float("nan"), pd.NA)]
    [True, False, False, False]
    """
    try:
        return x is not None and bool(x == x)
    except TypeError:  # pd.NA
        return False


def _where(revenue_pct: float, potential_pct: float) -> str:
    """Where an account ranks (worded for each of a workbook's 100,000 rows: plain
    Python, no pandas call per row)."""
    if not _known(potential_pct):
        return f"{_top(revenue_pct)} by revenue"
    return f"{_top(revenue_pct)} by revenue, {_top(potential_pct)} by potential"


@words("seg.reason.key")
def _(tier: str, score: float, revenue_pct: float, potential_pct: float) -> str:
    return f"{tier}: {_where(revenue_pct, potential_pct)}; compatibility {score:.0f} of 100"


@words("seg.reason.low_score")
def _(score: float, min_score: float, revenue_pct: float, potential_pct: float) -> str:
    return (
        f"Candidate, but compatibility {score:.0f} is below {min_score:g}; "
        f"{_where(revenue_pct, potential_pct)}"
    )


@words("seg.reason.below_tier")
def _(revenue_min: float, potential_min: float, revenue_pct: float, potential_pct: float) -> str:
    return (
        f"Candidate, but outside Tier 3 ({_top(revenue_min)} by revenue and "
        f"{_top(potential_min)} by potential); "
        f"{_where(revenue_pct, potential_pct)}"
    )


@words("seg.reason.development")
def _(revenue_pct: float, potential_pct: float) -> str:
    return (
        "Development track: large potential, not a key account; "
        f"{_where(revenue_pct, potential_pct)}"
    )


@words("seg.reason.below")
def _(revenue_pct: float, potential_pct: float) -> str:
    return f"Below the candidate thresholds; {_where(revenue_pct, potential_pct)}"


@words("seg.reason.lost")
def _(lost_on: pd.Timestamp, why: Any) -> str:
    return f"Lost on {fmt.day_long(lost_on)}" + (f" ({why})" if why else "") + "; not a candidate"


@words("seg.reason.override")
def _(before: str, after: str, reason: str, by: str) -> str:
    return f"Override by {by}: {reason}"


@words("seg.override")
def _(before: str, after: str, reason: str, by: str) -> str:
    move = f"{before} → {after}" if after != before else f"stays {before}"
    who = unbracket(by)
    why = reason.strip().rstrip(".")
    return f"{move}. {why[:1].upper()}{why[1:]} (decided by {who})"


@words("seg.line.no_revenue")
def _() -> str:
    return "No customer had revenue in the last 12 months."


@words("seg.line.no_cost")
def _() -> str:
    return (
        "Without cost of goods the data cannot show where the accounts stop covering the "
        "key-account model's cost: the column 'margin to cover' gives the gross margin at "
        "which each line would cover it. The cost of goods, or a typical gross margin, "
        "would draw the line."
    )


@words("seg.line.next_band_short")
def _(
    accounts: int,
    marginal_gp: float,
    cost_per_account: float,
    assumed_margin: float | None,
    currency: str | None = None,
) -> str:
    return (
        f"Beyond {fmt.plural(accounts, 'account')} the next accounts "
        f"bring {fmt.money(marginal_gp, currency)} of gross profit each on average"
        f"{_assumed(assumed_margin)}, less than the {fmt.money(cost_per_account, currency)} "
        "the key-account model costs per account."
    )


@words("seg.line.every_band_pays")
def _(assumed_margin: float | None) -> str:
    return (
        "Every band in the sweep still covers its share of the key-account model's cost"
        f"{_assumed(assumed_margin)}."
    )


@words("seg.line.none_pays")
def _(
    accounts: int,
    gross_profit: float | None,
    revenue: float | None,
    model_cost: float,
    assumed_margin: float | None,
    currency: str | None = None,
) -> str:
    brings = (
        f"{fmt.money(gross_profit, currency)} of gross profit{_assumed(assumed_margin)}"
        if gross_profit is not None
        else f"{fmt.money(revenue, currency)} of revenue"
    )
    return (
        f"No line covers its cost: the {fmt.plural(accounts, 'largest account')} "
        f"bring {brings} a year, less than the "
        f"{fmt.money(model_cost, currency)} the key-account model would cost "
        "for them, and wider lines do not make up for it. We recommend no "
        "key-account model at these costs; a leaner model or lower costs would "
        "change this."
    )


@words("seg.no_parents")
def _() -> str:
    return (
        "Group roll-up was asked for, but no account names a parent: accounts "
        "are scored one by one."
    )


@words("seg.groups")
def _(entities: int, units: int) -> str:
    return (
        f"Accounts are scored as groups: {entities:,} entities roll "
        f"up into {units:,} groups and single accounts."
    )


@words("seg.no_cost")
def _() -> str:
    return (
        "No cost of goods in the revenue data: gross profit and margin are not "
        "available; the financial score uses revenue and potential only."
    )


@words("seg.no_growth")
def _(comparison: Comparison, wallet: bool) -> str:
    return (
        f"Growth is not available: {comparison_reason(comparison)}. Deliver the earlier "
        "revenue to measure it" + ("; potential uses the wallet estimates only." if wallet else ".")
    )


@words("seg.potential_from_growth")
def _() -> str:
    return (
        "No wallet estimates: potential is one more year at each customer's current "
        "growth (revenue x growth)."
    )


@words("seg.no_potential")
def _() -> str:
    return (
        "Potential is not available (no wallet estimates and no full prior year): "
        "tiers are drawn on revenue alone and there is no development track."
    )


@words("seg.no_ratings")
def _(dimension: str) -> str:
    return (
        f"No {dimension} ratings: the {dimension} dimension is not scored; weights are "
        "re-normalised over the dimensions present."
    )


@words("seg.part_year")
def _(covered: int, months: int) -> str:
    return (
        f"The revenue data covers only {covered} of the last {months} "
        f"months: revenue and gross profit are for those months, not a full year; the "
        "line sweep annualises them before setting them against the model's annual cost."
    )


@words("seg.assumed_margin")
def _(margin: float) -> str:
    return (
        f"Gross profit in the line sweep is estimated at an assumed gross margin of "
        f"{fmt.pct(margin)}, not measured: the cost of goods would replace the estimate."
    )


@words("seg.line_as_threshold")
def _(min_revenue: float) -> str:
    return (
        "Candidates are the accounts above the recommended line: revenue of at least "
        f"{fmt.money(min_revenue)} a year."
    )


@words("seg.no_threshold_no_line")
def _() -> str:
    return (
        "No line is recommended, so the rules make no customer a key account; the "
        "consultants' overrides still apply. A revenue threshold agreed with the client "
        "would draw a line regardless."
    )


@words("seg.lost_excluded")
def _(customers: int) -> str:
    return (
        f"{fmt.plural(customers, 'customer')} the churn table records as lost (and that "
        "bought nothing since) cannot be key accounts; overrides still apply."
    )


@words("seg.overrides_not_applied")
def _() -> str:
    return "Overrides name single accounts; with group roll-up they are not applied."


# --- step 4: account plans (relationship gaps, churn signals, the return's lines) ---------


@words("gap.no_senior")
def _() -> str:
    return "no senior contact on record"


@words("gap.stale_senior")
def _(days: int) -> str:
    return f"senior contact not met for {days} days"


@words("gap.no_supporter")
def _() -> str:
    return "no supporter"


@words("gap.detractors")
def _(count: int) -> str:
    return f"{count} influential detractor" + ("s" if count != 1 else "")


@words("risk.revenue_down")
def _(change: float) -> str:  # one decimal, as the plan's and the review's growth reads
    return f"revenue {fmt.pct(change, 1, signed=True)} on the prior 12 months"


@words("risk.margin_down")
def _(points: float) -> str:
    return f"gross margin down {points:.1f} points"


@words("risk.nps_down")
def _(points: float) -> str:
    return f"NPS down {points:.0f} points"


@words("risk.stale_senior")
def _() -> str:
    return "no recent senior contact"


@words("how.cost_to_serve")
def _(known: bool) -> str:
    if known:
        return "each activity of the last 12 months at its unit cost"
    return "needs cost-to-serve activities, which the data does not hold"


@words("how.change")
def _(priced: bool, waits: bool = False) -> str:
    if priced and waits:
        return (
            "what it costs above its segment's package for an account of its size, saved once "
            "the service model's rework of the package is done: not counted in the first year"
        )
    if priced:
        return (
            "the saving on the elements the package includes, against its segment's cost for an "
            "account of its size; services it bills separately or does not offer are not counted "
            "here"
        )
    return "no package cost: the service model could not price the package"


@words("how.with_package")
def _() -> str:
    return "today's cost-to-serve with that change"


@words("how.investment")
def _() -> str:
    return "the account manager's figure, in the plan inputs"


@words("how.extra_revenue")
def _() -> str:
    return "the 12-month target less today's revenue"


@words("how.extra_gross_profit")
def _(margin: float | None, price: float | None = None, rest: bool = True) -> str:
    if price and not rest:
        return f"the price rise in full ({fmt.money(price)})"
    if price:
        return f"the price rise in full ({fmt.money(price)}), the rest at the gross margin" + (
            f" of {fmt.pct(margin, 1)}" if margin is not None else ""
        )
    if margin is not None:
        return f"the extra revenue at the account's gross margin of {fmt.pct(margin, 1)}"
    return "needs the gross margin: cost of goods is not in the data"


@words("how.net_return")
def _(priced: bool, waits: bool = False) -> str:
    if priced and waits:
        return (
            "the extra gross profit less the investment; the package change waits for the "
            "rework and is not counted"
        )
    return "the extra gross profit less the change in cost-to-serve and the investment" + (
        "" if priced else "; no package change counted"
    )


@words("how.return")
def _() -> str:
    return "the net return for each unit of extra investment"


#: The plan's parts, as the plan titles them.
#: The title of each field the account manager writes, as the plan shows it.
FIELD_TITLES = {
    "challenges": "Key challenges",
    "ongoing_projects": "Ongoing projects",
    "strengths": "Strengths",
    "weaknesses": "Weaknesses",
    "opportunities": "Opportunities",
    "threats": "Threats",
    "required_actions": "Required actions",
    "desired_solution": "The customer's desired solution",
    "client_value": "Value for the client",
    "investment": "Planned investment",
    "action_plan": "Agreed actions",
    "deal_preparation": "Deal preparation",
    "risk_mitigation": "Mitigation",
    "investment_amount": "Investment amount",
    "contacts": "The customer's contacts",
}

PART_TITLES = {
    "baselines": "Customer and market baselines",
    "relationship": "Current relationship",
    "growth": "Growth opportunities and targets",
    "actions_solution": "Required actions and desired solution",
    "client_value": "Value of the solution for the client",
    "investment": "Investment and cost-to-serve",
    "action_plan": "Action plan and deal preparation",
    "swot": "SWOT",
    "risks": "Risks and mitigation",
}


@words("plan.no_history")
def _(comparison: Comparison) -> str:
    return (
        f"No revenue growth or trend: {comparison_reason(comparison)}. The plans show no "
        "growth figure, and revenue and margin trends raise no risk signal."
    )


@words("plan.no_products")
def _() -> str:
    return "No product column in the revenue table: product mix and whitespace cannot be shown."


@words("plan.no_opportunities")
def _() -> str:
    return "No opportunities table: the open pipeline cannot be shown."


@words("plan.part_year")
def _(covered: int, months: int) -> str:
    return (
        f"The data holds only {covered} of the last {months} months: revenue is for those "
        "months; targets, share of wallet and headroom start from it annualised."
    )


@words("plan.no_contacts")
def _() -> str:
    return "No contacts table: the stakeholder map is left to complete."


# --- step 5: KPI review -------------------------------------------------------------------

#: The scorecard's KPIs as the review names them: the glossary's labels (keys: the
#: method's columns), so a KPI reads the same on the page, in the workbook and the deck.
KPI_LABELS = {c: GLOSSARY[c].label for c, _, _ in SCORECARD}


@words("warn.health_down")
def _(points: float, health: float) -> str:
    return f"health down {points:.0f} points to {health:.0f}"


@words("warn.revenue_down")
def _(growth: float) -> str:
    return f"revenue {fmt.pct(growth, 1, signed=True)} on the prior 12 months"


@words("warn.nps_down")
def _(points: float) -> str:
    return f"NPS down {points:.0f} points"


@words("warn.loss")
def _(amount: float, margin: float) -> str:
    return f"loses {fmt.money(amount)} a year after cost-to-serve (net margin {fmt.pct(margin, 1)})"


@words("warn.no_senior")
def _() -> str:
    return "no senior contact on record"


@words("warn.stale_senior")
def _(days: int) -> str:
    return f"no senior contact for {days} days"


@words("kr.cohorts")
def _(today_for_some: bool) -> str:
    return (
        "Key accounts of each period are the accounts the segmentation's rules made key "
        "12 months before its end: an account that stopped buying counts against "
        "retention."
        + (
            " Where the data does not reach back that far, surveys and opportunities are "
            "counted for today's key accounts."
            if today_for_some
            else ""
        )
    )


@words("kr.late_start")
def _(first: pd.Timestamp, start: pd.Timestamp, period: str) -> str:
    return (
        f"The revenue data starts in {first:%B %Y}: the review starts at "
        f"{fmt.day_long(start)}, the first period end with a whole {period} of data."
    )


@words("kr.no_whole_period")
def _(period: str) -> str:
    return f"The revenue data does not cover a whole {period} yet."


@words("kr.annual_unmeasured")
def _(first: pd.Timestamp | None, since: pd.Timestamp | None) -> str:
    start = f"{first:%B %Y}" if first is not None else "nowhere"
    return (
        "Retention, revenue growth and annual contract value growth compare 12 months with "
        f"the 12 months a year earlier and need 24 months of revenue behind a period end: the data "
        f"starts in {start}, so they are not available "
        + (
            f"before {fmt.day_long(since)}."
            if since is not None
            else "for any period end of this review."
        )
    )


@words("kr.no_surveys")
def _() -> str:
    return "No surveys: NPS and CSAT are not available."


@words("kr.no_opportunities")
def _() -> str:
    return "No opportunities table: opportunities identified and won are not available."


@words("kr.no_wallet")
def _() -> str:
    return "No wallet estimates: share of wallet is not available."


@words("kr.no_start")
def _() -> str:
    return (
        "The programme's start date is not set: there is no baseline, so the KPIs are "
        "shown without targets or status."
    )


@words("kr.starts_later")
def _(start: pd.Timestamp, last: pd.Timestamp) -> str:
    return (
        f"The programme starts on {fmt.day_long(start)}, after the last "
        f"complete period ({fmt.day_long(last)}): its effect cannot be measured yet. "
        "The KPIs below are the starting point, without targets or status."
    )


@words("kr.started_before_data")
def _(start: pd.Timestamp, first: pd.Timestamp) -> str:
    return (
        f"The programme started on {fmt.day_long(start)}, before the data "
        f"begins ({first:%B %Y}): there is no baseline before it, so its effect "
        "cannot be measured and the KPIs are shown without targets or status."
    )


@words("kr.too_few")
def _(min_accounts: int) -> str:
    return (
        f"KPIs measured on fewer than {min_accounts} key accounts (or respondents) "
        "are shown without a status: too few to tell the programme's effect from chance."
    )


@words("kr.no_baseline_for")
def _(at: pd.Timestamp, kpis: list[str]) -> str:
    return (
        f"No baseline at {fmt.day_long(at)} for: {', '.join(KPI_LABELS[k] for k in kpis)} (the "
        "data does not reach back far enough); they are shown without target or status."
    )


@words("kr.nps_jump")
def _(
    period: str,
    before: float,
    after: float,
    respondents: tuple[int, int],
    margin: float,
    beyond_sampling: bool,
    **when: object,
) -> str:
    move = fmt.signed(after - before)
    n = " and ".join(fmt.count(x) for x in respondents)
    what = (
        f"more than sampling explains at {n} respondents (at most ±{margin:.0f} points)"
        if beyond_sampling
        else f"within what sampling alone can move at {n} respondents (±{margin:.0f} points)"
    )
    return (
        f"The key accounts' NPS moved {move} points in one {period}, from {fmt.signed(before)} "
        f"on {fmt.day(when['from'])} to {fmt.signed(after)} on {fmt.day(when['to'])}: {what}. "
        "Check that the survey and who answered it stayed the same before crediting the "
        "programme with it."
    )


@words("kr.not_measured")
def _(kpis: list[str]) -> str:
    return "Not measured, so not on the scorecard: " + ", ".join(KPI_LABELS[k] for k in kpis) + "."


# --- step 2: service model ----------------------------------------------------------------


@words("sm.no_ratings")
def _(costs_shown: bool) -> str:
    return (
        "No service ratings table: the importance matrix, the gap analysis and the "
        "packages need key-account interviews."
        + (" What serving each element costs today is shown instead." if costs_shown else "")
    )


@words("sm.no_activities")
def _() -> str:
    return "No activities table: package costs need cost-to-serve activities and their unit costs."


@words("sm.unknown_elements")
def _(elements: list[str]) -> str:
    return (
        f"Ratings of service elements outside the agreed list are left out: {', '.join(elements)}."
    )


@words("sm.old_ratings")
def _(latest: object, months: int) -> str:
    return (
        f"The latest interview is from {pd.Timestamp(latest):%B %Y}, {months} months before "
        "the data date: what the key accounts value may have moved since. Refresh the "
        "interviews before the packages are promised."
    )


@words("sm.no_satisfaction")
def _() -> str:
    return "The ratings carry no satisfaction scores: the gap analysis is skipped."


@words("sm.no_key_ratings")
def _() -> str:
    return (
        "No key account rated the service elements: the packages need ratings from "
        "key accounts, so none is proposed; the matrices show what the other "
        "accounts value."
    )


# --- step 3: profitability ----------------------------------------------------------------


@words("pf.no_activities")
def _() -> str:
    return (
        "No cost-to-serve activities (activities table with unit costs): cost-to-serve "
        "and net contribution are not available. Deliver activities and unit costs to "
        "see what each account earns after serving it."
    )


@words("pf.no_list_amounts")
def _() -> str:
    return (
        "No list amounts in the revenue data: discounts and the price level are not "
        "available; the price waterfall starts at net revenue."
    )


@words("pf.no_cost")
def _() -> str:
    return (
        "No cost of goods in the revenue data: gross profit, net contribution and "
        "margins are not available; the price waterfall stops at net revenue."
    )
