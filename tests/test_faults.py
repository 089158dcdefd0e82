"""The fault suite: runs killed, run twice at once, kernels that die, plans that fail.

Whatever happens, ``latest`` is a complete run, a second run of the same engagement is
refused with one message, what a killed run left is removed by the next run (or
``kam clean``), and a partial run says so everywhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import EXAMPLE
from kamlib.core import spill
from kamlib.core.paths import NOTEBOOKS
from kamlib.run import cli, plans, runner, runs

KAM = [sys.executable, "-m", "kamlib.run.cli"]
#: A code cell that kills its own kernel the first time it runs for an account, as the
#: out-of-memory killer would (``{mark}`` is a folder for the marker files).
KILL_ONCE = """import os, pathlib
_m = pathlib.Path({mark!r}) / str({key})
if not _m.exists():
    _m.touch()
    os.kill(os.getpid(), 9)"""


def _run(folder: Path, status: str | None) -> Path:
    folder.mkdir(parents=True)
    if status:
        (folder / "manifest.json").write_text(json.dumps({"status": status}))
    (folder / "report.html").write_text("x" * 1000)
    return folder


def test_runs_are_read_tidied_and_cleaned(tmp_path):
    root = tmp_path / "acme"
    old = _run(root / "20260101-090000", "succeeded")
    killed = _run(root / "20260102-090000", None)
    running = _run(root / "20260103-090000", "running")  # killed after its manifest began
    failed1 = _run(root / "20260104-090000", "failed")
    failed2 = _run(root / "20260105-090000", "interrupted")
    good = _run(root / "20260106-090000", "partial")
    (good / "plans" / ".work").mkdir(parents=True)
    (good / ".pack.pickle").write_bytes(b"p" * 500)
    (root / "latest").symlink_to(good.name)
    (root / ".latest-999").symlink_to(old.name)
    (root / "notes").mkdir()  # not a run folder: never touched
    status = {r.path.name: (r.status, r.latest, r.complete) for r in runs.runs(root)}
    assert status == {
        old.name: ("succeeded", False, True),
        killed.name: ("killed", False, False),
        running.name: ("killed", False, False),
        failed1.name: ("failed", False, False),
        failed2.name: ("interrupted", False, False),
        good.name: ("partial", True, True),
    }

    removed = runs.tidy(root)
    # killed runs go; of the failed or interrupted ones the newest stays for inspection
    assert sorted(r.path.name for r in removed.runs) == [killed.name, running.name, failed1.name]
    assert removed.summary().startswith(
        f"removed 1 failed run ({failed1.name}); 2 killed runs ({killed.name}, "
        f"{running.name}); the work files 1 earlier run left;"
    )
    assert not (good / ".pack.pickle").exists() and not (good / "plans" / ".work").exists()
    assert (good / "report.html").exists() and old.exists() and failed2.exists()
    assert not (root / ".latest-999").exists() and (root / "notes").is_dir()
    assert not runs.tidy(root)  # nothing left to tidy

    removed = runs.clean(root)  # every run that is not complete
    assert [r.path.name for r in removed.runs] == [failed2.name]
    assert old.exists()
    removed = runs.clean(root, keep=1)  # and complete runs but the newest; latest stays
    assert [r.path.name for r in removed.runs] == [old.name]
    assert [r.path.name for r in runs.runs(root)] == [good.name]


def test_a_second_run_of_the_same_engagement_is_refused_before_writing(tmp_path):
    root = tmp_path / "r" / "example"
    with runs.engagement_lock(root, "kam run"):
        with pytest.raises(runs.RunInProgress) as refused:
            runner.run_engagement(
                EXAMPLE, runner.RunOptions(only=("kpi_review",), reports=tmp_path / "r", pdf=False)
            )
    message = str(refused.value)
    assert "another run of this engagement is writing to" in message
    assert f"kam run, process {os.getpid()}, started " in message
    assert "nothing was written" in message
    assert [p.name for p in root.iterdir()] == [".lock"]
    # the lock went with the block: the run now goes through
    done = runner.run_engagement(
        EXAMPLE, runner.RunOptions(only=("kpi_review",), reports=tmp_path / "r", pdf=False)
    )
    assert done.status == "succeeded" and (done.latest / "05_kpi_review.html").is_file()


def _kam(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [*KAM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def _wait_for(check, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_two_runs_at_once_one_runs_the_other_is_told(tmp_path):
    reports = tmp_path / "r"
    args = ("run", str(EXAMPLE), "--only", "kpi_review", "--no-pdf", "--reports", str(reports))
    first = _kam(*args)
    lock = reports / "example" / runs.LOCK
    _wait_for(lambda: lock.is_file() and lock.stat().st_size > 0)
    os.kill(first.pid, signal.SIGSTOP)  # still running, however fast, while the second tries
    try:
        second = _kam(*args)
        out2, err2 = second.communicate(timeout=120)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 2
    assert err2.startswith("error: another run of this engagement is writing to ")
    assert "Traceback" not in err2
    assert [r.status for r in runs.runs(reports / "example")] == ["succeeded"]


def test_a_killed_run_is_cleaned_up_by_the_next(tmp_path):
    reports = tmp_path / "r"
    root = reports / "example"
    args = ("run", str(EXAMPLE), "--only", "kpi_review", "--no-pdf", "--reports", str(reports))
    first = _kam(*args)
    assert first.wait(timeout=300) == 0
    latest = os.readlink(root / "latest")
    victim = _kam(*args, start_new_session=True)
    _wait_for(lambda: any(root.glob("*/.pack.pickle")))
    os.killpg(victim.pid, signal.SIGKILL)  # the run, its kernel: everything at once
    victim.wait(timeout=30)
    (left,) = [r for r in runs.runs(root) if r.status == "killed"]
    assert os.readlink(root / "latest") == latest  # latest is still the complete run
    columns = root / f"{spill.FOLDER_PREFIX}{victim.pid}-x"  # a large pack's, as it left it
    columns.mkdir()
    (columns / "1.bin").write_bytes(bytes(8))
    done = subprocess.run([*KAM, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"removed 1 killed run ({left.path.name})" in done.stdout
    assert not left.path.exists() and not columns.exists()
    assert [r.status for r in runs.runs(root)] == ["succeeded", "succeeded"]


def test_kam_clean_removes_what_is_not_a_complete_run(tmp_path, monkeypatch, capsys):
    reports = tmp_path / "r"
    done = runner.run_engagement(
        EXAMPLE, runner.RunOptions(only=("kpi_review",), reports=reports, pdf=False)
    )
    _run(reports / "example" / "20200101-000000", "failed")
    monkeypatch.setattr(
        sys, "argv", ["kam", "clean", str(EXAMPLE), "--reports", str(reports)]
    )  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code in (0, None)
    out = capsys.readouterr().out
    assert "removed 1 failed run (20200101-000000)" in out
    assert f"1 run(s) kept; latest is {done.run_dir.name}." in out


def test_a_step_whose_kernel_dies_runs_again_in_a_fresh_one(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(NOTEBOOKS / "05_kpi_review.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(KILL_ONCE.format(mark=str(tmp_path), key='"k"')))
    nbformat.write(nb, notebooks / "05_kpi_review.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOKS", notebooks)
    said: list[str] = []
    done = runner.run_engagement(
        EXAMPLE,
        runner.RunOptions(only=("kpi_review",), reports=tmp_path / "r", pdf=False),
        progress=said.append,
    )
    assert done.status == "succeeded" and (done.latest / "05_kpi_review.html").is_file()
    assert any("the kernel stopped" in s and "fresh kernel" in s for s in said)


def _plan_notebook(path: Path, cell: str) -> Path:
    nb = nbformat.read(NOTEBOOKS / plans.NOTEBOOK, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(cell))
    path.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path / plans.NOTEBOOK)
    return path / plans.NOTEBOOK


def test_a_plan_whose_kernel_dies_is_drafted_again_once(tmp_path):
    once = _plan_notebook(tmp_path / "once", KILL_ONCE.format(mark=str(tmp_path), key="account"))
    always = _plan_notebook(tmp_path / "always", "import os; os.kill(os.getpid(), 9)")
    out = tmp_path / "out"
    batch = plans.render_plans(
        str(EXAMPLE),
        out,
        plans.BatchOptions(accounts=("C-10012",), jobs=1, pdf=False, notebook=once),
    )
    assert [r.ok for r in batch.results] == [True]
    batch = plans.render_plans(
        str(EXAMPLE),
        out,
        plans.BatchOptions(accounts=("C-10012",), jobs=1, pdf=False, notebook=always),
    )
    (failed,) = batch.failed
    assert failed.error == "the kernel stopped twice (killed, or out of memory)"


def test_a_run_with_failed_plans_is_partial_everywhere(tmp_path, monkeypatch, capsys):
    notebooks = tmp_path / "notebooks"
    _plan_notebook(notebooks, 'assert account != "C-10011", "no data for this plan"')
    monkeypatch.setattr(plans, "NOTEBOOKS", notebooks)
    reports = tmp_path / "r"
    argv = ["kam", "plans", str(EXAMPLE), "--no-pdf", "--reports", str(reports)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("PARTIAL run in ") and "1 plan(s) failed" in lines[-1]
    assert f"draft them again with: kam plans {EXAMPLE} -a C-10011" in lines[-2]
    latest = reports / "example" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["status"] == "partial"  # latest moved: the other plans are current
    (step,) = manifest["steps"]
    assert [f["account_id"] for f in step["failed"]] == ["C-10011"]
    index = (latest / "plans" / "index.html").read_text()
    assert "Not yet complete:" in index and "(C-10011) will follow" in index
    assert "to follow" in index
    assert len(list((latest / "plans").glob("C-1001[12]-*.html"))) == 1


def test_a_refused_write_while_a_step_runs_is_said_as_such(tmp_path, monkeypatch, capsys):
    def full(nb, executed, *args):
        raise OSError(28, "No space left on device", str(executed))

    monkeypatch.setattr(runner, "_write_executed", full)
    argv = ["kam", "run", str(EXAMPLE), "--only", "kpi_review", "--reports", str(tmp_path / "r")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write ") and "the disk is full" in err
    assert [r.status for r in runs.runs(tmp_path / "r" / "example")] == ["failed"]


def test_the_runner_lets_go_of_the_pack_while_a_kernel_holds_it(tmp_path, monkeypatch):
    """A large client's pack is not held twice: while a step's kernel runs, the runner
    has only the run's file of it; the deck (built in the runner) gets it back."""
    import gc
    import weakref

    seen, decks, read = [], [], []
    real_read = runner.read_pack

    def read_pack(config, store=None):
        pack = real_read(config, store=store)
        read.append(weakref.ref(pack))
        return pack

    def step(step, job, run, pack_file, km=None):
        gc.collect()
        freed = read[0]() is None  # nothing in the runner keeps it: the memory is free
        seen.append((step.name, job.engagement.pack is None and freed, pack_file.is_file()))
        return lambda: {"step": step.name, "outputs": []}

    def deck(job, run, step):
        decks.append(len(job.pack["accounts"]))
        return {"step": step.name, "outputs": []}

    monkeypatch.setattr(runner, "read_pack", read_pack)
    monkeypatch.setattr(runner, "_run_step", step)
    monkeypatch.setattr(runner, "_run_deck", deck)
    options = runner.RunOptions(only=("data_review", "segmentation", "deck"), reports=tmp_path)
    runner.run_engagement(str(EXAMPLE), options)
    assert seen == [("data_review", True, True), ("segmentation", True, True)]
    assert decks == [40]
    # the kernels started ahead for those steps (never used here) ended with the run
    assert not _kernels_left()


