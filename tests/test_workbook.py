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
    assert wbk.label("margin to cover") == "Margin to cover"


def test_the_client_frame_labels_formats_and_says_yes_or_no():
    df = pd.DataFrame(
        {
            "account_name": ["A", "B"],
            "revenue": [1000.0, 2000.0],
            "growth": [0.1, np.nan],
            "candidate": [True, False],
            "covers its cost": ["yes", "unknown"],
            "opps_won": [3, 4],
            "account": ["a", "b"],
        }
    )
    out, fmts = wbk.client_frame(df, {"opps_won": "number"})
    assert list(out.columns) == [
        "Account", "Revenue", "Revenue growth", "Candidate", "Covers its cost",
        "Opportunities won", "Account (account)",
    ]  # fmt: skip
    assert out["Candidate"].tolist() == ["Yes", "No"]
    assert out["Covers its cost"].tolist() == ["Yes", "Unknown"]
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


def libreoffice_sheets(book, tmp) -> dict[str, list[list[str]]]:
    """Every sheet of ``book`` as LibreOffice shows it (headless, cells as formatted),
    read back from one CSV per sheet: what an analyst sees on opening the file."""
    import csv
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        import pytest

        pytest.skip("LibreOffice is not installed (make test installs it where apt-get can)")
    out = tmp / "csv"
    # all sheets (-1), UTF-8 (76), cells as shown (true): the formats applied
    filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
         "--convert-to", filt, "--outdir", str(out), str(book)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    sheets = {}
    for path in sorted(out.glob(f"{book.stem}-*.csv")):
        with path.open(encoding="utf-8") as f:
            sheets[path.stem[len(book.stem) + 1 :]] = list(csv.reader(f))
    return sheets


def check_in_libreoffice(book, tmp, symbol: str = "€") -> list[str]:
    """What LibreOffice shows that an analyst should not see: a sheet it cannot read, an
    error or overflow (###) in a cell, an amount without its currency, a share without
    %, a Yes/No column with anything else."""
    problems = []
    names = load_workbook(book, read_only=True).sheetnames
    shown = libreoffice_sheets(book, tmp)
    problems += [f"{book.name}: sheet '{n}' not read" for n in names if n not in shown]
    kinds = {t.label: t.kind for t in wbk.GLOSSARY.values()}
    for sheet, rows in shown.items():
        if not rows:
            continue
        head = rows[0]
        for r in rows[1:]:
            for h, v in zip(head, r, strict=False):
                where = f"{book.name} [{sheet}] {h}: {v!r}"
                if v.startswith(("#", "Err:")):
                    problems.append(where)
                elif v and kinds.get(h) == "money" and symbol not in v:
                    problems.append(where + " has no currency")
                elif v and kinds.get(h) == "pct" and not v.endswith("%"):
                    problems.append(where + " is not shown as a share")
                elif v and kinds.get(h) == "yesno" and v not in ("Yes", "No", "Unknown"):
                    problems.append(where + " is not Yes or No")
    return problems


def test_the_libreoffice_check_catches_what_an_analyst_would(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Accounts"
    ws.append(["Revenue", "Gross margin", "Candidate"])
    ws.append([1000.0, 0.3, "TRUE"])  # no currency, no %, not Yes/No
    ws["A3"], ws["B3"], ws["C3"] = 5.0, 0.25, "Yes"
    ws["A3"].number_format, ws["B3"].number_format = '"€"#,##0', "0.0%"
    book = tmp_path / "bad.xlsx"
    wb.save(book)
    problems = check_in_libreoffice(book, tmp_path)
    assert len(problems) == 3
    assert "has no currency" in problems[0] and "'1000'" in problems[0]
    assert "not shown as a share" in problems[1] and "not Yes or No" in problems[2]
