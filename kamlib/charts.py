"""The house chart style and the charts of the reports.

Every chart takes an already computed frame and returns a matplotlib Figure; it
computes nothing. One style for all: seaborn's white grid, a colour-blind-safe palette
(Okabe-Ito) led by the client's brand colour.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from . import fmt

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GREY = "#8A939F"
INK = "#1F2933"
_brand = {"primary": "#0B3D91"}


def palette(n: int | None = None) -> list[str]:
    """The house palette: brand colour first, then Okabe-Ito."""
    colours = [_brand["primary"]] + [c for c in OKABE_ITO if c.lower() != _brand["primary"].lower()]
    return colours if n is None else [colours[i % len(colours)] for i in range(n)]


def use_house_style(primary: str = "#0B3D91") -> None:
    """Apply the house style to every chart drawn after this call."""
    _brand["primary"] = primary
    sns.set_theme(
        style="whitegrid",
        palette=palette(),
        font="DejaVu Sans",
        rc={
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


def money_axis(ax: plt.Axes, currency: str = "EUR", axis: str = "y") -> None:
    formatter = mticker.FuncFormatter(lambda v, _: fmt.money(v, currency))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _done(fig: Figure) -> Figure:
    fig.tight_layout()
    plt.close(fig)  # shown once, by the notebook, not again by the inline backend
    return fig


def monthly_revenue(
    monthly: pd.DataFrame, currency: str = "EUR", window_start: pd.Timestamp | None = None
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
    ax2.grid(False)
    ax2.set_ylim(0, monthly["accounts"].max() * 1.15 if len(monthly) else 1)
    if window_start is not None:
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
    """Average share of values filled per table, required and optional columns apart."""
    g = comp.groupby(["table", "required"], sort=False)["filled"].mean().unstack("required")
    g = g.reindex(columns=["yes", "no"]).rename(
        columns={"yes": "required columns", "no": "optional columns"}
    )
    fig, ax = plt.subplots(figsize=(8.0, 0.35 * len(g) + 1.2))
    g.iloc[::-1].plot.barh(ax=ax, color=[palette()[0], OKABE_ITO[4]], width=0.75)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of rows with a value")
    ax.set_ylabel("")
    ax.set_title("Completeness per table")
    ax.legend(loc="lower right", fontsize=8, frameon=True)
    return _done(fig)
