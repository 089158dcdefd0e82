"""The step workbooks as the client's analyst reads them: the glossary's labels, a format
per column, Yes/No, numbers stored as numbers, a definitions sheet."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from kamlib.report import workbook as wbk


def test_every_term_has_a_known_kind_and_a_meaning():
    for name, term in wbk.GLOSSARY.items():
        assert term.kind in wbk.KIND_FORMAT, name
        assert term.label and term.label[0].isupper() and "_" not in term.label, name
        assert term.means.endswith("."), name


def test_one_label_per_quantity():
    synonyms = {"account", "account_name"}  # the same quantity under two method names
    labels = [t.label for n, t in wbk.GLOSSARY.items() if n not in synonyms]
    assert len(labels) == len(set(labels)), sorted(x for x in labels if labels.count(x) > 1)


def test_a_header_is_the_label_or_the_name_in_words():
    assert wbk.label("net_margin") == "Net margin"
    assert wbk.label("cost: support_ticket") == "Cost: support ticket"
    assert wbk.label("KPI (key accounts)") == "KPI (key accounts)"
    assert wbk.label("margin to pay") == "Margin to pay"


def test_the_client_frame_labels_formats_and_says_yes_or_no():
    df = pd.DataFrame(
        {
            "account_name": ["A", "B"],
            "revenue": [1000.0, 2000.0],
            "growth": [0.1, np.nan],
            "candidate": [True, False],
            "pays": ["yes", "unknown"],
            "opps_won": [3, 4],
            "account": ["a", "b"],
        }
    )
    out, fmts = wbk.client_frame(df, {"opps_won": "number"})
    assert list(out.columns) == [
        "Account", "Revenue", "Revenue growth", "Candidate", "Pays for itself",
        "Opportunities won", "Account (account)",
    ]  # fmt: skip
    assert out["Candidate"].tolist() == ["Yes", "No"]
    assert out["Pays for itself"].tolist() == ["Yes", "Unknown"]
    assert fmts["Revenue"] == "money" and fmts["Revenue growth"] == "pct"
    assert fmts["Opportunities won"] == "number"  # the step's format wins
    assert out["Revenue growth"].isna().tolist() == [False, True]  # unknown stays empty


def test_definitions_list_each_term_once_with_its_sheets():
    d = wbk.definitions(
        {
            "Accounts": pd.DataFrame(columns=["revenue", "growth", "my own"]),
            "Segments": pd.DataFrame(columns=["revenue"]),
        }
    )
    assert d["Column"].tolist() == ["Revenue", "Revenue growth"]
    assert d.set_index("Column").at["Revenue", "Sheets"] == "Accounts, Segments"


def test_the_written_workbook_holds_labels_formats_and_definitions(tmp_path):
    df = pd.DataFrame({"net_margin": [0.12], "period_end": [pd.Timestamp("2026-09-30")],
                       "enough": [True], "respondents": [12]})  # fmt: skip
    path = wbk.export(str(tmp_path), "x.xlsx", {"Data": df})
    wb = load_workbook(path)
    assert wb.sheetnames == ["Data", "Definitions"]
    ws = wb["Data"]
    assert [c.value for c in ws[1]] == ["Net margin", "Period end", "Enough respondents",
                                        "Respondents"]  # fmt: skip
    assert ws["A2"].number_format == "0.0%" and ws["A2"].value == 0.12
    assert ws["B2"].number_format == "yyyy-mm-dd" and ws["C2"].value == "Yes"
    assert ws["D2"].number_format == "#,##0"
    assert wbk.export("", "x.xlsx", {"Data": df}) == ""


NUMBER_AS_TEXT = re.compile(r"^[−+-]?\d[\d,.]*\s?(%|pts)?$")


def check_workbook(path) -> list[str]:
    """What a client's analyst would trip over in a workbook: internal names as headers,
    TRUE/FALSE, numbers stored as text, a share not formatted as a percent."""
    problems = []
    wb = load_workbook(path)
    if "Definitions" not in wb.sheetnames:
        problems.append(f"{path.name}: no Definitions sheet")
    pct = {t.label for t in wbk.GLOSSARY.values() if t.kind == "pct"}
    for ws in wb.worksheets:
        heads = [c.value for c in ws[1]]
        problems += [f"{path.name}/{ws.title}: header {h!r}" for h in heads if "_" in str(h)]
        for row in ws.iter_rows(min_row=2):
            for head, cell in zip(heads, row, strict=False):
                if isinstance(cell.value, bool):
                    problems.append(f"{path.name}/{ws.title}: TRUE/FALSE in {head!r}")
                elif isinstance(cell.value, str) and NUMBER_AS_TEXT.match(cell.value):
                    problems.append(f"{path.name}/{ws.title}: number as text in {head!r}")
                elif head in pct and isinstance(cell.value, float):
                    if cell.number_format != "0.0%":
                        problems.append(f"{path.name}/{ws.title}: {head!r} not as percent")
    return sorted(set(problems))
