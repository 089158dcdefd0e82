"""The house chart style and the charts of the reports.

Every chart takes an already computed frame and returns a matplotlib Figure; it
computes nothing. One style for all: seaborn's white grid, a colour-blind-safe palette
(Okabe-Ito) led by the client's brand colour.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from ..core import fmt
from .svg import money_label, pct_label

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GREY = "#8A939F"
INK = "#1F2933"
DEFAULT_PRIMARY = "#0B3D91"


class Percent(mticker.Formatter):
    """Shares on an axis in the reports' style (``20 %``), with as many decimals as the
    ticks need to differ: never ``100 %, 100 %, 98 %`` on a narrow axis."""

    ticks: list[float] = []

    def set_locs(self, locs: object) -> None:
        self.ticks = sorted(float(v) for v in np.asarray(locs, dtype=float).ravel())

    def __call__(self, x: float, pos: int | None = None) -> str:
        return pct_label(x, self.ticks)


def palette(n: int | None = None, primary: str | None = None) -> list[str]:
    """The house palette: the brand colour first, then Okabe-Ito. The brand colour is
    ``primary``, else the one :func:`use_house_style` set (the first colour of
    matplotlib's colour cycle, where the style lives), else the default."""
    if primary is None:
        cycle = [to_hex(c).upper() for c in plt.rcParams["axes.prop_cycle"].by_key()["color"]]
        order = OKABE_ITO[1:] + OKABE_ITO[:1]
        house = bool(cycle) and cycle[1:] == [c for c in order if c != cycle[0]]
        primary = cycle[0] if house else DEFAULT_PRIMARY
    # Okabe-Ito's blue last: beside a blue brand colour it is hard to tell apart
    others = [c for c in OKABE_ITO[1:] + OKABE_ITO[:1] if c.lower() != primary.lower()]
    colours = [primary, *others]
    return colours if n is None else [colours[i % len(colours)] for i in range(n)]


def use_house_style(primary: str = DEFAULT_PRIMARY) -> None:
    """Apply the house style to every chart drawn after this call."""
    sns.set_theme(
        style="whitegrid",
        palette=palette(primary=primary),
        font="DejaVu Sans",
        rc={
            "text.parse_math": False,  # a "$" in a client's name is text, never a formula
            "axes.edgecolor": "#C9CED6",
            "axes.labelcolor": INK,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.titlecolor": INK,
            "axes.spines.right": False,
            "axes.spines.top": False,
            "grid.color": "#E6E9EE",
            "xtick.color": INK,
            "ytick.color": INK,
            "legend.frameon": False,
            "figure.dpi": 110,
            "savefig.dpi": 200,
            "figure.figsize": (8.0, 3.6),
            "font.size": 10,
        },
    )


class Money(mticker.Formatter):
    """Amounts on an axis in one unit for all its ticks (``€0.5 M, €1.0 M``, never
    ``€500 k`` beside ``€1.0 M``), with the decimals the ticks need."""

    ticks: list[float] = []

    def __init__(self, currency: str | None = None) -> None:
        self.currency = currency

    def set_locs(self, locs: object) -> None:
        self.ticks = sorted(float(v) for v in np.asarray(locs, dtype=float).ravel())

    def __call__(self, x: float, pos: int | None = None) -> str:
        return money_label(x, self.ticks, self.currency)


def money_axis(ax: plt.Axes, currency: str | None = None, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(Money(currency))


def _done(fig: Figure, margins: dict | None = None) -> Figure:
    """Finish a chart: ``tight_layout``, or fixed ``margins`` (figure fractions, for
    ``subplots_adjust``) for the charts drawn by the hundred (account plans): a layout
    pass costs as much as drawing the chart."""
    if margins:
        fig.subplots_adjust(**margins)
    else:
        fig.tight_layout()
    plt.close(fig)  # shown once, by the notebook, not again by the inline backend
    return fig


def monthly_revenue(
    monthly: pd.DataFrame, currency: str | None = None, window_start: pd.Timestamp | None = None
) -> Figure:
    """Revenue per month (bars) and invoiced accounts (line), the trailing window shaded."""
    fig, ax = plt.subplots()
    x = monthly["month"]
    ax.bar(x, monthly["revenue"], width=20, color=palette()[0], label="Revenue")
    money_axis(ax, currency)
    ax.set_ylabel("Revenue")
    ax2 = ax.twinx()
    ax2.plot(x, monthly["accounts"], color=OKABE_ITO[1], lw=2, label="Invoiced accounts")
    ax2.set_ylabel("Invoiced accounts")
    ax2.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))  # 1,400
    ax2.grid(False)
    ax2.set_ylim(0, monthly["accounts"].max() * 1.15 if len(monthly) else 1)
    if window_start is not None and len(x):
        # the shading stops where the data starts: the axis spans the data, no more
        window_start = max(pd.Timestamp(window_start), x.min() - pd.Timedelta(days=15))
        ax.axvspan(window_start, x.max() + pd.Timedelta(days=15), color=GREY, alpha=0.12, lw=0)
        ax.text(
            window_start,
            ax.get_ylim()[1] * 0.97,
            "  trailing 12 months",
            va="top",
            fontsize=8,
            color=INK,
        )
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title("Revenue and invoiced accounts per month")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(
        handles,
        ["Revenue", "Invoiced accounts"],
        loc="upper center",
        ncol=2,
        fontsize=8,
        bbox_to_anchor=(0.5, -0.12),
    )
    return _done(fig)


