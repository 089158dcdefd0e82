"""Step 2 on hand-made ratings with worked answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from kamlib.core import settings
from kamlib.method import service_model as sm
from kamlib.report import service_model as smv
from kamlib.report.words import say_all

ELEMENTS = ["quality", "innovation", "finance"]
SETTINGS = settings.ServiceModel(
    elements=ELEMENTS,
    min_respondents=3,
    include_at={"loyalty": 3.5, "price": 4.0},
    charge_at={"loyalty": 2.5, "price": 3.0},
    loyalty_always=["innovation"],
    element_activities={},
    package_overrides={},
    affordable_share=0.5,
)


def ratings():
    rows = []
    # segment L (loyalty): 3 respondents; segment P (price): 2 respondents
    for acc, imp in (("l1", [5, 4, 2]), ("l2", [4, 5, 2]), ("l3", [3, 3, 2])):
        rows += [(acc, e, i, 3) for e, i in zip(ELEMENTS, imp, strict=True)]
    for acc, imp in (("p1", [5, 1, 5]), ("p2", [4, 2, 4])):
        rows += [(acc, e, i, 4) for e, i in zip(ELEMENTS, imp, strict=True)]
    r = pd.DataFrame(rows, columns=["account_id", "element", "importance", "satisfaction"])
    groups = pd.DataFrame(
        {
            "account_id": ["l1", "l2", "l3", "p1", "p2"],
            "segment": ["L", "L", "L", "P", "P"],
            "channel": ["direct", "partner", "partner", "online", "online"],
        }
    )
    return sm.rated(r, groups, ELEMENTS)


def test_importance_matrix_means_counts_and_threshold():
    m = sm.importance_matrix(ratings(), "segment", ELEMENTS, min_respondents=3)
    a = m.set_index(["group", "element"])
    assert a.loc[("L", "quality"), "importance"] == pytest.approx(4.0)
    assert a.loc[("L", "innovation"), "respondents"] == 3 and a.loc[("L", "quality"), "enough"]
    assert a.loc[("P", "finance"), "importance"] == pytest.approx(4.5)
    assert not a.loc[("P", "finance"), "enough"]  # 2 respondents < 3
    w = sm.wide(m)
    assert list(w.index) == ELEMENTS and list(w.columns) == ["L", "P"]
    ch = sm.importance_matrix(ratings(), "channel", ELEMENTS, 1).set_index(["group", "element"])
    assert ch.loc[("partner", "quality"), "importance"] == pytest.approx(3.5)


def test_element_names_match_loosely_and_unknown_are_listed():
    r = pd.DataFrame(
        {"account_id": ["a", "a"], "element": [" Quality ", "Delivery speed"], "importance": [4, 3]}
    )
    assert sm.rated(r, pd.DataFrame({"account_id": ["a"]}), ELEMENTS)["element"].tolist() == [
        "quality"
    ]
    assert sm.unknown_elements(r, ELEMENTS) == ["Delivery speed"]


def test_gaps_rank_and_status():
    g = sm.gaps(ratings(), "segment", ELEMENTS, min_respondents=1)
    a = g.set_index(["group", "element"])
    # L innovation: importance 4.0, satisfaction 3 -> under-served, gap 1
    assert a.loc[("L", "innovation"), "status"] == "under-served"
    assert a.loc[("L", "innovation"), "gap"] == pytest.approx(1.0)
    # L finance: importance 2.0, satisfaction 3 -> over-served
    assert a.loc[("L", "finance"), "status"] == "over-served"
    # P finance: importance 4.5 vs 4: a gap of exactly the threshold counts
    assert a.loc[("P", "finance"), "status"] == "under-served"
    wider = sm.gaps(ratings(), "segment", ELEMENTS, min_respondents=1, threshold=0.6)
    assert wider.set_index(["group", "element"]).loc[("P", "finance"), "status"] == "in line"
    assert g.iloc[0]["priority"] == g["priority"].max()


def test_package_rules_fallback_and_overrides():
    m = sm.importance_matrix(ratings(), "segment", ELEMENTS, min_respondents=3)
    pk = sm.packages(m, {"L": "loyalty", "P": "price"}, SETTINGS, ELEMENTS)
    d = pk.set_index(["segment", "element"])
    assert d.loc[("L", "quality"), "decision"] == sm.INCLUDED  # 4.0 >= 3.5
    assert d.loc[("L", "innovation"), "decision"] == sm.INCLUDED  # loyalty always
    assert d.loc[("L", "finance"), "decision"] == sm.NOT_OFFERED  # 2.0 < 2.5
    # P has 2 respondents: decided on all price-oriented segments (here P itself, 4.5 etc.)
    assert d.loc[("P", "quality"), "basis"] == "all price-oriented segments"
    assert d.loc[("P", "quality"), "decision"] == sm.INCLUDED  # 4.5 >= 4.0
    assert d.loc[("P", "innovation"), "decision"] == sm.NOT_OFFERED  # 1.5 < 3.0
    assert d.loc[("P", "finance"), "decision"] == sm.INCLUDED
    forced = dataclasses.replace(SETTINGS, package_overrides={"P": {"innovation": sm.CHARGED}})
    pk2 = sm.packages(m, {"L": "loyalty", "P": "price"}, forced, ELEMENTS)
    row = pk2.set_index(["segment", "element"]).loc[("P", "innovation")]
    assert row["decision"] == sm.CHARGED and row["basis"] == "consultant override"
    cat = sm.catalogue(pk)
    assert cat.loc["finance", "L"] == sm.NOT_OFFERED


def test_decide_thresholds():
    args = ({"loyalty": 3.5, "price": 4.0}, {"loyalty": 2.5, "price": 3.0}, [])
    assert sm.decide(3.6, "loyalty", "x", *args) == sm.INCLUDED
    assert sm.decide(3.6, "price", "x", *args) == sm.CHARGED
    assert sm.decide(2.9, "price", "x", *args) == sm.NOT_OFFERED
    assert sm.decide(2.9, None, "x", *args) == sm.NOT_OFFERED  # unknown uses price levels
    assert sm.decide(np.nan, "loyalty", "x", *args) == sm.CHARGED


def test_package_cost_known_answer():
    pk = pd.DataFrame(
        {
            "segment": ["L", "L", "P", "P"],
            "element": ["support", "training", "support", "training"],
            "decision": [sm.INCLUDED, sm.INCLUDED, sm.INCLUDED, sm.NOT_OFFERED],
        }
    )
    cost = pd.DataFrame(
        {
            "account_id": ["l1", "l1", "l2", "p1"],
            "activity": ["ticket", "training_day", "ticket", "training_day"],
            "cost": [100.0, 900.0, 300.0, 900.0],
        }
    )
    seg = pd.Series({"l1": "L", "l2": "L", "p1": "P"})
    gp = pd.Series({"l1": 2000.0, "l2": 1000.0, "p1": 500.0})
    out = sm.package_cost(
        pk,
        cost,
        seg,
        gp,
        {"support": ["ticket"], "training": ["training_day"]},
        affordable_share=0.5,
    ).set_index("segment")
    # L: (100 + 300) / 2 tickets + 900 / 2 training = 650 per account; GP 1,500 per account
    assert out.loc["L", "package_cost"] == pytest.approx(650)
    assert out.loc["L", "cost_share"] == pytest.approx(650 / 1500)
    assert out.loc["L", "affordable"]
    # P: only support included, no tickets -> 0; training not offered costs nothing
    assert out.loc["P", "package_cost"] == 0 and out.loc["P", "included"] == 1


def test_analyse_on_the_demo_finds_orientation_and_channel_differences(tmp_path):
    from openpyxl import load_workbook

    from kamlib.intake.engagement import open_engagement

    model = sm.analyse(open_engagement("demo"))
    assert set(model.matrices) == {"segment", "channel", "size_band", "region"}
    contrast = sm.orientation_contrast(model.packages).set_index("element")
    assert contrast.loc["product development and innovation", "difference"] > 1
    assert contrast.loc["finance", "difference"] < -1
    ch = sm.wide(model.matrices["channel"])
    assert ch.loc["training", "partner"] > ch.loc["training", "direct"] + 0.5
    assert ch.loc["logistic service", "online"] > ch.loc["logistic service", "direct"] + 0.3
    cat = sm.catalogue(model.packages)
    assert all(c.startswith("Tier") for c in cat.columns)
    assert (
        cat.loc["product development and innovation", [c for c in cat.columns if "loyalty" in c]]
        == sm.INCLUDED
    ).all()
    assert set(model.costs["segment"]) == set(cat.columns)
    assert (model.costs["package_cost"] > 0).all()
    mean, counts = smv.heat(model, "segment")
    assert list(mean.columns) == list(counts.columns) and len(mean) == 10
    text = smv.summary_text(model)
    assert "interviewed accounts" in text and "largest shortfall" in text
    assert f"{model.key_respondents} of them key accounts" in text and model.key_respondents
    wb = load_workbook(smv.export(str(tmp_path), model))
    assert {"Importance by segment", "Gaps", "Packages", "Package costs"} <= set(wb.sheetnames)


def test_analyse_without_ratings_or_activities_says_so(tmp_path):
    from conftest import accounts_frame, revenue_frame, write_csvs, write_engagement
    from kamlib.intake.engagement import open_engagement

    folder = write_engagement(tmp_path / "e")
    write_csvs(folder / "pack", {"accounts": accounts_frame(), "revenue": revenue_frame()})
    model = sm.analyse(open_engagement(folder))
    assert not model.has_ratings and model.packages is None and model.costs is None
    assert any("No service ratings table" in n for n in say_all(model.notes))
    assert not any(
        "shown instead" in n for n in say_all(model.notes)
    )  # no activities to show either
    assert any("No activities table" in n for n in say_all(model.notes))
    assert smv.heat(model, "segment") == (None, None)
    assert smv.package_view(model).empty and smv.gap_view(model).empty
    cards = dict((label, note) for label, _, note in smv.kpi_cards(model))
    assert cards["service elements"] == "configured; no ratings delivered"
    assert smv.export(str(tmp_path), model).endswith("02_service_model.xlsx")


def test_no_package_without_a_key_account_among_the_respondents(tmp_path):
    from kamlib.intake.engagement import open_engagement
    from kamlib.intake.scenarios import Scenario, write_scenario

    folder = write_scenario(Scenario(months=36, currency="SEK", cost=False), tmp_path / "s")
    eng = open_engagement(folder)
    model = sm.analyse(eng)
    assert model.has_ratings and model.respondents > 0 and model.key_respondents == 0
    assert model.packages is None and model.costs is None
    assert any("No key account rated" in n for n in say_all(model.notes))
    cards = dict((label, note) for label, _, note in smv.kpi_cards(model))
    assert cards["service elements"].endswith(", 0 key")


def test_included_elements_without_activities_are_named_not_costed_at_zero():
    from types import SimpleNamespace

    from kamlib.report import service_model as smv

    sm_ = SimpleNamespace(costs=pd.DataFrame({"not_costed": [["finance", "training"], []]}))
    assert smv.uncosted_note(sm_) == (
        "Finance and training have no activity behind them in the data, so the package "
        "costs leave them out: the costs above are of the other elements, and what they "
        "would cost is to add before a package is promised."
    )
    sm_.costs = pd.DataFrame({"not_costed": [[], []]})
    assert smv.uncosted_note(sm_) == ""


def test_each_heatmap_says_where_its_groups_differ_most():
    m = pd.DataFrame({
        "group": ["direct", "online"] * 3, "element": ["training"] * 2 + ["support"] * 2
        + ["quality"] * 2, "importance": [3.5, 2.1, 4.2, 3.4, 4.0, 4.2], "enough": True,
        "respondents": 5,
    })  # fmt: skip
    model = sm.ServiceModel(["training", "support", "quality"], {"channel": m}, None, None,
                            None, None, 10, 3)  # fmt: skip
    said = smv.heat_takeaway(model, "channel")
    assert said == (
        "Where the channels differ most: training, 3.5 for direct against 2.1 for online; "
        "support, 4.2 for direct against 3.4 for online. On the other elements they are "
        "within 0.5 points."
    )
    same = dataclasses.replace(model, matrices={"channel": m.assign(importance=4.0)})
    assert "the same package can serve them all" in smv.heat_takeaway(same, "channel")
    assert smv.heat_takeaway(model, "region") == ""


def test_the_gap_chart_ranks_as_the_gap_table():
    from kamlib.report import charts

    # raw means rank b above a; shown to one decimal they tie, and the table keeps a first
    g = pd.DataFrame({
        "group": ["S", "S", "S"], "element": ["a", "b", "c"],
        "importance": [4.04, 4.049, 2.0], "satisfaction": [2.96, 2.951, 3.0],
        "respondents": 5, "enough": True,
        "status": ["under-served", "under-served", "over-served"],
    })  # fmt: skip
    g["gap"] = g["importance"] - g["satisfaction"]
    model = sm.ServiceModel(["a", "b", "c"], {}, g, None, None, None, 10, 3)
    table = smv.gap_view(model)
    fig = charts.gap_bars(table)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()][::-1]  # top first
    assert labels == [f"{e} — S" for e in table["element"]]
    assert table["element"].tolist() == ["a", "b", "c"]


def test_the_buyer_contrast_subtracts_as_printed():
    pk = pd.DataFrame({"segment": ["L", "P"], "orientation": ["loyalty", "price"],
                       "element": "supply chain", "importance": [3.76, 2.44],
                       "decision": sm.INCLUDED, "basis": "segment ratings"})  # fmt: skip
    model = sm.ServiceModel(["supply chain"], {}, None, pk, None, None, 10, 3)
    row = smv.contrast_view(model).iloc[0]
    # raw 3.76 - 2.44 = 1.32 shown 1.3 beside 3.8 and 2.4: the difference is 1.4 as printed
    assert (row["loyalty"], row["price"], row["difference"]) == (3.8, 2.4, 1.4)
