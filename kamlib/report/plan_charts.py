"""The account plan's three charts, drawn straight to SVG (:mod:`kamlib.report.svg`).

A plan batch draws them for every key account: the revenue and margin per month, the
stakeholder map and the NPS per quarter. They show what the matplotlib charts of the
reports show, in the same house style, at a few milliseconds each instead of about
seventy. Each takes an already computed frame and returns a :class:`~.svg.Chart` (None
when there is nothing to draw); it computes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.notes import Note
from .svg import (
    INK,
    PAD,
    Axes,
    Box,
    Chart,
    money_label,
    month_ticks,
    nice_ticks,
    pct_label,
    text_box,
    text_width,
)
from .words import joined

GREEN, ORANGE, RED = "#009E73", "#E69F00", "#D55E00"
GREY = "#8A939F"
#: The plot area of the one-axes plan charts, as figure fractions (left for money
#: labels, right for a second axis), as the matplotlib charts had them.
MARGINS = {"left": 0.1, "right": 0.91, "top": 0.9, "bottom": 0.2}


def _days(values) -> np.ndarray:
    """Dates as days since 1970 (floats): the charts' time axis."""
    return pd.to_datetime(pd.Series(values)).to_numpy("datetime64[D]").astype(float)


def _area(chart: Chart, margins: dict) -> Box:
    return Box(margins["left"] * chart.w, (1 - margins["top"]) * chart.h,
               margins["right"] * chart.w, (1 - margins["bottom"]) * chart.h)  # fmt: skip


def _limits(lo: float, hi: float, zero: bool = True) -> tuple[float, float]:
    """A value axis's limits: the data with 5 % margins, from zero when ``zero`` (as
    matplotlib's autoscale with a bar's sticky edge)."""
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    return (lo - pad if lo < 0 or not zero else lo), hi + pad


def _month_starts(ax: Axes, most: int) -> list[float]:
    """The days of the time axis's ticks (see :func:`~.svg.month_ticks`)."""
    lo, hi = (np.datetime64(int(round(v)), "D") for v in ax.xlim)
    return [float(m.astype(int)) for m in month_ticks(lo, hi, most)[0]]


def _time_axis(ax: Axes, most: int) -> None:
    """Month ticks (labels a year at January, else the month) under the plot."""
    lo, hi = (np.datetime64(int(round(v)), "D") for v in ax.xlim)
    ticks, labels = month_ticks(lo, hi, most)
    ax.xticks = [float(t.astype(int)) for t in ticks]
    ax.xlabels(labels)


#: The bars' colour when no brand colour is given (the house default).
PRIMARY = "#0B3D91"


def account_trend(
    monthly: pd.DataFrame, currency: str | None = None, colour: str = PRIMARY
) -> Chart | None:
    """One account's revenue per month (bars, in the client's brand ``colour``) and gross
    margin (line, right axis), up to 36 months: each month's bar within its month, the
    axis ending with the last month."""
    if monthly.empty:
        return None
    chart = Chart(8.0, 3.0)
    start = _days(monthly["month"])
    revenue = pd.to_numeric(monthly["revenue"], errors="coerce").fillna(0.0).to_numpy(float)
    end = pd.Timestamp(monthly["month"].max()) + pd.offsets.MonthBegin(1)  # the last month's end
    xlim = (float(start.min()), float(_days([end])[0]))
    ax = Axes(chart, _area(chart, MARGINS), xlim, _limits(revenue.min(), revenue.max()))
    ax.yticks = nice_ticks(*ax.ylim, ax.box.y1 - ax.box.y0)
    labels = [money_label(v, ax.yticks, currency) for v in ax.yticks]
    # wide amounts ("CHF 2.5 k") move the plot right rather than run off the chart
    ax.box.x0 = max(ax.box.x0, max(text_width(t, 11.0) for t in labels) + PAD + 4.0)
    gp = monthly["gross_profit"] if "gross_profit" in monthly else pd.Series(dtype=float)
    twin = bool(gp.notna().any())
    ax.grid(_month_starts(ax, 9))
    for mid, h in zip(start + 15, revenue, strict=True):
        ax.bar(mid - 12, mid + 12, 0.0, float(h), colour)
    ax.spines()
    ax.ylabels(labels, marks=twin)
    entries = [("Revenue", {"patch": colour})]
    if twin:
        margin = (gp / monthly["revenue"]).where(monthly["revenue"] > 0).to_numpy(float)
        top = max(0.6, float(np.nanmax(margin)) * 1.2 if np.isfinite(margin).any() else 0.0)
        right = Axes(chart, ax.box, ax.xlim, (0.0, top))
        right.yticks = nice_ticks(0.0, top, ax.box.y1 - ax.box.y0)
        _broken_line(chart, right, start + 15, margin, ORANGE)
        right.ylabels([pct_label(v, right.yticks) for v in right.yticks], side="right",
                      marks=True)  # fmt: skip
        entries.append(("Gross margin", {"line": ORANGE}))
    _time_axis(ax, 9)
    ax.title("Revenue and gross margin per month" if twin else "Revenue per month")
    height = ax.box.y1 - ax.box.y0
    chart.draw_legend(entries, (ax.box.x0 + ax.box.x1) / 2, ax.box.y1 + 0.14 * height)
    return chart


