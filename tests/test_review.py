"""Step 0 computations on small hand-made packs with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import accounts_frame, write_csvs
from kamlib.core.periods import trailing_window
from kamlib.intake import checks
from kamlib.intake.datapack import load_datapack
from kamlib.method import review
from kamlib.report import review as reviewv


def make_pack(tmp_path, revenue: pd.DataFrame, accounts: pd.DataFrame | None = None):
    return load_datapack(
        write_csvs(
            tmp_path / "p",
            {
                "accounts": accounts if accounts is not None else accounts_frame(),
                "revenue": revenue,
            },
        )
    )


def rev(rows):
    return pd.DataFrame(rows, columns=["account_id", "date", "amount"])


def test_trailing_window_bounds():
    start, end = trailing_window("2026-03-31", 12)
    assert (start, end) == (pd.Timestamp("2025-03-31"), pd.Timestamp("2026-03-31"))
    assert trailing_window("2026-03-31", 12, back=1) == (
        pd.Timestamp("2024-03-31"),
        pd.Timestamp("2025-03-31"),
    )


def test_revenue_change_known_answer(tmp_path):
    pack = make_pack(
        tmp_path,
        rev(
            [
                ("A1", "2026-03", 150),
                ("A1", "2025-03", 100),  # +50 %
                ("A2", "2025-06", 80),
                ("A2", "2024-06", 100),  # -20 %
                ("A3", "2025-02", 40),  # prior only -> -100 %
                ("A3", "2024-03", 999),  # outside both windows
            ]
        ),
    )
    ch = checks.revenue_change(pack["revenue"], "2026-03-31", 12).set_index("account_id")
    assert ch.loc["A1", "change"] == pytest.approx(0.5)
    assert ch.loc["A2", "change"] == pytest.approx(-0.2)
    assert ch.loc["A3", "trailing"] == 0 and ch.loc["A3", "prior"] == 40
    assert ch.loc["A3", "change"] == pytest.approx(-1.0)


def test_revenue_change_by_account_positions_is_the_same_as_by_id(monkeypatch):
    rng = np.random.default_rng(7)
    ids = pd.Index(["b", "a", "c", "d"])
    at = rng.integers(0, 3, 200)  # d has no line
    days = pd.Timestamp("2024-04-30") + pd.to_timedelta(rng.integers(0, 730, 200), "D")
    lines = pd.DataFrame(
        {"account_id": ids.to_numpy()[at], "amount": rng.normal(100, 50, 200), "date": days}
    )
    by_id = checks.revenue_change(lines, "2026-03-31", 12)
    by_position = checks.revenue_change(lines, "2026-03-31", 12, at, ids)
    # summed by number a block at a time: the same sums but for the last bit of rounding
    pd.testing.assert_frame_equal(by_position, by_id, check_exact=False, rtol=1e-12)
    monkeypatch.setattr(checks, "BLOCK", 7)  # many blocks: the same sums
    in_blocks = checks.revenue_change(lines, "2026-03-31", 12, at, ids)
    pd.testing.assert_frame_equal(in_blocks, by_id, check_exact=False, rtol=1e-12)
    assert by_id["account_id"].tolist() == ["a", "b", "c"]


def test_repeated_lines_find_what_duplicated_finds(monkeypatch):
    """The hash only narrows the comparison: equal lines hash alike whatever they hold
    (missing values, -0.0, no product, an id that is no account's), and different lines
    that hash alike are still told apart."""
    rng = np.random.default_rng(3)
    n = 3000
    ids = np.array(["A1", "A2", "A3", "X", "Y"], dtype=object)  # X, Y: no account's
    at = rng.integers(0, 5, n)
    lines = pd.DataFrame({
        "account_id": ids[at],
        "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 3, n), "D"),
        "product": rng.choice(np.array(["p", "q", None], dtype=object), n),
        "amount": rng.choice([0.0, -0.0, 1.5, np.nan, 2.0], n),
    })  # fmt: skip
    lines.loc[::50, "date"] = pd.NaT
    cols = ["account_id", "date", "product", "amount"]
    positions = np.where(at < 3, at, -1)  # X and Y: both -1, told apart by their text
    got = checks.repeated_lines(lines, cols, positions)
    expected = lines.duplicated(cols, keep="first")
    assert got.tolist() == expected.tolist() and 0 < expected.sum() < n
    assert got.index.equals(lines.index)
    monkeypatch.setattr(checks, "BLOCK", 64)  # hashed a block at a time: lines repeated
    in_blocks = checks.repeated_lines(lines, cols, positions)  # across blocks still found
    assert in_blocks.tolist() == expected.tolist()


def test_analysis_findings(tmp_path):
    acc = pd.concat(
        [accounts_frame(), pd.DataFrame({"account_id": ["A4"], "account_name": ["Delta AB"]})]
    )
    pack = make_pack(
        tmp_path,
        rev(
            [
                ("A1", "2026-03", 300),
                ("A1", "2025-03", 100),  # +200 %: outlier
                ("A2", "2026-01", 90),
                ("A2", "2025-01", 99),
                ("A2", "2024-04", 1),  # -10 %: fine; the data covers both years
                ("A3", "2025-02", 40),  # lapsed, not an outlier
                ("A2", "2026-05", 5),  # after as-of
            ]
        ),
        accounts=acc,
    )
    found = checks.analysis_findings(pack, "2026-03-31", 12, outlier_change=0.8)
    text = "\n".join(f.message for f in found)
    assert "1 row is dated after the as-of date 31 March 2026" in text
    assert "1 row has no revenue at all (row 5: 'A4')" in text
    assert "no revenue in the trailing 12 months" in text and "'A3'" in text
    (outlier,) = [f for f in found if "moved by more than" in f.message]
    assert outlier.examples == ("A1 at +200 %",)
    assert "1 accounts" not in outlier.message and "80 %, up or down" in outlier.message
    assert any("has months with no revenue at all" in m for m in text.splitlines())


def test_a_partial_prior_year_is_no_basis_for_growth_or_outliers(tmp_path):
    # the revenue starts in October 2024: the 12 months before the last 12 hold 6 of theirs
    pack = make_pack(
        tmp_path,
        rev([("A1", "2026-03", 300), ("A1", "2024-10", 100), ("A2", "2026-01", 90),
             ("A2", "2025-01", 100)]),
    )  # fmt: skip
    found = checks.analysis_findings(pack, "2026-03-31", 12, outlier_change=0.8)
    assert not [f for f in found if "moved by more than" in f.message]  # A1 +200 % not claimed
    (partial,) = [f for f in found if "hold only" in f.message]
    assert "hold only 6 months of revenue" in partial.message
    assert partial.action == "growth left out" and "April 2024" in partial.message
    assert not [f for f in found if "of the trailing 12 months" in f.message]


def test_a_pack_shorter_than_a_year_says_its_revenue_is_not_a_years(tmp_path):
    pack = make_pack(tmp_path, rev([("A1", "2025-10", 300), ("A1", "2026-03", 100)]))
    found = checks.analysis_findings(pack, "2026-03-31", 12)
    (short,) = [f for f in found if "of the trailing 12 months" in f.message]
    assert "covers only 6 of the trailing 12 months" in short.message
    assert short.action == "partial year"


def test_monthly_revenue_fills_missing_months(tmp_path):
    pack = make_pack(
        tmp_path, rev([("A1", "2026-01", 10), ("A2", "2026-01", 5), ("A1", "2026-03", 7)])
    )
    m = review.monthly_revenue(pack)
    assert m["revenue"].tolist() == [15, 0, 7]
    assert m["accounts"].tolist() == [2, 0, 1]


def test_completeness_and_overview(tmp_path):
    acc = accounts_frame().assign(industry=["Retail", None, None])
    pack = make_pack(tmp_path, rev([("A1", "2026-01", 10)]), accounts=acc)
    comp = review.completeness(pack).set_index(["table", "column"])
    assert comp.loc[("accounts", "industry"), "filled"] == pytest.approx(1 / 3)
    assert comp.loc[("accounts", "industry"), "missing rows"] == 2
    assert comp.loc[("accounts", "region"), "filled"] == 0
    ov = review.table_overview(pack).set_index("table")
    assert ov.loc["revenue", "rows"] == 1
    assert ov.loc["revenue", "from"] == pd.Timestamp("2026-01-01")
    assert ov.loc["surveys", "status"] == "missing"


def test_readiness_and_headline(tmp_path):
    pack = make_pack(tmp_path, rev([("A1", "2026-01", 10), ("A2", "2025-01", 5)]))
    ready = reviewv.readiness(pack).set_index("needs")
    assert ready.loc["Activities table", "available"] == "no"
    assert (
        "cost-to-serve and net contribution are not available"
        in ready.loc["Activities table", "without it"]
    )
    # everything delivered: no empty "without it" column
    from kamlib.intake.engagement import open_engagement

    demo = open_engagement("demo").pack
    some = reviewv.readiness(demo, "2026-09-30")
    assert not (some["available"] == "no").any()  # every table, some columns partly filled
    assert ((some["without it"] == "") == (some["available"] == "yes")).all()
    acc = demo["accounts"]
    demo.tables["accounts"] = acc.fillna({c: acc[c].dropna().iloc[0] for c in acc.columns})
    full = reviewv.readiness(demo, "2026-09-30")
    assert set(full["available"]) == {"yes"} and "without it" not in full.columns
    head = review.headline(pack, [], "2026-03-31", 12)
    assert head["trailing_revenue"] == 10 and head["invoiced_accounts"] == 1
    assert head["months"] == 2 and head["tables_present"] == 2
    text = reviewv.summary_text(head)
    assert "**3 customers**" in text and "**€10**" in text and "No errors" in text
    assert "missing: activities" in text


def test_headline_counts_the_windows_accounts_by_place_and_an_unknown_id_by_text(
    tmp_path, monkeypatch
):
    lines = [("A1", "2026-01", 10), ("A2", "2026-02", 5), ("A1", "2026-03", 1),
             ("A3", "2024-01", 7), ("A2", "2025-01", 2)]  # fmt: skip
    monkeypatch.setattr(checks, "BLOCK", 2)  # the lines' places read two at a time
    head = review.headline(make_pack(tmp_path, rev(lines)), [], "2026-03-31", 12)
    assert head["invoiced_accounts"] == 2 and head["trailing_revenue"] == 16
    assert head["never_invoiced"] == 0 and head["months"] == 5
    from kamlib.intake.datapack import read_datapack  # a pack with its error: X9

    tables = {"accounts": accounts_frame(), "revenue": rev([*lines, ("X9", "2026-03", 4)])}
    unknown = read_datapack(write_csvs(tmp_path / "u", tables))
    assert unknown.account_lines("revenue").min() == -1  # X9: no account's
    head = review.headline(unknown, [], "2026-03-31", 12)
    assert head["invoiced_accounts"] == 3 and head["trailing_revenue"] == 20


def test_findings_table_orders_errors_first():
    from kamlib.intake.datapack import Finding

    fs = [
        Finding("info", "t", "s", "c", 1, (), "note", "x"),
        Finding("error", "t", "s", "c", 1, (), "bad", "stops the run"),
        Finding("warning", "", "s", "c", 1, (), "hmm", "kept"),
    ]
    t = reviewv.findings_table(fs)
    assert t["level"].tolist() == ["error", "warning", "note"]  # "note" is what readers see
    assert t["table"].tolist() == ["T", "Data pack", "T"]


def test_findings_speak_of_tables_and_columns_in_words_and_keep_the_file_for_the_owner():
    from kamlib.intake.datapack import Finding

    f = Finding(
        "warning",
        "accounts",
        "clients.xlsx [Accounts]",
        "estimated_wallet",
        2,
        ("4: '-5'",),
        "clients.xlsx [Accounts], column 'estimated_wallet': 2 rows are negative (row 4: "
        "'-5'). Fix: estimated_wallet is a number; correct or blank those values.",
        "left blank",
    )
    row = reviewv.findings_table([f]).iloc[0]
    assert row["finding"] == (
        "Estimated wallet (accounts table): 2 rows are negative (−5 in row 4). Fix: estimated "
        "wallet is a number; correct or blank those values."
    )
    assert (row["table"], row["column"]) == ("Accounts", "Estimated wallet")
    assert (row["file"], row["column_name"]) == ("clients.xlsx [Accounts]", "estimated_wallet")


def test_readiness_says_when_a_column_is_only_partly_filled(tmp_path):
    pack = make_pack(tmp_path, rev([("A1", "2026-01", 10), ("A2", "2025-01", 5)]))
    n = len(pack["accounts"])
    pack.tables["accounts"] = pack["accounts"].assign(loyalty=[4.0] + [None] * (n - 1))
    ready = reviewv.readiness(pack).set_index("needs")
    loyalty = "Loyalty rating (accounts table)"
    assert ready.loc[loyalty, "available"] == f"partly ({round(100 / n)} %)"
    assert ready.loc[loyalty, "without it"].startswith("for the rows without it:")


def test_old_service_interviews_are_asked_for_again_first():
    from kamlib.report.review import _interview_step

    old = {"ratings_latest": pd.Timestamp("2025-08-12")}
    assert _interview_step(old, "2026-09-30") == [
        "Ask for new service interviews with the key accounts: the latest is from August "
        "2025, and the service packages rest on them."
    ]
    assert _interview_step({"ratings_latest": pd.Timestamp("2026-03-01")}, "2026-09-30") == []
    assert _interview_step({"ratings_latest": None}, "2026-09-30") == []
