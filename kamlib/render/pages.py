"""Executed notebook -> client deliverables: self-contained HTML, and a paged PDF.

The HTML comes from our nbconvert template (``templates/kam``, which extends the stock
``lab`` template); the PDF is the same HTML laid out by WeasyPrint (CSS paged media:
running header, page numbers, contents with page numbers).

Cell tags (the whole vocabulary):

* ``parameters`` / ``injected-parameters`` — papermill's; never shown in a report.
* ``remove`` — the cell (input and output) is left out of the report.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from ..core import fmt
from ..core.paths import TEMPLATES, atomic_path

REMOVE_TAGS = {"remove", "parameters", "injected-parameters"}


class CleanOutputs(Preprocessor):
    """Drop what a client must never see: stderr, warnings, errors, bare text reprs."""

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert API
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.output_type == "stream" and out.get("name") == "stderr":
                    continue
                if out.output_type == "error":
                    continue
                data = out.get("data", {})
                if out.output_type in {"execute_result", "display_data"} and set(data) <= {
                    "text/plain"
                }:
                    continue
                kept.append(out)
            cell.outputs = kept
        return cell, resources


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter without two passes a report does not need, which cost
    more than the export itself (plans are exported by the hundred):

    * re-parsing the page to add alt texts and keyboard stops to JupyterLab's cell
      wrappers: our template writes the alt texts and has no such wrappers;
    * validating the whole notebook after each preprocessor: ours only drop cells and
      outputs of a notebook papermill has just written.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        # inputs are never shown, but the stock template names the filter
        self.register_filter(
            "highlight_code", Highlight2HTML(pygments_lexer="ipython3", parent=self)
        )

    def _validate_preprocessor(self, nbc, preprocessor):  # noqa: D102 - nbconvert API
        return None

    def from_notebook_node(self, nb, resources=None, **kw):  # noqa: D102 - nbconvert API
        resources = self._init_resources(resources)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            ),
        )
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@functools.lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One exporter per process: building it (templates, preprocessors) costs more than
    exporting a short report."""
    exporter = ReportExporter(template_name="kam", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    remove = TagRemovePreprocessor(remove_cell_tags=REMOVE_TAGS, enabled=True)
    exporter.register_preprocessor(remove, enabled=True)
    exporter.register_preprocessor(CleanOutputs(), enabled=True)
    return exporter


def add_contents(html: str) -> str:
    """Number-free contents list from the report's h2/h3 headings, linked by id."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    items = []
    for i, h in enumerate(main.find_all(["h2", "h3"]) if main else []):
        if not h.get("id"):
            h["id"] = f"section-{i}"
        for a in h.find_all("a", class_="anchor-link"):
            a.decompose()
        items.append(
            f'<li class="toc-{h.name}"><a href="#{h["id"]}">{h.get_text(strip=True)}</a></li>'
        )
    _mark_text_cells(soup)
    html = str(soup).replace("<!-- kam:toc -->", f"<ol>{''.join(items)}</ol>", 1)
    return keep_units_text(html)


#: A number and its unit never break across lines: ``73 %``, ``€1.2 M``, ``+3 pts``.
_UNIT = re.compile(r"(\d) (%|k\b|M\b|pts\b|points\b)")


def _mark_text_cells(soup: BeautifulSoup) -> None:
    """A code cell that shows only text (a paragraph written from the data) introduces
    what follows, like a Markdown cell: marked ``jp-TextCell`` so print keeps them together."""
    for cell in soup.find_all("div", class_="jp-CodeCell"):
        outputs = cell.find_all("div", class_="jp-OutputArea-output", recursive=False)
        if outputs and all(o.get("data-mime-type") == "text/markdown" for o in outputs):
            cell["class"] = " ".join([*cell.get_attribute_list("class"), "jp-TextCell"])


def report_meta(config, title: str) -> dict:
    """What the template needs from the engagement config to draw cover, header and footer."""
    from ..core.fmt import shorten

    logo = config.brand.logo
    return {
        "client": shorten(config.client, 100),
        "engagement": shorten(config.engagement, 100),
        "title": title,
        "as_of": f"{fmt.day_long(config.as_of)}",
        "colour": config.brand.primary_colour,
        "paper": config.brand.paper,
        "logo": _data_uri(Path(logo)) if logo else "",
        "running_head": f"{shorten(config.client, 60)} · {title}",
        "date": config.as_of,  # a browser-printed PDF's dates (see kamlib.render.chromium)
    }


def css_string(text: str) -> str:
    r"""``text`` as the inside of a CSS string: quotes, backslashes, control characters and
    ``< > &`` written as CSS escapes, so no client name can end the string or the
    ``<style>`` block it stands in.

    Examples
    --------
    >>> print(css_string('say "hi" </style>x'))
    say \22 hi\22  \3C /style\3E x
    """
    out = []
    for ch in str(text):
        if ch in "\\\"'<>&" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return "".join(out)


def render_html(nb: nbformat.NotebookNode, meta: dict) -> str:
    """A self-contained HTML report of an executed notebook (compact reports have no
    contents list)."""
    meta = {**meta, "running_head_css": css_string(meta.get("running_head", ""))}
    body, _ = _exporter().from_notebook_node(nb, resources={"kam": meta})
    return keep_units_text(body) if meta.get("compact") else add_contents(body)


#: A style sheet or script, kept as it is, or the text between two tags (never an
#: attribute or an embedded image)
_TEXT = re.compile(r"(<(?:style|script)\b.*?</(?:style|script)>)|>([^<]+)<", re.S | re.I)


def keep_units_text(html: str) -> str:
    """Join each number to its unit with a no-break space in the report's text (tiles,
    tables, prose), so that a "%" never wraps onto its own line; on the HTML text, without
    parsing it (the plans are drawn by the hundred).

    Examples
    --------
    >>> keep_units_text('<style>a { b: 1 M }</style><td class="x">17.6 %</td><p>€1.8 M</p>')
    '<style>a { b: 1 M }</style><td class="x">17.6\xa0%</td><p>€1.8\xa0M</p>'
    """

    def join(m: re.Match) -> str:
        return m.group(1) or ">" + _UNIT.sub("\\1\u00a0\\2", m.group(2)) + "<"

    return _TEXT.sub(join, html)


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def render_pdf(html: str) -> bytes:
    """The paged PDF of a report's HTML."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html).write_pdf()