def _broken_line(chart: Chart, ax: Axes, x: np.ndarray, y: np.ndarray, colour: str) -> None:
    """A line through the finite points, broken where a value is missing."""
    run: list[tuple[float, float]] = []
    for xi, yi in [*zip(x, y, strict=True), (np.nan, np.nan)]:
        if np.isfinite(yi):
            run.append((ax.x(float(xi)), ax.y(float(yi))))
        elif run:
            chart.line(run, colour, 2.0)
            run = []


ATTITUDES = ["detractor", "neutral", "supporter"]


def _contact_colour(days: float, stale_days: int) -> str:
    if pd.isna(days):
        return GREY
    return GREEN if days <= 90 else (ORANGE if days <= stale_days else RED)


def stakeholder_map(
    contacts: pd.DataFrame, stale_days: int = 180, gaps: list[Note] | None = None
) -> Chart | None:
    """The stakeholder map: attitude across, influence up, bubble size = relationship
    strength, colour = days since the last contact; senior contacts drawn with a ring.
    The relationship's gaps (notes, see :mod:`.words`) are written above the map."""
    if contacts.empty:
        return None
    c = _placed_contacts(contacts)
    chart = Chart(8.0, 4.2)
    margins = {**MARGINS, "right": 0.98, "top": 0.86, "bottom": 0.16}
    ax = Axes(chart, _area(chart, margins), (-0.6, 2.6), (0.2, 6.0))
    ax.xticks, ax.yticks = [0.0, 1.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0]
    for i, tint in ((0, RED), (2, GREEN)):
        chart.rect(Box(ax.x(i - 0.5), ax.box.y0, ax.x(i + 0.5), ax.box.y1), tint, opacity=0.06)
    ax.grid(xticks=[])
    strength = (
        c["relationship_strength"].fillna(3).astype(float)
        if "relationship_strength" in c.columns
        else pd.Series(3.0, index=c.index)
    )
    senior = c["senior"].fillna(False).astype(bool) if "senior" in c.columns else None
    days = c["days"] if "days" in c.columns else pd.Series(float("nan"), index=c.index)
    for i, r in enumerate(c.itertuples()):
        ring = senior is not None and bool(senior.iloc[i])
        radius = float(np.sqrt(60 + 70 * strength.iloc[i])) / 2  # a marker's area in pt²
        chart.circle(ax.x(r.x), ax.y(r.y), radius, _contact_colour(days.iloc[i], stale_days),
                     INK if ring else "#FFFFFF", 2.0 if ring else 0.8)  # fmt: skip
        chart.points.append({"x": float(r.x), "y": float(r.y)})
    _place_labels(chart, ax, c)
    ax.spines()
    ax.ylabels([str(int(v)) for v in ax.yticks])
    below = ax.xlabels([a.capitalize() for a in ATTITUDES])
    ax.ylabel("Influence (1–5)", ["5"])
    pad = 0.0
    if gaps:
        above = ax.box.y0 - 0.02 * (ax.box.y1 - ax.box.y0)
        chart.text(ax.box.x0, above, f"Gaps: {joined(gaps)}", 8.5, valign="bottom", colour=RED,
                   bold=True)  # fmt: skip
        pad = 18.0 - 6.0
    ax.title("Stakeholder map", pad=pad)
    legend: list[tuple[str, dict]] = [
        ("contact ≤ 90 days", {"dot": GREEN}),
        (f"≤ {stale_days} days", {"dot": ORANGE}),
        (f"> {stale_days} days", {"dot": RED}),
        ("senior", {"dot": "#FFFFFF", "ring": INK}),
        ("larger: stronger relationship (1–5)", {"dot": GREY, "r": 4.5}),
    ]
    height = ax.box.y1 - ax.box.y0
    top = max(ax.box.y1 + 0.08 * height, below + 2.0)  # clear of the attitudes' labels
    chart.draw_legend(legend, (ax.box.x0 + ax.box.x1) / 2, top, 7.5)
    return chart


