"""PowerPoint slides that a partner can edit: on the firm's template (its masters and
layouts, found by name) or a clean built-in design; native charts that carry their data,
native tables, text as text, speaker notes on every slide; the same bytes for the same
inputs.

Only the steering-committee deck (:mod:`kamlib.report.deck`) builds on this module.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import ConfigError

#: The layouts the deck uses, by role, and the names they are found by (case and spaces
#: ignored; the first name a template has wins)
LAYOUTS: dict[str, tuple[str, ...]] = {
    "title": ("Title Slide", "Title"),
    "content": ("Title and Content", "Title, Content", "Title + Content"),
    "two": ("Two Content", "Two Contents", "Title and Two Content"),
    "section": ("Section Header", "Section Title", "Section"),
}

WIDE = (12_192_000, 6_858_000)  # 16:9 in EMU (13.33 × 7.5 in)
INK = "1F2933"
GREY = "6B7280"
SOFT = "F3F4F6"
#: Fixed zip dates and document dates: the same deck, byte for byte
EPOCH = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Box:
    """A rectangle on the slide, in EMU."""

    left: int
    top: int
    width: int
    height: int

    def split(self, share: float = 0.5, gap: int = 228_600) -> tuple[Box, Box]:
        """Left and right parts: ``share`` of the width on the left, a gap between."""
        w = int((self.width - gap) * share)
        return (
            Box(self.left, self.top, w, self.height),
            Box(self.left + w + gap, self.top, self.width - w - gap, self.height),
        )

    def split_below(self, share: float, gap: int = 91_440) -> tuple[Box, Box]:
        """The top ``share`` of the height and what is left under it."""
        return self.below(int(self.height * share), gap)

    def below(self, height: int, gap: int = 91_440) -> tuple[Box, Box]:
        """The top ``height`` and what is left under it."""
        return (
            Box(self.left, self.top, self.width, height),
            Box(self.left, self.top + height + gap, self.width, self.height - height - gap),
        )


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def find_layouts(prs: Any, source: str) -> dict[str, Any]:
    """The deck's layouts in ``prs`` by role; a clear error naming what is missing."""
    have = {_key(lay.name): lay for lay in prs.slide_layouts}
    out, missing = {}, []
    for role, names in LAYOUTS.items():
        hit = next((have[_key(n)] for n in names if _key(n) in have), None)
        if hit is None:
            missing.append(f"'{names[0]}'")
        else:
            out[role] = hit
    if missing:
        found = ", ".join(f"'{lay.name}'" for lay in prs.slide_layouts) or "none"
        raise ConfigError(
            f"{source}: the template has no layout named {' or '.join(missing)} (layouts "
            f"found: {found}). Rename a layout in the template's slide master to that "
            "name (PowerPoint: View > Slide Master), or use another template."
        )
    return out


def open_template(path: str | Path | None, colour: str = "#0B3D91") -> Any:
    """The firm's template (its slides removed, its masters and layouts kept), or the
    built-in design in ``colour``."""
    from pptx import Presentation

    if not path:
        return builtin(colour)
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"deck template {p} does not exist: give the path of a .pptx file.")
    try:
        prs = Presentation(str(p))
    except Exception as exc:  # not a zip, not a presentation
        raise ConfigError(
            f"deck template {p} is not a PowerPoint file ({type(exc).__name__}): save it "
            "as .pptx (or .potx renamed to .pptx) and try again."
        ) from None
    _drop_slides(prs)
    find_layouts(prs, str(p))
    return prs


def _drop_slides(prs: Any) -> None:
    """A template's own example slides do not reach the deck."""
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)


