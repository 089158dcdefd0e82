"""Step 4 end to end: the plan book, the inputs round trip, the batch and its index, and
the promise that a plan shows only its own account's figures."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import EXAMPLE
from kamlib import fmt
from kamlib.core.errors import ConfigError, KamError, ParameterError
from kamlib.core.paths import NOTEBOOKS
from kamlib.intake import plan_inputs
from kamlib.method import plan_book
from kamlib.render import chromium
from kamlib.report import plan as plan_report
from kamlib.report.words import PART_TITLES, say_all
from kamlib.run import plans

FAILING = "C-10011"  # the batch's notebook fails for this account on purpose
FILLED = "C-10012"  # its desired solution comes from the filled inputs workbook
TEXT = "One managed network for all 14 sites, with a single service desk"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("plans")
    eng = root / "example"
    shutil.copytree(EXAMPLE, eng)
    path, rows = plan_report.write_inputs_template(str(eng))
    wb = load_workbook(path)
    ws = wb["Plan inputs"]
    for r in ws.iter_rows(min_row=2):
        if r[0].value == FILLED and r[2].value == "desired_solution":
            r[5].value = TEXT
        if r[0].value == FILLED and r[2].value == "investment_amount":
            r[5].value = "€ 20,000"
    wb.save(path)
    nb = nbformat.read(NOTEBOOKS / plans.NOTEBOOK, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(f'assert account != "{FAILING}", "boom"'))
    broken = root / "broken.ipynb"
    nbformat.write(nb, broken)
    result = plans.render_plans(
        str(eng), root / "out" / "plans", plans.BatchOptions(jobs=2, notebook=broken)
    )
    book = plan_book.open_book(str(eng))
    return result, book, rows


def _html(result, account_id: str) -> str:
    files = list(result.folder.glob(f"{account_id}-*.html"))
    assert len(files) == 1
    return files[0].read_text(encoding="utf-8")


def test_batch_goes_on_past_a_failing_plan_and_keeps_its_notebook(batch):
    result, book, _ = batch
    assert len(result.results) == len(book.accounts) == 3
    (failed,) = result.failed
    assert failed.account_id == FAILING and "AssertionError: boom" in failed.error
    assert (result.folder / "failed").is_dir() and failed.kept.endswith(".ipynb")
    # the kept notebook names the engagement and the book relative to the plans folder
    kept = Path(failed.kept).read_text(encoding="utf-8")
    assert str(result.folder.parent.parent) not in kept and '"input_path": "notebooks/' in kept
    for r in result.results:
        if r.ok:
            assert sorted(p.rsplit(".", 1)[1] for p in r.files) == ["html", "pdf"]
            assert all((result.folder / f).stat().st_size > 1000 for f in r.files)
            pdf = (result.folder / r.files[1]).read_bytes()
            assert str(result.folder).encode() not in pdf and b"file:" not in pdf
    assert not (result.folder / ".work").exists()
    # printed by Chromium where there is one (make setup installs it), else WeasyPrint
    assert result.engines == (["Chromium"] if chromium.find() else ["WeasyPrint"])
    assert result.notes == []


def test_without_chromium_weasyprint_prints_the_plans(batch, tmp_path, monkeypatch):
    _, book, _ = batch
    monkeypatch.setenv(chromium.ENV, "/no/such/chromium")
    with pytest.raises(ConfigError, match="KAM_CHROMIUM=/no/such/chromium is not an executable"):
        plans.render_plans(
            str(book.config.path), tmp_path / "bad", plans.BatchOptions(accounts=(FILLED,))
        )
    assert not (tmp_path / "bad").exists()  # stopped before writing anything
    monkeypatch.setenv(chromium.ENV, "off")
    result = plans.render_plans(
        str(book.config.path), tmp_path / "wp", plans.BatchOptions(accounts=(FILLED,), jobs=1)
    )
    assert [r.ok for r in result.results] == [True] and result.engines == ["WeasyPrint"]
    assert (tmp_path / "wp" / result.results[0].files[1]).read_bytes()[:5] == b"%PDF-"


def test_index_lists_every_key_account_with_links(batch):
    result, book, _ = batch
    html = (result.folder / "index.html").read_text(encoding="utf-8")
    # a legal form never breaks from the name ("Sp. z o.o.", "A/S"): read it as words
    html = html.replace("\u00a0", " ").replace("\u2060", "")
    pdf_index = result.folder / "index.pdf"
    assert pdf_index.stat().st_size > 1000
    for a in book.accounts.itertuples():
        assert a.account_name in html or a.account_name.replace("&", "&amp;") in html
        stem = plans.file_stem(a.account_id, a.account_name)
        if a.account_id == FAILING:
            assert f'href="{stem}.html"' not in html and "to follow" in html
        else:
            assert f'href="{stem}.html"' in html
    # each plan's kernel sent its shares drafted and confirmed: the index's, as computed here
    ok = [r for r in result.results if r.ok]
    assert ok and all(r.shares == plans.plan_shares(book, ids=[r.account_id])[r.account_id]
                      for r in ok)  # fmt: skip
    frame = plans.index_frame(book, result)
    assert set(frame["plan"]) == {"rendered", "failed"}
    assert frame["revenue"].is_monotonic_decreasing
    # the PDF index links to the PDF plans beside it, by relative links (whichever engine
    # printed it: Chromium like the plans where there is one)
    pdf = pdf_index.read_bytes()
    assert b"file:" not in pdf and str(result.folder).encode() not in pdf
    if result.engines == ["Chromium"]:
        assert b"Skia/PDF" in pdf
        ok = [r for r in result.results if r.ok]
        assert all(b"/URI (" + Path(r.files[1]).name.encode() + b")" in pdf for r in ok)


def test_a_plan_shows_no_other_accounts_name_or_figures(batch):
    from kamlib import open_engagement

    result, book, _ = batch
    eng = open_engagement(str(book.config.path))
    everyone = eng.pack["accounts"][["account_id", "account_name"]]
    revenue = book.accounts.set_index("account_id")["revenue"]
    contacts = eng.pack["contacts"]
    for r in result.results:
        if not r.ok:
            continue
        html = _html(result, r.account_id)
        assert r.name in html
        own_contacts = set(contacts.loc[contacts["account_id"] == r.account_id, "name"])
        for other in everyone.itertuples():
            if other.account_id == r.account_id:
                continue
            assert other.account_name not in html, (r.account_id, other.account_name)
            assert f">{other.account_id}<" not in html and f"{other.account_id}-" not in html
        for other_id, value in revenue.items():
            if other_id != r.account_id:
                assert fmt.money(value, "EUR", short=False) not in html
        others = set(contacts.loc[contacts["account_id"] != r.account_id, "name"])
        for name in others - own_contacts:
            assert name not in html, (r.account_id, name)


def test_filled_inputs_change_the_plan_and_empty_fields_keep_the_datas_draft(batch):
    result, book, rows = batch
    assert rows == 3 * len(plan_inputs.PLAN_FIELDS)
    html = _html(result, FILLED)
    assert TEXT in html
    assert "€20\xa0k" in html  # the planned investment, used in the return
    # the fields it left empty show the data's draft, or say what to write where
    assert "From the data — confirm or correct" in html
    assert "To complete" not in html or "in the plan inputs workbook" in html
    assert "client_value" not in html  # the manager reads the field's description, not its key
    # the pack's own plan_inputs still reach their account
    assert "SD-WAN rollout" in _html(result, "C-10032")


def test_inputs_template_never_overwrites_without_force(batch, tmp_path):
    _, book, _ = batch
    path = plan_inputs.workbook_path(book.config)
    before = path.read_bytes()
    with pytest.raises(KamError, match="already exists; nothing was changed"):
        plan_report.write_inputs_template(str(book.config.path))
    assert path.read_bytes() == before
    eng = tmp_path / "copy"
    shutil.copytree(book.config.folder, eng)
    plan_report.write_inputs_template(str(eng), force=True)
    assert (eng / "plan-inputs.bak.xlsx").read_bytes() == before
    back = plan_inputs.read_inputs(eng / "plan-inputs.xlsx")
    assert TEXT in set(back["text"])  # the filled texts survive a fresh template


def test_plan_of_an_unknown_or_non_key_account_names_close_matches():
    book = plan_book.open_book(str(EXAMPLE))
    with pytest.raises(ParameterError, match="not a key account.*Did you mean 'C-10032'"):
        plan_book.plan(book, "C-10033")
    assert (
        plan_book.plan(book).id
        == book.accounts.loc[book.accounts["revenue"].idxmax(), "account_id"]
    )


def test_a_batch_for_an_unknown_account_stops_its_started_workers_and_writes_nothing(tmp_path):
    """The local workers start while the book is computed: an account that is not a key
    account is the usual message, with no kernel or browser left and no plan written."""
    import time

    import psutil

    before = set(psutil.Process().children(recursive=True))
    with pytest.raises(ParameterError, match="not a key account.*Did you mean 'C-10032'"):
        plans.render_plans(
            str(EXAMPLE), tmp_path / "plans", plans.BatchOptions(accounts=("C-10033",))
        )
    time.sleep(3)  # as long as workers left running would take to start their kernels
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = []
        for p in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if p not in before and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(p)
        if not left:
            break
        time.sleep(0.2)
    assert not left, [" ".join(p.cmdline()) for p in left]
    assert sorted(p.name for p in (tmp_path / "plans").iterdir()) == []  # its work folder gone


def test_book_is_cached_until_an_input_file_changes(tmp_path):
    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    first = plan_book.open_book(str(eng))
    assert plan_book.open_book(str(eng)) is first
    cfg = eng / "engagement.yml"
    cfg.write_text(cfg.read_text() + "\n# touched\n", encoding="utf-8")
    assert plan_book.open_book(str(eng)) is not first


def test_plan_parts_and_views_on_the_example():
    book = plan_book.open_book(str(EXAMPLE))
    p = plan_book.plan(book, "C-10032")
    from kamlib.report import plan as pr

    parts = pr.parts(p).set_index("part")
    assert list(parts.index) == list(PART_TITLES)
    assert parts.at["growth", "status"] == "from data"
    # inputs for challenges and ongoing projects are in the example pack
    assert parts.at["baselines", "status"] == "confirmed"
    assert set(p.monthly["account_id"]) == {"C-10032"} and len(p.monthly) <= 36

    t = pr.targets_view(p)
    assert list(t["horizon"]) == ["12 months", "24 months", "36 months"]
    row = t.iloc[0]
    assert row["from the pipeline"] + row["from whitespace"] + row["still to find"] == (
        pytest.approx(row["increase"])
    )
    assert isinstance(pr.summary_text(p), str) and p.name in pr.summary_text(p)
    assert pd.api.types.is_numeric_dtype(pr.cts_view(p)["cost"])


def test_a_fact_pack_shows_the_datas_drafts_to_discuss_and_nothing_to_complete():
    from kamlib.report import plan as pr

    book = plan_book.open_book(str(EXAMPLE))
    plan, pack = plan_book.plan(book, "C-10032"), plan_book.plan(book, "C-10032", fact_pack=True)
    assert plan.inputs and not pack.inputs  # the manager's texts wait for the plan
    draft = pr.field_html(pack, "challenges")
    assert "From the data — to discuss" in draft and "confirm or correct" not in draft
    assert pr.field_html(pack, "investment_amount") == ""  # nothing the data can say
    assert "60000" in pr.field_html(plan, "investment_amount")  # the manager's figure
    assert "Plan drafted" not in [c[0] for c in pr.summary_cards(pack)]
    assert "Plan drafted" in [c[0] for c in pr.summary_cards(plan)]
    assert "to complete" not in pr.investment_view(pack)["per year"].tolist()
    assert "not planned yet" in pr.investment_view(pack)["per year"].tolist()
    assert "To complete" not in pr.swot_html(pack)


def test_a_damaged_inputs_workbook_is_one_message_and_force_replaces_it(tmp_path):
    from kamlib.core.errors import DataPackError

    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    (eng / "plan-inputs.xlsx").write_text("not a workbook")
    with pytest.raises(DataPackError, match="cannot be read as the plan inputs workbook.*--force"):
        plan_book.open_book(str(eng))
    path, _ = plan_report.write_inputs_template(str(eng), force=True)
    assert (eng / "plan-inputs.bak.xlsx").read_text() == "not a workbook"
    assert plan_inputs.read_inputs(path).empty is False  # the pack's own inputs carried over


def test_profitability_advice_is_never_a_negative_or_empty_saving():
    from kamlib.report import plan as pr

    book = plan_book.open_book("demo")
    flagged = book.accounts[book.accounts["better_action"].notna()]
    worthless = flagged[(flagged["price_increase"] <= 0) & (flagged["package_saving"] <= 0)]
    assert len(worthless) and len(flagged) > len(worthless)  # both kinds exist in the demo
    for aid in flagged["account_id"]:
        p = plan_book.plan(book, aid)
        text = pr.summary_text(p) + " ".join(pr.suggested_actions(p)["why"])
        assert "saves −" not in text and "saves €0 " not in text, aid
        if aid in set(worthless["account_id"]):
            assert "though still at its segment's net margin" in text, aid
            assert "Negotiate" not in text and "quadrant" not in text, aid


def test_a_plans_summary_risks_swot_and_actions_agree_with_its_own_figures():
    from kamlib.report import plan as pr

    book = plan_book.open_book("demo")
    for aid in book.accounts.sort_values("revenue", ascending=False)["account_id"].head(40):
        p = plan_book.plan(book, aid)
        risks = pr.risk_items(p)
        evidence = [e for _, e in risks]
        nps = p.account.get("nps")
        if pd.notna(nps) and nps < 0:  # a negative NPS shown on the plan is a risk there
            assert any("NPS" in e for e in evidence), aid
        if pd.notna(p.account["net_contribution"]) and p.account["net_contribution"] < 0:
            assert any(e.startswith("loses") for e in evidence), aid
        seniors = p.contacts[p.contacts["senior"].astype(bool) & (p.contacts["days"] > 180)]
        for role in seniors["role"]:  # every senior contact not met for long is named
            assert any(role in e or "senior contact" in e for e in evidence), (aid, role)
        table = pr.risks_view(p)
        assert list(table["evidence (from the data)"]) == evidence  # one source
        summary = pr.summary_text(p)
        if risks:  # each risk in the summary; a loss once, where profitability says it
            assert "**Risks:**" in summary or [k for k, _ in risks] == ["profitability"], aid
            for e in evidence:
                assert e in summary.replace("**", "") or e.startswith("loses"), (aid, e)
            if pd.notna(p.account["net_contribution"]) and p.account["net_contribution"] < 0:
                loss = fmt.money(-p.account["net_contribution"], p.currency)
                assert summary.count(f"loses {loss} a year") == 1, aid
        else:
            assert "No risk in the data checked" in pr.risks_empty(p)
    # the largest account: NPS -40 and a CEO last met 232 days ago are risks, and an action
    p = plan_book.plan(book)
    text = " ".join(e for _, e in pr.risk_items(p))
    assert "NPS −40" in text and "a senior contact not met for 232 days: the CEO" in text
    assert "Meet the CEO" in set(pr.suggested_actions(p)["action"])
    assert "NPS −40" in " ".join(pr.swot_data(p)["threats"])


def test_a_plan_without_cost_or_products_says_so_and_shows_no_zero(tmp_path):
    from kamlib.intake.scenarios import Scenario, write_scenario
    from kamlib.report import plan as pr

    s = Scenario(months=18, currency="USD", cost=False, activities=False, products=False,
                 opportunities=False, assumed_margin=0.3)  # fmt: skip
    eng = write_scenario(s, tmp_path / s.name)
    p = plan_book.plan(plan_book.open_book(str(eng)))
    text = pr.summary_text(p)
    assert "what it earns is not known" in text and "$0" not in text
    assert "pipeline" not in text and "whitespace" not in text  # neither was delivered
    assert "product of each sale" in pr.whitespace_empty(p)
    assert "no activities with unit costs" in pr.cts_empty(p)
    cards = {label: (value, note) for label, value, note in pr.summary_cards(p)}
    assert cards["Revenue, last 12 months"][1] == "no full prior year to compare"
    assert cards["Net contribution"][0] == "n/a"
    inv = pr.investment_view(p).set_index("")
    assert inv.loc["extra gross profit", "per year"] == "n/a"
    assert inv.loc["cost-to-serve today", "per year"] == "n/a"
    assert set(pr.targets_view(p).columns) >= {"target", "still to find"}
    assert "from the pipeline" not in pr.targets_view(p).columns
    empty = pr.risks_empty(p)
    assert "revenue trend (less than 24 months of revenue)" in empty


@pytest.mark.skipif(chromium.find() is None, reason="no Chromium here")
def test_a_worker_whose_browser_died_starts_a_new_one_and_prints_the_plan(tmp_path):
    """The worker side, in this process: kill the worker's browser between two plans;
    the next plan is still printed by Chromium (a new browser), not failed."""
    import os
    import signal

    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    book = plan_book.open_book(str(eng))
    out = tmp_path / "plans"
    out.mkdir()
    setup = plans.WorkerSetup(
        folder=out,
        book_path=plan_book.save_book(book, tmp_path / "book.pickle"),
        engagement=str(book.config.path),
        as_of="",
        log=tmp_path / "kernel.log",
        notebook=NOTEBOOKS / plans.NOTEBOOK,
        chromium=chromium.find(),
    )
    worker = plans.PlanWorker(setup)
    try:
        worker.start()
        first = worker.render("C-10032", "Tauern Region AB")
        dead = worker.browser.pid
        os.killpg(dead, signal.SIGKILL)
        second = worker.render(FILLED, "second")
        assert first.ok and second.ok, (first.error, second.error)
        assert first.engine == second.engine == "Chromium"
        assert worker.browser.pid != dead
        assert (out / second.files[1]).read_bytes()[:5] == b"%PDF-"
    finally:
        worker.stop()


#: Cells that give every kind of output a notebook client records, the last two after an
#: error (never run)
CELLS = [
    "print('a')\nprint('b')",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>x</b>'))\n1 + 1",
    "2 + 2;",
    "import sys\nprint('note', file=sys.stderr)\n'last'",
    "x = 3",
    "x * 2  # a comment after the value",
    "{'n': x}",
    "raise ValueError('boom')",
    "print('never')",
]


def test_a_plans_cells_in_one_request_give_what_a_notebook_client_records(tmp_path):
    """The batch runs a plan's cells in one request (:mod:`kamlib.run.cells`): each cell's
    outputs are the ones nbclient records cell by cell (papermill's client), running stops
    at the first error, and the error is the cell's own."""
    import json

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    with contextlib.suppress(CellExecutionError):
        where = {"metadata": {"path": str(tmp_path)}}
        NotebookClient(nb, kernel_name="python3", resources=where).execute()
    expected = [c.outputs for c in nb.cells]

    setup = plans.WorkerSetup(
        folder=tmp_path, book_path=tmp_path / "book.pickle", engagement=str(EXAMPLE),
        as_of="", log=tmp_path / "kernel.log", notebook=NOTEBOOKS / plans.NOTEBOOK,
    )  # fmt: skip
    worker = plans.PlanWorker(setup)
    try:
        worker.kernel.start()
        run = "import kamlib.run.cells as c; c.run"
        first = worker.kernel.request(f"{run}({json.dumps(CELLS)!r})")
        # the next plan's cells start from an empty namespace: x is gone
        second = worker.kernel.request(f"{run}({json.dumps(['x'])!r})")
        # values asked of the notebook's namespace once its cells ran (user_expressions)
        asked = json.dumps({"twice": "y * 2", "unknown": "zz"})
        third = worker.kernel.request(f"{run}('[\"y = 21\"]', {asked!r})")
    finally:
        worker.stop()
    assert first["failed"] == 7 and len(first["outputs"]) == 8
    for got, want in zip(first["outputs"], expected, strict=False):
        got = [{k: v for k, v in o.items() if k not in ("execution_count", "traceback")}
               for o in got]  # fmt: skip
        want = [{k: v for k, v in o.items() if k not in ("execution_count", "traceback")}
                for o in want]  # fmt: skip
        assert got == want
    assert first["outputs"][2] == []  # a value after ";" is not shown
    error = first["outputs"][7][0]
    assert (error["ename"], error["evalue"]) == ("ValueError", "boom")
    assert "ValueError" in error["traceback"][-1]  # as Jupyter shows it, in colour
    assert second["failed"] == 0 and second["outputs"][0][0]["ename"] == "NameError"
    assert third["failed"] is None and third["values"] == {"twice": 42, "unknown": None}
    assert first["values"] == {}


def test_ctrl_c_stops_the_kernels_and_browsers_and_clears_the_work(tmp_path):
    """Ctrl-C in the parent (here: raised by the progress callback after the first plan)
    stops the batch now, not after every queued plan, and leaves no process behind."""
    import time

    import psutil

    eng = tmp_path / "demo"  # 219 key accounts: a batch Ctrl-C stops well before its end
    shutil.copytree(EXAMPLE.parent / "demo", eng)
    me = psutil.Process()
    running: dict[psutil.Process, str] = {}

    def ctrl_c(line: str) -> None:
        for p in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                running[p] = " ".join(p.cmdline())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        plans.render_plans(
            str(eng), tmp_path / "plans", plans.BatchOptions(jobs=2), progress=ctrl_c
        )
    running = {p: c for p, c in running.items() if "resource_tracker" not in c}
    names = " ".join(running.values())
    assert "ipykernel" in names and "chrom" in names  # the local cluster's workers: threads

    def lives(p: psutil.Process) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [p for p in running if lives(p)]
        if not alive:
            break
        time.sleep(0.2)
    assert not alive, [running[p] for p in alive]
    assert not (tmp_path / "plans" / ".work").exists()
    assert len(list((tmp_path / "plans").glob("*.html"))) < 10  # not every queued plan


def test_six_months_of_revenue_are_annualised_before_a_target_or_a_wallet(tmp_path):
    from kamlib.intake.scenarios import Scenario, write_scenario
    from kamlib.report import plan as pr

    eng = write_scenario(Scenario(months=6, currency="USD"), tmp_path / "short")
    book = plan_book.open_book(str(eng))
    p = plan_book.plan(book)
    a = p.account
    assert a["annual_revenue"] == pytest.approx(2 * a["revenue"])  # 6 of 12 months
    assert a["target_12m"] == pytest.approx(a["annual_revenue"] * 1.10)
    if pd.notna(a["estimated_wallet"]):
        assert a["share_of_wallet"] == pytest.approx(a["annual_revenue"] / a["estimated_wallet"])
    cards = {label: note for label, _, note in pr.summary_cards(p)}
    assert cards["Revenue, last 12 months"].startswith("fewer than 12 months of data")
    assert "annualised" in pr.targets_note(p)
    assert any("only 6 of the last 12 months" in n for n in say_all(p.notes))


def test_every_demo_plan_without_inputs_is_at_least_two_thirds_drafted_from_data():
    from kamlib.run.plans import plan_shares

    book = plan_book.open_book("demo")
    shares = plan_shares(book)
    given = set(book.inputs["account_id"])
    bare = {a: s for a, s in shares.items() if a not in given}
    assert len(bare) >= 200
    assert min(d for d, _ in bare.values()) >= 2 / 3
    assert {c for _, c in bare.values()} == {0.0}  # nothing confirmed without inputs
    assert max(c for a, (_, c) in shares.items() if a in given) == 1.0  # the finished plan
    # no plan advises a price move beyond the configured path: a step a year, so many years
    pf = book.config.method.profitability
    a = book.accounts
    priced = a[a["better_action"].isin(["price", "package and price"])]
    assert len(priced) >= 5
    assert (priced["price_steps"] <= pf.price_steps).all()
    assert (priced["price_after_package_pct"] <= (1 + pf.price_step) ** priced["price_steps"] - 1
            + 1e-9).all()  # fmt: skip


def test_targets_follow_the_accounts_situation_and_say_why():
    from kamlib.report import plan as pr

    book = plan_book.open_book("demo")
    a = book.accounts.set_index("account_id")
    material = a["net_contribution"] < -0.02 * a["annual_revenue"]
    loss = a[material]
    assert len(loss) and (loss["target_basis"] == "break even").all()
    small = a[(a["net_contribution"] < 0) & ~material]  # a small loss: it grows, at half
    assert (small["target_basis"].isin(["recover", "stabilise", "wallet"])).all()
    # no volume growth: today's revenue, plus the price path where profitability proposes one
    priced = loss["better_action"].isin(["price", "package and price"])
    rise = loss["price_after_package"].where(priced, 0.0).fillna(0.0)
    expected = np.minimum(loss["annual_revenue"] * 1.10, loss["annual_revenue"] + rise)
    assert loss["target_12m"].to_numpy() == pytest.approx(expected.to_numpy())
    assert priced.any() and (~priced).any()
    p = plan_book.plan(book, loss.index[0])
    assert "first target is to break even" in pr.summary_text(p)
    assert pr.summary_cards(p)[3][2] == "break even first"
    watch = a[(a["band"] == "watch") & ~material]
    assert len(watch) and (watch["target_growth"] <= 0.05 + 1e-9).all()  # half, or the wallet
    assert (watch["target_basis"] == "recover").all()
    grow = a[a["target_basis"] == "growth"]
    # management's 10 %, or today plus the weighted pipeline where that promises more
    expected = np.maximum(grow["annual_revenue"] * 1.10, grow["annual_revenue"] + grow["weighted"])
    assert grow["target_12m"].to_numpy() == pytest.approx(expected.to_numpy())
    floored = grow[grow["pipeline_floor"]]
    assert len(floored) and (floored["weighted"] > 0.10 * floored["annual_revenue"]).all()
    said = pr.target_reason(plan_book.plan(book, floored.index[0]))
    assert said == (
        "today's revenue plus the weighted open pipeline, more than management's 10 % a year"
    )


def test_a_loss_making_plan_shows_how_it_breaks_even():
    from kamlib.report import plan as pr

    book = plan_book.open_book("demo")
    a = book.accounts.set_index("account_id")
    worst = a[a["target_basis"] == "break even"]["net_contribution"].idxmin()
    p = plan_book.plan(book, worst)
    assert pr.breaks_even(p)
    v = pr.break_even_view(p)
    acct = a.loc[worst]
    assert v["net contribution after"].iloc[0] == pytest.approx(acct["net_contribution"])
    assert v["net contribution after"].iloc[1] == pytest.approx(
        acct["net_contribution"] + acct["package_saving"]
    )
    assert v["adds a year"].iloc[0] == ""
    note = pr.targets_note(p)
    assert "first target is to break even" in note and "The actions above" in note
    # the table's title says how it breaks even only when its last line does
    for a_id in a[a["target_basis"] == "break even"].index:
        q = plan_book.plan(book, a_id)
        if not pr.breaks_even(q):
            continue
        path = pr.break_even_view(q)
        last = float(path["net contribution after"].iloc[-1])
        caption = pr.break_even_caption(path)
        assert caption.startswith("How it breaks even") == (last >= 0), (a_id, last, caption)
    # when it breaks even follows from its own actions (hand-made cases: test_drafts)
    assert pr._break_even_when(p) in pr.target_reason(p)


def test_the_plans_together_are_set_against_the_model_cost():
    from types import SimpleNamespace

    from kamlib.report import plan as pr

    accounts = pd.DataFrame({
        "annual_revenue": [100.0, 200.0, 50.0], "revenue": [100.0, 200.0, 50.0],
        "target_12m": [110.0, 200.0, 60.0], "gross_margin": [0.4, 0.3, 0.2],
        "target_basis": ["growth", "stabilise", "break even"],
    })  # fmt: skip
    cfg = SimpleNamespace(method=SimpleNamespace(account_plan=SimpleNamespace(horizons=[12])))
    book = SimpleNamespace(accounts=accounts, config=cfg, fixes=8.0, programme_cost=20.0)
    pf = plan_book.portfolio(book)
    # the break-even account's +10 is price, counted by profitability: growth is 10 (A)
    assert (pf["increase"], pf["growth"], pf["extra_gross_profit"]) == (20.0, 10.0, 4.0)
    # some of the plans (phase 1): their own figures, the model's cost the whole's
    book.accounts["account_id"] = ["A", "B", "C"]
    part = plan_book.portfolio(book, ["A", "B"])
    assert (part["revenue"], part["growth"], part["extra_gross_profit"]) == (300.0, 10.0, 4.0)
    assert plan_book.portfolio(book, ["B"])["growth"] == 0.0
    assert part["programme_cost"] == 20.0
    said = pr.portfolio_text(pf, "EUR")
    # the first year's targets, then once complete: each time frame in its own sentence
    assert said.startswith(
        "Together the 12-month targets take the key accounts from €350 to €370 a year, €20 "
        "more: €10 from growth, worth about €4 of gross profit at each account's own gross "
        "margin (40 % on average), and €10 from the first price steps of the accounts that "
        "must break even first. "
    )
    assert said.endswith(
        "Once complete, profitability's package savings and price paths, those first steps "
        "included, add €8 a year of net contribution; with the first year's growth, €12 a year "
        "against the €20 the key-account model costs a year (a planning assumption until the "
        "client's own figures replace it): €8 short of paying for it before the growth of the "
        "later years."
    )
    # as printed, and as the profitability report adds its actions
    big = {**pf, "revenue": 10.04e6, "target": 15.58e6, "increase": 5.54e6, "growth": 4.76e6,
           "extra_gross_profit": 1.66e6, "fixes": 4.38e6, "savings": 2.84e6,
           "price_paths": 1.54e6, "programme_cost": 10.73e6}  # fmt: skip
    said = pr.portfolio_text(big, "EUR")
    assert "from €10.0 M to €15.6 M a year, €5.6 M more" in said
    assert "and €0.8 M from the first price steps" in said  # 5.6 − 4.8, in one unit
    assert "add €4.3 M a year of net contribution" in said
    assert said.endswith(
        "with the first year's growth, €6.0 M a year against the €10.7 M the key-account model "
        "costs a year (a planning assumption until the client's own figures replace it): "
        "€4.7 M short of paying for it before the growth of the later years."
    )


def test_a_move_waiting_for_a_rework_says_so_once():
    from kamlib.report import plan as pr

    book = plan_book.open_book("demo")
    waiting = [
        aid
        for aid in book.accounts.sort_values("revenue", ascending=False)["account_id"].head(30)
        if "reworked" in pr.next_steps(plan_book.plan(book, aid))
    ]
    assert waiting, "the demo has key accounts whose package waits for its rework"
    for aid in waiting:
        text = pr.next_steps(plan_book.plan(book, aid))
        assert "once it is reworked (" in text and "once the package is reworked" not in text


def test_the_index_prints_a_segment_on_two_lines_never_at_its_hyphen():
    from kamlib.run.plans import _segment_cell

    assert _segment_cell("Tier 2 · price-driven") == (
        'Tier 2<br><small><span class="nw">price-driven</span></small>'
    )
    assert _segment_cell("Core") == "Core"


def test_the_index_marks_a_target_that_is_a_price_step_not_growth():
    from types import SimpleNamespace as NS

    from kamlib.run.plans import _target_note

    assert _target_note(NS(basis="break even", target=110.0, revenue=100.0)) == (
        "<br><small>price step</small>"
    )
    assert _target_note(NS(basis="break even", target=100.0, revenue=100.0)) == (
        "<br><small>held</small>"
    )
    assert _target_note(NS(basis="growth", target=110.0, revenue=100.0)) == ""


def test_a_plan_kernel_never_loads_matplotlib():
    """The plan notebook's setup cell, as a plan's kernel runs it: its charts are drawn by
    plan_charts, so matplotlib (a second of every batch kernel's start) is never loaded."""
    import subprocess
    import sys

    nb = nbformat.read(NOTEBOOKS / plans.NOTEBOOK, as_version=4)
    setup_cell = next(c.source for c in nb.cells if "open_book" in c.source)
    code = (
        "import sys\n"
        + setup_cell.replace("pb.open_book(engagement, as_of, cache)", "None")
        .replace("p = pb.plan(book, account, fact_pack)", "")
        .replace("stale = book.config.method.account_plan.stale_days", "")
        + "\nimport kamlib as kam\nkam.html; kam.show; kam.kpis; kam.md; kam.notes; kam.figure"
        "\nprint('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