def _placed_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Each contact's point: attitude's column, influence's row, contacts sharing a cell
    side by side within it (never out of its band), labels alternating above and below."""
    c = contacts.copy()
    c["x"] = c["attitude"].map({a: i for i, a in enumerate(ATTITUDES)}).fillna(1).astype(float)
    c["y"] = c["influence"].fillna(3).astype(float)
    c = c.sort_values(["x", "y", "name"]).reset_index(drop=True)
    rank = c.groupby(["x", "y"]).cumcount()
    size = c.groupby(["x", "y"])["name"].transform("size")
    c["x"] = c["x"] + (rank - (size - 1) / 2) * np.minimum(0.34, 0.8 / size.clip(lower=1))
    c["above"] = (rank % 2 == 1).to_numpy()
    return c


def _place_labels(chart: Chart, ax: Axes, c: pd.DataFrame) -> None:
    """Each contact's name and role beside its point, where it overlaps no label placed
    before it: above or below first (as ``above`` says), then beside, then further out."""
    placed: list[Box] = []
    size = 6.5
    for r in c.itertuples():
        text = f"{r.name}\n{getattr(r, 'role', '')}"
        w, h = text_box(text, size)
        first = (0, 11) if r.above else (0, -11)
        tries = [first, (0, -first[1]), (14, 0), (-14, 0), (0, 2 * first[1]), (0, -2 * first[1])]
        for dx, dy in tries:
            x, y = ax.x(r.x) + dx, ax.y(r.y) - dy  # dy upwards in points
            left = x - w / 2 if dx == 0 else (x if dx > 0 else x - w)
            top = y - h / 2 if dy == 0 else (y - h if dy > 0 else y)
            box = Box(left, top, left + w, top + h)
            if not any(box.overlaps(b) for b in placed):
                break
        placed.append(box)
        anchor = "middle" if dx == 0 else ("start" if dx > 0 else "end")
        x = {"middle": (box.x0 + box.x1) / 2, "start": box.x0, "end": box.x1}[anchor]
        chart.text(x, box.y0, text, size, anchor=anchor, valign="top", keep=True)


#: The NPS chart's labels: their size and their distance from the bar's end, in points
LABEL, LABEL_GAP = 6.5, 3.0


def nps_limits(values: np.ndarray, room: float, height: float) -> tuple[float, float]:
    """The NPS axis's limits: the bars' range with zero (at least -20 to 20), widened so
    that a label ``room`` points tall fits beyond each bar's end on an axis ``height``
    points tall (above the positive bars, below the negative ones).

    >>> nps_limits(np.array([20.0, -100.0]), 30, 150)
    (-140.0, 60.0)
    """
    hi, lo = max(20.0, float(values.max())), min(-20.0, float(values.min()))
    top = room if (values >= 0).any() else 0.0
    bottom = room if (values < 0).any() else 0.0
    span = (hi - lo) / max(0.2, 1 - (top + bottom) / height)
    return lo - bottom / height * span, hi + top / height * span


def nps_history(nps: pd.DataFrame, min_respondents: int = 1, as_of: object = None) -> Chart | None:
    """NPS per quarter (bars, in points, each within its quarter: none past the data's
    date) with the respondents and CSAT above each bar; a quarter with fewer than
    ``min_respondents`` answers is drawn pale and hatched, and the legend says why. Given
    ``as_of``, the axis runs to it: quarters without answers since show as a gap."""
    if nps.empty:
        return None
    chart = Chart(8.0, 2.6)
    x = _days(nps["quarter"]) - 45  # the quarter's middle
    if as_of is not None:
        xlim = (float(x.min()) - 60, float(_days([pd.Timestamp(str(as_of))])[0]))
    else:
        left, right = float(x.min()) - 30, float(x.max()) + 30
        xlim = (left - 0.05 * (right - left), right + 0.05 * (right - left))
    few = (nps["respondents"] < min_respondents).to_numpy()
    csat = nps["csat"] if "csat" in nps.columns else pd.Series(np.nan, index=nps.index)
    labels = [
        f"{fmt.signed(v)}\nn={int(n)}" + ("" if pd.isna(s) else f"\nCSAT {s:.1f}")
        for v, n, s in zip(nps["nps"], nps["respondents"], csat, strict=True)
    ]
    box = _area(chart, {**MARGINS, "right": 0.98, "bottom": 0.12})
    room = max(text_box(t, LABEL)[1] for t in labels) + LABEL_GAP + 2
    ylim = nps_limits(nps["nps"].to_numpy(float), room, box.y1 - box.y0)
    ax = Axes(chart, box, xlim, ylim)
    ticks = [t for t in nice_ticks(*ylim, box.y1 - box.y0) if -100 <= t <= 100]
    if len(ticks) < 4:  # a wide axis: every 50 points, not only -100, 0 and 100
        ticks = [float(t) for t in range(-100, 101, 50) if ylim[0] <= t <= ylim[1]]
    ax.yticks = ticks
    ax.grid(_month_starts(ax, 8), ax.yticks)
    for q, v, label, thin in zip(x, nps["nps"], labels, few, strict=True):
        colour = GREEN if v >= 0 else RED
        ax.bar(q - 30, q + 30, 0.0, float(v), colour, 0.35 if thin else None, bool(thin))
        if v == 0:  # neither positive nor negative: a grey mark on the zero line
            mark = [(ax.x(q - 30), ax.y(0)), (ax.x(q + 30), ax.y(0))]
            chart.line(mark, GREY, 2.5, opacity=0.5 if thin else None)
        y = ax.y(float(v)) + (-LABEL_GAP if v >= 0 else LABEL_GAP)
        chart.text(ax.x(q), y, label, LABEL, anchor="middle",
                   valign="bottom" if v >= 0 else "top", keep=True)  # fmt: skip
    chart.line([(ax.box.x0, ax.y(0)), (ax.box.x1, ax.y(0))], INK, 0.8)
    ax.spines()
    labels = [fmt.signed(v).lstrip("+") if v else "0" for v in ax.yticks]
    ax.ylabels(labels)
    ax.ylabel("NPS (points)", labels)
    _time_axis(ax, 8)
    ax.title("NPS per quarter")
    marks = [("positive", {"patch": GREEN}), ("negative", {"patch": RED})]
    if few.any():
        label = f"fewer than {min_respondents} respondents: too few to count"
        marks.append((label, {"hatch": GREY}))
    chart.draw_legend(marks, ax.box.x1, ax.box.y0 - 0.2 * 7 - 14.5, 7.0, anchor="end")
    return chart