def completeness_bars(comp: pd.DataFrame) -> Figure:
    """Average share of values filled per table, required and optional columns apart,
    over the columns delivered."""
    # columns not delivered at all are absent, not empty: the readiness table names them
    if "present" in comp:
        comp = comp[comp["present"]]
    g = comp.groupby(["table", "required"], sort=False)["filled"].mean().unstack("required")
    g = g.reindex(columns=["yes", "no"]).rename(
        columns={"yes": "required columns", "no": "optional columns"}
    )
    fig, ax = plt.subplots(figsize=(8.0, 0.35 * len(g) + 1.2))
    g.iloc[::-1].plot.barh(ax=ax, color=[palette()[0], OKABE_ITO[4]], width=0.75)
    ax.xaxis.set_major_formatter(Percent())
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of rows with a value")
    ax.set_ylabel("")
    ax.set_title("Completeness per table, columns delivered")
    # beside the bars, never over them
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _done(fig)


def pareto_curve(
    revenue: pd.DataFrame, gross_profit: pd.DataFrame | None = None, key_share: float | None = None
) -> Figure:
    """Cumulative share of revenue (and gross profit) against the share of customers,
    titled with the share of customers that makes 80 % of revenue."""
    fig, ax = plt.subplots(figsize=(8.0, 3.8))
    ax.plot(
        revenue["customer_share"],
        revenue["value_share"],
        color=palette()[0],
        lw=2.2,
        label="Revenue",
    )
    if gross_profit is not None:
        ax.plot(
            gross_profit["customer_share"],
            gross_profit["value_share"],
            color=OKABE_ITO[1],
            lw=2,
            label="Gross profit",
        )
    ax.plot([0, 1], [0, 1], color=GREY, lw=1, ls=":", label="Equal shares")
    if key_share:
        ax.axvspan(0, key_share, color=palette()[0], alpha=0.08, lw=0)
        ax.text(
            key_share,
            0.04,
            f" key accounts: {fmt.pct(key_share)} of customers",
            fontsize=8,
            color=INK,
        )
    hit = revenue.loc[revenue["value_share"] >= 0.8, "customer_share"]
    title = "How concentrated revenue is"
    if len(hit):
        x = float(hit.iloc[0])
        title = f"{fmt.pct(x)} of customers make 80 % of revenue"
        ax.plot([x, x, 0], [0, 0.8, 0.8], color=INK, lw=0.8, ls="--")
        ax.annotate(
            f"{fmt.pct(x)} of customers, 80 % of revenue",
            (x, 0.8),
            xytext=(x + 0.06, 0.62),
            fontsize=8,
            color=INK,
            arrowprops={"arrowstyle": "-", "color": GREY},
        )
    ax.xaxis.set_major_formatter(Percent())
    ax.yaxis.set_major_formatter(Percent())
    ax.set_xlim(0, 1)
    ax.set_ylim(
        0,
        max(1.02, float(gross_profit["value_share"].max()) * 1.02)
        if gross_profit is not None
        else 1.02,
    )
    ax.set_xlabel("Share of customers, largest first")
    ax.set_ylabel("Cumulative share")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return _done(fig)


