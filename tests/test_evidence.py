"""Evidence rules: the months behind a comparison, and what the pack delivers."""

from __future__ import annotations

import pandas as pd

from conftest import write_csvs, write_engagement
from kamlib import fmt, open_engagement
from kamlib.core.evidence import Evidence, of_pack
from kamlib.report.notebook import no_maths
from kamlib.report.words import comparison_reason


def test_months_behind_each_side_of_a_comparison():
    e = Evidence(pd.Timestamp("2024-10-01"), pd.Timestamp("2026-09-01"), frozenset())
    full = e.compare("2026-09-30")
    assert (full.current_months, full.prior_months, full.full) == (12, 12, True)
    assert comparison_reason(full) == ""
    later = Evidence(pd.Timestamp("2025-05-01"), pd.Timestamp("2026-09-01"), frozenset())
    c = later.compare("2026-09-30")
    assert (c.current_months, c.prior_months, c.full) == (12, 5, False)
    assert "starts in May 2025" in comparison_reason(c) and "only 5 months" in comparison_reason(c)
    stale = Evidence(pd.Timestamp("2023-01-01"), pd.Timestamp("2026-06-01"), frozenset())
    assert stale.compare("2026-09-30").current_months == 9  # the data stops in June
    assert "covers only 9 of the last 12 months" in comparison_reason(stale.compare("2026-09-30"))
    assert e.history_before("2026-09-30", 24) and not later.history_before("2026-09-30", 24)


def test_a_pack_says_which_inputs_it_delivers(tmp_path):
    folder = write_engagement(tmp_path / "e")
    write_csvs(
        folder / "pack",
        {
            "accounts": pd.DataFrame({"account_id": ["A"], "account_name": ["Alpha"]}),
            "revenue": pd.DataFrame(
                {
                    "account_id": ["A", "A"],
                    "date": ["2025-02", "2026-03"],
                    "amount": [1, 2],
                    "product": ["X", "Y"],
                }  # fmt: skip
            ),
        },
    )
    eng = open_engagement(folder)
    ev = eng.evidence
    assert ev.first == pd.Timestamp("2025-02-01") and ev.last == pd.Timestamp("2026-03-01")
    assert ev.has("products") and not ev.has("cost") and not ev.has("activities")
    assert ev.missing("cost") == "no cost of goods in the revenue data"
    assert ev.missing("contacts") == "no contacts table"
    assert of_pack(eng.pack) == ev


def test_currency_symbols_codes_and_words():
    assert fmt.money(1234, "USD", short=False) == "$1,234"
    assert fmt.money(-350_400, "GBP") == "−£350 k"
    assert fmt.money(5_000, "SEK") == "SEK 5.0 k"
    assert fmt.currency_name("CHF") == "Swiss francs" and fmt.currency_name("NOK")
    fmt.use_currency("CHF")
    assert fmt.money(2_500_000) == "CHF 2.5 M"  # no amount falls back to euros


def test_generated_text_never_becomes_maths_or_markup():
    text = f"It bought **{fmt.money(320_000, 'USD')}**, after {fmt.money(6968, 'USD')}."
    assert no_maths(text) == "It bought **\\$320 k**, after \\$7.0 k."
    assert fmt.md_text("Müller_&_Söhne *Pro* <b>") == ("Müller\\_&amp;\\_Söhne \\*Pro\\* &lt;b&gt;")
