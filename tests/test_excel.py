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
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
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