def sensitivity_curves(sens: pd.DataFrame, line: int, currency: str | None = None) -> Figure:
    """Coverage (left) and, for each line, what an account added at that line brings in
    a year against what the key-account model costs per account (right): its gross
    profit, or, without cost of goods and an assumed margin, its revenue; the points are
    coloured by whether the line pays (its added accounts and the whole line).
    ``line``: the recommended number of key accounts (0: none, no marker)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.6, 3.4))
    x = sens["key_accounts"]
    ax1.plot(x, sens["revenue_share"], marker="o", ms=3, color=palette()[0], label="Revenue")
    if sens["gross_profit_share"].notna().any():
        ax1.plot(
            x, sens["gross_profit_share"], marker="o", ms=3, color=OKABE_ITO[1],
            label="Gross profit",
        )  # fmt: skip
    ax1.yaxis.set_major_formatter(Percent())
    ax1.set_ylim(0, 1)
    ax1.set_xlabel("Number of key accounts")
    ax1.set_ylabel("Share of the customer base's total")
    ax1.set_title("Share covered")
    ax1.legend(fontsize=8, loc="lower right")
    basis = sens.attrs.get("gp_basis", "data")
    # the decision compares what an added account brings with what it adds to the cost
    brought = sens["marginal_gp"] if basis != "none" else sens["marginal_revenue"]
    colours = [
        GREY if not isinstance(p, bool | np.bool_) else (palette()[0] if p else OKABE_ITO[5])
        for p in sens["pays"]
    ]
    label = {"data": "gross profit", "assumed": "gross profit (assumed margin)",
             "none": "revenue"}[basis]  # fmt: skip
    ax2.plot(x, brought, color=palette()[0], lw=1.8, label=f"{label} per added account")
    ax2.scatter(x, brought, c=colours, s=22, zorder=3)
    ax2.plot(x, sens["cost_per_account"], color=INK, lw=1.2, ls="--",
             label="the model's cost per account")  # fmt: skip
    from matplotlib.lines import Line2D

    marks = [(palette()[0], "the line covers its cost"), (OKABE_ITO[5], "it does not"),
             (GREY, "not known without gross profit")]  # fmt: skip
    shown = set(colours)
    extra = [Line2D([], [], ls="", marker="o", ms=5, color=c, label=t)
             for c, t in marks if c in shown]  # fmt: skip
    money_axis(ax2, currency)
    ax2.set_xlabel("Number of key accounts")
    ax2.set_ylabel("Per account and year")
    ax2.set_title("What an added account brings against its cost")
    handles, _ = ax2.get_legend_handles_labels()
    ax2.legend(handles=handles + extra, fontsize=7, loc="upper right")  # the curve falls
    if line:
        for ax in (ax1, ax2):
            ax.axvline(line, color=GREY, lw=1, ls=":")
        ax1.text(line, 0.03, f" line: {line}", fontsize=8, color=INK)
    return _done(fig)


def repel(points: list[tuple[float, float]], gap: float = 4.5) -> list[tuple[float, float]]:
    """Label positions that keep ``gap`` apart (in data units, both axes alike, on a 0–100
    scale): each label in turn moves from its point towards the middle (down from the
    upper half, up from the lower) until it clears the labels placed before.

    Examples
    --------
    >>> repel([(50.0, 50.0), (51.0, 50.0), (90.0, 99.0), (91.0, 98.0)])
    [(50.0, 50.0), (51.0, 54.5), (90.0, 99.0), (91.0, 93.5)]
    """
    placed: list[tuple[float, float]] = []
    for x, y in points:
        ly, step = y, (-gap if y > 50 else gap)
        while any(abs(x - px) < gap and abs(ly - py) < gap for px, py in placed):
            ly += step
        placed.append((x, ly))
    return placed


#: The portfolio matrix's quadrants (axes position, name): attractive and compatible
#: accounts to invest in, attractive ones to win over, compatible ones to serve lean.
PORTFOLIO_QUADRANTS = [
    (0.985, 0.985, "Invest: partner accounts"),
    (0.015, 0.985, "Build the relationship"),
    (0.985, 0.015, "Serve efficiently"),
    (0.015, 0.015, "Reconsider"),
]


def portfolio_matrix(table: pd.DataFrame, label: int = 8) -> Figure | None:
    """Attractiveness vs compatibility, bubble = revenue, colour = segment.

    ``table`` holds the accounts to draw with ``attractiveness``, ``fit``, ``revenue``,
    ``segment`` and ``account_name``; the ``label`` largest are named. None when no
    account can be placed (no ratings, or no key or development account).
    """
    if table.empty:
        return None
    fig, ax = plt.subplots(figsize=(9.0, 5.4))
    segments = list(dict.fromkeys(table.sort_values("segment")["segment"]))
    tiers = [s for s in segments if s != "Development"]
    colours = dict(zip(tiers, palette(len(tiers)), strict=True))
    colours["Development"] = GREY  # the track, not a key-account segment
    size = 900 * (table["revenue"] / table["revenue"].max()).clip(lower=0.004)
    for seg_name in segments:
        sub = table["segment"] == seg_name
        ax.scatter(
            table.loc[sub, "fit"],
            table.loc[sub, "attractiveness"],
            s=size[sub],
            color=colours[seg_name],
            alpha=0.55,
            edgecolor="white",
            lw=0.6,
            label=seg_name,
        )
    top = table.nlargest(label, "revenue")
    key_lines = []
    spots = repel(list(zip(top["fit"], top["attractiveness"], strict=True)))
    for i, (r, (lx, ly)) in enumerate(zip(top.itertuples(), spots, strict=True), 1):
        if (lx, ly) != (r.fit, r.attractiveness):  # moved off a crowded spot: a leader
            ax.plot([r.fit, lx], [r.attractiveness, ly], color=GREY, lw=0.6, zorder=4)
        ax.text(lx, ly, str(i), ha="center", va="center", fontsize=7, fontweight="bold",
                color=INK, zorder=5,
                bbox={"boxstyle": "circle,pad=0.15", "facecolor": "white", "alpha": 0.85,
                      "edgecolor": "none"})  # fmt: skip
        name = r.account_name if len(r.account_name) <= 26 else r.account_name[:25] + "…"
        key_lines.append(f"{i}  {name}")
    fig.text(
        0.755,
        0.38,
        "Largest accounts\n" + "\n".join(key_lines),
        fontsize=7,
        color=INK,
        va="top",
        linespacing=1.5,
    )
    ax.axvline(50, color=GREY, lw=0.8, ls=":")
    ax.axhline(50, color=GREY, lw=0.8, ls=":")
    for x, y, name in PORTFOLIO_QUADRANTS:  # what each quadrant asks for
        box = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5}
        ax.text(x, y, name, transform=ax.transAxes, fontsize=7.5, color=INK, style="italic",
                ha="right" if x > 0.5 else "left", va="top" if y > 0.5 else "bottom", zorder=5,
                bbox=box)  # fmt: skip
    ax.set_xlim(0, 105)
    ax.set_ylim(0, 106)
    ax.set_xlabel("Our position: strategic fit and attitude (percentile)")
    ax.set_ylabel("Attractiveness: revenue, profit, potential\n(percentile among these accounts)")
    ax.set_title("Attractiveness against our position with the customer")
    legend = ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for handle in legend.legend_handles:
        if isinstance(handle, PathCollection):  # the scatter's markers, drawn larger
            handle.set_sizes([40])
    fig.subplots_adjust(left=0.09, right=0.74, bottom=0.1, top=0.93)
    plt.close(fig)
    return fig


def class_counts(by_segment: pd.DataFrame) -> Figure:
    """Accounts and share of revenue per segment."""
    df = by_segment.iloc[::-1]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.6, 0.32 * len(df) + 1.3), sharey=True)
    ax1.barh(df["segment"], df["accounts"], color=palette()[0])
    ax1.set_title("Accounts")
    for y, v in enumerate(df["accounts"]):
        ax1.text(v, y, f" {v:,}", va="center", fontsize=8, color=INK)
    ax2.barh(df["segment"], df["share of revenue"], color=OKABE_ITO[1])
    ax2.xaxis.set_major_formatter(Percent())
    ax2.set_title("Share of revenue")
    for y, v in enumerate(df["share of revenue"]):
        ax2.text(v, y, f" {fmt.pct(v)}", va="center", fontsize=8, color=INK)
    ax1.set_xlim(0, df["accounts"].max() * 1.25)
    ax2.set_xlim(0, df["share of revenue"].max() * 1.3)
    return _done(fig)


def importance_heatmap(
    mean: pd.DataFrame,
    counts: pd.DataFrame,
    min_respondents: int = 3,
    title: str = "Importance of service elements",
) -> Figure | None:
    """Mean importance (1 very low - 5 very high) per element and group, with respondents.

    Cells with fewer than ``min_respondents`` are grey and marked: they take no part in
    decisions. Nothing is drawn (None) without ratings.
    """
    if mean is None or mean.empty or mean.isna().all().all():
        return None
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("importance", ["#F1F5FA", palette()[0]])
    thin = counts < min_respondents
    fig, ax = plt.subplots(figsize=(min(1.0 * mean.shape[1] + 3.6, 9.2), 0.42 * len(mean) + 1.6))
    sns.heatmap(
        mean.where(~thin),
        ax=ax,
        cmap=cmap,
        vmin=1,
        vmax=5,
        cbar=True,
        linewidths=0.6,
        linecolor="white",
        cbar_kws={"label": "mean importance", "shrink": 0.7},
    )
    # respondents per column when every cell of it rests on the same answers: said once,
    # under the column's name, not in small print in every cell
    same = bool(len(counts)) and all(counts[c].nunique() == 1 for c in counts.columns)
    _heat_labels(ax, mean, counts, thin, cmap, same)
    ax.set_xlabel("")
    ax.set_ylabel("")
    names = [t.get_text().replace(" · ", "\n") for t in ax.get_xticklabels()]
    if same:
        names = [f"{t}\n(n={int(counts.iloc[0, j])})" for j, t in enumerate(names)]
    ax.set_xticklabels(names, rotation=0, fontsize=8)
    ax.set_yticklabels(ax.get_yticklabels(), fontsize=8)
    ax.set_title(title)
    return _done(fig)


def _heat_labels(
    ax: Any, mean: pd.DataFrame, counts: pd.DataFrame, thin: pd.DataFrame, cmap: Any, same: bool
) -> None:
    """Each heatmap cell's value, and its respondents where they differ within a column or
    are too few (grey cells); white on a dark cell, ink on a light one."""
    for i in range(mean.shape[0]):
        for j in range(mean.shape[1]):
            v, n = mean.iat[i, j], counts.iat[i, j]
            if pd.isna(v):
                continue
            low = bool(thin.iat[i, j])
            if low:
                ax.add_patch(plt.Rectangle((j, i), 1, 1, color="#D9DEE5", lw=0))
            # text in white on a dark cell, ink on a light one: by the cell's luminance
            r, g, b, _ = cmap((v - 1) / 4)
            dark = not low and 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.55
            ax.text(
                j + 0.5,
                i + (0.5 if same and not low else 0.45),
                f"{v:.1f}",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if dark else INK,
                fontweight="bold",
            )
            if same and not low:
                continue
            ax.text(
                j + 0.5,
                i + 0.78,
                f"n={int(n)}" + (" (too few)" if low else ""),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else INK,
            )


def gap_bars(gaps: pd.DataFrame | None, top: int = 12) -> Figure | None:
    """The largest gaps between importance and satisfaction, under-served and over-served,
    in the order of the gap table (``gaps``: :func:`kamlib.report.service_model.gap_view`,
    so the chart and the table rank alike)."""
    if gaps is None or gaps.empty:
        return None
    under = gaps[gaps["status"] == "under-served"].head(top // 2 + top % 2)
    over = gaps[gaps["status"] == "over-served"].head(top // 2)
    d = pd.concat([under, over]).iloc[::-1]
    if d.empty:
        return None
    fig, ax = plt.subplots(figsize=(7.2, 0.36 * len(d) + 1.2))
    colours = [OKABE_ITO[5] if s == "under-served" else OKABE_ITO[4] for s in d["status"]]
    labels = [f"{e} — {grp}" for e, grp in zip(d["element"], d["segment"], strict=True)]
    ax.barh(labels, d["gap"], color=colours)
    ax.axvline(0, color=INK, lw=0.8)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=OKABE_ITO[5], label="under-served"),
                       Patch(color=OKABE_ITO[4], label="over-served")],
              fontsize=8, frameon=False, loc="lower right")  # fmt: skip
    ax.set_xlabel("importance minus satisfaction (points on the 1–5 scale)")
    ax.set_title("Where it matters and we under-deliver (right); where we over-serve (left)")
    ax.tick_params(axis="y", labelsize=9)
    return _done(fig)


def package_cost_bars(costs: pd.DataFrame | None, currency: str | None = None) -> Figure | None:
    """Package cost per account against gross profit per account, per segment."""
    if costs is None or costs.empty or not (costs["package_cost"] > 0).any():
        return None  # no package costs anything: nothing to compare
    d = costs.sort_values("gross_profit")
    fig, ax = plt.subplots(figsize=(8.4, 0.45 * len(d) + 1.2))
    y = range(len(d))
    ax.barh(
        [i + 0.2 for i in y],
        d["gross_profit"],
        height=0.38,
        color=GREY,
        alpha=0.5,
        label="gross profit per account",
    )
    colours = [palette()[0] if a else OKABE_ITO[5] for a in d["affordable"]]
    ax.barh(
        [i - 0.2 for i in y],
        d["package_cost"],
        height=0.38,
        color=colours,
        label="package cost per account",
    )
    ax.set_yticks(list(y))
    ax.set_yticklabels(d["segment"], fontsize=8)
    money_axis(ax, currency, axis="x")
    ax.set_title("Package cost against gross profit, per account")
    from matplotlib.patches import Patch

    handles = [Patch(color=GREY, alpha=0.5, label="gross profit per account"),
               Patch(color=palette()[0], label="package cost: affordable")]  # fmt: skip
    if not all(d["affordable"].fillna(True)):
        handles.append(Patch(color=OKABE_ITO[5], label="package cost: more than it can afford"))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    return _done(fig)


def waterfall_chart(
    w: pd.DataFrame, currency: str | None = None, title: str = "Price waterfall"
) -> Figure | None:
    """From list revenue to net contribution: totals as full bars, steps as floating bars.
    None when the data supports no step (net revenue alone is no waterfall)."""
    if len(w) < 2:
        return None
    fig, ax = plt.subplots(figsize=(8.4, 3.6))
    prev = 0.0
    scale = fmt.money_scale(w["amount"])  # one unit for every label: never €2.2 M beside €127 k
    for i, r in enumerate(w.itertuples()):
        top = max(r.level, prev, 0.0)  # the label sits above the bar, never across its edge
        if r.kind == "total":
            # a total below zero (a loss) is coloured as one
            ax.bar(i, r.level, color=palette()[0] if r.level >= 0 else "#D55E00", width=0.6)
            prev = r.level
        else:
            bottom = min(prev, r.level)
            ax.bar(i, abs(r.amount), bottom=bottom, color=OKABE_ITO[5], width=0.6)
            prev = r.level
        ax.text(
            i,
            top,
            fmt.money(r.amount, currency, scale=scale),
            ha="center",
            va="bottom",
            fontsize=8,
            color=INK,
        )
    ax.set_xticks(range(len(w)))
    ax.set_xticklabels([s.replace(" ", "\n", 1) for s in w["step"]], fontsize=8)
    money_axis(ax, currency)
    ax.set_title(title)
    return _done(fig)


def whale_chart(curve: pd.DataFrame, stats: dict) -> Figure | None:
    """Cumulative net contribution as a share of the total, most profitable accounts first;
    None without net contribution."""
    if curve is None or curve.empty:
        return None
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    ax.plot(curve["customer_share"], curve["cumulative_share"], color=palette()[0], lw=2.2)
    ax.axhline(1.0, color=GREY, lw=1, ls=":")
    ax.axhline(0.0, color=INK, lw=0.8)
    x, y = stats["peak_customer_share"], stats["peak_share"]
    ax.plot([x], [y], "o", color=OKABE_ITO[5])
    ax.annotate(
        f"peak {fmt.pct(y)} of the total net contribution\nafter {fmt.pct(x)} of customers",
        (x, y),
        # in the empty space under the curve, clear of the 100 % line
        xytext=(max(0.05, min(x - 0.1, 0.6)), y * 0.45 if y > 0 else 0.5),
        fontsize=8,
        color=INK,
        arrowprops={"arrowstyle": "-", "color": GREY},
    )
    ax.xaxis.set_major_formatter(Percent())
    ax.yaxis.set_major_formatter(Percent())
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of customers, most profitable first")
    ax.set_ylabel("Cumulative net contribution")
    ax.set_title("Whale curve")
    return _done(fig)


def price_cost_matrix(table: pd.DataFrame, label: pd.DataFrame | None = None) -> Figure | None:
    """Net price level against cost-to-serve share, split at the cuts each account was
    judged by (its peers' medians, or the engagement's cut-offs); key accounts in colour,
    the accounts in ``label`` (account_id) numbered. Where peer groups have their own
    cuts, each account is drawn against its peers: both axes in points from its peers'
    median, the quadrants around zero. None without the data."""
    if "price_cut" not in table.columns:
        return None
    t = table.dropna(subset=["price_cut", "cost_cut", "price_level", "cts_share"])
    if t.empty:
        return None
    by_peers = t["price_cut"].nunique() > 1 or t["cost_cut"].nunique() > 1
    x = t["cts_share"] - (t["cost_cut"] if by_peers else 0.0)
    y = t["price_level"] - (t["price_cut"] if by_peers else 0.0)
    cx, cy = (
        (0.0, 0.0) if by_peers else (float(t["cost_cut"].iloc[0]), float(t["price_cut"].iloc[0]))
    )
    fig, ax = plt.subplots(figsize=(8.4, 5.0))
    key = t["key"].astype(bool)
    ax.scatter(x[~key], y[~key], s=8, color=GREY, alpha=0.35, label="other customers")
    ax.scatter(x[key], y[key], s=22, color=palette()[0], alpha=0.75, label="key accounts")
    ax.axvline(cx, color=INK, lw=0.8, ls="--")
    ax.axhline(cy, color=INK, lw=0.8, ls="--")
    xmin = float(x.quantile(0.01)) - 0.02 if by_peers else 0.0
    xmax = float(x.quantile(0.98)) * 1.1 + (0.02 if by_peers else 0.0)
    ymin = float(y.quantile(0.01)) - 0.02
    ymax = float(y.quantile(0.99)) + 0.02 if by_peers else 1.01
    if label is not None and len(label):  # the numbered accounts are always on the chart
        named = t["account_id"].isin(label["account_id"]).to_numpy()
        if named.any():
            xmin, xmax = (
                min(xmin, float(x[named].min()) - 0.02),
                max(xmax, float(x[named].max()) * 1.05 + 0.02),
            )
            ymin, ymax = (
                min(ymin, float(y[named].min()) - 0.02),
                max(ymax, float(y[named].max()) + 0.02),
            )
    # an empty strip above and below the points holds the quadrant names, never over a point
    pad = (ymax - ymin) * 0.09
    ymin, ymax = ymin - pad, ymax + pad
    for text, left, top in (
        ("carriage trade", False, True),
        ("passive", True, True),
        ("aggressive", False, False),
        ("bargain basement", True, False),
    ):
        ax.text(
            xmin if left else xmax,
            ymax if top else ymin,
            text,
            fontsize=9,
            fontweight="bold",
            color=GREY,
            ha="left" if left else "right",
            va="top" if top else "bottom",
        )
    if label is not None and len(label):
        at = pd.DataFrame({"x": x, "y": y}).set_index(t["account_id"])
        for i, a in enumerate(label["account_id"], 1):
            if a in at.index:
                ax.annotate(
                    str(i),
                    (at.at[a, "x"], at.at[a, "y"]),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=7,
                    color=OKABE_ITO[5],
                    fontweight="bold",
                )
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    beyond = int(((x < xmin) | (x > xmax) | (y < ymin) | (y > ymax)).sum())
    if beyond:  # the axes end before the extremes: said, so no account goes missing unseen
        ax.text(1.0, -0.16, f"{beyond} {'customer lies' if beyond == 1 else 'customers lie'} "
                "beyond the axes", transform=ax.transAxes, ha="right", va="top", fontsize=8,
                color=GREY)  # fmt: skip
    if by_peers:
        points = mticker.FuncFormatter(
            lambda v, _: "0" if round(v * 100) == 0 else f"{v * 100:+.0f}".replace("-", "−")
        )
        ax.xaxis.set_major_formatter(points)
        ax.yaxis.set_major_formatter(points)
        ax.set_xlabel("Cost-to-serve share against the peers' median (points)")
        ax.set_ylabel("Net price level against the peers' median (points)")
        ax.set_title("Price against cost-to-serve, each account against its peers")
    else:
        ax.xaxis.set_major_formatter(Percent())
        ax.yaxis.set_major_formatter(Percent())
        ax.set_xlabel("Cost-to-serve as a share of net revenue")
        ax.set_ylabel("Net price level (net / list)")
        ax.set_title("Price against cost-to-serve")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, -0.28), ncol=2)
    return _done(fig)


# The account plan's charts (revenue trend, stakeholder map, NPS per quarter) are drawn
# straight to SVG by :mod:`kamlib.report.plan_charts`: a batch draws them by the hundred.


KPI_PANELS = [
    ("nrr", "Net revenue retention", "pct"),
    ("grr", "Gross revenue retention", "pct"),
    ("growth", "Revenue growth", "pct"),
    ("share_of_wallet", "Share of wallet", "pct"),
    ("nps", "NPS (points)", "num"),
    ("csat", "CSAT (1–5)", "num"),
]


def kpi_trends(
    table: pd.DataFrame, scorecard: pd.DataFrame, programme_start: object = None
) -> Figure | None:
    """KPI trend lines, key accounts against the rest, with the key accounts' target as a
    shaded band from the target upwards and the programme's start as a vertical line when
    it falls in the periods shown; both in the legend. Only KPIs with data get a panel; the
    time axis spans the period ends shown. None when no KPI has data."""
    if table.empty:
        return None
    # a trend needs two points: only KPIs measured at two period ends or more get a panel
    panels = [
        p
        for p in KPI_PANELS
        if p[0] in table.columns and table.loc[table[p[0]].notna(), "period_end"].nunique() >= 2
    ]
    if not panels:
        return None
    targets = scorecard.set_index("column")["target"] if len(scorecard) else pd.Series()
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9.0, 2.6 * rows + 0.2), squeeze=False)
    pad = pd.Timedelta(days=20)
    start = pd.Timestamp(programme_start) if programme_start else None
    extra: dict = {}  # legend entries beyond the two groups, drawn where they apply
    for ax, (col, title, kind) in zip(axes.ravel(), panels, strict=False):
        for group, colour, style in (
            ("key accounts", palette()[0], "-"),
            ("other accounts", GREY, "--"),
        ):
            t = table[table["group"] == group]
            ax.plot(t["period_end"], t[col], style, color=colour, lw=2, marker="o", ms=3,
                    label=group)  # fmt: skip
        target = targets.get(col)
        if target is not None and pd.notna(target):
            ax.axhline(target, color="#009E73", lw=1, ls=":")
            top = ax.get_ylim()[1]
            band = ax.axhspan(target, max(top, target), color="#009E73", alpha=0.08, lw=0)
            extra.setdefault("key-account target and above", band)
        if kind == "pct":
            ax.yaxis.set_major_formatter(Percent())
        ax.set_title(title, fontsize=9.5)
        ax.tick_params(labelsize=7.5)
        # each panel spans the period ends its KPI was measured at, no more
        dates = pd.to_datetime(table.loc[table[col].notna(), "period_end"])
        ax.set_xlim(dates.min() - pad, dates.max() + pad)
        if start is not None and dates.min() < start <= dates.max():
            mark = ax.axvline(start, color=INK, lw=0.9, ls="-.", alpha=0.7)
            extra.setdefault(f"programme start ({fmt.day(start)})", mark)
        locator = mdates.AutoDateLocator(minticks=2, maxticks=5)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles, labels = handles + list(extra.values()), labels + list(extra)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06 if rows > 1 else 0.1, 1, 1))
    plt.close(fig)
    return fig


def _health_bands(watch: float, risk: float) -> list:
    """The three health bands as legend entries, in the bands' colours."""
    from matplotlib.patches import Patch

    bands = [("#D55E00", f"at risk (below {risk:g})"),
             ("#E69F00", f"on watch ({risk:g} to under {watch:g})"),  # 70 is healthy
             ("#009E73", f"healthy ({watch:g} and over)")]  # fmt: skip
    return [Patch(color=c, label=t) for c, t in bands]


