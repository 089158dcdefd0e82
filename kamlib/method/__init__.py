"""The method: what each step computes, frames in and frames out.

One module per step — the data review (:mod:`.review`), segmentation
(:mod:`.segmentation`), the service model (:mod:`.service_model`), profitability
(:mod:`.profitability` with :mod:`.costing`), the account plans (:mod:`.plan_book`,
:mod:`.account_plan`, :mod:`.health`) and the KPI review (:mod:`.kpi_review` with
:mod:`.churn`). No sentences, HTML, charts or Excel here: what a reader must be told
leaves as a :class:`~kamlib.core.notes.Note`, and :mod:`kamlib.report` words and presents
the results.
Uses :mod:`kamlib.core` and :mod:`kamlib.intake` only.
"""

from ..core import frames as _frames  # noqa: F401  (text held as objects)