def _kernels_left(wait: float = 5.0) -> list:
    import psutil

    deadline = time.monotonic() + wait
    while True:
        left = []
        for p in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "ipykernel" in " ".join(p.cmdline()) and p.status() != "zombie":
                    left.append(p)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def test_a_kernels_traceback_in_the_log_names_no_path_of_this_machine(tmp_path):
    """A kernel that prints a traceback on stderr (ipykernel does, on a shutdown race)
    names the installation's files: the run's kernel log keeps them relative."""
    from pathlib import Path

    from kamlib.core.paths import ROOT

    run = tmp_path / "run"
    run.mkdir()
    log = run / "kernel.log"
    log.write_text(
        f'  File "{ROOT}/.venv/lib/python3.11/site-packages/zmq/sugar/socket.py", line 713\n'
        f"  cwd {run}/05_kpi_review.ipynb; cache in {Path.home()}/.cache\n",
        encoding="utf-8",
    )
    runner._unplace(log, run)
    text = log.read_text(encoding="utf-8")
    assert str(ROOT) not in text and str(run) not in text and str(Path.home()) not in text
    assert './.venv/lib/python3.11/site-packages/zmq/sugar/socket.py"' in text
    assert "./05_kpi_review.ipynb" in text and "~/.cache" in text


def test_the_steps_run_in_one_kernel_started_ahead_and_it_ends_with_the_run(tmp_path, monkeypatch):
    """The run's kernel starts (and imports) before the first step, runs every step's
    notebook (each from a clean count, reading the pack once), and ends with the run."""
    import psutil

    from kamlib.run.kernel import WarmKernel

    ran, ahead = [], []
    real_execute, real_shared = WarmKernel.execute, runner.shared_pack

    def execute(self, nb, values="{}"):
        ran.append(self.pid)
        return real_execute(self, nb, values)

    def shared_pack(*args):
        ahead.extend(p.pid for p in _kernels_left(wait=0))  # started while the pack is saved
        return real_shared(*args)

    monkeypatch.setattr(WarmKernel, "execute", execute)
    monkeypatch.setattr(runner, "shared_pack", shared_pack)
    options = runner.RunOptions(
        only=("data_review", "segmentation"), reports=tmp_path / "r", pdf=False
    )
    done = runner.run_engagement(str(EXAMPLE), options)
    assert len(ran) == 2 and len(set(ran)) == 1 and ahead == ran[:1]
    pid = ran[0]
    assert not (psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie")
    manifest = json.loads((done.latest / "manifest.json").read_text())
    assert [s["step"] for s in manifest["steps"]] == ["data_review", "segmentation"]
    # the workbooks the kernel handed over, written by the runner; nothing else left
    assert [o for s in manifest["steps"] for o in s["outputs"] if o.endswith(".xlsx")] == [
        "00_data_review.xlsx", "01_segmentation.xlsx"
    ]  # fmt: skip
    assert (done.latest / "01_segmentation.xlsx").is_file()
    assert not [p.name for p in done.latest.iterdir() if p.name.startswith(".")]
    for name in ("00_data_review.ipynb", "01_segmentation.ipynb"):
        nb = nbformat.read(done.latest / name, as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts[:3] == [1, 2, 3]  # the import ahead was silent: counts from 1
        assert nb.metadata.papermill["exception"] is False
        assert all(c.metadata.papermill["duration"] >= 0 for c in nb.cells
                   if c.cell_type == "code")  # fmt: skip


def test_a_kernel_that_runs_several_steps_reads_the_pack_and_the_segmentation_once(
    tmp_path,
):
    """In the run's kernel, the second step takes the pack and the segmentation from
    memory, not from the run's files again; outside a run, each is built afresh."""
    from kamlib.core import cache as cached
    from kamlib.intake.engagement import open_engagement, pack_key, shared_pack

    eng = open_engagement(EXAMPLE)
    calls = []
    with shared_pack(eng.config, eng.pack, tmp_path) as saved:
        first = open_engagement(EXAMPLE, cache=saved)
        second = open_engagement(EXAMPLE, cache=saved)
        assert first.pack is second.pack and first.run_folder == tmp_path
        a = first.reuse("x", 1, lambda: calls.append(1) or [1])
        b = second.reuse("x", 1, lambda: calls.append(1) or [2])
        assert a is b and calls == [1]
        assert (tmp_path / ".step-x.pickle").is_file()  # a fresh kernel reads it back
        cached.forget()
        assert open_engagement(EXAMPLE, cache=saved).reuse("x", 1, list) == [1]
    cached.forget()
    assert not (tmp_path / ".step-x.pickle").exists()
    assert open_engagement(EXAMPLE).pack is not eng.pack
    assert pack_key(eng.config)  # the key the kernel's copy is kept under


def test_a_report_that_cannot_be_rendered_fails_the_run_after_the_steps_before(
    tmp_path, monkeypatch
):
    """Reports render while the next step runs: one that fails still fails the run,
    with the steps rendered before it in the manifest and no kernel left running."""
    import psutil

    from kamlib.render import pages

    real = pages.render

    def render(executed, *args, **kwargs):
        if Path(executed).name.startswith("01_"):
            raise OSError(28, "No space left on device", str(executed))
        return real(executed, *args, **kwargs)

    monkeypatch.setattr(pages, "render", render)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    options = runner.RunOptions(
        only=("data_review", "segmentation", "service_model"),
        reports=tmp_path / "r",
        pdf=False,
    )
    with pytest.raises(OSError, match="No space left"):
        runner.run_engagement(str(EXAMPLE), options)
    (run,) = runs.runs(tmp_path / "r" / "example")
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [s["step"] for s in manifest["steps"]] == ["data_review"]
    assert not (tmp_path / "r" / "example" / "latest").exists()
    time.sleep(0.5)
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert not [p for p in left if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
