"""The rules a report states, written from the settings and constants that apply them.

A notebook that said "included from 3.5" while the engagement's config includes from 3.0
would describe a rule that was not applied. Every sentence that names a threshold, a
share or a weight comes from here instead: ``kam.md(rules_text(cfg, "packages"))``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core import fmt
from ..core.config import Config
from ..method.profitability import COST_FACTORS
from ..method.segmentation import LOYALTY_AT, PRICE_AT
from ..method.service_model import GAP, IMPORTANT_AT, UNIMPORTANT_AT

_WORDS = {0.25: "a quarter", 0.5: "half", 0.75: "three quarters"}


def share_words(x: float) -> str:
    """``0.5`` -> ``half``; other shares as a percentage.

    Examples
    --------
    >>> share_words(0.5), share_words(0.6)
    ('half', '60 %')
    """
    return _WORDS.get(round(float(x), 6), fmt.pct(x))


def rating(x: float) -> str:
    """A point on the 1–5 scale as the reports write it: ``3.5``, ``4.0``."""
    return f"{float(x):.1f}"


def listing(items: list[str]) -> str:
    """Items as a sentence lists them: ``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _gaps(cfg: Config) -> str:
    gap = "half a point" if GAP == 0.5 else f"{GAP:g} points"
    return (
        f"A gap of {gap} or more on the 1–5 scale counts; important means a mean importance "
        f"of at least {rating(IMPORTANT_AT)}, unimportant at most {rating(UNIMPORTANT_AT)}."
    )


def _packages(cfg: Config) -> str:
    inc = cfg.method.service_model.include_at
    chg = cfg.method.service_model.charge_at
    always = list(cfg.method.service_model.loyalty_always or [])
    given = f"always get {listing(always)}, and " if always else "get "
    return (
        "For each key-account segment, every element is **included**, **charged separately** "
        f"or **not offered**. The rules: loyalty-oriented segments {given}every element "
        f"they rate {rating(inc['loyalty'])} or higher; elements they rate from "
        f"{rating(chg['loyalty'])} are offered at a charge. Price-oriented segments get a "
        f"lean standard package: included from {rating(inc['price'])}, charged from "
        f"{rating(chg['price'])}, not offered below. A higher tier never gets less than a "
        "lower tier of the same buyer orientation: what Tier 3 includes, Tier 1 and 2 "
        "include too. Decisions on single cells come last. This is the table for the sales "
        "force: what to promise, what to charge, what not to offer."
    )


def _package_cost(cfg: Config) -> str:
    share = cfg.method.service_model.affordable_share
    return (
        f"A package that costs more than {share_words(share)} of the gross profit is flagged: "
        "that segment cannot afford it as designed."
    )


def _kpi_status(cfg: Config) -> str:
    amber = cfg.method.kpi_review.amber
    return (
        f"**Green**: target met; **amber**: at least {share_words(amber)} of the targeted gain; "
        "**red**: less."
    )


def _points(x: float) -> str:
    """Points of a share: ``0.05 -> '+5 points'``."""
    return f"+{x * 100:g} points"


def _kpi_targets(cfg: Config) -> str:
    from ..method.kpi_review import REFERENCE_CASE, REFERENCE_REPORTED

    k = cfg.method.kpi_review
    t = k.targets

    def span(key: str) -> str:
        lo, hi = REFERENCE_CASE[key]
        return f"{fmt.pct(lo, signed=True)[:-2]} to {fmt.pct(hi, signed=True)}"

    said = REFERENCE_REPORTED
    return (
        "**Targets set for the programme**, each against the baseline: retention (logo, gross "
        f"and net revenue) {_points(t['retention'])} (logo and gross retention at most half "
        "of the way to 100 %); key-account revenue and contract-value "
        f"growth of {fmt.pct(t['revenue_growth'])} a year; share of wallet "
        f"{_points(t['share_of_wallet'])}; NPS +{t['nps']:g} points; CSAT "
        f"{fmt.pct(t['satisfaction'], signed=True)}; opportunities won "
        f"{fmt.pct(t['opportunities'], signed=True)} on the average {k.period} of the year "
        "before the programme. For scale, a published case of a key account programme at a "
        "European telecom (Flevy Management Insights) aimed in its first year at retention "
        f"{span('retention')}, customer "
        f"satisfaction {span('satisfaction')} and key-account revenue {span('revenue_growth')}, "
        f"and reported retention {fmt.pct(said['retention'], signed=True)} and key-account "
        f"revenue {fmt.pct(said['revenue_growth'], signed=True)}."
    )


