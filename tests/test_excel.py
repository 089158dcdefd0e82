"""Excel exports and the intake form."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from kamlib.core.excel import export_workbook
from kamlib.intake.form import write_intake
from kamlib.intake.schema import TABLES


def test_text_never_becomes_a_formula(tmp_path):
    df = pd.DataFrame(
        {
            "name": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "ok"],
            "revenue": [1.5, 2.0, 3.0, 4.0, 1234.5],
        }
    )
    path = export_workbook(tmp_path / "x.xlsx", {"Accounts": df})
    ws = load_workbook(path)["Accounts"]
    for row in range(2, 6):
        assert ws.cell(row, 1).data_type == "s"
    assert ws.cell(2, 1).value == '=HYPERLINK("x")'
    assert ws.cell(6, 2).value == 1234.5 and ws.cell(6, 2).number_format == '"€"#,##0;-"€"#,##0'
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:B6"
    assert ws.column_dimensions["A"].width >= 10


def test_money_is_formatted_in_the_engagements_currency(tmp_path):
    from kamlib import fmt

    fmt.use_currency("CHF")
    df = pd.DataFrame({"revenue": [1234.5], "quantity": [250.0], "margin": [0.3]})
    ws = load_workbook(export_workbook(tmp_path / "x.xlsx", {"S": df}))["S"]
    assert ws.cell(2, 1).number_format == '"CHF "#,##0;-"CHF "#,##0'
    assert ws.cell(2, 2).number_format == "#,##0"  # a quantity is no amount of money
    assert ws.cell(2, 3).number_format == "0.0%"


def test_explicit_formats_and_atomic_replace(tmp_path):
    path = tmp_path / "x.xlsx"
    export_workbook(path, {"A": pd.DataFrame({"share": [0.5]})}, formats={"A": {"share": "pct"}})
    assert load_workbook(path)["A"]["A2"].number_format == "0.0%"
    export_workbook(path, {"B": pd.DataFrame({"n": [1]})})
    assert load_workbook(path).sheetnames == ["B"]
    assert [p.name for p in tmp_path.iterdir()] == ["x.xlsx"]  # no temporary file left


def test_intake_form_has_every_table_notes_and_validation_lists(tmp_path):
    wb = load_workbook(write_intake(tmp_path / "intake.xlsx"))
    assert wb.sheetnames == ["_about"] + list(TABLES)
    ws = wb["contacts"]
    headers = [c.value for c in ws[1]]
    assert headers == TABLES["contacts"].column_names
    assert str(ws["A2"].value).startswith("# required")
    assert str(ws["A3"].value).startswith("# e.g.")
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"supporter,neutral,detractor"' in lists and '"yes,no"' in lists


def test_data_dictionary_in_docs_is_up_to_date():
    from kamlib.core.paths import ROOT
    from kamlib.intake.schema import data_dictionary

    assert (ROOT / "docs" / "data-dictionary.md").read_text() == data_dictionary() + "\n"


def test_same_content_same_bytes_no_time_of_saving_inside(tmp_path):
    import zipfile

    df = pd.DataFrame({"account": ["A", "B"], "revenue": [1500.0, 20.0]})
    first = export_workbook(tmp_path / "a.xlsx", {"Accounts": df})
    with zipfile.ZipFile(first) as z:
        # one date for every entry, XlsxWriter's fixed one, never the time of writing
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        assert b"1980-01-01T00:00:00Z</dcterms:modified>" in z.read("docProps/core.xml")
    second = export_workbook(tmp_path / "b.xlsx", {"Accounts": df})
    assert first.read_bytes() == second.read_bytes()
    assert load_workbook(second)["Accounts"]["B2"].value == 1500


def test_a_column_may_carry_one_format_per_row(tmp_path):
    df = pd.DataFrame({"kpi": ["retention", "NPS"], "value": [96.9, -16.0]})
    fmts = {"S": {"value": ["0.0", "#,##0"]}}
    ws = load_workbook(export_workbook(tmp_path / "x.xlsx", {"S": df}, formats=fmts))["S"]
    assert [ws.cell(r, 2).number_format for r in (2, 3)] == ["0.0", "#,##0"]
    assert ws.cell(3, 2).value == -16  # a number, not text


def test_every_kind_of_value_reads_back_as_written(tmp_path):
    import datetime as dt

    import numpy as np

    df = pd.DataFrame(
        {
            "name": ["A & B <GmbH>", " spaced ", "bell\x07", None],
            "flag": [True, False, True, False],
            "when": pd.to_datetime(["2024-01-31", "2024-02-29", None, "2023-12-31"]),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "revenue": [1.5, np.nan, np.inf, -2.25],
            "mixed": ["text", 2.5, 7, None],
        }
    )
    ws = load_workbook(export_workbook(tmp_path / "x.xlsx", {"S": df}))["S"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[0] == ["A & B <GmbH>", True, dt.datetime(2024, 1, 31), 1, 1.5, "text"]
    assert rows[1] == [" spaced ", False, dt.datetime(2024, 2, 29), None, None, 2.5]
    # a control character is written as Excel escapes it (Excel shows the character;
    # openpyxl reads the escape), where XML itself could not hold it
    assert rows[2][:3] == ["bell_x0007_", True, None] and rows[2][4:] == [None, 7]  # inf: empty
    assert rows[3] == [None, False, dt.datetime(2023, 12, 31), 4, -2.25, None]
    assert ws["C2"].number_format == "yyyy-mm-dd"


def test_text_of_every_kind_is_written_as_the_same_cells(tmp_path):
    """Object, Python and Arrow strings give the same XML: markup escaped, white space
    at either end (as Python counts it: an em space, a next-line character) kept, text
    that starts like a formula quoted, a missing text no cell at all."""
    import re
    import zipfile

    texts = ["=1+1", "\u2003lead", "trail\x85", "a&b<c>", "", None, "plain"]
    kinds = {"object": pd.Series(texts, dtype=object),
             "python": pd.Series(texts, dtype="string[python]"),
             "arrow": pd.Series(texts, dtype="string[pyarrow]")}  # fmt: skip
    sheets = {}
    for kind, col in kinds.items():
        path = export_workbook(tmp_path / f"{kind}.xlsx", {"S": pd.DataFrame({"t": col})})
        sheets[kind] = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert sheets["object"] == sheets["python"] == sheets["arrow"]
    cells = dict(re.findall(r'<c r="(A\d+)"([^>]*>.*?</c>)', sheets["object"]))
    assert cells["A3"].endswith('<t xml:space="preserve">\u2003lead</t></is></c>')
    assert cells["A4"].endswith('<t xml:space="preserve">trail\x85</t></is></c>')
    assert cells["A5"].endswith("<t>a&amp;b&lt;c&gt;</t></is></c>")
    assert cells["A6"].endswith("<t></t></is></c>")  # empty text is a cell; missing is none
    assert "A7" not in cells and "A8" in cells
    quoted = re.search(r's="(\d+)"', cells["A2"]).group(1)  # =1+1: the quote prefix style
    assert all(f's="{quoted}"' not in cells[a] for a in ("A3", "A5", "A8"))
    ws = load_workbook(tmp_path / "arrow.xlsx")["S"]
    assert ws["A2"].value == "=1+1" and ws["A2"].quotePrefix and ws["A2"].data_type == "s"


def test_rows_are_written_a_block_at_a_time_into_the_same_file(tmp_path, monkeypatch):
    from kamlib.core import excel

    df = pd.DataFrame({"account": [f"A{i}" for i in range(7)], "revenue": range(7)})
    one = export_workbook(tmp_path / "a.xlsx", {"S": df})
    monkeypatch.setattr(excel, "BLOCK_ROWS", 3)
    blocks = export_workbook(tmp_path / "b.xlsx", {"S": df})
    assert one.read_bytes() == blocks.read_bytes()
    assert [c.value for c in load_workbook(blocks)["S"]["A"]][-1] == "A6"


def test_a_table_longer_than_excel_holds_says_so_and_keeps_every_row_beside(tmp_path, monkeypatch):
    from kamlib.core import excel

    monkeypatch.setattr(excel, "EXCEL_ROWS", 6)  # a header, four rows and the note
    df = pd.DataFrame({"account": [f"A{i}" for i in range(9)], "revenue": range(9)})
    path = export_workbook(tmp_path / "seg.xlsx", {"Accounts": df, "Small": df.head(2)})
    ws = load_workbook(path)["Accounts"]
    assert [c.value for c in ws["A"]][1:5] == ["A0", "A1", "A2", "A3"]
    note = ws["A6"].value
    assert (
        note.startswith("This sheet shows the first 4 of 9 rows")
        and "seg - Accounts.parquet" in note
    )
    assert ws.auto_filter.ref == "A1:B5"  # the note is not filtered with the table
    beside = pd.read_parquet(tmp_path / "seg - Accounts.parquet")
    pd.testing.assert_frame_equal(beside, df)
    assert not (tmp_path / "seg - Small.parquet").exists()


def test_a_workbook_handed_to_the_runner_is_written_by_it_to_the_same_bytes(tmp_path):
    """In the runner's kernel a step's workbook is saved beside it for the runner to write
    while the next step runs: the file it writes is the one the step would have written,
    byte for byte, and nothing is left of the hand-over; a notebook run by hand writes
    its own."""
    from kamlib.core import excel

    sheets = {"Accounts": pd.DataFrame({"id": ["C-1", "=2"], "revenue": [1.5, 2.0]})}
    (tmp_path / "direct").mkdir()
    excel.export_report(str(tmp_path / "direct"), "01_x.xlsx", sheets, "#123456")
    excel.hand_to_runner()
    try:
        said = excel.export_report(str(tmp_path), "01_x.xlsx", sheets, "#123456")
    finally:
        excel.hand_to_runner(False)
    assert said == str(tmp_path / "01_x.xlsx") and not (tmp_path / "01_x.xlsx").exists()
    assert [p.name for p in tmp_path.glob(".workbook-*")] == [".workbook-01_x.xlsx.pickle"]
    assert excel.write_handed(tmp_path, "02_y") == []  # another step's: not written
    assert excel.write_handed(tmp_path, "01_x") == [tmp_path / "01_x.xlsx"]
    assert (tmp_path / "01_x.xlsx").read_bytes() == (tmp_path / "direct" / "01_x.xlsx").read_bytes()
    assert not list(tmp_path.glob(".workbook-*"))
    # by hand (the default): written at once
    excel.export_report(str(tmp_path), "03_z.xlsx", sheets)
    assert (tmp_path / "03_z.xlsx").is_file() and not list(tmp_path.glob(".workbook-*"))
