"""The steering-committee deck: its story from the step results, native charts carrying
the same figures, the engagement's currency, the firm's template, the same bytes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from kamlib.core import fmt
from kamlib.core.errors import ConfigError
from kamlib.intake.engagement import open_engagement
from kamlib.render import slides as S
from kamlib.run import deck as dk

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"


@pytest.fixture(scope="module")
def story():
    return dk.gather(open_engagement(str(EXAMPLE)))


@pytest.fixture(scope="module")
def built(story):
    return dk.build(story)


def _charts(prs):
    return [
        (i, sh.chart)
        for i, slide in enumerate(prs.slides)
        for sh in slide.shapes
        if getattr(sh, "has_chart", False) and sh.has_chart
    ]


def _text(slide) -> str:
    out = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            out.append(sh.text_frame.text)
        if getattr(sh, "has_table", False) and sh.has_table:
            out += [c.text for row in sh.table.rows for c in row.cells]
    return "\n".join(out)


def test_the_deck_tells_the_story_in_the_methods_order(built, story):
    from kamlib.method.segmentation import headline

    t = built.titles
    assert 15 <= len(t) <= 25
    n = headline(story.seg)["key_accounts"]
    # the answer first: the key accounts, and what their plans and fixes bring against the cost
    assert t[0] == story.config.engagement and len(t[1]) <= S.TITLE_CHARS
    ph = dk.phase_one(built)
    if ph:  # short of paying for itself: the accounts to test it on, the fixes apart
        # a decision with its budget, and when the rest is decided
        assert t[1] == (
            f"Run the key-account model on {fmt.plural(ph['cover'], 'account')} for 12 months "
            f"({fmt.money(ph['budget'], story.config.currency)}); decide the other {ph['rest']} "
            "once its real costs are known"
        ) or t[1].startswith("The full model costs ")
        # the Pareto slide: who qualifies, who carries the cost
        assert f"{n} customers qualify as key accounts; {ph['cover']} of them carry" in t[2]
    else:
        assert t[1].startswith(f"{n} key accounts bring ") and "the model costs" in t[1]
    from kamlib.method import profitability as pf
    from kamlib.report import kpi_review as krv

    fall = dk._waterfall_title(
        pf.waterfall(story.prof.table), story.config.currency, len(story.prof.table)
    )
    card = dk._scorecard_title(story.kpi, krv.shared_gains(story.kpi), krv.to_check(story.kpi))
    pareto = t[2] if ph else S.action_title(story.decisions["segmentation"].headline)
    order = [pareto, S.action_title(fall), S.action_title(card)]
    assert [t.index(o) for o in order] == sorted(t.index(o) for o in order)
    assert t.index("Decisions asked of the committee, and the next steps") < t.index("Appendix")
    assert t[-2:] == ["Definitions", "Method notes: what the figures rest on"]
    # each step's decision, in the appendix
    steps = _text(built.prs.slides[t.index("What each step found")])
    for key in ("data", "segmentation", "service", "profitability", "kpi"):
        assert S.unbroken(S.plain(story.decisions[key].headline)) in steps
    # every slide but the cover carries its number
    assert all(str(i) in _text(s).split() for i, s in enumerate(built.prs.slides, 1) if i > 1)


def test_every_slide_says_in_its_notes_where_its_figures_come_from(built):
    for slide in built.prs.slides:
        notes = slide.notes_slide.notes_text_frame.text
        assert notes.startswith(("Source:", "Definitions")), notes[:60]
        assert "Data as of 30 September 2026" in notes or "Definitions" in notes


def test_the_charts_carry_the_step_results(built, story):
    from kamlib.method import profitability as pf

    charts = dict(_charts(built.prs))
    assert charts, "native charts"
    w = pf.waterfall(story.prof.table)
    fall = next(c for c in charts.values() if len(c.plots[0].series) == 2
                and c.plots[0].series[0].name == "base")  # fmt: skip
    shown = list(fall.plots[0].series[1].values)
    assert shown == pytest.approx([abs(v) for v in w["amount"]])  # every bar is the step's amount
    cats = list(fall.plots[0].categories)
    assert cats[0].startswith("list revenue\n€") and "\n−€" in cats[1]  # signed, in euros
    s = story.seg.sensitivity
    first = "gross profit of each added customer (average of the band)"
    sweep = next(c for c in charts.values() if c.plots[0].series[0].name == first)
    assert list(sweep.plots[0].series[0].values) == pytest.approx(s["marginal_gp"].tolist())
    # a numeric axis: the bands sit at their customer counts, not evenly spaced
    xs = sweep._chartSpace.xpath(".//c:ser[1]/c:xVal//c:v/text()")
    assert [float(x) for x in xs] == pytest.approx(s["key_accounts"].astype(float).tolist())


def test_a_waterfall_is_a_stacked_chart_with_an_invisible_base():
    prs = S.open_template(None)
    slide = prs.slides.add_slide(S.find_layouts(prs, "built-in")["content"])
    box = S.content_box(slide)
    # net revenue 100, cost of goods −60, gross profit 40, cost-to-serve −50, net −10
    c = S.waterfall(slide, box, ["net revenue", "cost of goods", "gross profit",
                                 "cost-to-serve", "net contribution"],
                    [100, -60, 40, -50, -10], [100, 40, 40, -10, -10],
                    [True, False, True, False, True], "#0B3D91", S.PERCENT)  # fmt: skip
    base, bar = c.plots[0].series
    assert list(base.values) == [0, 40, 0, -10, -10]
    assert list(bar.values) == [100, 60, 40, 50, 10]


def test_every_amount_is_in_the_engagements_currency(tmp_path):
    from kamlib.intake.scenarios import Scenario, write_scenario

    write_scenario(Scenario(accounts=60, currency="CHF"), tmp_path / "chf")
    d = dk.build(dk.gather(open_engagement(str(tmp_path / "chf"))))
    text = "\n".join(_text(s) for s in d.prs.slides) + "\n".join(d.titles)
    assert "CHF" in text and "€" not in text
    for _, chart in _charts(d.prs):
        xml = chart._chartSpace.xml
        assert "€" not in xml


def test_a_pack_without_costs_or_history_still_makes_a_deck_that_says_so(tmp_path):
    from kamlib.intake.scenarios import Scenario, write_scenario

    write_scenario(Scenario(accounts=80, months=14, cost=False, service_ratings=False),
                   tmp_path / "thin")  # fmt: skip
    d = dk.build(dk.gather(open_engagement(str(tmp_path / "thin"))))
    said = "\n".join(d.titles)
    assert "cannot be measured yet" in said  # profitability and the KPIs say why
    assert "n/a" not in said and "nan" not in said.lower()
    assert "0 of " not in said and "0 key accounts interviewed" not in said
    # the key accounts' gross profit is unknown without cost of goods, never a zero
    sub = dk.tier_table(d).set_index("segment").loc["Key accounts (all tiers)"]
    assert sub["gross profit"] == "n/a"


def test_one_key_account_reads_in_the_singular(tmp_path):
    from kamlib.intake.scenarios import Scenario, write_scenario

    write_scenario(Scenario(accounts=150, months=14, currency="CHF", cost=False),
                   tmp_path / "one")  # fmt: skip
    d = dk.build(dk.gather(open_engagement(str(tmp_path / "one"))))
    assert d.titles[1].startswith("1 key account brings ")
    assert "The 1 plan is drafted from the data" in "\n".join(d.titles)
    assert dk.decisions(d)[0].startswith("Approve the 1 key account and ")


def test_the_same_inputs_make_the_same_bytes(story, tmp_path):
    a = S.save(dk.build(story).prs, tmp_path / "a.pptx", dt.date(2026, 9, 30), "t", "c")
    b = S.save(dk.build(story).prs, tmp_path / "b.pptx", dt.date(2026, 9, 30), "t", "c")
    assert a.read_bytes() == b.read_bytes()


def _firm_template(path: Path, drop: str = "") -> Path:
    """A firm's template: 4:3, its own names for two layouts, an example slide."""
    from pptx import Presentation

    prs = Presentation()
    names = {lay.name: lay for lay in prs.slide_layouts}
    names["Title and Content"].name = "Title, Content"
    names["Section Header"].name = "Section Title"
    ex = prs.slides.add_slide(names["Title Only"])
    ex.shapes.title.text = "EXAMPLE SLIDE OF THE FIRM"
    if drop:
        lay = names[drop]
        prs.slide_layouts.remove(lay)
    prs.save(str(path))
    return path