def health_distribution(health: pd.DataFrame, watch: float = 70, risk: float = 40) -> Figure | None:
    """How many key accounts sit at each health level, the band lines marked; None when
    no key account's health can be measured."""
    h = health["health"].dropna() if len(health) else pd.Series(dtype=float)
    if len(h) < 3:  # one or two accounts make no distribution
        return None
    fig, ax = plt.subplots(figsize=(8.0, 2.8))
    bins = list(range(0, 105, 5))
    n, edges, patches = ax.hist(h, bins=bins, color=palette()[0], edgecolor="white")
    for p, left in zip(list(patches), edges[:-1], strict=False):  # type: ignore[arg-type]
        p.set_facecolor("#D55E00" if left < risk else ("#E69F00" if left < watch else "#009E73"))
    for x in (risk, watch):
        ax.axvline(x, color=INK, lw=0.8, ls=":")
    ax.legend(handles=_health_bands(watch, risk), fontsize=8, frameon=False, loc="upper left")
    ax.set_xlabel("Health (0–100)")
    ax.set_ylabel("Key accounts")
    ax.set_xlim(0, 100)
    healthy, at_risk = int((h >= watch).sum()), int((h < risk).sum())
    ax.set_title(f"{fmt.count(healthy)} of {fmt.count(len(h))} key accounts are healthy, "
                 f"{fmt.count(at_risk)} at risk")  # fmt: skip
    return _done(fig)


