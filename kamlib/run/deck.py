"""The steering-committee deck: the engagement's story as an editable PowerPoint.

One slide per question the committee asks, in the order of the method: title, executive
summary, data basis, segmentation (Pareto, the line, the list by tier), service model
(importance, packages, what they cost), profitability (waterfall, whale curve, accounts
to fix), account plans (the portfolio and the top accounts), KPI review (scorecard,
early warnings), decisions and next steps, and an appendix (definitions, method notes).

Every figure comes from the same step results and the same report functions as the
reports (their decision pages, views and words), so deck and reports never disagree.
Charts are native (their data travels with them); the importance heatmap has no native
equivalent and is a sharp picture with its data in the speaker notes. Every slide's
notes say where its figures come from and what they rest on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import fmt
from ..render import slides as S
from ..report.decision import Decision
from ..report.rules import listing
from ..report.words import say, say_all

DECK_NAME = "steering-committee.pptx"
#: The scorecard's statuses, coloured as in the reports (the word stays)
STATUS_FILLS = {"green": "D1FAE5", "amber": "FEF3C7", "red": "FEE2E2"}
OTHER = "#E69F00"  # a second series, as the reports' charts
LOSS = "#D55E00"


@dataclass
class Story:
    """Every step's result for the deck, computed once."""

    engagement: Any
    review: dict
    seg: Any
    model: Any
    prof: Any
    book: Any
    kpi: Any
    decisions: dict[str, Decision] = field(default_factory=dict)

    @property
    def config(self) -> Any:
        return self.engagement.config


def gather(engagement: Any) -> Story:
    """Run the steps in process (as the notebooks do) and write their decisions."""
    from ..intake import checks
    from ..method import kpi_review as kr
    from ..method import plan_book, review
    from ..method import profitability as pf
    from ..method import segmentation as sg
    from ..method import service_model as sm
    from ..report import kpi_review as krv
    from ..report import profitability as pfv
    from ..report import review as rv
    from ..report import segmentation as sgv
    from ..report import service_model as smv

    cfg, pack = engagement.config, engagement.pack
    months = cfg.method.trailing_months
    findings = pack.findings + checks.analysis_findings(
        pack, cfg.as_of, months, cfg.method.data_review.outlier_change,
        cfg.method.data_review.examples,
    )  # fmt: skip
    head = review.headline(pack, findings, cfg.as_of, months)
    ready = rv.readiness(pack, cfg.as_of)
    seg = sg.segment(engagement)
    model = sm.analyse(engagement, seg)
    prof = pf.analyse(engagement, seg, model)
    kpi = kr.analyse(engagement, seg)
    book = plan_book.open_book(engagement) if int(seg.accounts["key"].sum()) else None
    s, h, c = cfg.method.service_model, cfg.method.health, cfg.currency
    decisions = {
        "data": rv.decision(head, findings, ready, cfg.as_of, c),
        "segmentation": sgv.decision(
            seg, cfg.method.segmentation.min_score, c,
            cfg.method.segmentation.tiers["tier_3"], cfg.running_since,
        ),
        "service": smv.decision(model, c, s.loyalty_always, s.affordable_share),
        "profitability": pfv.decision(prof, c, cfg.running_since),
        "kpi": krv.decision(kpi, c, h.watch_below, h.risk_below),
    }  # fmt: skip
    overview = rv.in_words(review.table_overview(pack))
    data = {"head": head, "findings": findings, "ready": ready, "overview": overview}
    return Story(engagement, data, seg, model, prof, book, kpi, decisions)


class Deck:
    """Slides on the template's layouts, each with a title and speaker notes."""

    def __init__(self, story: Story, template: str | Path | None = None) -> None:
        cfg = story.config
        self.story = story
        self.colour = cfg.brand.primary_colour
        self.source = str(template) if template else "the built-in design"
        self.prs = S.open_template(template, self.colour)
        self.layouts = S.find_layouts(self.prs, self.source)
        self.currency = cfg.currency
        self.as_of = cfg.as_of
        self.titles: list[str] = []

    def slide(self, kind: str, title: str, source: str, caveats: Sequence[str] = ()) -> Any:
        """A new slide of layout ``kind`` with its title and notes: the source (report,
        section, data date) and the caveats the report shows beside the figures."""
        sl = self.prs.slides.add_slide(self.layouts[kind])
        S.set_title(sl, title)
        self.titles.append(S.action_title(title))  # as the slide shows it
        for file, name in REPORTS.items():  # the report's name, as the client knows it
            source = source.replace(file, name)
        lines = [f"Source: {source}. Data as of {fmt.day_long(self.as_of)}."]
        lines += [f"Caveat: {S.plain(c)}" for c in caveats if c]
        S.notes(sl, "\n".join(lines))
        return sl

    def money_format(self, values: Sequence[float]) -> str:
        """One Office number format for a chart's amounts, in the unit the reports use."""
        scale = fmt.money_scale(values)
        return S.number_format(fmt.symbol(self.currency), scale, 1 if scale == "M" else 0)

    def axis_format(self, values: Sequence[float]) -> str:
        """An axis's ticks: whole units ("€20 M"), in the unit of the chart's labels."""
        return S.number_format(fmt.symbol(self.currency), fmt.money_scale(values), 0)


def _first_sentence(text: str) -> str:
    text = S.plain(text).strip()
    for end in (". ", ": "):
        if end in text:
            return text.split(end, 1)[0].rstrip(".") + "."
    return text


def _tiles_text(d: Decision) -> list[str]:
    """A decision's tiles as lines: ``'**219** key accounts (15 % of 1,500 customers)'``;
    a count of one in the singular (``'**1** key account manager'``)."""
    out = []
    for label, value, note in d.tiles:
        label = label.lower()
        if str(value).strip() == "1" and label.endswith("s"):
            label = label[:-1]
        out.append(f"**{value}** {label} ({note})" if note else f"**{value}** {label}")
    return out


def section(deck: Deck, title: str) -> None:
    sl = deck.prs.slides.add_slide(deck.layouts["section"])
    sl.shapes.title.text = title
    deck.titles.append(title)
    S.clear_placeholders(sl)
    S.notes(
        sl,
        f"Source: the step reports. Data as of {fmt.day_long(deck.story.config.as_of)}. The "
        "appendix holds what each step found, the data basis, the packages, the largest "
        "accounts' plans, definitions and method notes.",
    )


def title_slide(deck: Deck) -> None:
    cfg = deck.story.config
    sl = deck.prs.slides.add_slide(deck.layouts["title"])
    sl.shapes.title.text = cfg.engagement
    deck.titles.append(cfg.engagement)
    sub = [ph for ph in sl.placeholders if ph.placeholder_format.idx == 1]
    lines = [cfg.client, f"Steering committee · data as of {fmt.day_long(cfg.as_of)}",
             "Confidential"]  # fmt: skip
    if sub:
        tf = sub[0].text_frame
        for i, line in enumerate(lines):
            para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            para.text = line
    from pptx.enum.text import PP_ALIGN

    for ph in sl.placeholders:  # the cover reads from the left, as the reports' covers
        for para in ph.text_frame.paragraphs:
            para.alignment = PP_ALIGN.LEFT
    if deck.source == "the built-in design" and sub:  # a firm's template keeps its own cover
        _cover_style(sl, sub[0], deck.colour)
    S.notes(sl, f"Source: the engagement's step reports. Data as of {fmt.day_long(cfg.as_of)}.")


