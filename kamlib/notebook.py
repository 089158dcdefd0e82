"""What a notebook needs besides the analysis: setup, narrative and summary blocks.

Notebooks call these so that they hold no ``def`` of their own and every report looks
the same.
"""

from __future__ import annotations

import html
import warnings

import pandas as pd
from IPython.display import HTML, Markdown, display

from .charts import use_house_style
from .engagement import Engagement, open_engagement


def start(engagement: str = "demo", as_of: str = "") -> Engagement:
    """Open the engagement and set up the notebook: house chart style, quiet warnings.

    Warnings are for developers; a client report never shows one (the data review
    lists every data issue in words instead).
    """
    warnings.filterwarnings("ignore")
    pd.set_option("display.max_columns", 50)
    eng = open_engagement(engagement, as_of=as_of)
    use_house_style(eng.config.brand["primary_colour"])
    try:  # sharp charts in HTML and PDF
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")
    except Exception:  # pragma: no cover - outside IPython
        pass
    return eng


def md(text: str) -> None:
    """Show narrative written from computed numbers."""
    display(Markdown(text))


def kpis(items: list[tuple[str, str, str]]) -> None:
    """A row of headline figures: ``[(label, value, note), ...]``."""
    cards = "".join(
        f'<div class="kpi"><div class="kpi-value">{html.escape(v)}</div>'
        f'<div class="kpi-label">{html.escape(label)}</div>'
        f'<div class="kpi-note">{html.escape(note)}</div></div>'
        for label, v, note in items
    )
    display(HTML(f'<div class="kpis">{cards}</div>'))


def callout(text: str, kind: str = "info") -> None:
    """A highlighted box: ``info``, ``good``, ``warn`` or ``bad``. Markdown-free, plain text."""
    display(HTML(f'<div class="callout callout-{kind}">{html.escape(text)}</div>'))


def notes(items: list[str]) -> None:
    """What the analysis could not do with this data, each as a note; nothing when empty."""
    for text in items:
        callout(text, "warn")
