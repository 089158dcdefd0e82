"""The plan batch's PDF engine: Chromium's headless shell over a pipe."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal

import pytest
from pypdf import PdfReader

from kamlib.render import chromium
from kamlib.render.chromium import Browser, ChromiumError

needs_browser = pytest.mark.skipif(
    chromium.find() is None, reason="no Chromium here (make setup installs it on Debian)"
)

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test plan</title>
<style>@page {{ size: A5; margin: 15mm; @top-left {{ content: "RUNNING HEAD"; }} }}
.br {{ break-after: page; }}</style></head>
<body><p class="br">One</p><p>Two</p>{extra}</body></html>"""


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_find_honours_kam_chromium(monkeypatch):
    monkeypatch.setenv(chromium.ENV, "off")
    assert chromium.find() is None
    monkeypatch.setenv(chromium.ENV, "/no/such/browser")
    with pytest.raises(ChromiumError, match="not an executable.*KAM_CHROMIUM=off"):
        chromium.find()
    monkeypatch.setenv(chromium.ENV, "WeasyPrint")
    with pytest.raises(ChromiumError, match="no Chromium found: install"):
        Browser()


def test_set_dates_keeps_the_length():
    pdf = b"<</CreationDate (D:20261123071640+00'00')\n/ModDate (D:20261123071641+00'00')>>"
    out = chromium.set_dates(pdf, dt.date(2026, 9, 30))
    assert len(out) == len(pdf)
    assert out.count(b"(D:20260930000000+00'00')") == 2


@needs_browser
def test_prints_the_pages_the_stylesheet_asks_for_the_same_every_time(tmp_path):
    html = tmp_path / "plan.html"
    html.write_text(PAGE.format(extra=""), encoding="utf-8")
    with Browser() as b:
        first = b.print_pdf(html, created=dt.date(2026, 9, 30))
        again = b.print_pdf(html, created=dt.date(2026, 9, 30))
    assert _pages(first) == ["RUNNING HEAD\nOne", "RUNNING HEAD\nTwo"]
    box = [float(v) for v in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", first).groups()]
    assert box == pytest.approx([419.5, 595.3], abs=1)  # A5 in points
    assert b"(D:20260930000000" in first and first == again
    assert str(tmp_path).encode() not in first and b"file://" not in first


@needs_browser
def test_scripts_do_not_run(tmp_path):
    html = tmp_path / "script.html"
    script = "<script>for (let i = 0; i < 3; i++) document.body.insertAdjacentHTML("
    script += "'beforeend', '<p class=\"br\">x</p>');</script>"
    html.write_text(PAGE.format(extra=script), encoding="utf-8")
    with Browser() as b:
        assert len(_pages(b.print_pdf(html))) == 2  # 4 if the script had run


@needs_browser
def test_a_missing_page_or_a_dead_browser_is_an_error_not_a_hang(tmp_path):
    b = Browser(timeout=20, scratch=str(tmp_path))
    assert os.path.dirname(b._profile) == str(tmp_path)
    try:
        with pytest.raises(ChromiumError, match="could not open nowhere.html"):
            b.print_pdf(tmp_path / "nowhere.html")
        os.killpg(b.pid, signal.SIGKILL)
        (tmp_path / "p.html").write_text(PAGE.format(extra=""), encoding="utf-8")
        with pytest.raises(ChromiumError, match="stopped unexpectedly"):
            b.print_pdf(tmp_path / "p.html")
    finally:
        b.close()
    assert b.pid == 0 and not os.path.exists(b._profile)


@needs_browser
def test_the_page_is_drawn_in_the_browsers_own_process(tmp_path):
    """No renderer, zygote or GPU process beside the browser (a fifth less CPU per page,
    benchmarks/plans.py): at most one helper (its network service) runs with it."""
    import psutil

    (tmp_path / "p.html").write_text(PAGE.format(extra=""), encoding="utf-8")
    with Browser(scratch=str(tmp_path)) as b:
        assert len(_pages(b.print_pdf(tmp_path / "p.html"))) == 2
        assert len(psutil.Process(b.pid).children(recursive=True)) <= 1