def builtin(colour: str) -> Any:
    """python-pptx's default masters widened to 16:9, titles in the brand colour, a thin
    brand bar on every slide."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu

    prs = Presentation()
    ratio = WIDE[0] / prs.slide_width
    master = prs.slide_master
    # every placeholder's box as it is now (a layout's may inherit the master's), then
    # widened: the layouts set their own so nothing is widened twice
    boxes = [
        (sh, int(sh.left * ratio), sh.top, int(sh.width * ratio), sh.height)
        for holder in [master, *prs.slide_layouts]
        for sh in holder.placeholders
        if sh.width is not None
    ]
    prs.slide_width, prs.slide_height = Emu(WIDE[0]), Emu(WIDE[1])
    for sh, left, top, width, height in boxes:
        sh.left, sh.top, sh.width, sh.height = left, top, width, height
    # the brand bar, drawn on a scratch slide and moved to the master (its shapes cannot
    # be added to directly), so every layout shows it
    scratch = prs.slides.add_slide(prs.slide_layouts[6])
    bar = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDE[0], 91_440)
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#").upper())
    bar.line.fill.background()
    bar.shadow.inherit = False
    master.shapes._spTree.append(copy.deepcopy(bar._element))
    _drop_slides(prs)
    # titles: left-aligned in the brand colour, as the reports' headings
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    style = master.element.find(
        ".//{http://schemas.openxmlformats.org/presentationml/2006/main}titleStyle"
    )
    if style is not None:
        lvl = style.find(f"{ns}lvl1pPr")
        if lvl is not None:
            lvl.set("algn", "l")
            rpr = lvl.find(f"{ns}defRPr")
            if rpr is not None:
                rpr.set("sz", "2400")  # two lines hold an action title
                rpr.set("b", "1")
                for old in rpr.findall(f"{ns}solidFill"):
                    rpr.remove(old)
                fill = rpr.makeelement(f"{ns}solidFill", {})
                fill.append(fill.makeelement(f"{ns}srgbClr", {"val": colour.lstrip("#").upper()}))
                rpr.insert(0, fill)
    return prs


def content_box(slide: Any, idx: int = 1) -> Box:
    """Where a layout's content placeholder sits; the placeholder itself is removed
    (charts and tables are drawn in its place)."""
    for ph in slide.placeholders:
        if ph.placeholder_format.idx == idx:
            box = Box(int(ph.left), int(ph.top), int(ph.width), int(ph.height))
            ph._element.getparent().remove(ph._element)
            return box
    raise ConfigError(f"layout '{slide.slide_layout.name}' has no content placeholder {idx}.")


def body_boxes(slide: Any) -> list[Box]:
    """The content placeholders of a slide, left to right, removed (see :func:`content_box`)."""
    idx = sorted(
        (ph.placeholder_format.idx, int(ph.left))
        for ph in slide.placeholders
        if ph.placeholder_format.idx not in (0,) and ph.placeholder_format.type is not None
        and int(ph.placeholder_format.type) in (2, 7)  # body, object
    )  # fmt: skip
    return [content_box(slide, i) for i, _ in sorted(idx, key=lambda t: t[1])]


def clear_placeholders(slide: Any, keep: Sequence[int] = (0,)) -> None:
    """Remove the placeholders not filled (an empty one shows 'Click to add text')."""
    for ph in list(slide.placeholders):
        if ph.placeholder_format.idx not in keep:
            ph._element.getparent().remove(ph._element)


BOLD = re.compile(r"\*\*(.+?)\*\*")


def runs(paragraph: Any, text: str, size: float | None = None, colour: str | None = None) -> None:
    """Text with ``**bold**`` parts as bold runs (the reports' markdown emphasis)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    pos = 0
    parts = []
    for m in BOLD.finditer(text):
        parts.append((text[pos : m.start()], False))
        parts.append((m.group(1), True))
        pos = m.end()
    parts.append((text[pos:], False))
    for chunk, bold in parts:
        if not chunk:
            continue
        r = paragraph.add_run()
        r.text = unbroken(chunk.replace("\\", ""))
        r.font.bold = bold or None
        if size:
            r.font.size = Pt(size)
        if colour:
            r.font.color.rgb = RGBColor.from_string(colour)


#: A figure and its unit: "26 %", "€41 k", "€10.7 M".
UNIT = re.compile(r"(\d) (%|k\b|M\b)")


def unbroken(text: str) -> str:
    """A figure never parted from its unit at a line's end (a no-break space between).

    Examples
    --------
    >>> unbroken("(26 %) and €41 k, €10.7 M") == "(26\u00a0%) and €41\u00a0k, €10.7\u00a0M"
    True
    """
    return UNIT.sub("\\1\u00a0\\2", text)


def plain(text: str) -> str:
    """Markdown emphasis and escapes removed: a slide title is plain text."""
    return BOLD.sub(r"\1", text).replace("\\", "")


TITLE_CHARS = 120  # about two lines of a title at 24 pt across a 16:9 slide


def action_title(text: str, limit: int = TITLE_CHARS) -> str:
    """A slide title from a report's headline: plain text, cut at its first clause
    (";" or ":") when the whole would run past two lines.

    Examples
    --------
    >>> action_title("**38 of 219 key accounts lose money**; the most profitable 73 % earn "
    ...              "121 % of the net contribution, and 136 customers destroy €3.8 M", 60)
    '38 of 219 key accounts lose money'
    >>> action_title("Every segment can afford its package")
    'Every segment can afford its package'
    """
    t = plain(text).strip().rstrip(".")  # a title ends without a full stop
    if len(t) <= limit:
        return t
    for sep in ("; ", ": ", ", "):
        head = t[:limit].rsplit(sep, 1)[0] if sep in t[:limit] else ""
        if head and len(head) >= 20:
            return head.rstrip(".,;:")
    return t[: limit - 1].rsplit(" ", 1)[0] + "…"


def set_title(slide: Any, text: str) -> None:
    slide.shapes.title.text_frame.text = ""
    p = slide.shapes.title.text_frame.paragraphs[0]
    runs(p, action_title(text))


def text_box(
    slide: Any,
    box: Box,
    paragraphs: Sequence[str],
    size: float = 14,
    bullets: bool = False,
    colour: str = INK,
) -> Any:
    """A text box: one paragraph per item (``**bold**`` kept), numbered when ``bullets``."""
    from pptx.util import Pt

    tb = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
    tf = tb.text_frame
    tf.word_wrap = True
    for i, item in enumerate(paragraphs):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        runs(p, (f"{i + 1}. " if bullets else "") + item, size, colour)
        p.space_after = Pt(size * 0.5)
    return tb


def notes(slide: Any, text: str) -> None:
    """Speaker notes: where the slide's figures come from and what they rest on."""
    slide.notes_slide.notes_text_frame.text = text


def table(
    slide: Any,
    box: Box,
    frame: pd.DataFrame,
    colour: str,
    size: float = 11,
    widths: Sequence[float] | None = None,
    numeric: Sequence[str] = (),
    fills: Mapping[str, Mapping[str, str]] | None = None,
) -> Any:
    """A native table of already formatted text: the header in the brand colour, numbers
    right-aligned, rows as tall as their text; ``fills`` colours a column's cells by their
    value (a status: green, amber, red)."""
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Pt

    if frame.empty or not len(frame.columns):  # nothing to tabulate: say so, as the reports do
        return text_box(slide, box, ["Not available with the data delivered (see the notes)."],
                        size=size + 2, colour=GREY)  # fmt: skip
    rows, cols = len(frame) + 1, len(frame.columns)
    row_h = int(Pt(size * 2.1))
    shape = slide.shapes.add_table(rows, cols, box.left, box.top, box.width, row_h * rows)
    t = shape.table
    shares = list(widths) if widths and len(widths) == cols else [1.0] * cols
    total = sum(shares)
    for j, share in enumerate(shares):
        t.columns[j].width = int(box.width * share / total)
    for i in range(rows):
        t.rows[i].height = row_h
    brand = RGBColor.from_string(colour.lstrip("#").upper())
    for j, name in enumerate(frame.columns):
        right = name in numeric
        for i in range(rows):
            cell = t.cell(i, j)
            cell.margin_top = cell.margin_bottom = int(Pt(2))
            value = str(name) if i == 0 else str(frame.iloc[i - 1, j])
            cell.text = ""
            p = cell.text_frame.paragraphs[0]
            runs(p, value, size, "FFFFFF" if i == 0 else INK)
            if i == 0:
                for r in p.runs:
                    r.font.bold = True
            p.alignment = PP_ALIGN.RIGHT if right else PP_ALIGN.LEFT
            cell.fill.solid()
            tint = (fills or {}).get(str(name), {}).get(value) if i else None
            cell.fill.fore_color.rgb = (
                brand if i == 0 else RGBColor.from_string(tint or ("FFFFFF" if i % 2 else SOFT))
            )
    return shape


def number_format(currency_symbol: str, scale: str = "", decimals: int = 1) -> str:
    """An Office number format for amounts in one unit: ``"€"#,##0.0,," M"``.

    Examples
    --------
    >>> number_format("€", "M")
    '"€"#,##0.0,,\\\\ "M";"−€"#,##0.0,,\\\\ "M"'
    >>> number_format("CHF ", "k", 0), number_format("$", "")
    ('"CHF "#,##0,\\\\ "k";"−CHF "#,##0,\\\\ "k"', '"$"#,##0;"−$"#,##0')
    """
    decimals = decimals if scale else 0  # whole currency units below a thousand
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    cut = {"M": ",,", "k": ","}.get(scale, "")
    unit = f'\\ "{scale}"' if scale else ""
    return f'"{currency_symbol}"{body}{cut}{unit};"−{currency_symbol}"{body}{cut}{unit}'


PERCENT = '0"\u00a0"%;"−"0"\u00a0"%'  # "15 %", the reports' style


def _style_chart(chart: Any, size: float = 11, legend: bool = True) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_LEGEND_POSITION
    from pptx.util import Pt

    chart.font.size = Pt(size)
    chart.font.color.rgb = RGBColor.from_string(INK)
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def colour_series(chart: Any, colours: Sequence[str], line: bool = False) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    for s, c in zip(chart.plots[0].series, colours, strict=False):
        rgb = RGBColor.from_string(c.lstrip("#").upper())
        if line:
            s.format.line.color.rgb = rgb
            s.format.line.width = Pt(2.25)
            s.smooth = False
        else:
            s.format.fill.solid()
            s.format.fill.fore_color.rgb = rgb


def xy_chart(
    slide: Any,
    box: Box,
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    colours: Sequence[str],
    x_format: str = PERCENT,
    y_format: str = PERCENT,
    x_title: str = "",
    y_title: str = "",
) -> Any:
    """Lines through (x, y) points: curves such as the Pareto and whale curves."""
    from pptx.chart.data import XyChartData
    from pptx.enum.chart import XL_CHART_TYPE

    data = XyChartData()
    for name, (xs, ys) in series.items():
        s = data.add_series(name)
        for x, y in zip(xs, ys, strict=True):
            s.add_data_point(float(x), float(y))
    gf = slide.shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, box.left, box.top, box.width, box.height, data
    )
    chart = gf.chart
    _style_chart(chart, legend=len(series) > 1)
    colour_series(chart, colours, line=True)
    _axes(chart, x_format, y_format, x_title, y_title)
    xs_all = [float(x) for xs, _ in series.values() for x in xs]
    if xs_all and 0 <= min(xs_all) and max(xs_all) <= 1 + 1e-9:  # shares: ends at 100 %
        chart.category_axis.minimum_scale = 0.0
        chart.category_axis.maximum_scale = 1.0
        chart.category_axis.major_unit = 0.2  # six labels, level, none turned on its side
    ys_all = [float(y) for _, ys in series.values() for y in ys]
    if ys_all and 0 <= min(ys_all) and max(ys_all) <= 1 + 1e-9:
        chart.value_axis.minimum_scale = 0.0
        chart.value_axis.maximum_scale = 1.0
    return chart


