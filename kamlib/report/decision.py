"""The decision page that opens every step report: the headline sentence, the few
numbers that matter, the recommendation, and the next steps — written from the step's
results by each report module's ``decision()`` and drawn here.

The page is the first the client reads after the cover (the contents follow it), and
it stands alone: a partner can send it as the one-page answer.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field

import pandas as pd

MAX_TILES = 5  # one row of tiles: a sixth would sit alone on a second row


def kpis_html(items: list[tuple[str, str, str]]) -> str:
    """The HTML of a row of headline figures: ``[(label, value, note), ...]``."""
    cards = "".join(
        f'<div class="kpi"><div class="kpi-value">{_html.escape(v)}</div>'
        f'<div class="kpi-label">{_html.escape(label)}</div>'
        f'<div class="kpi-note">{_html.escape(note)}</div></div>'
        for label, v, note in items
    )
    return f'<div class="kpis">{cards}</div>'


@dataclass
class Decision:
    """What a step decides, in the client's words."""

    headline: str  # one sentence: the answer
    tiles: list[tuple[str, str, str]]  # (label, value, note): the numbers that matter
    recommendation: str  # what we recommend, and why
    next_steps: list[str] = field(default_factory=list)  # who does what next
    detail: str = ""  # the supporting paragraph (the step's summary)
    bridge: pd.DataFrame | None = None  # a reconciliation table (label, accounts, note)
    bridge_caption: str = ""
    kind: str = "good"  # the recommendation box: good, warn or bad

    def __post_init__(self) -> None:
        if len(self.tiles) > MAX_TILES:
            raise ValueError(f"a decision page shows at most {MAX_TILES} tiles")


def _inline(text: str) -> str:
    """Markdown written by the report modules (bold, escaped client values, see
    :func:`kamlib.core.fmt.md_text`) as inline HTML, the way nbconvert renders it."""
    import mistune

    out = str(mistune.html(text)).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", out, flags=re.S)


def _bridge_html(table: pd.DataFrame, caption: str) -> str:
    rows = []
    last = len(table) - 1
    for i, r in enumerate(table.itertuples(index=False)):
        cls = ' class="bridge-total"' if i in (0, last) else ""
        rows.append(
            f"<tr{cls}><td>{_html.escape(str(r[0]))}</td>"
            f'<td class="num">{_html.escape(str(r[1]))}</td>'
            f"<td>{_html.escape(str(r[2]))}</td></tr>"
        )
    cap = f"<caption>{_html.escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="kam-table bridge">{cap}<thead><tr><th></th><th class="num">accounts'
        f"</th><th>which</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def decision_html(d: Decision, caveats: list[str] | tuple[str, ...] = ()) -> str:
    """The decision page's HTML (one block, a page break after it in print), with the
    ``caveats`` (what the data could not do, in words) at its foot."""
    parts = [
        f'<section class="decision"><p class="decision-headline">{_inline(d.headline)}</p>',
        kpis_html(d.tiles) if d.tiles else "",
        f'<div class="decision-box callout callout-{d.kind}"><div class="decision-label">'
        f"Recommendation</div><p>{_inline(d.recommendation)}</p></div>",
    ]
    if d.bridge is not None and len(d.bridge):
        parts.append(_bridge_html(d.bridge, d.bridge_caption))
    if d.next_steps:
        steps = "".join(f"<li>{_inline(s)}</li>" for s in d.next_steps)
        parts.append(
            f'<div class="decision-next"><div class="decision-label">Next steps</div>'
            f"<ol>{steps}</ol></div>"
        )
    if d.detail:
        paras = "".join(f"<p>{_inline(p)}</p>" for p in d.detail.split("\n\n") if p.strip())
        parts.append(f'<div class="decision-detail">{paras}</div>')
    parts += [f'<div class="callout callout-warn">{_html.escape(t)}</div>' for t in caveats]
    parts.append("</section>")
    return "".join(parts)
