"""The plan batch on a real Dask cluster: a scheduler and two workers on this machine,
started as a firm would start them (`dask scheduler`, `dask worker ADDRESS`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from conftest import EXAMPLE
from kamlib.core.errors import ConfigError
from kamlib.core.paths import NOTEBOOKS
from kamlib.run import cluster, plans

BIN = Path(sys.executable).parent
FAILING = "C-10011"  # the batch's notebook fails for this account on purpose


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler():
    """`dask scheduler` and two `dask worker` processes on localhost; their address."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = address.rsplit(":", 1)[1]
    scheduler = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", port,
                 "--no-dashboard", "--dashboard-address", ":0"]  # fmt: skip
    procs = [subprocess.Popen(scheduler, **quiet)]
    procs += [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--name",
                f"w{i}",
            ],
            **quiet,
        )  # fmt: skip
        for i in range(2)
    ]
    try:
        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("kam-plans-*")}


def test_a_batch_on_a_scheduler_with_two_workers(scheduler, tmp_path):
    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    nb = nbformat.read(NOTEBOOKS / plans.NOTEBOOK, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(f'assert account != "{FAILING}", "boom"'))
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    before, lines = _scratch(), []
    options = plans.BatchOptions(notebook=broken, pdf=False, scheduler=scheduler)
    result = plans.render_plans(str(eng), tmp_path / "out" / "plans", options, lines.append)
    assert len(result.results) == 3
    (failed,) = result.failed  # one plan fails; the batch goes on
    assert failed.account_id == FAILING and "AssertionError: boom" in failed.error
    assert Path(failed.kept).is_file()
    for r in result.results:
        if r.ok:
            assert [f.rsplit(".", 1)[1] for f in r.files] == ["html"]
            assert (result.folder / r.files[0]).stat().st_size > 1000
    # both workers rendered plans, each in its kept kernel; progress plan by plan
    assert len({r.worker for r in result.results}) == 2
    assert len([x for x in lines if "plan " in x and "/3" in x]) == 3
    assert (result.folder / "index.html").is_file()
    # the book each worker was sent, and its kernel and browser, are gone with the batch
    deadline = time.time() + 20
    while _scratch() - before and time.time() < deadline:
        time.sleep(0.5)
    assert not _scratch() - before


def test_an_unreachable_scheduler_is_one_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    monkeypatch.setenv(cluster.SCHEDULER_ENV, f"tcp://127.0.0.1:{_free_port()}")
    with pytest.raises(ConfigError, match="cannot be reached.*dask scheduler"):
        plans.render_plans(str(EXAMPLE), tmp_path / "plans", plans.BatchOptions(pdf=False))