def _axes(chart: Any, x_format: str, y_format: str, x_title: str, y_title: str) -> None:
    from pptx.util import Pt

    for axis, fmt_, title in (
        (chart.category_axis, x_format, x_title),
        (chart.value_axis, y_format, y_title),
    ):
        if fmt_:
            axis.tick_labels.number_format = fmt_
            axis.tick_labels.number_format_is_linked = False
        axis.has_major_gridlines = axis is chart.value_axis
        if title:
            axis.has_title = True
            axis.axis_title.text_frame.text = title
            for p in axis.axis_title.text_frame.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(11)
                    r.font.bold = False


def _every_label(chart: Any) -> None:
    """Every category's label shown: a viewer otherwise skips some where they crowd."""
    from pptx.oxml.ns import qn

    ax = chart.category_axis._element
    for old in ax.findall(qn("c:tickLblSkip")):
        ax.remove(old)
    skip = ax.makeelement(qn("c:tickLblSkip"), {"val": "1"})
    # the schema's order: tickLblSkip follows lblOffset (or lblAlgn, auto) when present
    after = [qn(t) for t in ("c:lblOffset", "c:lblAlgn", "c:auto", "c:crossAx")]
    anchor = next((ax.find(t) for t in after if ax.find(t) is not None), None)
    if anchor is not None:
        anchor.addnext(skip)
    else:
        ax.append(skip)


