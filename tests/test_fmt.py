import pandas as pd

from kamlib import fmt
from kamlib.report.tables import KEEP_ROWS, table_html


def test_money_pct_count():
    assert fmt.money(1_234_567) == "€1.2 M"
    assert fmt.money(12_345) == "€12 k"
    assert fmt.money(999) == "€999"
    assert fmt.money(-2_500_000, "GBP") == "−£2.5 M"
    assert fmt.money(None) == "n/a"
    assert fmt.pct(0.734) == "73 %"
    assert fmt.pct(-0.051, 1, signed=True) == "−5.1 %"
    assert fmt.count(1500) == "1,500"
    assert fmt.plural(1, "account") == "1 account" and fmt.plural(2, "account") == "2 accounts"
    assert fmt.day("2025-10-01") == "1 Oct 2025" and fmt.day(None) == ""
    assert fmt.signed(-40) == "−40" and fmt.signed(2.5, 1) == "+2.5" and fmt.signed(None) == "n/a"


def test_table_html_formats_escapes_and_limits_rows():
    df = pd.DataFrame(
        {
            "name": ["<b>A</b>", "B", "C"],
            "revenue": [1234.5, 10.0, None],
            "share": [0.5, 0.25, 0.125],
        }
    )
    html = table_html(df, formats={"revenue": "money", "share": "pct"}, max_rows=2)
    assert "&lt;b&gt;A&lt;/b&gt;" in html
    assert "€1,234" in html or "€1,235" in html
    assert "50.0 %" in html and "12.5 %" not in html
    assert "Showing 2 of 3 rows" in html
    assert '<td class="num">' in html
    assert '<div class="table-wrap keep">' in html  # short: printed whole on one page
    long = table_html(pd.DataFrame({"n": range(KEEP_ROWS + 1)}))
    assert '<div class="table-wrap">' in long and "keep" not in long


def test_dates_and_short_words_keep_to_one_line_while_the_row_fits():
    df = pd.DataFrame({"period end": pd.to_datetime(["2024-12-31"]), "group": ["other accounts"],
                       "reasons": ["revenue down 18 % on the prior 12 months, more"]})  # fmt: skip
    html = table_html(df, formats={"period end": "day"})
    assert '<td class="nw">31 Dec 2024</td>' in html
    assert '<td class="nw">other accounts</td>' in html
    assert '<td class="">revenue down' in html  # a sentence may wrap
    long = table_html(pd.DataFrame({"segment": ["Tier 1 · price-driven, the largest buyers"]}))
    assert '<span class="nw">price-driven</span>' in long  # but never at a hyphen
    # fourteen short columns would not fit across the page unbroken: all may wrap
    wide = pd.DataFrame({f"c{i}": ["fourteen chars"] for i in range(14)})
    assert 'class="nw"' not in table_html(wide)


def test_show_displays_so_two_tables_in_one_cell_both_appear():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from kamlib.report.tables import show

    InteractiveShell.instance()  # display() publishes to a shell, as in a kernel
    with capture_output() as cap:
        first = show(pd.DataFrame({"a": [1]}), caption="First")
        show(pd.DataFrame({"b": [2]}), caption="Second")
    assert first is None  # nothing left for the cell to display twice
    shown = [o.data["text/html"] for o in cap.outputs]
    assert len(shown) == 2 and "First" in shown[0] and "Second" in shown[1]


def test_no_change_is_written_without_a_sign():
    assert (fmt.signed(0), fmt.signed(-0.2), fmt.signed(3), fmt.signed(-40)) == (
        "0",
        "0",
        "+3",
        "−40",
    )


def test_a_share_column_adds_up_to_100_percent_as_printed():
    from kamlib.report.tables import table_html

    df = pd.DataFrame({"segment": list("abc"), "share": [1 / 3, 1 / 3, 1 / 3]})
    out = table_html(df, formats={"share": "share"})
    assert out.count("33.3 %") == 2 and out.count("33.4 %") == 1  # not three 33.3 %