def health_vs_revenue(
    health: pd.DataFrame, currency: str | None = None, watch: float = 70, risk: float = 40
) -> Figure | None:
    """Health against revenue: the revenue in the at-risk zone is what to protect; None
    when no key account's health can be measured."""
    h = health.dropna(subset=["health"]) if len(health) else health
    if len(h) < 3:
        return None
    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    colour = [
        "#D55E00" if v < risk else ("#E69F00" if v < watch else "#009E73") for v in h["health"]
    ]
    ax.scatter(h["health"], h["revenue"], c=colour, s=22, alpha=0.85, edgecolors="white", lw=0.4)
    ax.axvspan(0, risk, color="#D55E00", alpha=0.07, lw=0)
    ax.axvspan(risk, watch, color="#E69F00", alpha=0.06, lw=0)
    money_axis(ax, currency)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Health (0–100)")
    ax.set_ylabel("Revenue, last 12 months")
    totals = {}
    for band, lo, hi in (("at risk", 0, risk), ("on watch", risk, watch)):
        totals[band] = h.loc[(h["health"] >= lo) & (h["health"] < hi), "revenue"].sum()
        ax.text((lo + hi) / 2, ax.get_ylim()[1] * 0.95,
                f"{band}\n{fmt.money(totals[band], currency)}",
                ha="center", va="top", fontsize=8, color=INK)  # fmt: skip
    ax.legend(handles=_health_bands(watch, risk), fontsize=8, frameon=False, loc="upper right")
    ax.set_title(
        f"{fmt.money(totals['at risk'], currency)} of revenue with key accounts at risk, "
        f"{fmt.money(totals['on watch'], currency)} on watch"
    )
    return _done(fig)