def category_chart(
    slide: Any,
    box: Box,
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    colours: Sequence[str],
    kind: str = "bar",
    value_format: str = "",
    labels: bool = False,
    legend: bool | None = None,
) -> Any:
    """A bar (horizontal), column or line chart over named categories; ``labels`` writes
    each value on its bar in ``value_format``."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION

    data = CategoryChartData()
    data.categories = list(categories)
    for name, values in series.items():
        data.add_series(name, [None if pd.isna(v) else float(v) for v in values])
    kinds = {
        "bar": XL_CHART_TYPE.BAR_CLUSTERED,
        "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
        "line": XL_CHART_TYPE.LINE,
        "stacked": XL_CHART_TYPE.COLUMN_STACKED,
    }
    gf = slide.shapes.add_chart(kinds[kind], box.left, box.top, box.width, box.height, data)
    chart = gf.chart
    _style_chart(chart, legend=len(series) > 1 if legend is None else legend)
    colour_series(chart, colours, line=kind == "line")
    if value_format:
        chart.value_axis.tick_labels.number_format = value_format
        chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.has_major_gridlines = True
    if kind == "bar":
        chart.category_axis.reverse_order = True  # the first category on top, as listed
        chart.plots[0].gap_width = 60
    _every_label(chart)
    if labels:
        plot = chart.plots[0]
        plot.has_data_labels = True
        dl = plot.data_labels
        if value_format:
            dl.number_format = value_format
            dl.number_format_is_linked = False
        dl.position = XL_LABEL_POSITION.OUTSIDE_END if kind in ("bar", "column") else None
    return chart


def colour_points(chart: Any, colours: Mapping[int, str], default: str) -> None:
    """One series' bars coloured one by one: ``colours`` by position, the rest ``default``."""
    from pptx.dml.color import RGBColor

    series = chart.plots[0].series[0]
    for i in range(len(list(series.values))):
        pt = series.points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = RGBColor.from_string(
            colours.get(i, default).lstrip("#").upper()
        )


