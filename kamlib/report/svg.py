"""A chart drawn straight to SVG, in the house style, for the charts drawn by the hundred.

Each account plan draws three charts (:mod:`kamlib.report.plan_charts`) and a batch
draws them for every key account: through matplotlib they cost about 0.2 s of CPU per
plan, most of it in building and laying out artists a plan chart never changes. A
:class:`Chart` writes the same picture (the house fonts, colours, grid, ticks, title and
legend of :func:`kamlib.report.charts.use_house_style`) as SVG elements directly, in a
few milliseconds. It keeps what it drew (bars, texts and their boxes, the legend, the
axes' limits and ticks) for the tests to read.

Lengths are in points (1/72 inch) on a canvas the size of the matplotlib figure it
replaces; text is DejaVu Sans, measured with FreeType (matplotlib's own), kept as text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

INK = "#1F2933"
#: tick labels sit this far from their axis (matplotlib's pad and tick length)
PAD = 9.5
LABEL = "#262626"  # legend text, as matplotlib's ".15"
GRID = "#E6E9EE"
SPINE = "#C9CED6"
FONT = "DejaVu Sans"
#: matplotlib's line spacing of multi-line text, in font sizes
LINE = 1.2


@lru_cache(maxsize=4)
def _font(bold: bool):
    from matplotlib import font_manager, ft2font

    prop = font_manager.FontProperties(family=FONT, weight="bold" if bold else "normal")
    return ft2font.FT2Font(font_manager.findfont(prop))


@lru_cache(maxsize=8192)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of ``text`` at ``size`` points, as matplotlib lays it out.

    >>> round(text_width("Revenue", 8), 1)
    34.6
    >>> text_width("", 8)
    0.0
    """
    if not text:
        return 0.0
    font = _font(bold)
    font.set_size(size, 72)
    font.set_text(text, 0.0)
    return font.get_width_height()[0] / 64.0