def test_a_firm_template_is_honoured(story, tmp_path):
    tpl = _firm_template(tmp_path / "firm.pptx")
    d = dk.build(story, tpl)
    assert (d.prs.slide_width, d.prs.slide_height) == (9_144_000, 6_858_000)  # its 4:3
    used = {s.slide_layout.name for s in d.prs.slides}
    assert {"Title, Content", "Section Title", "Two Content", "Title Slide"} <= used
    assert "EXAMPLE SLIDE OF THE FIRM" not in "\n".join(_text(s) for s in d.prs.slides)


def test_a_template_missing_a_layout_is_named_before_anything_is_written(tmp_path):
    tpl = _firm_template(tmp_path / "firm.pptx", drop="Two Content")
    with pytest.raises(ConfigError, match="no layout named 'Two Content' .layouts found: "):
        S.open_template(tpl)
    from kamlib.run.runner import RunOptions, run_engagement

    with pytest.raises(ConfigError, match="Two Content"):
        run_engagement(str(EXAMPLE), RunOptions(only=("deck",), reports=tmp_path / "r",
                                                deck_template=tpl))  # fmt: skip
    assert not (tmp_path / "r" / "example" / "latest").exists()


def test_the_deck_opens_in_libreoffice_impress(built, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    impress = soffice and any(
        (Path(soffice).resolve().parent / n).exists() for n in ("libsdlo.so", "pagein-impress")
    )
    if not impress:
        pytest.skip(
            "LibreOffice Impress is not installed (make test installs it where apt-get can)"
        )
    path = S.save(built.prs, tmp_path / "deck.pptx", dt.date(2026, 9, 30), "t", "c")
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    from pypdf import PdfReader

    assert len(PdfReader(tmp_path / "deck.pdf").pages) == len(built.prs.slides)


def test_the_value_case_adds_up_as_the_plans_index_prints_it(built, story):
    from kamlib.core import fmt
    from kamlib.method.plan_book import portfolio

    v = dk.value_case(built)
    pf = portfolio(story.book)
    assert v["growth"] == fmt.rounded(pf["extra_gross_profit"])
    assert v["savings"] + v["prices"] == fmt.rounded(pf["savings"]) + fmt.rounded(pf["price_paths"])
    assert v["total"] == v["growth"] + v["savings"] + v["prices"]
    assert v["gap"] == v["cost"] - v["total"]
    # the firm part: the savings of packages that need no rework
    a = story.prof.actions
    later = (
        fmt.rounded(a.loc[a["package_reworked"].astype(bool), "package_saving"].sum())
        if len(a)
        else 0.0
    )
    assert v["later"] == later and v["firm"] + v["later"] == v["savings"]
    chart = next(c for _, c in _charts(built.prs) if c.plots[0].series[0].name == "a year")
    ph = dk.phase_one(built)
    cats = list(chart.plots[0].categories)
    if ph:  # nothing added up: the fixes, then phase 1 and all key accounts, cost vs growth
        assert list(chart.plots[0].series[0].values) == pytest.approx(
            [v["firm"], v["later"], v["prices"], fmt.rounded(ph["budget"]),
             fmt.rounded(ph["growth"]), v["cost"], v["growth"]]
        )  # fmt: skip
        assert cats[0].startswith(f"fixes: package savings needing no rework ({dk._ready(built)})")
        assert cats[3].startswith(f"phase 1 ({fmt.plural(ph['cover'], 'account')}): what the")
    else:
        assert list(chart.plots[0].series[0].values) == pytest.approx(
            [v["firm"], v["later"], v["prices"], v["growth"], v["total"], v["cost"]]
        )
        assert cats[0].startswith(f"package savings needing no rework ({dk._ready(built)})")
    # every label shown, none skipped where they crowd
    assert chart._chartSpace.xpath(".//c:catAx/c:tickLblSkip/@val") == ["1"]
    asks = dk.decisions(built)
    n = int(story.seg.accounts["key"].sum())
    assert asks[0].startswith(
        f"{'Refocus the programme on phase 1' if dk._running_since(built) else 'Approve phase 1'}"
        f" for 12 months: the {ph['cover']} key account"
        if ph
        else f"Approve the {n} key accounts"
    )
    assert not any("(table above)" in a or "workbook" in a for a in asks)
    # the fixes are decided apart from the model, with what they bring
    for fixes in (a for a in asks if a.startswith("Approve the fixes")):
        assert "a year once complete, whatever is decided on the model" in fixes
    kpis = next(a for a in asks if a.startswith("Agree the KPI targets"))
    assert "for the next 12 months, set from today's level by the same rules" in kpis


def test_the_deck_is_readable_by_whoever_receives_the_folder(built, tmp_path):
    path = S.save(built.prs, tmp_path / "deck.pptx", dt.date(2026, 9, 30), "t", "c")
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["deck.pptx"]  # no temporary file left


def test_the_pareto_slide_bridges_the_line_to_the_list(built, story):
    from kamlib.method.segmentation import line_bridge

    ms = story.config.method.segmentation
    b = line_bridge(story.seg, ms.min_score, ms.tiers["tier_3"])
    lines = dk._bridge_lines(built)
    if len(lines) <= 3:
        pytest.skip("the example's line and list agree")
    assert lines[1].startswith(f"**{b['line']}** largest customers")
    assert lines[-1] == f"**= {b['key']}** key accounts"
    # every difference is signed, and they add up from the line to the list
    steps = [int(x.split("**")[1].replace("−", "-").replace("+", "")) for x in lines[2:-1]]
    assert b["line"] + sum(steps) == b["key"]


def test_the_scorecard_says_whom_it_follows_and_which_gains_are_shared(story):
    from kamlib.report import kpi_review as krv

    shared = krv.shared_gains(story.kpi)
    said = " ".join(dk._scorecard_notes(story.kpi, shared))
    assert ("Shared:" in said) == bool(shared)
    key = story.kpi.table.query("group == 'key accounts'")
    if "respondents" in key and key["respondents"].notna().any():
        assert "respondents at the baseline" in said


def _fake_deck(programme_cost: float = 135.0):
    from types import SimpleNamespace as NS

    accounts = pd.DataFrame({"key": [True, True, True, False],
                             "gross_profit": [90.0, 60.0, 50.0, 99.0],
                             "cost_to_serve": [30.0, 20.0, 5.0, 0.0],
                             "account_manager": ["Ana", "Bo", "Ana", "Bo"]})  # fmt: skip
    cfg = NS(method=NS(segmentation=NS(accounts_per_manager=[5, 10])))
    story = NS(seg=NS(accounts=accounts), prof=NS(programme_cost=programme_cost), config=cfg)
    return NS(story=story, currency="EUR")


def test_phase_one_starts_with_the_key_accounts_that_carry_the_model(monkeypatch):
    # net contributions 60, 40, 45 against 45 each: two carry it, one does not
    monkeypatch.setattr(dk, "value_case", lambda deck: {"cost": 135.0, "gap": 10.0})
    ph = dk.phase_one(_fake_deck())
    assert (ph["cover"], ph["rest"], ph["earn"], ph["rest_earns"]) == (2, 1, 105.0, 40.0)
    assert ph["budget"] == 90.0 and ph["managers"] == (1, 1) and ph["key_earns"] == 145.0
    # Ana serves the two today, among the 2 customers she serves in all (Bo's are not in it)
    assert (ph["today"], ph["served"]) == (1, 2)
    # one manager for phase 1, drawn from those serving the accounts; more would be hires
    assert dk._today(ph) == " drawn from the 1 who serve these accounts today, no new hires"
    assert dk._today({**ph, "mid_managers": 3}) == (
        ", 2 more than the 1 who serve these accounts today"
    )
    # the model pays for itself: nothing to phase
    monkeypatch.setattr(dk, "value_case", lambda deck: {"cost": 135.0, "gap": -1.0})
    assert dk.phase_one(_fake_deck()) is None


def test_the_waterfall_and_scorecard_titles_say_what_their_slides_show():
    from types import SimpleNamespace as NS

    w = pd.DataFrame({"step": ["list revenue", "discounts", "net revenue", "net contribution"],
                      "amount": [200e6, -50e6, 150e6, 20e6]})  # fmt: skip
    assert dk._waterfall_title(w, "EUR") == (
        "Of €200.0 M at list price, €20.0 M is left after discounts (25 %), cost of goods and "
        "cost-to-serve"
    )
    card = pd.DataFrame({"column": ["nrr", "csat", "nps", "grr"],
                         "status": ["green", "green", "amber", "red"]})  # fmt: skip
    r = NS(scorecard=card, measured=None, targets_agreed=False)
    assert dk._scorecard_title(r, ["CSAT"]) == (
        "2 of 4 key-account KPIs meet the proposed targets, 1 clearly ahead of the other "
        "accounts; 1 is part of the way; 1 is off target"
    )
    # an NPS to check is not counted as clearly ahead, and says so
    r.scorecard = card.assign(status=["green", "amber", "green", "red"])
    assert dk._scorecard_title(r, [], ["NPS"]) == (
        "2 of 4 key-account KPIs meet the proposed targets, 1 clearly ahead of the other "
        "accounts (NPS to check); 1 is part of the way; 1 is off target"
    )


def test_the_tier_slide_subtotals_the_key_accounts(built, story):
    t = dk.tier_table(built)
    sub = t[t["segment"] == "Key accounts (all tiers)"]
    tiers = t[t["segment"].str.startswith("Tier")]
    assert len(sub) == 1 and sub.index[0] == tiers.index.max() + 1  # right after the tiers
    assert int(sub["accounts"].iloc[0]) == int(story.seg.accounts["key"].sum())
    printed = sum(float(x.split()[0]) for x in tiers["share of revenue"])
    assert sub["share of revenue"].iloc[0] == f"{printed:.1f} %"


def test_the_deck_names_what_it_flags_and_when_a_saving_is_ready():
    import datetime as dt_
    from types import SimpleNamespace as NS

    from kamlib.core.notes import note

    acts = pd.DataFrame({"net_contribution": [-5.0, -1.0, 3.0]})
    assert dk._flagged(NS(actions=acts)) == (
        "3 key accounts to fix on profit (2 losing money, 1 profitable but priced low for what "
        "they cost to serve)"
    )
    old = NS(story=NS(model=NS(notes=[note("sm.old_ratings", latest="2025-08-12")])))
    assert dk._ready(old) == "ready once the interviews are refreshed"
    assert dk._ready(NS(story=NS(model=NS(notes=[])))) == "ready now"
    cfg = lambda start: NS(method=NS(programme_start=start), as_of=dt_.date(2026, 9, 30))  # noqa: E731
    running = NS(story=NS(config=cfg(dt_.date(2025, 10, 1))))
    assert dk._running_since(running).startswith("The programme has run since 1 October 2025")
    assert dk._running_since(NS(story=NS(config=cfg(dt_.date(2026, 12, 1))))) == ""
    assert dk._running_since(NS(story=NS(config=cfg(None)))) == ""


def test_the_tier_slide_leads_with_the_key_accounts_share_of_net_contribution(monkeypatch):
    from types import SimpleNamespace as NS

    import kamlib.method.segmentation as sg

    monkeypatch.setattr(
        sg, "headline", lambda seg: {"revenue_share": 0.64, "tiers": {"Tier 1": 2, "Tier 2": 0}}
    )
    t = pd.DataFrame({"key": [True, True, False], "net_contribution": [30.0, 14.0, 56.0]})
    assert dk._tier_title(None, NS(table=t, earns=True)) == (
        "Key accounts bring 64 % of revenue and 44 % of net contribution: 2 in Tier 1"
    )
    assert dk._tier_title(None, NS(table=t, earns=False)) == (
        "The key-account list by tier: 2 in Tier 1"
    )


def test_the_packages_to_rework_are_named_in_the_title():
    cv = pd.DataFrame({"segment": ["Tier 1 · a", "Tier 2 · b", "Tier 3 · c"],
                       "affordable": ["no", "yes", "no"]})  # fmt: skip
    assert dk._cost_title(cv) == (
        "Rework the Tier 1 · a and Tier 3 · c packages: each over half its segment's gross profit"
    )
    assert dk._cost_title(cv.assign(affordable="yes")) == "Every segment can afford its package"


def test_an_account_slide_says_its_target_and_what_stands_in_its_way(built):
    from kamlib.method.plan_book import plan
    from kamlib.report import plan as pr

    book = built.story.book
    for aid in book.accounts.sort_values("revenue", ascending=False)["account_id"].head(15):
        p = plan(book, aid)
        said = dk.account_message(p)
        b = pr._bridge(p).iloc[0]
        if pr.breaks_even(p):
            assert said.startswith("break even first (it loses "), aid
        elif b["increase"] > 0:
            assert said.startswith(fmt.money(b["target"], p.currency) + " in 12 months"), aid
            if b["to_find"] > 0:
                assert said.endswith(f"{fmt.money(b['to_find'], p.currency)} of it still to find")


def test_a_tile_counting_one_reads_in_the_singular():
    from types import SimpleNamespace as NS

    d = NS(tiles=[("Key accounts", "1", "0.7 % of 150 customers"),
                  ("Key account managers", "1", ""), ("Key accounts", "219", "")])  # fmt: skip
    assert dk._tiles_text(d) == [
        "**1** key account (0.7 % of 150 customers)",
        "**1** key account manager",
        "**219** key accounts",
    ]


def test_the_answer_page_asks_in_few_words_and_the_decisions_slide_in_full(built):
    short, full = dk.brief(built), dk.decisions(built)
    assert len(short) == len(full)
    assert all(len(s) <= 230 for s in short)
    assert not any(" (" in s and "€" in s.split(" (")[1][:12] for s in short[1:])  # no detail
    if dk.phase_one(built):
        assert "review after 12 months and stop unless they add" in short[0]
        assert "stop after 12 months if they do not" in full[0]


def test_the_tier_table_shows_the_share_of_net_contribution_its_title_states(built, story):
    frame = dk.tier_table(built)
    if "share of net contribution" in frame:
        row = frame.set_index("segment").loc["Key accounts (all tiers)"]
        said = dk._tier_title(story.seg, story.prof)
        share = float(row["share of net contribution"].split()[0])
        assert f"{share:.0f} % of net contribution" in said