def number_slides(prs: Any, size: float = 10) -> None:
    """The slide number at the foot of every slide but the cover: a committee refers to
    slides by number."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu

    w, h = int(prs.slide_width), int(prs.slide_height)
    for i, slide in enumerate(prs.slides, 1):
        if i == 1:
            continue
        tb = slide.shapes.add_textbox(Emu(w - 1_100_000), Emu(h - 420_000), Emu(800_000),
                                      Emu(300_000))  # fmt: skip
        p = tb.text_frame.paragraphs[0]
        runs(p, str(i), size, GREY)
        p.alignment = PP_ALIGN.RIGHT


def waterfall(
    slide: Any,
    box: Box,
    steps: Sequence[str],
    amounts: Sequence[float],
    levels: Sequence[float],
    totals: Sequence[bool],
    colour: str,
    value_format: str,
    labels: Sequence[str] = (),
) -> Any:
    """A waterfall as PowerPoint draws one editably: stacked columns whose first series
    (the base each step floats on) has no fill; totals in ``colour``, steps in orange,
    each bar labelled with ``labels`` (the signed amounts as the reports print them).
    A negative total is drawn from zero."""
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE

    base, bar, prev = [], [], 0.0
    for amount, level, total in zip(amounts, levels, totals, strict=True):
        if total:
            base.append(min(level, 0.0))
            bar.append(abs(level))
        else:
            base.append(min(prev, level))
            bar.append(abs(amount))
        prev = level
    data = CategoryChartData()
    # the signed amount under each step's name: a stacked chart has no label outside its bars
    data.categories = [
        f"{step}\n{labels[i]}" if i < len(labels) else step for i, step in enumerate(steps)
    ]
    data.add_series("base", base)
    data.add_series("amount", bar)
    gf = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_STACKED, box.left, box.top, box.width, box.height, data
    )
    chart = gf.chart
    _style_chart(chart, legend=False)
    plot = chart.plots[0]
    plot.gap_width = 50
    hidden, shown = plot.series
    hidden.format.fill.background()
    hidden.format.line.fill.background()
    for i, total in enumerate(totals):
        pt = shown.points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = RGBColor.from_string(
            (colour if total and levels[i] >= 0 else "#D55E00").lstrip("#").upper()
        )
    chart.value_axis.tick_labels.number_format = value_format
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.has_major_gridlines = True
    _level_labels(chart.category_axis)
    return chart


def _level_labels(axis: Any) -> None:
    """Category names written level, never turned on their side."""
    from pptx.util import Pt

    axis.tick_labels.font.size = Pt(10)
    body = axis._element.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}bodyPr")
    if body is not None:
        body.set("rot", "0")
        body.set("vert", "horz")


def picture(slide: Any, box: Box, fig: Any, dpi: int = 200) -> Any:
    """A chart with no native equivalent (a heatmap) as a sharp image; the same bytes for
    the same figure (no date in the PNG)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    buf.seek(0)
    from PIL import Image

    w, h = Image.open(buf).size
    buf.seek(0)
    scale = min(box.width / w, box.height / h)
    width, height = int(w * scale), int(h * scale)
    left = box.left + (box.width - width) // 2
    return slide.shapes.add_picture(buf, left, box.top, width, height)