def page_fill(html: str) -> list[float]:
    """How full each printed page of a report is: the share of the page's height down to
    its last line of text or image (running header and footer aside). The print layout
    keeps every page but the last at least a third full."""
    import logging

    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fills = []
    for page in HTML(string=html).render().pages:
        box = page._page_box  # WeasyPrint's laid-out page: the only way to its boxes
        top = box.content_box_y()
        bottom, stack = top, [box]
        while stack:
            b = stack.pop()
            if isinstance(b, boxes.MarginBox):  # running header and footer
                continue
            if isinstance(b, boxes.TextBox | boxes.ReplacedBox):
                bottom = max(bottom, b.position_y + b.margin_height())
            stack.extend(getattr(b, "children", None) or [])
        fills.append((bottom - top) / box.height)
    return fills


def render(
    executed: str | Path, out_dir: str | Path, meta: dict, pdf: bool = True, stem: str = ""
) -> list[Path]:
    """Write ``<stem>.html`` (and ``<stem>.pdf``) for an executed notebook; return the paths.

    ``stem`` defaults to the executed notebook's name.
    """
    executed = Path(executed)
    nb = nbformat.read(executed, as_version=4)
    return render_node(nb, out_dir, stem or executed.stem, meta, pdf)


def render_node(
    nb: nbformat.NotebookNode,
    out_dir: str | Path,
    stem: str,
    meta: dict,
    pdf: bool = True,
    browser=None,
) -> list[Path]:
    """Write ``<stem>.html`` (and ``<stem>.pdf``) for an executed notebook held in memory.

    The PDF is WeasyPrint's, or printed by ``browser`` (a :class:`kamlib.render.chromium.Browser`)
    from the HTML file just written.
    """
    out_dir = Path(out_dir)
    html = render_html(nb, meta)
    written = [out_dir / f"{stem}.html"]
    _atomic_write(written[0], html.encode("utf-8"))
    if pdf:
        written.append(out_dir / f"{stem}.pdf")
        if browser is None:
            data = render_pdf(html)
        else:
            data = browser.print_pdf(written[0], created=meta.get("date"))
        _atomic_write(written[1], data)
    return written