def _orientation(cfg: Config) -> str:
    return (
        f"Otherwise: attitude ratings averaging {rating(LOYALTY_AT)} or more mean loyalty, "
        f"{rating(PRICE_AT)} or less mean price; without ratings, a discount deeper than the "
        "median of the invoiced base means price, a shallower one loyalty."
    )


def _cost_sensitivity(cfg: Config) -> str:
    shifts = sorted({round(abs(f - 1) * 100) for f in COST_FACTORS if f != 1})
    said = " or ".join(f"{s} %" for s in shifts)
    return f"The key figures when every unit cost is {said} lower or higher:"


def _health(cfg: Config) -> str:
    from ..method.health import LOSS_RISK, LOSS_WATCH

    weights = cfg.method.health.weights
    n = sum(1 for w in weights.values() if w)
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
    return (
        f"A health score (0–100) for every key account, from {words.get(n, str(n))} "
        f"component{'s' if n != 1 else ''} with the weights below; a component without data "
        "is left out and the other weights re-normalised."
        + (
            f" A loss after cost-to-serve caps it: more than {fmt.pct(LOSS_WATCH)} of revenue "
            f"is never healthy (at most {fmt.count(cfg.method.health.watch_below - 1)}), "
            f"{fmt.pct(LOSS_RISK)} or more is at risk (at most "
            f"{fmt.count(cfg.method.health.risk_below - 1)})."
            if weights.get("profitability")
            else ""
        )
    )


def _top(share: float) -> str:
    """A percentile floor as the share of customers above it: 0.97 -> "top 3 %"."""
    return f"top {fmt.pct(1 - share)}"


def _tiers(cfg: Config) -> str:
    s = cfg.method.segmentation
    t = s.tiers

    def rule(key: str) -> str:
        revenue, potential = t[key]
        return f"revenue in the {_top(revenue)} and potential in the {_top(potential)}"

    return (
        f"Among the candidates with a compatibility of at least {s.min_score:g}, Tier 1 "
        f"takes {rule('tier_1')} of customers, Tier 2 {rule('tier_2')}, Tier 3 "
        f"{rule('tier_3')}. The development track holds the other customers with "
        f"{rule('development')}; the other customers in the {_top(t['core'])} by revenue "
        "are core, the rest transactional. Each key account's segment crosses its tier "
        "with its buyer orientation, because the service it needs differs by both."
    )


def _price_path(cfg: Config) -> str:
    p = cfg.method.profitability
    return (
        f"A price path raises the net price by at most {fmt.pct(p.price_step)} a year, for "
        f"at most {fmt.plural(p.price_steps, 'year')}; a gap that needs more is not put to "
        "the customer as a price increase: renegotiate the terms, or exit."
    )


TOPICS: dict[str, Callable[[Config], str]] = {
    "kpi_targets": _kpi_targets,
    "price_path": _price_path,
    "tiers": _tiers,
    "gaps": _gaps,
    "packages": _packages,
    "package_cost": _package_cost,
    "kpi_status": _kpi_status,
    "orientation": _orientation,
    "cost_sensitivity": _cost_sensitivity,
    "health": _health,
}


def rules_text(cfg: Config, topic: str) -> str:
    """The sentence(s) stating the rules of ``topic`` (one of :data:`TOPICS`) as the
    engagement's settings apply them, as Markdown."""
    if topic not in TOPICS:
        raise KeyError(f"no rules text '{topic}'; known: {', '.join(TOPICS)}")
    return TOPICS[topic](cfg)
