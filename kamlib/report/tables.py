"""Tables in reports: formatted, right-aligned numbers, compact enough to fit an A4 page."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pandas as pd
from IPython.display import HTML, display

from ..core import fmt

Formatter = Callable[[Any], str]


def _formatter(kind: str, currency: str | None) -> Formatter:
    if kind == "money":
        return lambda v: fmt.money(v, currency, short=False)
    if kind == "money_short":
        return lambda v: fmt.money(v, currency)
    if kind == "pct":
        return lambda v: fmt.pct(v, 1)
    if kind == "pct0":
        return lambda v: fmt.pct(v, 0)
    if kind == "pct_signed":  # a change: "+12 %", "−100 %"
        return lambda v: fmt.pct(v, 0, signed=True)
    if kind == "pct_cap":  # a share that cannot pass 100 %: beyond it, say so
        return lambda v: "over 100 %" if not fmt._missing(v) and v > 1 else fmt.pct(v, 0)
    if kind == "int":
        return fmt.count
    if kind == "points":  # NPS and the like: a signed whole number, "+34", "−16"
        return lambda v: fmt.signed(v)  # "0" for no change, never "+0"
    if kind == "number2":  # a 1-5 score: two decimals, as the scorecard shows it
        return lambda v: "n/a" if fmt._missing(v) else f"{v:,.2f}".replace("-", "−")
    if kind == "number":
        return lambda v: "n/a" if fmt._missing(v) else f"{v:,.1f}".replace("-", "−")
    if kind == "date":
        return lambda v: "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")
    if kind == "day":
        return fmt.day
    if kind == "month":
        return lambda v: "" if pd.isna(v) else pd.Timestamp(v).strftime("%b %Y")
    # text: a name of 10,000 characters is cut (the Excel export keeps it whole); a
    # finding's or an action's sentence is not
    return lambda v: (
        "" if v is None or (isinstance(v, float) and pd.isna(v)) else fmt.shorten(v, 400)
    )


def _one_line(cells: dict[str, list[str]], numeric: set, formats: dict, tags: dict) -> set[str]:
    """The text columns kept to one line: dates and short words ("31 Dec 2024", "other
    accounts"), as long as the row still fits across the page with them unbroken."""
    widest = {c: max((len(v) for v in cells[c]), default=0) for c in cells}
    keep = {
        c
        for c in cells
        if c not in numeric
        and c not in tags
        and (formats.get(c) in ("day", "month") or widest[c] <= SHORT_TEXT)
    }
    fixed = sum(widest[c] for c in keep | numeric)
    return keep if fixed <= LINE_CHARS else set()


def _row_scale(frame: pd.DataFrame, columns: list[str]) -> str:
    """One unit for several money columns: the unit most of them would take alone (their
    median largest amount), so a row never mixes €1.1 M with €403 k.

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1_134_000.0], "b": [-403_000.0], "c": [82_000.0]})
    >>> _row_scale(f, ["a", "b", "c"]), _row_scale(f, ["a"])
    ('k', 'M')
    """
    if not columns:
        return ""
    tops = sorted(float(frame[c].abs().max()) for c in columns)
    return fmt.money_scale([tops[len(tops) // 2]])


def _money_in(v: Any, currency: str | None, scale: str) -> str:
    return fmt.money(v, currency, scale=scale)


def _cells(
    df: pd.DataFrame,
    shown: pd.DataFrame,
    formats: Mapping[str, str],
    numeric: set,
    currency: str | None,
) -> dict[str, list[str]]:
    """Every shown cell as text, column by column, in its format (see :func:`table_html`)."""
    cells = {}
    row_scale = _row_scale(shown, [c for c in df.columns if formats.get(c) == "money_row"])
    for c in df.columns:
        kind = formats.get(c, "int" if c in numeric else "text")
        f = _formatter(kind, currency)
        if kind in ("money_short", "money_row"):  # one unit: never €751 k beside €2.2 M
            scale = fmt.money_scale(shown[c]) if kind == "money_short" else row_scale
            f = partial(_money_in, currency=currency, scale=scale)
        if kind in ("share", "share0"):  # parts of a whole: they add up to 100 % as printed
            cells[c] = fmt.shares(df[c], 0 if kind == "share0" else 1)[: len(shown)]
            continue
        cells[c] = [f(v) for v in shown[c]]
    return cells


KEEP_ROWS = 15  # tables up to this many rows are kept on one page
SHORT_TEXT = 16  # a cell this short keeps to one line (a date, "other accounts", a tag)
HYPHENATED = re.compile(r"(\w+(?:-\w+)+)")
LINE_CHARS = 100  # about as many characters as a table row holds across the page


def table_html(
    df: pd.DataFrame,
    formats: Mapping[str, str] | None = None,
    currency: str | None = None,
    tags: Mapping[str, str] | None = None,
    max_rows: int | None = None,
    caption: str = "",
    note: str = "",
    wide: bool = False,
    empty: str = "Not available with the data delivered (see the notes).",
) -> str:
    """Render a frame as a report table.

    Parameters
    ----------
    formats : column -> ``money``, ``money_short`` (in one unit per column: k or M),
        ``money_row`` (one unit for all such columns, so a row reads in one unit),
        ``pct``, ``share``/``share0`` (parts of a whole, adding up to 100 % as printed, to
        one decimal or none), ``pct0``,
        ``pct_signed``, ``pct_cap`` (over 100 % said in words), ``int``,
        ``number``, ``number2``, ``points`` (+34), ``date``, ``day`` (1 Oct 2023),
        ``month`` or ``text``; numbers without a format show as ``int``.
    tags : column -> prefix; each value is drawn as a coloured tag ``tag-<prefix>-<value>``.
    max_rows : show at most this many rows and say how many there are.
    wide : a smaller font for tables with many columns.
    empty : what to say when the frame has no rows.
    """
    if df.empty:
        head = f"<strong>{html.escape(caption)}</strong>: " if caption else ""
        return f'<p class="table-note">{head}{html.escape(empty)}</p>'
    formats = dict(formats or {})
    tags = dict(tags or {})
    shown = df if max_rows is None else df.head(max_rows)
    numeric = {
        c
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    }
    cells = _cells(df, shown, formats, numeric, currency)
    nowrap = _one_line(cells, numeric, formats, tags)
    # a header breaks between words, never inside "cost-to-serve"
    head = "".join(
        f'<th class="{"num" if c in numeric else ""}">{unbroken(str(c))}</th>' for c in df.columns
    )
    body = []
    for i in range(len(shown)):
        tds = []
        for c in df.columns:
            text = html.escape(cells[c][i])
            if c not in numeric and c not in nowrap:  # "price-driven" never breaks at its hyphen
                text = HYPHENATED.sub(r'<span class="nw">\1</span>', text)
            if c in tags and text:
                slug = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
                # a short tag keeps to one line; a long one may wrap (the table stays in the page)
                short = " short" if len(cells[c][i]) <= SHORT_TEXT else ""
                text = f'<span class="tag{short} tag-{tags[c]}-{slug}">{text}</span>'
            kind = "num" if c in numeric else ("nw" if c in nowrap else "")
            tds.append(f'<td class="{kind}">{text}</td>')
        body.append(f"<tr>{''.join(tds)}</tr>")
    notes = []
    if max_rows is not None and len(df) > max_rows:
        notes.append(
            f"Showing {max_rows} of {fmt.count(len(df))} rows; the full list is in the "
            "workbook that comes with this report."
        )
    if note:
        notes.append(note)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = "".join(f'<p class="table-note">{html.escape(n)}</p>' for n in notes)
    cls = "kam-table wide" if wide or len(df.columns) > 7 else "kam-table"
    # a short table is printed whole on one page: no caption and header left alone at the
    # foot of a page with the rows on the next
    wrap = "table-wrap keep" if len(body) <= KEEP_ROWS else "table-wrap"
    return (
        f'<div class="{wrap}"><table class="{cls}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def unbroken(text: str) -> str:
    """Escaped text whose hyphenated words never break across lines."""
    return HYPHENATED.sub(r'<span class="nw">\1</span>', html.escape(text))


def show(df: pd.DataFrame, **kwargs: Any) -> None:
    """Display a frame as a report table (see :func:`table_html`).

    It displays rather than returns, so several tables in one cell all show.
    """
    display(HTML(table_html(df, **kwargs)))
