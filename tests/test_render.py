"""The report template on a hand-made executed notebook: what a client sees, and what not."""

from __future__ import annotations

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import write_engagement
from kamlib.core.config import load_config
from kamlib.render.pages import render_html, render_pdf, report_meta

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


def test_report_markup_is_lean_and_self_contained(tmp_path):
    """One element per cell and per output (no JupyterLab wrappers, no empty cells), our
    stylesheet only (no scripts, no code highlighting), and an alt text on every chart."""
    folder = write_engagement(tmp_path / "e")
    nb = executed()
    chart = new_code_cell("chart()")
    chart.outputs = [
        new_output("display_data", data={"image/png": base64.b64encode(PNG).decode()}),
        new_output(
            "display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>"}
        ),
    ]
    nb.cells += [new_code_cell("x = 2"), chart]
    html = render_html(nb, {**report_meta(load_config(folder), "Plan"), "compact": True})
    for stock in ("jp-OutputArea-child", "jp-Cell-outputWrapper", "jp-Collapser", "jp-InputArea",
                  "jp-mod-noOutputs", "<script", ".highlight", "tabindex"):  # fmt: skip
        assert stock not in html, stock
    main = html[html.index("<main>") :]
    assert main.count('class="jp-Cell ') == 4  # two markdown cells, the noisy one, the chart
    assert main.count("<img ") == 2 and main.count('alt="Chart"') == 2
    assert "<title>Plan · Testco Industries</title>" in html


def test_a_wide_table_stays_within_the_page(tmp_path):
    """Seven columns of long headers, figures and 'charged separately' tags: headers and
    tags wrap, so no cell reaches past the page's right margin (the service model's
    package table was cut off)."""
    import pandas as pd
    import weasyprint

    from kamlib.report.tables import table_html

    segments = [f"Tier {t} · {kind} ({why})" for t in (1, 2, 3)
                for kind, why in (("partner", "loyalty"), ("price-driven", "price"))]  # fmt: skip
    wide = pd.DataFrame({"element": ["product development and innovation"] * 3}
                        | {s: ["charged separately"] * 3 for s in segments})  # fmt: skip
    money = pd.DataFrame({"element": ["training"]} | {s: [12345.0] for s in segments})
    nb = new_notebook()
    nb.cells = [new_markdown_cell("## Packages")]
    for frame, extra in (
        (wide, {"tags": dict.fromkeys(segments, "pkg")}),
        (money, {"formats": dict.fromkeys(segments, "money")}),
    ):
        cell = new_code_cell("show()")
        cell.outputs = [new_output("display_data", data={"text/html": table_html(frame, **extra)})]
        nb.cells.append(cell)
    folder = write_engagement(tmp_path / "e")
    html = render_html(nb, report_meta(load_config(folder), "Service model"))
    doc = weasyprint.HTML(string=html).render()
    past = []
    for page in doc.pages:
        box = page._page_box
        right = box.content_box_x() + box.width
        past += [
            b.element_tag
            for b in box.descendants()
            if getattr(b, "element_tag", None) in ("table", "th", "td")
            and b.position_x + b.margin_width() > right + 1
        ]
    assert past == []