def _cover_style(sl: Any, sub: Any, colour: str) -> None:
    """The built-in cover: the engagement large in the brand colour, the client, the
    meeting and the confidentiality beneath it, all from the same left edge."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    title = sl.shapes.title
    top, height = title.top + title.height + 182_880, 1_371_600  # under the title, 1.5 in
    sub.left, sub.top, sub.width, sub.height = title.left, top, title.width, height
    for r in title.text_frame.paragraphs[0].runs:
        r.font.size, r.font.bold = Pt(36), True
        r.font.color.rgb = RGBColor.from_string(colour.lstrip("#").upper())
    for i, para in enumerate(sub.text_frame.paragraphs):
        for r in para.runs:
            r.font.size = Pt(22 if i == 0 else 16)
            r.font.color.rgb = RGBColor.from_string("1F2937" if i == 0 else S.GREY)


#: The reports the notes point to, by the names on their covers
REPORTS = {
    "00_data_review.pdf": "the data review report",
    "01_segmentation.pdf": "the key account segmentation report",
    "02_service_model.pdf": "the service model report",
    "03_profitability.pdf": "the account profitability report",
    "05_kpi_review.pdf": "the KPI review report",
    "plans/index.pdf": "the account plans' index",
}

STEPS = (
    ("data", "Data review", "00_data_review.pdf"),
    ("segmentation", "Key accounts", "01_segmentation.pdf"),
    ("service", "Service model", "02_service_model.pdf"),
    ("profitability", "Profitability", "03_profitability.pdf"),
    ("kpi", "Programme KPIs", "05_kpi_review.pdf"),
)


def value_case(deck: Deck) -> dict | None:
    """The programme's business case as the plans index states it, added as printed:
    the plans' growth in gross profit, the package savings and the price paths, against
    what the key-account model costs a year."""
    from ..method.plan_book import portfolio
    from ..method.profitability import headline
    from ..report.plan import case_figures

    book = deck.story.book
    if book is None:
        return None
    v = case_figures(portfolio(book))
    if v is None or pd.isna(v["savings"]):
        return None
    # the package savings that wait for a package to be reworked, and the firm rest
    later = fmt.rounded(headline(deck.story.prof)["saving_later"])
    return {**v, "later": later, "firm": v["savings"] - later}


def _firm(v: dict, c: str) -> str:
    """The firm part, in the unit of the total it is part of."""
    return fmt.money(v["firm"], c, scale=fmt.money_scale([v["total"], v["firm"]]))


def _firm_words(v: dict, c: str, ready: str = "ready now") -> str:
    """How much of the value case is firm: package savings from packages ready to adopt;
    the rest waits for reworked packages, accepted prices and plans that land."""
    return (
        f"{_firm(v, c)} of it is {ready} (package savings of packages the client can adopt "
        "without a rework); the rest needs reworked packages, price paths the customers "
        "accept and plans that reach their targets"
    )


def _ready(deck: Deck) -> str:
    """When the packages that need no rework can be adopted: now, or once the interviews
    they rest on are refreshed (the service model's own condition)."""
    m = deck.story.model
    old = any(x.code == "sm.old_ratings" for x in getattr(m, "notes", []))
    costs = getattr(m, "costs", None)
    uncosted = (
        costs is not None and "not_costed" in costs and any(len(u) for u in costs["not_costed"])
    )
    when = [w for w, on in (("the interviews are refreshed", old),
                            ("the uncosted elements are costed", uncosted)) if on]  # fmt: skip
    return f"ready once {' and '.join(when)}" if when else "ready now"


def _running_since(deck: Deck) -> str:
    """A programme already running says so first: the review measures its first period."""
    cfg = deck.story.config
    start = cfg.method.programme_start
    if start is None or pd.Timestamp(start) > pd.Timestamp(cfg.as_of):
        return ""
    return f"The programme has run since {fmt.day_long(start)}; this analysis sets its next phase"


def _own(deck: Deck) -> str:
    """The client's own, by name: ``"Demo Telecom Europe's own"`` (the deck is shown to it)."""
    return f"{deck.story.config.client}'s own"


def _per_key(deck: Deck, v: dict) -> float:
    """The model's cost per key account, unrounded (the value case's total is rounded)."""
    n = int(deck.story.seg.accounts["key"].sum())
    cost = deck.story.prof.programme_cost
    return (cost if pd.notna(cost) and cost > 0 else v["cost"]) / n if n else float("nan")


def _assumed(deck: Deck, v: dict) -> str:
    """The model's cost is the segmentation's planning assumption: said beside it."""
    per = fmt.money(_per_key(deck, v), deck.currency)
    return (
        f" (the cost is a planning assumption, {per} per key account, until {_own(deck)} "
        "figures replace it)"
    )


def answer_slide(deck: Deck) -> None:
    """The answer first: the finding in one title, the numbers that carry it, and what
    the committee is asked to decide."""
    st, c = deck.story, deck.currency
    from ..method.segmentation import headline

    h = headline(st.seg)
    v = value_case(deck)
    n = int(h["key_accounts"] or 0)
    value = (
        f"their plans and fixes could bring {fmt.money(v['total'], c)} a year of the "
        f"{fmt.money(v['cost'], c)} the model costs"
        if v
        else "the programme's cost cannot be set against them yet"
    )
    title = (
        f"{fmt.plural(n, 'key account')} {'brings' if n == 1 else 'bring'} "
        f"{fmt.pct(h['revenue_share'])} of revenue; {value}"
        if n
        else S.plain(st.decisions["segmentation"].headline)
    )
    ph = phase_one(deck)
    if ph and v:
        title = (
            f"Run the key-account model on {fmt.plural(ph['cover'], 'account')} for 12 months "
            f"({fmt.money(ph['budget'], c)}); decide the other {fmt.count(ph['rest'])} once "
            "its real costs are known"
        )
        if v["cost"] > ph["key_earns"]:  # the full model costs more than they all earn
            title = (
                f"The full model costs {fmt.money(v['cost'], c)}, more than key accounts earn "
                f"({fmt.money(ph['key_earns'], c)}); run it on the {fmt.count(ph['cover'])} that "
                f"earn {fmt.money(ph['earn'], c)}, for 12 months"
            )
    sl = deck.slide("two", title, "the decision page of each step report")
    left, right = S.body_boxes(sl)
    found = _findings(deck, ph, v)
    S.text_box(sl, left, ["**What we found**", *found], size=13)
    S.text_box(sl, right, ["**What we ask the committee to decide**",
                           *[f"{i}. {d}" for i, d in enumerate(brief(deck), 1)]],
               size=13)  # fmt: skip


def _findings(deck: Deck, ph: dict | None, v: dict | None) -> list[str]:
    """The answer page's findings, a line each: the list, phase 1, the packages, the
    losses, the fixes and the KPIs."""
    st, c = deck.story, deck.currency
    found = [
        S.action_title(st.decisions[k].headline, 110)
        for k in ("segmentation", "service", "profitability", "kpi")
        if k in st.decisions
    ]
    from ..report import kpi_review as krv

    card = _scorecard_title(st.kpi, krv.shared_gains(st.kpi), krv.to_check(st.kpi))
    if card and "kpi" in st.decisions:
        found[-1] = card[:1].upper() + card[1:]
    keys = [k for k in ("segmentation", "service", "profitability", "kpi") if k in st.decisions]
    m, p = st.model, st.prof
    if "service" in keys and m.costs is not None and len(m.costs):
        bad = int((m.costs["affordable"] == False).sum())  # noqa: E712
        found[keys.index("service")] = (
            f"{fmt.plural(len(m.costs), 'key-account segment')} get their own service package"
            + (f"; {fmt.count(bad)} of them must be reworked before it is offered" if bad else "")
        )
    if "profitability" in keys and p.earns and len(p.key):
        k = p.key["net_contribution"]
        found[keys.index("profitability")] = (
            f"{fmt.count(int((k < 0).sum()))} of {fmt.count(len(k))} key accounts lose money "
            f"after cost-to-serve, {fmt.money(-k[k < 0].sum(), c)} a year between them"
        )
    if ph:
        found.insert(1, (
            f"{fmt.count(ph['cover'])} of them each earn more after cost-to-serve than the "
            f"model's {fmt.money(ph['per'], c)} per account; it pays back only if they add "
            f"{fmt.money(ph['budget'], c)} a year"
            + (f" (their plans identify {fmt.money(ph['growth'], c)} of gross profit, before "
               "cost-to-serve, so far)" if pd.notna(ph["growth"]) else "")
        ))  # fmt: skip
    if v:
        found.insert(
            4 if ph else 3,
            f"The fixes bring up to {fmt.money(v['savings'] + v['prices'], c)} a year once "
            f"complete, whatever is decided on the model; {_firm(v, c)} of it is {_ready(deck)}",
        )
    since = _running_since(deck)
    if since:
        found.insert(0, since)
    return found


def value_slide(deck: Deck) -> None:
    """The business case in one chart: what the plans and fixes bring against the cost."""
    v = value_case(deck)
    if v is None:
        return
    from ..method.plan_book import portfolio
    from ..report.plan import portfolio_text

    c = deck.currency
    text = portfolio_text(portfolio(deck.story.book), c)
    source = "the account plans' index and the account profitability report"
    steps = int(deck.story.config.method.profitability.price_steps)
    ready = _ready(deck)
    ph = phase_one(deck)
    fixes = v["savings"] + v["prices"]
    title = (
        f"Once complete (up to {steps} years) the plans and fixes bring "
        f"{fmt.money(v['total'], c)} a year against the model's {fmt.money(v['cost'], c)}; "
        f"{_firm(v, c)} is {ready}"
    )
    if ph:  # the fixes apart; each scope of the model against what its plans target
        title = (
            f"The fixes bring up to {fmt.money(fixes, c)} a year whatever is decided; phase 1 "
            f"costs {fmt.money(ph['budget'], c)} a year"
            + (f" against {fmt.money(ph['growth'], c)} its plans identify"
               if pd.notna(ph["growth"]) else "")
        )  # fmt: skip
    firm = _firm_words(v, c, ready)
    notes = [firm[0].upper() + firm[1:], _phase_words(deck).strip()]
    if not ph:  # the plans' business case adds the fixes to growth: only where nothing is phased
        notes.insert(0, text)
    sl = deck.slide("content", title, source, notes)
    box = S.content_box(sl)
    cats, values, colours = _value_bars(deck, v, ph)
    chart_font = 10 if len(cats) > 6 else None  # every label shown, each on its own lines
    scale = fmt.money_scale(values)
    labels = [f"{k}\n{fmt.money(x, c, scale=scale)}" for k, x in zip(cats, values, strict=True)]
    box, under = box.split_below(0.8)
    chart = S.category_chart(sl, box, labels, {"a year": values}, [deck.colour], kind="bar",
                             value_format=deck.axis_format(values), legend=False)  # fmt: skip
    if chart_font:
        from pptx.util import Pt

        chart.category_axis.tick_labels.font.size = Pt(chart_font)
    S.text_box(sl, under, [
        f"A year once each is complete: price paths take up to {steps} years and reworked "
        "packages wait for the rework; growth is the gross profit (before cost-to-serve) of "
        f"the plans' 12-month targets{_confirmed_words(deck)}. The model's cost is "
        f"{fmt.money(_per_key(deck, v), deck.currency)} per key account, a planning "
        "assumption."
        + (" The fixes are not added to growth: they are decided apart from the model."
           if ph else "")
    ], size=11, colour=S.GREY)  # fmt: skip
    S.colour_points(chart, colours, default="#9CA3AF")


def _value_bars(deck: Deck, v: dict, ph: dict | None) -> tuple[list[str], list[float], dict]:
    """The value chart's bars, values and colours: the case added up; or, where phase 1
    exists, nothing added up (the fixes, then phase 1 and all key accounts, cost against
    growth)."""
    ready = _ready(deck)
    steps = int(deck.story.config.method.profitability.price_steps)
    cats = [f"package savings needing no rework ({ready})",
            "package savings once their packages are reworked",
            f"price paths, if customers accept them (up to {steps} years)",
            "growth the plans target (gross profit), if reached",
            "all of them", "what the key-account model costs (planning assumption)"]  # fmt: skip
    values = [v["firm"], v["later"], v["prices"], v["growth"], v["total"], v["cost"]]
    colours = {0: deck.colour, 4: deck.colour, 5: LOSS}
    if ph:  # not added up: fixes, then phase 1, then all key accounts, each cost vs growth
        n_all = int(deck.story.seg.accounts["key"].sum())
        cats = [f"fixes: package savings needing no rework ({ready})",
                "fixes: package savings once packages are reworked",
                f"fixes: price paths, if customers accept them (up to {steps} years)",
                f"phase 1 ({fmt.plural(ph['cover'], 'account')}): what the model costs",
                "phase 1: growth their plans target (gross profit)",
                f"all {fmt.count(n_all)} key accounts: what the model costs",
                "all key accounts: growth their plans target (gross profit)"]  # fmt: skip
        values = [v["firm"], v["later"], v["prices"], fmt.rounded(ph["budget"]),
                  fmt.rounded(ph["growth"]) if pd.notna(ph["growth"]) else 0.0,
                  v["cost"], v["growth"]]  # fmt: skip
        colours = {0: deck.colour, 3: LOSS, 4: deck.colour, 5: LOSS, 6: deck.colour}
    return cats, values, colours


def _confirmed_words(deck: Deck) -> str:
    """How many of the plans behind the growth their managers have confirmed."""
    from .plans import confirmed_in_full, plan_shares

    book = deck.story.book
    if book is None:
        return ""
    shares = plan_shares(book)
    done = confirmed_in_full(shares)
    return f", {fmt.count(done)} of {fmt.count(len(shares))} plans confirmed by their managers"


def _phase_words(deck: Deck) -> str:
    """Phase 1 beside the value case: its budget, what its accounts earn and what their
    own plans target; empty when there is no phase 1."""
    ph, c = phase_one(deck), deck.currency
    if not ph:
        return ""
    grows = (
        f"; their plans target {fmt.money(ph['growth'], c)} more gross profit a year"
        if pd.notna(ph["growth"])
        else ""
    )
    return (
        f" Phase 1, the {fmt.count(ph['cover'])} key accounts that can carry the model, costs "
        f"{fmt.money(ph['budget'], c)} a year and pays back only if they add as much net "
        f"contribution: they earn {fmt.money(ph['earn'], c)} after cost-to-serve today, with or "
        f"without it{grows}."
    )


def brief(deck: Deck) -> list[str]:
    """The decisions in a few words each, for the answer page (the decisions slide holds
    them in full): the first sentence of each, the figures' conditions after it dropped."""
    import re

    out = []
    for d in decisions(deck):
        plain = re.sub(r" \([^()]*\)", "", d).rstrip(".")  # the brackets' detail dropped
        said = ""
        for sentence in plain.split(". "):
            if said and len(said) + len(sentence) > 190:
                break
            said = f"{said}. {sentence}" if said else sentence
        out.append(said + ".")
    ph = phase_one(deck)
    if ph and out:  # the first decision: scope, budget and the stop rule
        c = deck.currency
        verb = "Refocus the programme on phase 1" if _running_since(deck) else "Approve phase 1"
        out[0] = (
            f"{verb} for 12 months: the {fmt.plural(ph['cover'], 'key account')} that each earn "
            f"more than the model's {fmt.money(ph['per'], c)}, up to "
            f"{fmt.money(ph['budget'], c)} a year; review after 12 months and stop unless they add "
            f"{fmt.money(ph['budget'], c)} a year of net contribution."
        )
    return out


def decisions(deck: Deck) -> list[str]:
    """What the committee is asked to decide, from the steps' results: the list, the
    model's budget, the fixes, the packages, the targets."""
    from ..method.segmentation import headline

    st, c, out = deck.story, deck.currency, []
    h = headline(st.seg)
    n = int(h["key_accounts"] or 0)
    v = value_case(deck)
    p = st.prof
    approve = (
        f"Approve the {fmt.plural(n, 'key account')} and the {S.plain(_managers(h))} to "
        f"serve {'it' if n == 1 else 'them'}"
    )
    ph = phase_one(deck)
    if ph:
        approve = _phase_ask(deck, ph)
    elif v and v["gap"] > 0 and n:
        approve += (
            f", with the model's budget set on {_own(deck)} costs (as costed, "
            f"{fmt.money(v['cost'], c)} a year, it is {fmt.money(v['gap'], c)} short)"
        )
    if n:
        out.append(approve + ".")
    if p.earns and len(p.actions):
        out.append(_fixes_ask(p, c, _ready(deck)))
    m = st.model
    if m.costs is not None and len(m.costs):
        bad = int((m.costs["affordable"] == False).sum())  # noqa: E712
        good = len(m.costs) - bad
        old = any(x.code == "sm.old_ratings" for x in m.notes)
        uncosted = (
            sorted({e for u in m.costs["not_costed"] for e in u}) if "not_costed" in m.costs else []
        )
        out.append(
            f"Adopt the service packages of the {fmt.plural(good, 'segment')} that can afford "
            "them"
            + (" once the interviews are refreshed" if old else "")
            + (f" and {listing(uncosted)} are costed" if uncosted else "")
            + (f"; rework the other {fmt.count(bad)}" if bad else "")
            + "."
        )
    if not getattr(st.kpi, "targets_agreed", False) and len(st.kpi.scorecard):
        c_ = st.kpi.scorecard
        past = int((c_["actual"] > c_["target"]).sum()) if "target" in c_ else 0
        out.append(
            "Agree the KPI targets for the next 12 months, set from today's level by the same "
            "rules"
            + (
                ", NPS once its survey is checked"
                if any(x.code == "kr.nps_jump" for x in st.kpi.notes)
                else ""
            )
            + (
                f" ({fmt.count(past)} KPIs already beat the targets proposed from the baseline)"
                if past
                else ""
            )
            + "; until then the scorecard's statuses are provisional."
        )
    return out


def _phase_ask(deck: Deck, ph: dict) -> str:
    """The committee's first decision where the model is short: phase 1, its budget, its
    managers and what it must add."""
    c = deck.currency
    verb = "Refocus the programme on phase 1" if _running_since(deck) else "Approve phase 1"
    grows = (
        f"; their plans identify {fmt.money(ph['growth'], c)} of gross profit (before "
        "cost-to-serve) so far"
        if pd.notna(ph["growth"])
        else ""
    )
    s = deck.story.config.method.segmentation
    people = ph["cover"] * s.manager_cost / ph["ratio"]
    split = (
        f" (about {fmt.pct(people / ph['budget'])} of it managers' time, new or redeployed)"
        if ph["budget"]
        else ""
    )
    return (
        f"{verb} for 12 months: the {fmt.plural(ph['cover'], 'key account')} that each earn "
        f"more than the model's {fmt.money(ph['per'], c)}, with a budget of up to "
        f"{fmt.money(ph['budget'], c)} a year{split}, confirmed on {_own(deck)} costs; "
        f"{fmt.plural(ph['mid_managers'], 'key account manager')}{_today(ph)}. It pays "
        f"back only if they add {fmt.money(ph['budget'], c)} a year of net contribution{grows}; "
        f"stop after 12 months if they do not. Decide the other {fmt.count(ph['rest'])} on "
        "phase 1's results"
    )


def _fix_totals(h: dict) -> tuple[float, float]:
    """What the fixes bring a year once complete, and the package savings of it that wait
    for a rework, each as printed (profitability's headline)."""
    fixes = fmt.rounded(h["saving_total"]) + fmt.rounded(h["price_total"])
    later = fmt.rounded(h["saving_later"]) if pd.notna(h.get("saving_later")) else 0.0
    return fixes, later


def _fixes_ask(p: Any, c: str, ready: str = "ready now") -> str:
    """The fixes for the flagged key accounts, a decision apart from the model's."""
    from ..method import profitability as pf

    exits = int(p.actions["better_action"].value_counts().get(pf.RENEGOTIATE, 0))
    h = pf.headline(p)
    fixes, later = _fix_totals(h)
    firm = fmt.rounded(h["saving_total"]) - later
    price = fmt.rounded(h["price_total"])
    unit = fmt.money_scale([fixes, firm, later, price])  # one unit in the sentence
    parts = [f"{fmt.money(firm, c, scale=unit)} {ready}"] if firm > 0 else []
    parts += [f"{fmt.money(later, c, scale=unit)} once packages are reworked"] if later > 0 else []
    parts += (
        [f"{fmt.money(price, c, scale=unit)} if customers accept the price paths and keep buying"]
        if price > 0
        else []
    )
    return (
        f"Approve the fixes for the {_flagged(p)}: packages, price paths"
        + (f", and {fmt.count(exits)} to renegotiate or exit" if exits else "")
        + (
            f". Up to {fmt.money(fixes, c)} a year once complete ({', '.join(parts)}), whatever "
            "is decided on the model"
            if fixes > 0
            else ""
        )
        + "."
    )


def phase_one(deck: Deck) -> dict | None:
    """Where the model as costed is short of what it brings: the key accounts that carry
    its cost on their own (their net contribution covers it), what they earn, what the
    rest earn, the first phase's budget and managers; None when there is nothing to phase.

    The managers follow the segmentation's accounts-per-manager rule (whole managers)."""
    import math

    from ..method.segmentation import covering

    st = deck.story
    v = value_case(deck)
    n = int(st.seg.accounts["key"].sum())
    if not v or v["gap"] <= 0 or not n:
        return None
    per = _per_key(deck, v)  # unrounded: the model's cost per account exactly
    cover = covering(st.seg.accounts, per)
    if not cover or cover >= n:
        return None
    lo, hi = (int(x) for x in st.config.method.segmentation.accounts_per_manager)
    earn, total = _covering_earns(st.seg.accounts, per), _key_earns(st.seg.accounts)
    from ..method.segmentation import key_net

    a = st.seg.accounts
    nc = key_net(a)
    first = a.loc[nc[nc >= per].index]  # phase 1's accounts
    growth = float("nan")
    book = getattr(st, "book", None)
    if book is not None and "account_id" in first:  # what their own plans target
        from ..method.plan_book import portfolio

        growth = portfolio(book, first["account_id"])["extra_gross_profit"]
    # who serves phase 1's accounts today, and how many customers they serve in all
    today = set(first["account_manager"].dropna()) if "account_manager" in first else set()
    served = int(a["account_manager"].isin(today).sum()) if today else 0
    return {
        "growth": growth, "today": len(today), "served": served,
        "keys": n, "per": per, "cover": cover, "earn": earn, "key_earns": total,
        "rest": n - cover, "rest_earns": total - earn,
        "budget": per * cover, "managers": (math.ceil(cover / hi), math.ceil(cover / lo)),
        "ratio": (lo + hi) / 2, "mid_managers": math.ceil(cover / ((lo + hi) / 2)),
        "cost": v["cost"], "gap": v["gap"],
    }  # fmt: skip


def _flagged(p: Any) -> str:
    """The key accounts profitability flags, and why: losing money, or priced low for what
    they cost to serve."""
    a = p.actions
    losing = int((a["net_contribution"] < 0).sum())
    rest = len(a) - losing
    why = [f"{fmt.count(losing)} losing money"] if losing else []
    why += (
        [f"{fmt.count(rest)} profitable but priced low for what they cost to serve"]
        if (rest)
        else []
    )
    return f"{fmt.plural(len(a), 'key account')} to fix on profit ({', '.join(why)})"


def _today(ph: dict) -> str:
    """Who serves phase 1's accounts today, beside the managers it asks for."""
    if not ph["today"]:
        return ""
    n, mid = int(ph["today"]), int(ph["mid_managers"])
    if mid <= n:
        return f" drawn from the {fmt.count(n)} who serve these accounts today, no new hires"
    return f", {fmt.count(mid - n)} more than the {fmt.count(n)} who serve these accounts today"


def _key_earns(accounts: pd.DataFrame) -> float:
    """The key accounts' net contribution (gross profit − cost-to-serve) a year."""
    from ..method.segmentation import key_net

    return float(key_net(accounts).sum())


def _covering_earns(accounts: pd.DataFrame, per_account: float) -> float:
    """The net contribution of the key accounts that cover the model's cost each
    (:func:`kamlib.method.segmentation.covering`)."""
    from ..method.segmentation import key_net

    nc = key_net(accounts)
    return float(nc[nc >= per_account].sum())


def _managers(h: dict) -> str:
    from ..report.segmentation import _managers as managers

    return managers(h)


def summary_slide(deck: Deck) -> None:
    """The decision of each step, in one slide."""
    d = deck.story.decisions
    rows = [(name, S.plain(d[key].headline), _tile(d[key])) for key, name, _ in STEPS if key in d]
    book = deck.story.book
    if book is not None:
        from ..method.plan_book import portfolio
        from ..report.plan import portfolio_text

        pf_ = portfolio(book)
        said = _first_sentence(portfolio_text(pf_, deck.currency))
        more = fmt.rounded(pf_["target"]) - fmt.rounded(pf_["revenue"])
        number = f"{fmt.money(more, deck.currency)} more revenue in {int(pf_['months'])} months"
        rows.insert(4, ("Account plans", said, number if pf_["increase"] else ""))
    sl = deck.slide("content", "What each step found", "the decision page of each step report")
    box = S.content_box(sl)
    frame = pd.DataFrame(rows, columns=["step", "what the analysis shows", "the number"])
    S.table(sl, box, frame, deck.colour, size=11, widths=(1.3, 6.2, 2.0))


def _tile(d: Decision) -> str:
    if not d.tiles:
        return ""
    label, value, _ = d.tiles[0]
    return f"{value} {label.lower()}"


def data_slide(deck: Deck) -> None:
    """What was delivered, its period, and what it enables."""
    r = deck.story.review
    d = deck.story.decisions["data"]
    sl = deck.slide("two", d.headline, "00_data_review.pdf, summary and tables delivered",
                    [d.recommendation])  # fmt: skip
    left, right = S.body_boxes(sl)
    ov = r["overview"]
    have = ov[ov["status"].astype(str).str.len() > 0] if "status" in ov else ov
    frame = pd.DataFrame(
        {
            "table": have["table"].astype(str),
            "rows": [fmt.count(v) if pd.notna(v) else "" for v in have["rows"]],
            "from": [fmt.day(v) if pd.notna(v) else "" for v in have["from"]],
            "to": [fmt.day(v) if pd.notna(v) else "" for v in have["to"]],
        }
    )
    S.table(sl, left, frame, deck.colour, size=10, widths=(2.4, 1.2, 1.4, 1.4),
            numeric=("rows",))  # fmt: skip
    S.text_box(sl, right, _tiles_text(d) + d.next_steps[:1], size=13)


def segmentation_slides(deck: Deck) -> None:
    st = deck.story
    seg, d = st.seg, st.decisions["segmentation"]
    caveats = say_all(seg.notes)[:3] if hasattr(seg, "notes") else []
    # the Pareto curve, the decision's numbers beside it
    ph = phase_one(deck)
    title = (
        f"{fmt.count(ph['keys'])} customers qualify as key accounts; {fmt.count(ph['cover'])} "
        "of them carry the model's cost today"
        if ph
        else d.headline
    )
    sl = deck.slide("two", title, "01_segmentation.pdf, Financial screen", caveats)
    left, right = S.body_boxes(sl)
    series = {"Revenue": _curve(seg.pareto_revenue)}
    if seg.pareto_gross_profit is not None and len(seg.pareto_gross_profit):
        series["Gross profit"] = _curve(seg.pareto_gross_profit)
    from ..method.segmentation import headline

    hd = headline(seg)
    if hd["key_accounts"]:  # where the key accounts end on the curve
        x = float(hd["key_share"])
        series[fmt.plural(int(hd["key_accounts"]), "key account")] = ([x, x], [0.0, 1.0])
    S.xy_chart(sl, left, series, [deck.colour, OTHER, "#6B7280"],
               x_title="Share of customers, largest first", y_title="Cumulative share")  # fmt: skip
    bridge = _bridge_lines(deck)
    S.text_box(sl, right, _tiles_text(d) + bridge, size=12 if bridge else 13)
    _sweep_slide(deck)
    # the list by tier
    sl = deck.slide("content", _tier_title(seg, st.prof),
                    "01_segmentation.pdf, Tiers and segments; "
                    "03_profitability.pdf, Net contribution by tier and segment")  # fmt: skip
    frame = tier_table(deck)
    S.table(sl, S.content_box(sl), frame, deck.colour, size=11,
            widths=[3, 1, 1.3, 1.3, 1.3, 1.3, 1.4][: len(frame.columns)],
            numeric=tuple(frame.columns[1:]))  # fmt: skip


def tier_table(deck: Deck) -> pd.DataFrame:
    """The segments with their accounts, revenue, gross profit and (with cost-to-serve)
    net contribution, and the key accounts' subtotal after the tiers; shares of revenue
    that add up as printed, the subtotal the sum of its rows as printed."""
    from ..method.profitability import group_totals
    from ..report.segmentation import by_segment

    st, c = deck.story, deck.currency
    t = by_segment(st.seg).reset_index(drop=True)
    if st.prof.earns:
        nc = group_totals(st.prof, "segment").set_index("segment")["net_contribution"]
        t["net contribution"] = t["segment"].map(nc)
    key = t["segment"].astype(str).str.startswith("Tier")
    shares = fmt.shares(t["share of revenue"])
    sub = {"segment": "Key accounts (all tiers)", "accounts": t.loc[key, "accounts"].sum()}
    for col in ("revenue", "gross profit", "net contribution"):
        if col in t:
            sub[col] = t.loc[key, col].sum(min_count=1)  # unknown stays unknown, not 0
    printed = sum(float(x.split()[0]) for x, k in zip(shares, key, strict=True) if k)
    at = int(key[key].index.max()) + 1 if key.any() else 0
    rows = pd.concat([t.iloc[:at], pd.DataFrame([sub]), t.iloc[at:]], ignore_index=True)
    shares = shares[:at] + ([f"{printed:.1f} %"] if key.any() else []) + shares[at:]
    out = pd.DataFrame({"segment": rows["segment"].astype(str),
                        "accounts": [fmt.count(v) for v in rows["accounts"]]})  # fmt: skip
    for col in ("revenue", "gross profit", "net contribution"):
        if col in rows:
            out[col] = _money_column(rows[col], c)
    out["share of revenue"] = shares if key.any() else fmt.shares(t["share of revenue"])
    nc = t["net contribution"] if "net contribution" in t else pd.Series(dtype=float)
    if len(nc) and nc.notna().all() and nc.sum() > 0 and key.any():  # as the title says it
        ncs = fmt.shares(nc / nc.sum())
        got = sum(float(x.split()[0].replace("−", "-")) for x, k in zip(ncs, key, strict=True) if k)
        out["share of net contribution"] = ncs[:at] + [f"{got:.1f} %"] + ncs[at:]
    return out


def _bridge_lines(deck: Deck) -> list[str]:
    """From the recommended line to the key-account list, one line per difference, the
    largest account of each named (:func:`kamlib.report.segmentation.bridge_table`)."""
    from ..method.segmentation import headline, line_bridge
    from ..report.segmentation import bridge_table

    seg, ms = deck.story.seg, deck.story.config.method.segmentation
    b = line_bridge(seg, ms.min_score, ms.tiers["tier_3"])
    t = bridge_table(b, headline(seg), deck.currency, names=1, reasons=True)
    if not b["line"] or len(t) <= 2:
        return []
    rows = ["**From the line to the list**",
            f"**{t['accounts'].iloc[0]}** largest customers ({t['which'].iloc[0]})"]  # fmt: skip
    rows += [f"**{r.accounts}** {r.step}: {r.which}" for r in t.iloc[1:-1].itertuples()]
    return [*rows, f"**= {t['accounts'].iloc[-1]}** key accounts"]


def _tier_title(seg: Any, prof: Any = None) -> str:
    """The list by tier, led by what the key accounts bring: their share of revenue and,
    with cost-to-serve, of net contribution."""
    from ..method.segmentation import headline

    h = headline(seg)
    tiers = h.get("tiers", {})
    said = ", ".join(f"{fmt.count(int(n))} in {t}" for t, n in tiers.items() if n)
    t = prof.table if prof is not None and prof.earns else None
    if t is not None and said and t["net_contribution"].sum() > 0:
        share = t.loc[t["key"], "net_contribution"].sum() / t["net_contribution"].sum()
        return (
            f"Key accounts bring {fmt.pct(h['revenue_share'])} of revenue and "
            f"{fmt.pct(share)} of net contribution: {said}"
        )
    return f"The key-account list by tier: {said}" if said else "The key-account list by tier"


def _money_column(values: pd.Series, currency: str, scale: str | None = None) -> list[str]:
    scale = scale if scale is not None else fmt.money_scale(values)
    return [fmt.money(v, currency, scale=scale) for v in values]


def _curve(frame: pd.DataFrame, points: int = 120) -> tuple[list[float], list[float]]:
    """A cumulative curve from the origin, thinned to about ``points`` points."""
    step = max(1, len(frame) // points)
    f = frame.iloc[::step]
    if len(frame) and f.index[-1] != frame.index[-1]:
        f = pd.concat([f, frame.iloc[[-1]]])
    return [0.0, *f["customer_share"].tolist()], [0.0, *f["value_share"].tolist()]


def _sweep_slide(deck: Deck) -> None:
    """Where to draw the line: what each added band brings against the model's cost."""
    seg = deck.story.seg
    s = seg.sensitivity
    if s.empty or "marginal_gp" not in s or s["marginal_gp"].isna().all():
        return
    n = int(seg.recommendation.get("key_accounts", 0) or 0)
    per = float(s["cost_per_account"].iloc[0]) if len(s) else float("nan")
    title = (
        f"Beyond the {fmt.count(n)} largest customers, an added customer's whole gross profit "
        f"is below the model's {fmt.money(per, deck.currency)} per account"
        if n
        else "Where to draw the line"
    )
    sl = deck.slide(
        "content", title, "01_segmentation.pdf, Where to draw the line",
        [f"The model's cost per account is a planning assumption until {_own(deck)} "
         "figures replace it."],
    )  # fmt: skip
    box, under = S.content_box(sl).split_below(0.84)
    xs = [float(k) for k in s["key_accounts"]]
    gp = s["marginal_gp"].astype(float)
    series = {
        "gross profit of each added customer (average of the band)": (xs, gp.tolist()),
        "model cost per account (planning assumption)": (xs, s["cost_per_account"].tolist()),
    }
    if n:  # where the line is drawn
        series[f"the line: {fmt.count(n)} largest"] = ([n, n], [0.0, float(gp.max())])
    chart = S.xy_chart(sl, box, series, [deck.colour, LOSS, "#6B7280"], x_format="#,##0",
                       y_format=deck.money_format(gp),
                       x_title="Number of key accounts (largest customers first)",
                       y_title="A year")  # fmt: skip
    chart.category_axis.minimum_scale, chart.category_axis.maximum_scale = 0.0, max(xs)
    S.text_box(sl, under, [_cost_basis(deck, per) + _line_basis(deck, s, n, per)], size=11,
               colour=S.GREY)  # fmt: skip


def _line_basis(deck: Deck, s: pd.DataFrame, n: int, per: float) -> str:
    """The line is drawn on gross profit: what the accounts at it contribute after
    today's cost-to-serve, and why that leads to a first phase."""
    row = s[s["key_accounts"] == n]
    if row.empty or "marginal_cts" not in row or pd.isna(row["marginal_cts"].iloc[0]):
        return ""
    r, c = row.iloc[0], deck.currency
    net = r["marginal_gp"] - r["marginal_cts"]
    if net >= per:
        return ""
    ph = phase_one(deck)
    why = f": hence a first phase of {fmt.count(ph['cover'])}" if ph else ""
    return (
        f" The line is drawn on gross profit; after today's cost-to-serve "
        f"({fmt.money(r['marginal_cts'], c)}) the accounts at it contribute "
        f"{fmt.money(net, c)} each, under the {fmt.money(per, c)}{why}."
    )


def _cost_basis(deck: Deck, per: float) -> str:
    """What the model's cost per account is made of, from the segmentation's settings."""
    s, c = deck.story.config.method.segmentation, deck.currency
    lo, hi = (int(x) for x in s.accounts_per_manager)
    mid = (lo + hi) / 2
    return (
        f"The model's {fmt.money(per, c)} per account: a key account manager's "
        f"{fmt.money(s.manager_cost, c)} a year shared by {mid:g} accounts "
        f"({fmt.money(s.manager_cost / mid, c)}) and {fmt.money(s.service_cost, c)} of added "
        f"service; planning assumptions until {_own(deck)} figures replace them."
    )


def service_slides(
    deck: Deck, heatmap: bool = True, packages: bool = True, costs: bool = True
) -> None:
    from ..report import service_model as smv

    st = deck.story
    m = st.model
    caveats = say_all(m.notes)[:3]
    if m.has_ratings and heatmap and m.key_respondents:
        old = next((x for x in m.notes if x.code == "sm.old_ratings"), None)
        when = f", the latest in {pd.Timestamp(old.values['latest']):%B %Y}" if old else ""
        title = (
            f"What each key-account segment values: importance from 1 to 5, "
            f"{fmt.count(m.key_respondents)} key accounts interviewed{when}"
        )
        sl = deck.slide("content", title, "02_service_model.pdf, What each segment values",
                        caveats)  # fmt: skip
        box = S.content_box(sl)
        matrix, counts = smv.heat(m, "segment")
        frame, fills = heat_table(matrix, counts, m.min_respondents)
        S.table(sl, box, frame, deck.colour, size=10,
                widths=[2.6] + [1.0] * (len(frame.columns) - 1), numeric=tuple(frame.columns[1:]),
                fills=fills)  # fmt: skip
    pk = smv.package_view(m)
    if len(pk) and packages:
        sl = deck.slide("content", "What each segment's package includes, charges and does "
                        "not offer", "02_service_model.pdf, Service packages", caveats)  # fmt: skip
        box = S.content_box(sl)
        frame = pk.rename(columns={"element": "service element"})
        frame = frame.astype(str)
        S.table(sl, box, frame, deck.colour, size=10,
                widths=[2.4] + [1.0] * (len(frame.columns) - 1))  # fmt: skip
    cv = smv.cost_view(m)
    if len(cv) and costs:
        sl = deck.slide("content", _cost_title(cv), "02_service_model.pdf, What the packages "
                        "cost", [smv.uncosted_note(m)])  # fmt: skip
        box, under = S.content_box(sl).split_below(0.80)
        seg_ = deck.story.config.method.segmentation
        overlap = (
            "The model's cost per key account assumes "
            f"{fmt.money(seg_.service_cost, deck.currency)} a year of service beyond today's; "
            "the package costs here are each package's whole cost at today's unit costs. The "
            f"two overlap and are never added in this deck; {_own(deck)} figures replace "
            "the assumption."
        )
        S.text_box(sl, under, [S.plain(smv.uncosted_note(m)), overlap], size=11, colour=S.GREY)
        values = {
            "package cost per account": cv["package cost per account"].tolist(),
            "gross profit per account": cv["gross profit per account"].tolist(),
        }
        S.category_chart(sl, box, cv["segment"].astype(str).tolist(), values,
                         [deck.colour, "#9CA3AF"], kind="bar",
                         value_format=deck.money_format(cv["gross profit per account"]),
                         labels=True)  # fmt: skip


#: The importance scale's shades, 1 to 5: light enough for dark text on every cell.
HEAT = ("F1F5FA", "7FA3D6")


def heat_table(
    matrix: pd.DataFrame, counts: pd.DataFrame, min_respondents: int
) -> tuple[pd.DataFrame, dict]:
    """The importance heatmap as a native table: mean importance (1–5) per element and
    segment, each cell shaded by its value; a segment's respondents in its header; a
    cell resting on fewer than ``min_respondents`` greyed and marked.

    Examples
    --------
    >>> m = pd.DataFrame({"A": [5.0, 1.0]}, index=pd.Index(["x", "y"], name="element"))
    >>> f, fills = heat_table(m, pd.DataFrame({"A": [9, 2]}, index=m.index), 3)
    >>> f.columns.tolist(), f.iloc[:, 1].tolist(), fills["A (9 answers)"]["5.0"]
    (['service element', 'A (9 answers)'], ['5.0', 'under 3'], '7FA3D6')
    """
    from ..report.rules import rating

    out = pd.DataFrame({"service element": matrix.index.astype(str)})
    fills: dict[str, dict[str, str]] = {}
    lo, hi = (tuple(int(h[i : i + 2], 16) for i in (0, 2, 4)) for h in HEAT)
    for col in matrix.columns:
        n = int(counts[col].max()) if len(counts) else 0
        name = f"{col} ({fmt.count(n)} answers)"
        cells, shade = [], {f"under {min_respondents}": "E5E7EB"}
        for v, k in zip(matrix[col], counts[col], strict=True):
            if pd.isna(v) or k < min_respondents:
                cells.append(f"under {min_respondents}")
                continue
            t = min(max((float(v) - 1) / 4, 0.0), 1.0)
            shade[rating(v)] = "".join(
                f"{round(a + (b - a) * t):02X}" for a, b in zip(lo, hi, strict=True)
            )
            cells.append(rating(v))
        out[name], fills[name] = cells, shade
    return out, fills


def _cost_title(cv: pd.DataFrame) -> str:
    bad = cv[cv["affordable"].astype(str) == "no"]
    if not len(bad):
        return "Every segment can afford its package"
    names = " and ".join(str(s) for s in bad["segment"]) if len(bad) <= 2 else ""
    n = len(bad)
    if names:
        return (
            f"Rework the {names} {'package' if n == 1 else 'packages'}: "
            f"{'it costs' if n == 1 else 'each'} over half its segment's gross profit"
        )
    return f"Rework {n} packages: each costs over half its segment's gross profit"


def profitability_slides(deck: Deck) -> None:
    from ..method import profitability as pf

    st = deck.story
    p, d = st.prof, st.decisions["profitability"]
    caveats = say_all(p.notes)[:3]
    w = pf.waterfall(p.table)
    if len(w) >= 2:
        sl = deck.slide("two", _waterfall_title(w, deck.currency, len(deck.story.prof.table))
                        or d.headline,
                        "03_profitability.pdf, Price waterfall", caveats)  # fmt: skip
        left, right = S.body_boxes(sl)
        left, right = S.Box(left.left, left.top, right.left + right.width - left.left,
                            left.height).split(0.62)  # fmt: skip
        scale = fmt.money_scale(w["amount"])
        S.waterfall(sl, left, w["step"].tolist(), w["amount"].tolist(), w["level"].tolist(),
                    (w["kind"] == "total").tolist(), deck.colour, deck.axis_format(w["amount"]),
                    [fmt.money(v, deck.currency, scale=scale) for v in w["amount"]])  # fmt: skip
        S.text_box(sl, right, _tiles_text(d), size=13)
    if p.whale is not None and len(p.whale):
        ws, hh = p.whale_stats, pf.headline(p)
        k = p.key["net_contribution"]
        title = (
            f"{fmt.count(hh['unprofitable'])} customers lose "
            f"{fmt.money(hh['destroyed'], deck.currency)} a year after cost-to-serve; "
            f"{fmt.count(hh['unprofitable_key'])} key accounts lose "
            f"{fmt.money(-k[k < 0].sum(), deck.currency)} of it"
        )
        del ws
        sl = deck.slide("content", title, "03_profitability.pdf, Whale curve", caveats)
        box = S.content_box(sl)
        frame = p.whale.rename(columns={"cumulative_share": "value_share"})
        S.xy_chart(sl, box, {"Cumulative net contribution": _curve(frame)}, [deck.colour],
                   x_title="Share of customers, most profitable first",
                   y_title="Cumulative net contribution")  # fmt: skip
    _fix_slide(deck, caveats)


def _waterfall_title(w: pd.DataFrame, currency: str, customers: int | None = None) -> str:
    """What the waterfall shows, in one sentence: from list price to net contribution,
    over all ``customers`` (given)."""
    a = w.set_index("step")["amount"]
    if not {"list revenue", "discounts", "net contribution"} <= set(a.index):
        return ""
    who = f" (all {fmt.count(customers)} customers)" if customers else ""
    return (
        f"Of {fmt.money(a['list revenue'], currency)} at list price{who}, "
        f"{fmt.money(a['net contribution'], currency)} is left after discounts "
        f"({fmt.pct(-a['discounts'] / a['list revenue'])}), cost of goods and cost-to-serve"
    )


def _fix_slide(deck: Deck, caveats: list[str]) -> None:
    """The ten largest losses among the flagged key accounts, with their fixes."""
    from ..method import profitability as pf
    from ..report import profitability as pfv

    p = deck.story.prof
    acts = pfv.actions_view(p)
    if len(acts):
        top = acts.head(10)
        h = pf.headline(p)
        fixes, later = _fix_totals(h)
        title = (
            f"The {fmt.count(len(top))} largest losses of {fmt.count(len(acts))} accounts to fix "
            f"on profit: up to {fmt.money(fixes, deck.currency)} a year once complete"
            + (f", {fmt.money(later, deck.currency)} after rework" if later > 0 else "")
        )
        sl = deck.slide("content", title, "03_profitability.pdf, Actions for the flagged key "
                        "accounts", caveats)  # fmt: skip
        box = S.content_box(sl)
        c = deck.currency
        frame = pd.DataFrame(
            {
                "account": top["account"].astype(str),
                "segment": top["segment"].astype(str),
                "net contribution": _money_column(top["net contribution"], c),
                "net margin → target": [
                    f"{fmt.pct(m, 1)} → {fmt.pct(t, 1)}"
                    for m, t in zip(top["net margin"], top["target"], strict=True)
                ],
                "package saves": _money_column(top["package saves"], c),
                "services outside the package": _money_column(top["more in full"], c),
                "price path": top["price path after it"].astype(str),
                "action": top["action"].astype(str),
            }
        )
        S.table(sl, box, frame, deck.colour, size=10,
                widths=(1.9, 1.6, 1.3, 1.3, 1.0, 1.3, 2.0, 1.4),
                numeric=("net contribution", "net margin → target", "package saves",
                         "services outside the package"))  # fmt: skip


def plan_slides(deck: Deck, accounts: int, portfolio: bool = True) -> None:
    """The plans together (largest accounts, drafted and confirmed), and a one-slide plan
    for each of the ``accounts`` largest."""
    from ..method.plan_book import plan
    from ..report import plan as pr
    from .plans import plan_shares

    book = deck.story.book
    if book is None:
        return
    c = deck.currency
    a = book.accounts.sort_values("revenue", ascending=False)
    h = int(book.config.method.account_plan.horizons[0])
    shares = plan_shares(book)
    if portfolio:
        _portfolio_slide(deck, a, h, shares)
    for aid in a["account_id"].head(accounts):
        p = plan(book, str(aid))
        name = str(p.account["account_name"])
        message = account_message(p)
        room = S.TITLE_CHARS - len(name) - 2
        title = f"{name}: {S.action_title(message, room)}" if message and room > 30 else name
        sl = deck.slide("two", title, f"the account plan of {name}")
        left, right = S.body_boxes(sl)
        paras = [s for s in pr.summary_text(p).split("\n\n") if s.strip()]
        S.text_box(sl, left, paras, size=12)
        acc = p.account
        rows = [
            ("revenue, last 12 months", fmt.money(acc["revenue"], c)),
            (f"target in {h} months", fmt.money(acc[f"target_{h}m"], c)),
            ("net contribution", fmt.money(acc.get("net_contribution"), c)),
            ("health", f"{acc['health']:.0f} ({acc['band']})" if pd.notna(acc["health"])
             else "n/a"),
            ("plan drafted / confirmed", " / ".join(fmt.pct(v) for v in shares[str(aid)])),
        ]  # fmt: skip
        S.table(sl, right, pd.DataFrame(rows, columns=["figure", "value"]), deck.colour,
                size=12, widths=(2.2, 1.4), numeric=("value",))  # fmt: skip


def account_message(p: Any) -> str:
    """An account slide's title after the name: its 12-month target and what stands most
    in its way (what is still to find, the loss to turn, the first risk)."""
    from ..report import drafts as dr
    from ..report import plan as pr

    a, c, h = p.account, p.currency, p.horizons[0]
    b = pr._bridge(p).iloc[0]
    if pr.breaks_even(p):
        head = f"break even first (it loses {fmt.money(-a['net_contribution'], c)} a year)"
    elif b["increase"] > 0:
        head = f"{fmt.money(b['target'], c)} in {h} months (+{fmt.money(b['increase'], c)})"
    else:
        head = f"hold {fmt.money(b['target'], c)} a year"
    if not pr.breaks_even(p) and b["to_find"] > 0:
        return f"{head}, {fmt.money(b['to_find'], c)} of it still to find"
    quiet = ("profitability", "customer sentiment", "survey gap", "churn signal")
    risks = [e for k, e in dr.risk_items(p) if k not in quiet]
    return f"{head}; {pr.first_clause(risks[0].split(', from ')[0])}" if risks else head


def _portfolio_slide(deck: Deck, a: pd.DataFrame, h: int, shares: dict) -> None:
    """The largest key accounts' plans: revenue, target, health, drafted and confirmed."""
    c = deck.currency
    from .plans import confirmed_in_full

    done = confirmed_in_full(shares)
    confirmed = (
        "none is confirmed by its manager yet"
        if not done
        else f"{fmt.count(done)} {'has' if done == 1 else 'have'} every part "
        f"{'its manager writes' if done == 1 else 'their managers write'} confirmed"
    )
    title = (
        f"The {fmt.plural(len(a), 'plan')} {'is' if len(a) == 1 else 'are'} drafted from the "
        f"data; {confirmed}"
    )
    sl = deck.slide("content", title, "plans/index.pdf, the key accounts")
    box = S.content_box(sl)
    top = a.head(10)
    unit = "k" if top["revenue"].median() < 1e6 else None
    frame = pd.DataFrame(
        {
            "account (largest 10)": top["account_name"].astype(str),
            "segment": top["segment"].astype(str),
            # in thousands while most are below a million, as the index prints them: a
            # +€27 k target is not lost to rounding
            "revenue": _money_column(top["revenue"], c, unit),
            f"target in {h} months": _money_column(top[f"target_{h}m"], c, unit),
            "health": [f"{v:.0f} ({b})" if pd.notna(v) else "n/a"
                       for v, b in zip(top["health"], top["band"], strict=True)],
            "drafted": [fmt.pct(shares[str(i)][0]) for i in top["account_id"]],
            "confirmed": [fmt.pct(shares[str(i)][1]) for i in top["account_id"]],
        }
    )  # fmt: skip
    S.table(sl, box, frame, deck.colour, size=11, widths=(2.4, 2.2, 1.1, 1.2, 1.2, 1.0, 1.0),
            numeric=("revenue", f"target in {h} months", "drafted", "confirmed"))  # fmt: skip


def kpi_slides(deck: Deck) -> None:
    from ..report import kpi_review as krv

    st = deck.story
    r, d = st.kpi, st.decisions["kpi"]
    caveats = say_all(r.notes)[:4]
    card = krv.scorecard_view(r)
    shared, check = krv.shared_gains(r), krv.to_check(r)
    if "status" in card:  # a gain the other accounts made too is not the programme's alone
        first = card.columns[0]
        card["status"] = [
            f"{v}, shared" if k in shared else (f"{v}, to check" if k in check else v)
            for k, v in zip(card[first], card["status"], strict=True)
        ]
    if not getattr(r, "targets_agreed", False) and "status" in card:
        card = card.rename(columns={"status": "status (proposed targets)"})
    sl = deck.slide("content", _scorecard_title(r, shared, check) or d.headline,
                    "05_kpi_review.pdf, Baseline against programme", caveats)  # fmt: skip
    box = S.content_box(sl)
    top, under = box.below(int(box.height * 0.68))
    fills = {**STATUS_FILLS, **{f"{k}, {w}": "E5E7EB" for k in STATUS_FILLS
                                for w in ("shared", "to check")}}  # fmt: skip
    S.table(sl, top, card.astype(str), deck.colour, size=10,
            widths=(2.4, 0.9, 0.9, 0.9, 1.1, 1.2, 1.3, 0.9)[: len(card.columns)],
            fills={"status": fills, "status (proposed targets)": fills},
            numeric=("baseline", "actual", "target", "change",
                     "other accounts' change"))  # fmt: skip
    S.text_box(sl, under, _scorecard_notes(r, shared), size=11, colour=S.GREY)
    _warnings_slide(deck, caveats)


def _scorecard_title(r: Any, shared: list[str], check: list[str] | tuple = ()) -> str:
    """The scorecard in one sentence: the KPIs on target that the programme can claim,
    those the other accounts matched or still to check, those part of the way or off
    target."""
    from ..report import kpi_review as krv
    from ..report.words import KPI_LABELS

    c = r.scorecard
    if c.empty or "status" not in c or r.measured is not None:
        return ""
    st = c["status"]
    if not st.isin(["green", "amber", "red"]).any():  # nothing measured against a target
        return ""
    won = c.loc[st == "green", "column"].map(KPI_LABELS)
    mine = sum(1 for k in won if k not in shared and k not in check)
    n, amber, red = len(c), int((st == "amber").sum()), int((st == "red").sum())
    agreed = "targets" if getattr(r, "targets_agreed", False) else "proposed targets"
    parts = [f"{fmt.count(len(won))} of {fmt.count(n)} key-account KPIs meet the {agreed}"
             + (f", {fmt.count(mine)} clearly ahead of the other accounts" if mine < len(won)
                else "")
             + (f" ({krv._and(list(check))} to check)" if check else "")]  # fmt: skip
    if amber:
        parts.append(f"{fmt.count(amber)} {'is' if amber == 1 else 'are'} part of the way")
    if red:
        parts.append(f"{fmt.count(red)} {'is' if red == 1 else 'are'} off target")
    return "; ".join(parts)


def _scorecard_notes(r: Any, shared: list[str]) -> list[str]:
    """Under the scorecard: which gains are shared with the other accounts, how many
    answered the surveys, and whom the scorecard follows."""
    from ..report import kpi_review as krv

    out = []
    if shared:
        out.append(
            f"Shared: the other accounts gained at least half as much in {krv._and(shared)}; "
            "the programme can claim only the difference."
        )
    t, c = r.table, r.scorecard
    if "respondents" in t and "baseline_end" in c.attrs:
        key = t[t["group"] == "key accounts"].set_index("period_end")["respondents"]
        b, a = key.get(c.attrs["baseline_end"]), key.get(c.attrs["actual_end"])
        if b is not None and a is not None and pd.notna(b) and pd.notna(a):
            out.append(
                f"NPS and CSAT rest on {fmt.count(b)} key-account respondents at the baseline "
                f"and {fmt.count(a)} now."
            )
    jump = next((n for n in r.notes if n.code == "kr.nps_jump"), None)
    if jump:
        out.append(say(jump))
    cohort = krv._cohort_sentence(r).strip()
    return out + ([cohort] if cohort else [])


def _warnings_slide(deck: Deck, caveats: list[str]) -> None:
    """The weakest key accounts showing early warnings, and how the list meets the
    accounts profitability flags."""
    from ..report import kpi_review as krv

    st = deck.story
    warn = krv.warnings_view(st.kpi)
    if len(warn):
        acts = st.prof.actions
        ids = st.kpi.warnings["account_id"]
        both = int(ids.isin(acts["account_id"]).sum()) if len(acts) else 0
        also = f", {fmt.count(both)} of them also among those to fix on profit" if both else ""
        from ..method.kpi_review import at_risk

        rev, n_risk = at_risk(st.kpi)["at risk"]
        risk_below = st.config.method.health.risk_below
        shown = int(min(14, max(8, (warn["health"] < risk_below).sum())))
        top = warn.head(shown)
        hl = st.kpi.health
        capped = (
            set(hl.index[hl["capped"].fillna(False).astype(bool)].astype(str))
            if "capped" in hl
            else set()
        )
        said = (
            f"the {fmt.count(n_risk)} at risk hold {fmt.money(rev, deck.currency)} of revenue"
            if n_risk
            else f"the {fmt.count(len(top))} weakest to review this quarter"
        )
        sl = deck.slide(
            "content",
            f"{fmt.count(len(warn))} key accounts on the early-warning list{also}; {said}",
            "05_kpi_review.pdf, Early warnings", caveats,
        )  # fmt: skip
        box = S.content_box(sl)
        frame = pd.DataFrame(
            {
                "account": top["account"].astype(str),
                "owner": top["owner"].astype(str),
                "health": [f"{v:.0f}" for v in top["health"]],
                "change": [
                    "0 (held by the loss)" if i in capped and not v else fmt.signed(v)
                    for i, v in zip(ids.loc[top.index], top["change"], strict=True)
                ],
                "revenue": _money_column(top["revenue"], deck.currency),
                "reasons": top["reasons"].astype(str),
            }
        )
        from ..method.kpi_review import at_risk_for_loss

        loss = at_risk_for_loss(st.kpi)
        if loss and n_risk:
            above, box = box.below(420_000)  # the note above the table, which grows down
            S.text_box(sl, above, [
                f"{fmt.count(loss)} of the {fmt.count(n_risk)} at risk are there for their loss "
                "after cost-to-serve rather than a falling trend: a loss above 2 % of revenue "
                "holds health at 69 or below, 20 % or more at 39, as in both periods for those "
                "marked \u201cheld by the loss\u201d. A profit risk more than a risk of losing the "
                "customer."
            ], size=11, colour=S.GREY)  # fmt: skip
        S.table(sl, box, frame, deck.colour, size=10 if len(top) <= 10 else 9,
                widths=(1.9, 1.2, 0.6, 1.3, 0.8, 4.9),
                numeric=("health", "change", "revenue"))  # fmt: skip


def next_steps_slide(deck: Deck) -> None:
    d = deck.story.decisions
    sl = deck.slide("two", "Decisions asked of the committee, and the next steps",
                    "the decision page of each step report")  # fmt: skip
    left, right = S.body_boxes(sl)
    asks = [f"{i}. {a}" for i, a in enumerate(decisions(deck), 1)]
    steps = [
        _for_slides(d[key].next_steps[0])
        for key, _, _ in STEPS[1:]
        if key in d and d[key].next_steps
    ]
    if phase_one(deck):  # what the first decision rests on
        steps.insert(0, "Replace the planning assumption of the model's cost per key account "
                        f"with {_own(deck)} figures (finance), before phase 1's budget is "
                        "set.")  # fmt: skip
    if any(n.code == "kr.nps_jump" for n in deck.story.kpi.notes):
        steps.append("Check the NPS survey (who answered, and how) before the programme is "
                     "credited with the jump.")  # fmt: skip
    S.text_box(sl, left, ["**Decide**", *asks], size=11)
    S.text_box(sl, right, ["**Next steps**", *[f"{i}. {s}" for i, s in enumerate(steps, 1)]],
               size=12)  # fmt: skip


def _for_slides(step: str) -> str:
    """A report's next step on a slide: no pointer to a table or workbook not on it."""
    for aside in (" (table above)", " (every one is in the workbook)", " (every one is in "
                  "the workbook)"):  # fmt: skip
        step = step.replace(aside, "")
    return step.replace("..", ".")


def appendix_slides(deck: Deck) -> None:
    from ..report.workbook import GLOSSARY

    terms = ["revenue", "gross_profit", "cost_to_serve", "net_contribution", "tier",
             "class", "orientation", "score", "model cost", "package_cost", "price_steps",
             "nrr", "grr", "share_of_wallet", "nps", "csat", "importance",
             "band"]  # fmt: skip
    rows = [(GLOSSARY[t].label, GLOSSARY[t].means) for t in terms if t in GLOSSARY]
    sl = deck.slide("content", "Definitions", "the glossary of the step reports")
    box = S.content_box(sl)
    S.table(sl, box, pd.DataFrame(rows, columns=["term", "what it means"]), deck.colour,
            size=9, widths=(1.6, 6.0))  # fmt: skip
    st = deck.story
    notes = []
    for label, items in (
        ("Segmentation", getattr(st.seg, "notes", [])),
        ("Service model", st.model.notes),
        ("Profitability", st.prof.notes),
        ("KPI review", st.kpi.notes),
    ):
        notes += [f"**{label}:** {n}" for n in say_all(items)[:2]]
    sl = deck.slide("content", "Method notes: what the figures rest on",
                    "the notes of each step report")  # fmt: skip
    box = S.content_box(sl)
    S.text_box(sl, box, notes[:8], size=11)


def build(story: Story, template: str | Path | None = None, accounts: int = 3) -> Deck:
    """The deck's slides from the step results."""
    deck = Deck(story, template)
    title_slide(deck)
    answer_slide(deck)
    segmentation_slides(deck)
    service_slides(deck, packages=False)
    profitability_slides(deck)
    value_slide(deck)
    plan_slides(deck, 0)
    kpi_slides(deck)
    next_steps_slide(deck)
    section(deck, "Appendix")
    summary_slide(deck)
    data_slide(deck)
    service_slides(deck, heatmap=False, costs=False)
    plan_slides(deck, accounts, portfolio=False)
    appendix_slides(deck)
    S.number_slides(deck.prs)
    return deck


def write_deck(
    engagement: Any, out: str | Path, template: str | Path | None = None, accounts: int = 3
) -> Path:
    """Build the deck of an opened engagement and write it to ``out`` (atomically)."""
    cfg = engagement.config
    template = template or cfg.brand.deck_template
    deck = build(gather(engagement), template, accounts)
    when = cfg.as_of if isinstance(cfg.as_of, dt.date) else dt.date.fromisoformat(str(cfg.as_of))
    return S.save(deck.prs, out, when, f"{cfg.client}: {cfg.engagement}", cfg.client)
