"""What a notebook needs besides the analysis: setup, narrative and summary blocks.

Notebooks call these so that they hold no ``def`` of their own and every report looks
the same.
"""

from __future__ import annotations

import html as _html
import re

import pandas as pd
from IPython.display import HTML, Markdown, display

from ..core.notes import Note
from ..intake.engagement import Engagement, open_engagement
from .decision import decision_html, kpis_html
from .words import say_all


def setup(colour: str | None = None, charts: str = "retina") -> None:
    """Set up a notebook: sharp charts, the house chart style.

    Warnings stay on, for the analyst; a client report never shows one (the renderer
    drops every stderr output, and the data review lists every data issue in words).
    ``charts="svg"`` draws matplotlib's charts as vector graphics with real text: sharp at
    any zoom and cheaper to draw than 2x PNGs. ``charts="none"``: the notebook draws no
    matplotlib chart and never loads it (the account plans, rendered by the hundred, draw
    theirs with :mod:`kamlib.report.plan_charts`).
    """
    pd.set_option("display.max_columns", 50)
    if charts == "none":
        return
    from .charts import use_house_style

    if colour:
        use_house_style(colour)
    try:  # sharp charts in HTML and PDF
        import matplotlib as mpl
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        mpl.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
        mpl.rcParams["svg.hashsalt"] = "kam"  # same chart, same SVG ids: deterministic
        # svg charts are laid out by their own margins: no extra layout pass per chart
        # no time of drawing in an SVG: the same chart is the same bytes
        svg = {"bbox_inches": None, "metadata": {"Date": None}}
        set_matplotlib_formats(charts, **(svg if charts == "svg" else {}))
    except Exception:  # pragma: no cover - outside IPython
        pass


def start(engagement: str = "demo", as_of: str = "", cache: str = "") -> Engagement:
    """Open the engagement and set up the notebook (see :func:`setup`); ``cache`` is the
    file in which the runner hands over the data pack it read (empty: read it here)."""
    from .charts import use_house_style

    setup()
    eng = open_engagement(engagement, as_of=as_of, cache=cache)
    use_house_style(eng.config.brand.primary_colour)
    return eng


def no_maths(text: str) -> str:
    r"""Markdown in which no ``$`` starts a formula: kamlib never writes maths, but two
    amounts in dollars on one line (``$320 k ... $6,968``) would be read as one.

    Examples
    --------
    >>> no_maths("It bought **$320 k**, now $6,968.")
    'It bought **\\$320 k**, now \\$6,968.'
    """
    return re.sub(r"(?<!\\)\$", r"\\$", text)


def md(text: str) -> None:
    """Show narrative written from computed numbers (amounts never read as maths; values
    from the client's data are escaped where the text is built, see
    :func:`kamlib.core.fmt.md_text`)."""
    display(Markdown(no_maths(text)))


def figure(fig: object, empty: str) -> None:
    """Show a chart, or, when there is nothing to draw (``None``), the one sentence saying
    what is missing (nothing when ``empty`` is "": said once already): a report never
    shows an empty chart."""
    if fig is None:
        if empty:
            display(HTML(f'<p class="table-note">{_html.escape(empty)}</p>'))
    else:
        display(fig)


def kpis(items: list[tuple[str, str, str]]) -> None:
    """Show a row of headline figures: ``[(label, value, note), ...]``."""
    display(HTML(kpis_html(items)))


def html(markup: str) -> None:
    """Show HTML built by a kamlib view (plan fields, SWOT grid, sign-off table)."""
    if markup:
        display(HTML(markup))


def callout(text: str, kind: str = "info") -> None:
    """A highlighted box: ``info``, ``good``, ``warn`` or ``bad``. Markdown-free, plain text."""
    display(HTML(f'<div class="callout callout-{kind}">{_html.escape(text)}</div>'))


def decision(d: object, notes_: list[Note] | None = None) -> None:
    """Show the decision page (a :class:`kamlib.report.decision.Decision`), with the
    step's notes on what the data could not do under it."""
    display(HTML(decision_html(d, say_all(notes_ or []))))  # type: ignore[arg-type]


def notes(items: list[Note] | list[str]) -> None:
    """What the analysis could not do with this data, each as a note in words (see
    :mod:`kamlib.report.words`); nothing when empty."""
    for text in say_all(items):
        callout(text, "warn")


def glossary(step: str) -> None:
    """A report's last section: the terms it uses, defined as in its workbook
    (:func:`kamlib.report.workbook.glossary_table`)."""
    from .tables import show
    from .workbook import glossary_table

    show(glossary_table(step), wide=False)
