"""The report template on a hand-made executed notebook: what a client sees, and what not."""

from __future__ import annotations

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import write_engagement
from kamlib.config import load_config
from kamlib.render import render_html, render_pdf, report_meta

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def executed() -> nbformat.NotebookNode:
    nb = new_notebook()
    params = new_code_cell('engagement = "secret-path"', metadata={"tags": ["parameters"]})
    hidden = new_code_cell("x = 1", metadata={"tags": ["remove"]})
    hidden.outputs = [new_output("display_data", data={"text/html": "<p>REMOVED-OUTPUT</p>"})]
    noisy = new_code_cell("import warnings; warnings.warn('boo')")
    noisy.outputs = [
        new_output("stream", name="stderr", text="UserWarning: DO-NOT-SHOW\n"),
        new_output(
            "execute_result", data={"text/plain": "<Figure size 640x480>"}, execution_count=1
        ),
        new_output("display_data", data={"text/html": "<p>VISIBLE-TABLE</p>"}),
    ]
    nb.cells = [
        new_markdown_cell("## First section\n\nSome words."),
        params,
        hidden,
        noisy,
        new_markdown_cell("## Second section"),
    ]
    return nb


def test_report_shows_outputs_only_with_cover_and_contents(tmp_path):
    folder = write_engagement(tmp_path / "e", extra="brand:\n  logo: logo.png\n  paper: Letter\n")
    (folder / "logo.png").write_bytes(PNG)
    meta = report_meta(load_config(folder), "Data review")
    html = render_html(executed(), meta)
    assert "VISIBLE-TABLE" in html
    for hidden in ("REMOVED-OUTPUT", "DO-NOT-SHOW", "&lt;Figure", "secret-path", "warnings.warn"):
        assert hidden not in html, hidden
    assert 'class="cover-logo" src="data:image/png;base64,' in html
    assert "Testco Industries" in html and "31 March 2026" in html
    assert "size: Letter" in html
    assert '<li class="toc-h2"><a href="#First-section">First section</a></li>' in html
    assert html.index("Contents") < html.index("Some words.")
    pdf = render_pdf(html)
    assert pdf[:5] == b"%PDF-"