def save(prs: Any, path: str | Path, when: dt.date, title: str, author: str) -> Path:
    """Write the deck atomically, byte for byte the same for the same content: fixed
    document dates and revision, fixed zip dates, and the same for the workbooks each
    chart carries."""
    from ..core.paths import atomic_path

    cp = prs.core_properties
    stamp = dt.datetime(when.year, when.month, when.day)
    cp.title, cp.author, cp.last_modified_by = title, author, author
    cp.created = cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    raw = io.BytesIO()
    prs.save(raw)
    out = _stable_zip(raw.getvalue(), stamp)
    path = Path(path)
    with atomic_path(path) as tmp:  # readable by all, as the other deliverables
        tmp.write_bytes(out)
    return path


CREATED = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _stable_zip(blob: bytes, stamp: dt.datetime) -> bytes:
    """The package re-zipped with fixed entry dates; embedded workbooks the same way,
    their creation date set to ``stamp``."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".xlsx"):
                data = _stable_zip(data, stamp)
            elif info.filename.endswith("core.xml"):
                iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = CREATED.sub(rb"\g<1>" + iso + rb"\g<2>", data)
            z = zipfile.ZipInfo(info.filename, date_time=EPOCH)
            z.compress_type = zipfile.ZIP_DEFLATED
            z.external_attr = 0o600 << 16
            dst.writestr(z, data)
    return out.getvalue()