def text_box(text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """Width and height of (multi-line) ``text``."""
    lines = text.split("\n")
    return max(text_width(t, size, bold) for t in lines), size * (1 + LINE * (len(lines) - 1))


@dataclass
class Box:
    """A rectangle in points: x to the right, y downwards."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return not (
            self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0
        )


def _n(v: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros (the same chart, the same
    bytes)."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _attrs(**kw) -> str:
    return "".join(
        f' {k.rstrip("_").replace("_", "-")}="{html.escape(str(v), quote=True)}"'
        for k, v in kw.items()
        if v is not None
    )


def _hatch(x: float, y: float, w: float, h: float, colour: str, opacity: float | None) -> str:
    """'///' lines over the rectangle at ``x, y`` (``w`` × ``h`` points), 6 points apart
    on the chart's grid, each cut at the rectangle's edges: drawn as lines, so printed
    as lines (a browser prints an SVG fill pattern as a picture of a few dots per point).

    Examples
    --------
    >>> _hatch(0, 0, 6, 6, "#FFFFFF", None)
    '<path class="hatch" d="M 0 6 L 6 0" fill="none" stroke="#FFFFFF" stroke-width="1"/>'
    """
    d = []
    for c in np.arange(6 * np.ceil((x + y) / 6), x + w + y + h + 1e-9, 6.0):
        lo, hi = max(x, c - y - h), min(x + w, c - y)  # where u + v = c crosses the box
        if hi - lo > 1e-9:
            d.append(f"M {_n(lo)} {_n(c - lo)} L {_n(hi)} {_n(c - hi)}")
    lines = " ".join(d)
    paint = _attrs(stroke=colour, stroke_width=1, stroke_opacity=opacity)
    return f'<path class="hatch" d="{lines}" fill="none"{paint}/>'


@dataclass
class Chart:
    """An SVG canvas of ``width`` × ``height`` inches; IPython shows it as an SVG image.

    What it drew is kept for the tests: ``bars`` (dicts: x0, x1, y0, y1 in data units,
    colour, alpha, hatch), ``texts`` (dicts: text, box), ``legend`` (labels), ``axes``
    (the plot areas: limits and ticks)."""

    width: float
    height: float
    parts: list[str] = field(default_factory=list)
    bars: list[dict] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)
    axes: list[Axes] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)

    @property
    def w(self) -> float:
        return self.width * 72

    @property
    def h(self) -> float:
        return self.height * 72

    # --- elements --------------------------------------------------------------------

    def rect(self, box: Box, fill: str, opacity: float | None = None, stroke: str | None = None,
             hatch: str | None = None) -> None:  # fmt: skip
        """A rectangle; ``hatch``: the colour of '///' lines over it (at ``opacity``)."""
        x, y = min(box.x0, box.x1), min(box.y0, box.y1)
        w, h = abs(box.x1 - box.x0), abs(box.y1 - box.y0)
        at = f'x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"'
        self.parts.append(
            f"<rect {at}" + _attrs(fill=fill, fill_opacity=opacity, stroke=stroke) + "/>"
        )
        if hatch:
            self.parts.append(_hatch(x, y, w, h, hatch, opacity))

    def line(self, points: list[tuple[float, float]], stroke: str, width: float = 1.0,
             opacity: float | None = None) -> None:  # fmt: skip
        d = " ".join(f"{'M' if i == 0 else 'L'} {_n(x)} {_n(y)}" for i, (x, y) in enumerate(points))
        self.parts.append(
            f'<path d="{d}" fill="none"'
            + _attrs(stroke=stroke, stroke_width=_n(width), stroke_opacity=opacity)
            + ' stroke-linecap="round" stroke-linejoin="round"/>'
        )

    def circle(self, x: float, y: float, r: float, fill: str, stroke: str | None = None,
               width: float = 0.0) -> None:  # fmt: skip
        self.parts.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}"'
            + _attrs(fill=fill, stroke=stroke, stroke_width=_n(width) if stroke else None)
            + "/>"
        )

    def text(self, x: float, y: float, text: str, size: float, anchor: str = "start",
             valign: str = "baseline", colour: str = INK, bold: bool = False,
             rotate: bool = False, keep: bool = False) -> Box:  # fmt: skip
        """Text at (x, y): ``anchor`` start, middle or end; ``valign`` baseline, top,
        center, center_baseline or bottom of the whole block (lines stacked downwards).
        Returns its box; ``keep`` records it in :attr:`texts`."""
        lines = text.split("\n")
        w, h = text_box(text, size, bold)
        ascent = 0.76 * size  # DejaVu Sans: the cap height and a little more
        top = {
            "top": y,
            "center": y - h / 2,
            "center_baseline": y + 0.38 * size - ascent,  # matplotlib's tick labels
            "bottom": y - h,
        }.get(valign, y - ascent)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        box = Box(left, top, left + w, top + h)
        style = f"font-size:{_n(size)}px;font-family:'{FONT}';fill:{colour}" + (
            ";font-weight:700" if bold else ""
        )
        if rotate:  # upwards, centred on (x, y)
            self.parts.append(
                f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" '
                f'transform="rotate(-90 {_n(x)} {_n(y)})" style="{style}">'
                f"{html.escape(text)}</text>"
            )
            return Box(x - h / 2, y - w / 2, x + h / 2, y + w / 2)
        tx = {"start": left, "middle": left + w / 2, "end": left + w}[anchor]
        for i, t in enumerate(lines):
            base = top + ascent + i * LINE * size
            self.parts.append(
                f'<text x="{_n(tx)}" y="{_n(base)}" text-anchor="{anchor}" style="{style}">'
                f"{html.escape(t)}</text>"
            )
        if keep:
            self.texts.append({"text": text, "box": box})
        return box

    # --- the whole -------------------------------------------------------------------

    def svg(self) -> str:
        return (
            '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.w)}pt" '
            f'height="{_n(self.h)}pt" viewBox="0 0 {_n(self.w)} {_n(self.h)}" version="1.1">'
            '<rect width="100%" height="100%" fill="#FFFFFF"/>' + "\n".join(self.parts) + "</svg>\n"
        )

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return f"<Chart {self.width:g}x{self.height:g} in>"

    # --- legend ----------------------------------------------------------------------

    def draw_legend(self, entries: list[tuple[str, dict]], x: float, y: float,
                    size: float = 8.0, anchor: str = "middle") -> None:  # fmt: skip
        """One row of legend entries (label, handle) with its top at ``y``, centred on
        ``x`` (or ending there: ``anchor="end"``). A handle: ``{"patch": colour}``,
        ``{"line": colour}``, ``{"dot": colour, "r": 3, "ring": colour}`` or
        ``{"hatch": colour}``; spaced as matplotlib spaces them (in font sizes: handle 2,
        gap 0.8, between entries 2)."""
        handle, gap, between = 2 * size, 0.8 * size, 2 * size
        widths = [handle + gap + text_width(label, size) for label, _ in entries]
        total = sum(widths) + between * (len(entries) - 1)
        left = x - total / 2 if anchor == "middle" else x - total
        mid = y + 0.4 * size + 0.6 * size  # matplotlib's border pad, then half a line
        for (label, h), w in zip(entries, widths, strict=True):
            self._handle(h, left, mid, handle)
            self.text(left + handle + gap, mid, label, size, valign="center", colour=LABEL)
            left += w + between
            self.legend.append(label)

    def _handle(self, h: dict, left: float, mid: float, length: float) -> None:
        if "patch" in h or "hatch" in h:
            colour = h.get("patch") or "#FFFFFF"
            box = Box(left, mid - 0.35 * length / 2, left + length, mid + 0.35 * length / 2)
            self.rect(box, colour, stroke=h.get("hatch"), hatch=h.get("hatch"))
        elif "line" in h:
            self.line([(left, mid), (left + length, mid)], h["line"], 2.0)
        else:
            ring = h.get("ring")
            self.circle(left + length / 2, mid, h.get("r", 3.0), h["dot"], ring, 2.0 if ring else 0)


@dataclass
class Axes:
    """A plot area of a :class:`Chart`: ``box`` in points, data limits ``xlim`` and
    ``ylim``; maps data to points."""

    chart: Chart
    box: Box
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    xticks: list[float] = field(default_factory=list)
    yticks: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chart.axes.append(self)

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return self.box.x0 + (v - lo) / (hi - lo) * (self.box.x1 - self.box.x0)

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        return self.box.y1 - (v - lo) / (hi - lo) * (self.box.y1 - self.box.y0)

    def grid(self, xticks: list[float] | None = None, yticks: list[float] | None = None) -> None:
        b, c = self.box, self.chart
        for v in yticks if yticks is not None else self.yticks:
            c.line([(b.x0, self.y(v)), (b.x1, self.y(v))], GRID, 1.0)
        for v in xticks if xticks is not None else self.xticks:
            c.line([(self.x(v), b.y0), (self.x(v), b.y1)], GRID, 1.0)

    def spines(self) -> None:
        b = self.box
        self.chart.line([(b.x0, b.y1), (b.x0, b.y0)], SPINE, 1.25)
        self.chart.line([(b.x0, b.y1), (b.x1, b.y1)], SPINE, 1.25)

    def ylabels(self, labels: list[str], side: str = "left", marks: bool = False,
                size: float = 11.0) -> None:  # fmt: skip
        """The y ticks' labels (and outward tick marks, ``marks``), left or right."""
        edge = self.box.x0 if side == "left" else self.box.x1
        out = -1 if side == "left" else 1
        for v, label in zip(self.yticks, labels, strict=True):
            y = self.y(v)
            if marks:
                self.chart.line([(edge, y), (edge + out * 6, y)], INK, 1.25)
            anchor = "end" if side == "left" else "start"
            self.chart.text(edge + out * PAD, y, label, size, anchor=anchor,
                            valign="center_baseline")  # fmt: skip

    def xlabels(self, labels: list[str], size: float = 11.0) -> float:
        """The x ticks' labels under the plot; returns the labels' bottom."""
        bottom = self.box.y1
        for v, label in zip(self.xticks, labels, strict=True):
            box = self.chart.text(self.x(v), self.box.y1 + PAD, label, size, anchor="middle",
                                  valign="top")  # fmt: skip
            bottom = max(bottom, box.y1)
        return bottom

    def title(self, text: str, pad: float = 0.0) -> None:
        """The chart's title, bold, left-aligned above the plot (as matplotlib's at 1.02
        of the axes' height, ``pad`` points higher)."""
        top = self.box.y0 - 0.02 * (self.box.y1 - self.box.y0) - 6 - pad
        self.chart.text(self.box.x0, top, text, 12.0, bold=True)

    def ylabel(self, text: str, labels: list[str], size: float = 12.0) -> None:
        """The y axis's name, upwards, left of its tick labels."""
        widest = max((text_width(t, 11.0) for t in labels), default=0.0)
        x = self.box.x0 - PAD - widest - 4.0 - size * 0.24  # the baseline, glyphs left of it
        self.chart.text(x, (self.box.y0 + self.box.y1) / 2, text, size, rotate=True)

    def bar(self, x0: float, x1: float, y0: float, y1: float, colour: str,
            alpha: float | None = None, hatch: bool = False) -> None:  # fmt: skip
        """A bar in data units (recorded in the chart's ``bars``)."""
        box = Box(self.x(x0), self.y(y1), self.x(x1), self.y(y0))
        # hatched as matplotlib hatches a bar: white lines, as pale as the bar
        self.chart.rect(box, colour, opacity=alpha, hatch="#FFFFFF" if hatch else None)
        self.chart.bars.append({"x0": x0, "x1": x1, "y0": y0, "y1": y1, "colour": colour,
                                "alpha": alpha, "hatch": "///" if hatch else None})  # fmt: skip


# --- ticks ------------------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, length: float, size: float = 11.0) -> list[float]:
    """Round tick values within [lo, hi], as matplotlib's default locator picks them: as
    many as the axis has room for (one per two font sizes, at most 9), each step 1, 2,
    2.5 or 5 times a power of ten.

    >>> nice_ticks(0, 210_000, 151.2)
    [0.0, 50000.0, 100000.0, 150000.0, 200000.0]
    >>> nice_ticks(0, 0.6, 151.2)
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    """
    if hi <= lo:
        return [lo]
    bins = max(1, min(9, int(length // (2 * size))))
    raw = (hi - lo) / bins
    scale = 10 ** np.floor(np.log10(raw))
    step = next(s * scale for s in (1, 2, 2.5, 5, 10) if s * scale >= raw * (1 - 1e-9))
    first = np.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return [round(float(t), 12) + 0.0 for t in ticks]


def money_label(x: float, ticks: list[float], currency: str | None = None) -> str:
    """An amount on an axis in one unit for all its ``ticks`` (``€0.5 M, €1.0 M``, never
    ``€500 k`` beside ``€1.0 M``), with the decimals the ticks need.

    >>> [money_label(v, [0, 50e3, 100e3], "EUR") for v in (0, 50e3, 100e3)]
    ['€0', '€50 k', '€100 k']
    >>> money_label(1.5e6, [0, 0.5e6, 1e6, 1.5e6], "EUR")
    '€1.5 M'
    >>> [money_label(v, [0, 2500, 5000, 7500, 10000], "EUR") for v in (2500, 7500, 10000)]
    ['€2.5 k', '€7.5 k', '€10.0 k']
    """
    from ..core import fmt

    top = max((abs(v) for v in ticks), default=abs(x))
    scale, unit = (1e6, " M") if top >= 999_500 else (1e3, " k") if top >= 999.5 else (1, "")
    digits = _decimals([v / scale for v in ticks])  # 2.5 k never "2 k"
    if x == 0 or (scale == 1 and digits == 0):
        return fmt.money(x, currency, short=False)
    sign = "−" if x < 0 else ""
    return f"{sign}{fmt.symbol(currency)}{abs(x) / scale:,.{digits}f}{unit}"


def pct_label(x: float, ticks: list[float]) -> str:
    """A share on an axis (``20 %``) with as many decimals as the ``ticks`` need to
    differ: never ``100 %, 100 %, 98 %`` on a narrow axis.

    >>> [pct_label(v, [0.9, 0.925, 0.95]) for v in (0.9, 0.925)]
    ['90.0 %', '92.5 %']
    """
    from ..core import fmt

    return fmt.pct(x, _decimals([v * 100 for v in ticks])) if x else "0 %"


def _decimals(values: list[float]) -> int:
    """The fewest decimals (0, 1, else 2) that show every tick of an axis as it is.

    >>> _decimals([0, 2.5, 5]), _decimals([0, 20, 40]), _decimals([0.25, 0.5])
    (1, 0, 2)
    """
    return next((d for d in (0, 1) if all(abs(round(v, d) - v) < 1e-6 for v in values)), 2)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def month_ticks(lo: np.datetime64, hi: np.datetime64, most: int = 9) -> tuple[list, list[str]]:
    """Month starts within [lo, hi) every 1, 2, 3, 4, 6, 12 or 24 months (the fewest that
    keep at most ``most`` ticks), labelled as matplotlib's concise date labels: a year at
    January, else the month; the first tick carries its year when no January shows.

    >>> t, labels = month_ticks(np.datetime64("2023-10-01"), np.datetime64("2026-10-01"))
    >>> labels
    ['2024', 'Jul', '2025', 'Jul', '2026', 'Jul']
    >>> month_ticks(np.datetime64("2026-03-15"), np.datetime64("2026-09-30"))[1]
    ['Apr 2026', 'May', 'Jun', 'Jul', 'Aug', 'Sep']
    """
    first = lo.astype("datetime64[M]")
    last = hi.astype("datetime64[M]")
    span = int((last - first).astype(int))
    step = next((s for s in (1, 2, 3, 4, 6, 12) if span <= s * (most - 1)), 24)
    months = [
        m
        for m in np.arange(first, last + 1)
        if (m.astype(int) % 12) % step == 0 and lo <= m.astype("datetime64[D]") < hi
    ]
    labels = [
        str(m.astype("datetime64[Y]")) if m.astype(int) % 12 == 0 else MONTHS[m.astype(int) % 12]
        for m in months
    ]
    if labels and not any(m.astype(int) % 12 == 0 for m in months):
        labels[0] = f"{labels[0]} {m_year(months[0])}"
    return [m.astype("datetime64[D]") for m in months], labels


def m_year(m: np.datetime64) -> str:
    return str(m.astype("datetime64[Y]"))
