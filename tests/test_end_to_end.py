"""The whole engagement, run as a consultant runs it, and the deliverables checked as a client
reads them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import EXAMPLE, accounts_frame, revenue_frame, write_csvs, write_engagement
from kamlib.core.errors import RunError
from kamlib.core.paths import NOTEBOOKS
from kamlib.run import runner

KAM = [sys.executable, "-m", "kamlib.run.cli"]


def kam(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [*KAM, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def kam_here(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``kam ARGS`` in this process, for commands that stop before running a notebook:
    the same exit code and output as the command, without a Python start-up each."""
    import contextlib
    import io
    from unittest import mock

    from kamlib.run import cli

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        mock.patch.object(sys, "argv", ["kam", *args]),
        mock.patch.dict(os.environ, env or {}),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["kam", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """`kam run` on the small Excel example pack, into a temporary reports folder."""
    reports = tmp_path_factory.mktemp("reports")
    done = kam("run", str(EXAMPLE), "--reports", str(reports))
    assert done.returncode == 0, done.stderr
    return reports / "example", done


@pytest.fixture
def example_copy(example_run, tmp_path):
    """A copy of the example run's reports folder, for a test that runs again into it
    (the module's run stays as it was for the tests that only read it)."""
    root, done = example_run
    copy = tmp_path / "reports" / root.name
    shutil.copytree(root, copy, symlinks=True)
    return copy, done


def test_run_prints_a_progress_line_per_notebook(example_run):
    _, done = example_run
    assert re.search(r"00_data_review\.ipynb\s+\d+\.\d s\s+→ html, pdf, xlsx", done.stdout)
    assert re.search(r"01_segmentation\.ipynb\s+\d+\.\d s\s+→ html, pdf, xlsx", done.stdout)
    assert "Traceback" not in done.stdout + done.stderr


def test_latest_holds_the_deliverables_and_manifest(example_run):
    root, _ = example_run
    latest = root / "latest"
    assert latest.is_symlink()
    names = {p.name for p in latest.iterdir()}
    assert {
        "00_data_review.ipynb",
        "00_data_review.html",
        "00_data_review.pdf",
        "00_data_review.xlsx",
        "01_segmentation.html",
        "01_segmentation.pdf",
        "01_segmentation.xlsx",
        "02_service_model.html",
        "02_service_model.pdf",
        "02_service_model.xlsx",
        "03_profitability.html",
        "03_profitability.pdf",
        "03_profitability.xlsx",
        "05_kpi_review.html",
        "05_kpi_review.pdf",
        "05_kpi_review.xlsx",
        "manifest.json",
    } <= names
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["client"] == "Example Client (small pack)"
    assert any(k.endswith("datapack.xlsx") and len(v) == 64 for k, v in manifest["inputs"].items())
    assert manifest["versions"]["papermill"]
    assert manifest["steps"][0]["execute_seconds"] > 0
    (plans,) = [s for s in manifest["steps"] if s["step"] == "account_plans"]
    assert [s["step"] for s in manifest["steps"]][-3:] == ["account_plans", "kpi_review", "deck"]
    assert (latest / "client" / "steering-committee.pptx").is_file()
    assert plans["step"] == "account_plans" and plans["plans"] == 3 and plans["failed"] == []
    assert {"plans/index.html", "plans/index.pdf"} == set(plans["outputs"])
    assert len(list((latest / "plans").glob("C-*.pdf"))) == 3


def test_plans_command_renders_named_accounts_and_keeps_the_others(example_copy):
    root, _ = example_copy
    before = {p.name: p.stat().st_ino for p in (root / "latest" / "plans").glob("C-*")}
    done = kam("plans", str(EXAMPLE), "-a", "Tauern Region AB", "--reports", str(root.parent))
    assert done.returncode == 0, done.stderr
    assert re.search(r"1 plan \(html, pdf by (Chromium|WeasyPrint)\)", done.stdout)
    assert "Index: " in done.stdout
    plans = root / "latest" / "plans"
    after = {p.name: p.stat().st_ino for p in plans.glob("C-*")}
    assert set(after) == set(before)  # the two other plans are carried over
    renewed = [n for n in after if after[n] != before[n]]
    assert sorted(renewed) == ["C-10032-tauern-region-ab.html", "C-10032-tauern-region-ab.pdf"]
    index = (plans / "index.html").read_text(encoding="utf-8").replace("\u00a0", " ")
    assert "Tauern Power S.L." in index  # its legal form kept on one line
    manifest = json.loads((root / "latest" / "manifest.json").read_text())
    assert [s["step"] for s in manifest["steps"]] == ["account_plans"]
    bad = kam_here("plans", str(EXAMPLE), "-a", "C-10033", "--reports", str(root.parent))
    assert bad.returncode == 2 and "not a key account" in bad.stderr
    assert "Traceback" not in bad.stderr
    runs = sorted(root.iterdir())
    env = {"KAM_CHROMIUM": "chromium-nowhere"}
    bad = kam_here("plans", str(EXAMPLE), "--reports", str(root.parent), env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "KAM_CHROMIUM=chromium-nowhere is not an executable" in bad.stderr
    assert "KAM_CHROMIUM=off" in bad.stderr and sorted(root.iterdir()) == runs


def test_fact_packs_are_the_datas_part_for_the_kick_off_and_kept_beside_the_plans(example_copy):
    root, _ = example_copy
    plans = {p.name for p in (root / "latest" / "plans").iterdir()}
    done = kam("plans", str(EXAMPLE), "--fact-pack", "-a", "C-10032", "--reports", str(root.parent))
    assert done.returncode == 0, done.stderr
    assert re.search(
        r"1 fact pack \(html, pdf by (Chromium|WeasyPrint)\) and fact-packs/", done.stdout
    )
    packs = root / "latest" / "fact-packs"
    html = (packs / "C-10032-tauern-region-ab.html").read_text(encoding="utf-8")
    assert "Account fact pack: Tauern Region AB" in html and "From the data — to discuss" in html
    assert "To complete" not in html and "Sign-off" not in html and "Agreed actions" not in html
    assert "Account fact packs" in (packs / "index.html").read_text(encoding="utf-8")
    assert (root / "latest" / "client" / "fact-packs" / "C-10032-tauern-region-ab.pdf").is_file()
    # the plans are carried over untouched; a later run keeps the fact packs
    assert {p.name for p in (root / "latest" / "plans").iterdir()} == plans
    manifest = json.loads((root / "latest" / "manifest.json").read_text())
    assert [s["step"] for s in manifest["steps"]] == ["fact_packs"]
    done = kam("run", str(EXAMPLE), "--only", "kpi_review", "--no-pdf", "--reports",
               str(root.parent))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (root / "latest" / "fact-packs" / "C-10032-tauern-region-ab.html").is_file()
    bad = kam_here("plans", str(EXAMPLE), "--fact-pack", "--inputs-template")
    assert bad.returncode == 2 and "one at a time" in bad.stderr


def test_html_is_a_client_deliverable(example_run):
    html = (example_run[0] / "latest" / "00_data_review.html").read_text()
    assert "Example Client (small pack)" in html
    assert "Confidential" in html
    assert "Traceback" not in html and "Warning" not in html
    assert "cm-editor" not in html and "highlight-ipynb" not in html, "code must not be shown"
    assert "import kamlib" not in html
    # self-contained: no external scripts, styles, images or fonts
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert html.count("data:image/png;base64") >= 2
    assert "Summary and recommendation" in html and "40 customers" in html


def test_pdf_has_cover_page_numbers_and_running_header(example_run):
    reader = PdfReader(example_run[0] / "latest" / "00_data_review.pdf")
    assert len(reader.pages) >= 4
    width_mm = float(reader.pages[0].mediabox.width) / 72 * 25.4
    height_mm = float(reader.pages[0].mediabox.height) / 72 * 25.4
    assert abs(width_mm - 210) < 1 and abs(height_mm - 297) < 1  # A4
    cover = reader.pages[0].extract_text()
    assert "Data review" in cover and "Page 1" not in cover
    second = reader.pages[1].extract_text()
    assert f"Page 2 of {len(reader.pages)}" in second
    assert "Example Client (small pack) · Data review" in second


def test_excel_export_opens(example_run):
    from openpyxl import load_workbook

    wb = load_workbook(example_run[0] / "latest" / "00_data_review.xlsx")
    assert wb.sheetnames == ["Findings", "Tables", "Completeness", "Readiness", "Definitions"]
    assert wb["Findings"].freeze_panes == "A2"


def test_failed_run_keeps_latest_and_the_failed_notebook(example_copy, tmp_path, monkeypatch):
    root, _ = example_copy
    before = os.readlink(root / "latest")
    runs = {p.name for p in root.iterdir()}
    broken = tmp_path / "notebooks"
    broken.mkdir()
    nb = nbformat.read(NOTEBOOKS / "00_data_review.ipynb", as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("1 / 0"))
    nbformat.write(nb, broken / "00_data_review.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOKS", broken)
    with pytest.raises(RunError) as e:
        runner.run_engagement(EXAMPLE, runner.RunOptions(reports=root.parent))
    msg = str(e.value)
    assert "00_data_review.ipynb failed in cell 6 (`1 / 0`): ZeroDivisionError" in msg
    assert "previous 'latest' reports are unchanged" in msg
    assert os.readlink(root / "latest") == before
    failed = [p for p in root.iterdir() if p.name not in runs]
    assert len(failed) == 1
    assert (failed[0] / "00_data_review.ipynb").is_file()
    assert json.loads((failed[0] / "manifest.json").read_text())["status"] == "failed"


def test_validate_rejects_bad_packs_with_clear_messages(tmp_path):
    bad = {
        "missing column": (
            {"accounts": accounts_frame().drop(columns="account_name"), "revenue": revenue_frame()},
            ["accounts.csv", "'account_name'", "required column is missing"],
        ),
        "duplicate ids": (
            {
                "accounts": accounts_frame().assign(account_id=["A1", "A1", "A3"]),
                "revenue": revenue_frame(),
            },
            ["accounts.csv", "'account_id'", "A1 in rows 2, 3"],
        ),
        "unknown account": (
            {"accounts": accounts_frame().iloc[:2], "revenue": revenue_frame()},
            ["revenue.csv", "'account_id'", "row 5: 'A3'"],
        ),
        "bad date": (
            {
                "accounts": accounts_frame(),
                "revenue": revenue_frame().assign(date=["2026-01", "Jan 26", "2026-01", "2025-12"]),
            },
            ["revenue.csv", "'date'", "row 3: 'Jan 26'"],
        ),
    }
    for case, (tables, expected) in bad.items():
        folder = write_engagement(tmp_path / case.replace(" ", "_"))
        write_csvs(folder / "pack", tables)
        done = kam_here("validate", str(folder))
        assert done.returncode == 2, case
        assert "Traceback" not in done.stderr + done.stdout, case
        for text in expected:
            assert text in done.stdout, (case, text, done.stdout)
        assert "error" in done.stderr


def test_run_stops_before_writing_anything_on_bad_data(tmp_path):
    folder = write_engagement(tmp_path / "bad")
    write_csvs(folder / "pack", {"accounts": accounts_frame().iloc[:2], "revenue": revenue_frame()})
    reports = tmp_path / "reports"
    done = kam_here("run", str(folder), "--reports", str(reports))
    assert done.returncode == 2
    assert "revenue.csv, column 'account_id'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not reports.exists()


def test_cli_bad_input_is_one_clear_message(tmp_path):
    done = kam_here("run", str(EXAMPLE), "--only", "segmentaton")
    assert done.returncode == 2 and "Unknown step 'segmentaton'" in done.stderr
    done = kam_here("run", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "No engagement config found" in done.stderr
    folder = write_engagement(tmp_path / "e", extra="brand:\n  colour: red\n")
    done = kam_here("validate", str(folder))
    assert done.returncode == 2
    assert "unknown setting 'brand.colour'" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_or_bad_parameters_are_refused_before_anything_runs(tmp_path):
    reports = tmp_path / "r"
    done = kam_here("run", str(EXAMPLE), "-p", "as_off=2026-06-30", "--reports", str(reports))
    assert done.returncode == 2
    assert "has a parameter 'as_off'. Did you mean 'as_of'?" in done.stderr
    done = kam_here("run", str(EXAMPLE), "-p", "as_of=June", "--reports", str(reports))
    assert done.returncode == 2 and "'as_of' must be a date" in done.stderr
    done = kam_here("run", str(EXAMPLE), "-p", "output_dir=/tmp", "--reports", str(reports))
    assert done.returncode == 2 and "is set by the runner" in done.stderr
    for param, message in (
        ("period=weekly", "period='weekly' is not known: use quarter, month, year"),
        ("periods=four", "'periods' must be a whole number, not 'four'"),
        ("periods=-2", "periods=-2 is out of range: use 0 (the config's) to 120"),
        ("periods=99999999999", "periods=99999999999 is out of range"),
        ("account=C-99999", "account='C-99999' is neither an account id nor an account name"),
        ("perod=year", "No step of this run has a parameter 'perod'. Did you mean 'period'?"),
    ):
        done = kam_here("run", str(EXAMPLE), "-p", param, "--reports", str(reports))
        assert done.returncode == 2 and message in done.stderr, (param, done.stderr)
    done = kam_here(
        "run", str(EXAMPLE), "--only", "account_plans", "-p", "account=x", "--reports", str(reports)
    )
    assert done.returncode == 2 and "take their accounts from --accounts" in done.stderr
    assert not reports.exists()


def test_parameters_reach_the_notebook_typed_and_only_where_declared(tmp_path):
    reports = tmp_path / "r"
    done = kam(
        "run", str(EXAMPLE), "--only", "data_review", "--only", "kpi_review", "-p", "period=year",
        "-p", "periods=2", "--reports", str(reports), "--no-pdf",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    latest = reports / EXAMPLE.name / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["parameters"]["periods"] == 2
    injected = [
        c.source
        for c in nbformat.read(latest / "05_kpi_review.ipynb", as_version=4).cells
        if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert 'period = "year"' in injected[0] and "periods = 2\n" in injected[0] + "\n"
    review = nbformat.read(latest / "00_data_review.ipynb", as_version=4)
    assert not any("period" in c.source for c in review.cells if "injected" in str(c.metadata))


def test_init_writes_config_and_intake_form_and_never_overwrites(tmp_path):
    folder = tmp_path / "acme"
    done = kam_here("init", str(folder), "--client", "ACME Corp", "--as-of", "2026-06-30")
    assert done.returncode == 0, done.stderr
    text = (folder / "engagement.yml").read_text()
    assert "client: ACME Corp" in text and "as_of: 2026-06-30" in text
    assert (folder / "datapack.xlsx").is_file()
    # the empty form validates to a clear "fill me" message, not a crash
    done = kam_here("validate", str(folder))
    assert done.returncode == 2 and "sheet 'accounts': is empty" in done.stdout
    again = kam_here("init", str(folder))
    assert again.returncode == 2 and "already exists; nothing was changed" in again.stderr


def test_help_everywhere():
    for args in ([], ["init"], ["validate"], ["run"], ["demo"]):
        done = kam_here(*args, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout


def test_demo_out_folder_generates_parquet_pack(tmp_path):
    done = kam(
        "demo", "--accounts", "30", "--format", "parquet", "--out", str(tmp_path / "d"), "--no-run"
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d" / "pack" / "revenue.parquet").is_file()
    assert "data: pack" in (tmp_path / "d" / "engagement.yml").read_text()
    shutil.rmtree(tmp_path / "d")


def test_minimal_pack_runs_every_step_and_says_what_it_could_not_do(tmp_path):
    """Only accounts and revenue, no cost, no ratings: every report still renders."""
    # no cost of goods: the consultant states the client's margin to draw the line
    folder = write_engagement(
        tmp_path / "minimal", extra="method:\n  segmentation:\n    assumed_gross_margin: 0.4\n"
    )
    n = 30
    ids = [f"M{i:02d}" for i in range(n)]
    write_csvs(
        folder / "pack",
        {
            "accounts": pd.DataFrame(
                {"account_id": ids, "account_name": [f"Firm {i}" for i in ids]}
            ),
            "revenue": pd.DataFrame(
                {
                    "account_id": ids * 2,
                    "date": ["2026-01"] * n + ["2025-01"] * n,
                    "amount": [1000.0 * (i + 1) ** 2 for i in range(n)] * 2,
                }
            ),
        },
    )
    reports = tmp_path / "r"
    done = kam("run", str(folder), "--reports", str(reports), "--no-pdf")
    assert done.returncode == 0, done.stderr
    html = (reports / "minimal" / "latest" / "01_segmentation.html").read_text()
    assert "No cost of goods in the revenue data" in html and "assumed gross margin" in html
    # January 2025 and January 2026 only: no full prior year, so no growth and no potential
    assert "No strategy ratings" in html and "Growth is not available" in html
    assert "Traceback" not in html
    service = (reports / "minimal" / "latest" / "02_service_model.html").read_text()
    assert "No service ratings table" in service and "Traceback" not in service
    prof = (reports / "minimal" / "latest" / "03_profitability.html").read_text()
    assert "cost-to-serve and net contribution are not available" in prof
    assert "Traceback" not in prof
    review = (reports / "minimal" / "latest" / "00_data_review.html").read_text()
    review = re.sub(r"<[^>]+>", "", review)  # the words of a table cell, without its markup
    assert "cost-to-serve and net contribution are not available" in review
    kpi = (reports / "minimal" / "latest" / "05_kpi_review.html").read_text()
    assert "No surveys: NPS and CSAT are not available" in kpi and "Traceback" not in kpi
    plans = sorted((reports / "minimal" / "latest" / "plans").glob("M*.html"))
    assert plans and (plans[0].parent / "index.html").is_file()
    plan = plans[0].read_text()
    assert "No contacts table: the stakeholder map is left to complete" in plan
    assert "No opportunities table" in plan and "No product column" in plan
    assert "To complete" in plan and "Traceback" not in plan


def test_only_one_step_keeps_the_others_in_latest(example_copy):
    root, _ = example_copy
    done = kam(
        "run", str(EXAMPLE), "--only", "segmentation", "--reports", str(root.parent), "--no-pdf"
    )
    assert done.returncode == 0, done.stderr
    latest = root / "latest"
    names = {p.name for p in latest.iterdir()}
    assert {
        "01_segmentation.html",
        "01_segmentation.xlsx",
        "00_data_review.html",
        "00_data_review.pdf",
    } <= names
    manifest = json.loads((latest / "manifest.json").read_text())
    assert [s["step"] for s in manifest["steps"]] == ["segmentation"]
    assert set(manifest["carried_over"]) == {
        "data_review",
        "service_model",
        "profitability",
        "account_plans",
        "kpi_review",
        "deck",
    }
    assert (latest / "plans" / "index.pdf").is_file()


def test_no_report_shows_a_file_path_or_a_traceback(example_run):
    from kamlib.core.paths import ROOT

    root, _ = example_run
    for html_file in sorted((root / "latest").rglob("*.html")):  # plans/ too
        html = html_file.read_text()
        assert str(ROOT) not in html, html_file.name
        assert str(root.parent) not in html, html_file.name
        assert "Traceback" not in html, html_file.name
        assert not re.search(r"\b[A-Z]\w*(Error|Exception|Warning): ", html), html_file.name


def test_the_reports_speak_the_clients_language(example_run):
    from kamlib.intake.scenarios import rendered_text

    root, _ = example_run
    internal = re.compile(
        r"\b[a-z]+_[a-z_]+\b|engagement settings|\bconfig|\w\(s\)|\bNone\b|\bNaN\b"
        r"|\bTRUE\b|\bFALSE\b|\b\w+\.(?:csv|xlsx|parquet)\b"
    )
    found = {}
    # the data review too: tables and columns in words; the file and the column's name
    # as delivered are in its workbook, for the data owner
    for page in sorted((root / "latest").glob("0[0-5]_*.html")):
        hits = sorted(set(internal.findall(rendered_text(page))))
        if hits:
            found[page.name] = hits
    assert found == {}


def test_the_workbooks_read_as_a_clients_analyst_reads_them(example_run):
    from test_workbook import check_workbook

    root, _ = example_run
    books = sorted((root / "latest").glob("*.xlsx"))
    assert len(books) == 5
    assert [p for b in books for p in check_workbook(b)] == []


def test_no_page_is_left_nearly_empty_and_numbers_keep_one_style(example_run):
    import re

    from bs4 import BeautifulSoup

    from kamlib.render.pages import page_fill

    root, _ = example_run
    plans = sorted((root / "latest" / "plans").glob("*.html"))
    assert plans
    for page in sorted((root / "latest").glob("0*.html")) + plans:
        html = page.read_text(encoding="utf-8")
        if page.parent.name != "plans":  # a plan is printed compact, section after section
            fills = page_fill(html)
            thin = [i + 1 for i, f in enumerate(fills[:-1]) if f < 1 / 3]
            assert not thin, f"{page.name}: pages {thin} are less than a third full ({fills})"
        text = BeautifulSoup(html, "html.parser").get_text(" ")
        assert not re.findall(r"\d%", text), page.name  # "17 %", never "17%"
        # a true minus ("−3"); a value quoted from the client's file stays as written
        assert not re.findall(r"(?<![\w.'])-\d", text), page.name
        # €78 k, never €78,150 (a unit cost below ten thousand may be exact: €1,500)
        assert not re.findall(r"[€$£](?:\d{2,3}|\d{1,3},\d{3}),\d{3}\b", text), page.name


def test_libreoffice_opens_every_workbook_with_its_formats(example_run, tmp_path):
    from test_workbook import check_in_libreoffice

    root, _ = example_run
    books = sorted((root / "latest").glob("*.xlsx"))
    assert len(books) == 5
    assert [p for b in books for p in check_in_libreoffice(b, tmp_path)] == []


def test_the_client_folder_holds_what_is_sent_and_nothing_written_holds_a_machine_path(
    example_run,
):
    from kamlib.core.paths import ROOT

    root, done = example_run
    latest = root / "latest"
    sent = sorted(str(p.relative_to(latest / "client")) for p in (latest / "client").rglob("*.*"))
    steps = ["00_data_review", "01_segmentation", "02_service_model", "03_profitability",
             "05_kpi_review"]  # fmt: skip
    plans = sorted(f"plans/{p.name}" for p in (latest / "plans").glob("*.pdf"))
    assert len(plans) == 4  # three plans and their index
    deck = ["steering-committee.pptx"]  # the steering-committee deck, sent as it is
    assert sent == sorted([f"{s}.{x}" for s in steps for x in ("pdf", "xlsx")] + plans + deck)
    manifest = json.loads((latest / "manifest.json").read_text())
    assert sorted(manifest["sent"]) == sent
    # the same bytes, not a second copy
    assert (latest / "client" / "01_segmentation.pdf").samefile(latest / "01_segmentation.pdf")
    assert "to send: " in done.stdout and "/client/" in done.stdout
    # no path of this machine in anything written: the notebooks ran in the run folder
    # with relative paths, the manifest keys its inputs relative to the engagement
    machine = (str(ROOT), str(root.parent), str(Path.home()))
    for f in sorted(latest.rglob("*")):
        if f.is_file() and f.suffix in (".ipynb", ".json", ".html", ".log"):
            text = f.read_text(encoding="utf-8")
            assert not any(m in text for m in machine), f.name
    assert "datapack.xlsx" in manifest["inputs"] and manifest["parameters"]["output_dir"] == "."
    nb = json.loads((latest / "01_segmentation.ipynb").read_text())
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/01_segmentation.ipynb"


def test_ctrl_c_keeps_latest_and_says_where_the_incomplete_run_is(example_copy, capsys):
    import typer

    from kamlib.core.errors import Interrupted
    from kamlib.run import cli

    root, _ = example_copy
    before = (root / "latest").resolve()

    def ctrl_c(line: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="is unchanged") as caught:
        runner.run_engagement(
            EXAMPLE,
            runner.RunOptions(only=("data_review",), reports=root.parent, pdf=False),
            progress=ctrl_c,
        )
    assert (root / "latest").resolve() == before
    run = Path(str(caught.value).split("kept in ")[1].split(";")[0])
    assert json.loads((run / "manifest.json").read_text())["status"] == "interrupted"
    with pytest.raises(typer.Exit) as stopped, cli._on_interrupt():
        raise caught.value
    assert stopped.value.exit_code == 130
    assert f"interrupted: the incomplete run is kept in {run}" in capsys.readouterr().err


def test_kernels_started_by_the_workbook_keep_no_history(tmp_path):
    """No parameter cell (client ids, paths) is left in the user's IPython history."""
    ipython = tmp_path / "ipython"
    done = kam(
        "run", str(EXAMPLE), "--only", "kpi_review", "--only", "account_plans",
        "--reports", str(tmp_path / "r"), "--no-pdf",
        env={"IPYTHONDIR": str(ipython)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "plans" in done.stdout  # a report kernel and the plan workers' kernels both ran
    assert not list(ipython.rglob("history.sqlite"))


def test_two_runs_of_the_same_inputs_write_the_same_bytes(tmp_path, monkeypatch):
    """Reports, PDFs, workbooks and plans (with their SVG charts) carry no time of writing;
    nor where the pack's lines were kept: the second run keeps every column it can in
    files, mapped, as a large client's run does (the kernel and the plan book map them)."""
    from kamlib.core import spill

    runs, mapped = [], []
    real = spill._register
    monkeypatch.setattr(spill, "_register", lambda *a: mapped.append(a[1]) or real(*a))
    for name in ("a", "b"):
        if name == "b":
            monkeypatch.setattr(spill, "SPILL_ROWS", 1)
        only = ("segmentation", "account_plans")
        done = runner.run_engagement(EXAMPLE, runner.RunOptions(only, reports=tmp_path / name))
        runs.append(done.latest)
        assert bool(mapped) == (name == "b")  # the runner's own: read, then taken back
        assert not list((tmp_path / name / "example").glob(".pack-*"))  # removed
    files = sorted(
        p.relative_to(runs[0]) for p in runs[0].rglob("*") if p.suffix in (".html", ".pdf", ".xlsx")
    )
    assert {f.suffix for f in files} == {".html", ".pdf", ".xlsx"}
    assert any(f.parts[0] == "plans" and f.suffix == ".pdf" and f.stem != "index" for f in files)
    for f in files:
        assert (runs[0] / f).read_bytes() == (runs[1] / f).read_bytes(), f


@pytest.mark.parametrize("code", [28, 30, 13])  # disk full, read-only, no permission
def test_a_refused_write_is_one_message_and_latest_stays(tmp_path, monkeypatch, capsys, code):
    import os as _os

    from kamlib.render import pages as render
    from kamlib.run import cli

    reports = tmp_path / "r"
    first = runner.run_engagement(
        EXAMPLE, runner.RunOptions(only=("kpi_review",), reports=reports, pdf=False)
    )
    before = _os.readlink(first.latest)

    def refuse(*args, **kwargs):
        raise OSError(code, _os.strerror(code), str(reports / "example" / "x.html"))

    monkeypatch.setattr(render, "render", refuse)
    monkeypatch.setattr(
        sys, "argv", ["kam", "run", str(EXAMPLE), "--only", "kpi_review", "--reports",
                      str(reports), "--no-pdf"]
    )  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write ") and "internal error" not in err
    assert "Traceback" not in err and "--reports DIR" in err
    assert _os.readlink(first.latest) == before  # the previous deliverables are intact
