"""The method: what each step computes, frames in and frames out.

One module per step — the data review (:mod:`.review`), segmentation
(:mod:`.segmentation`), the service model (:mod:`.service_model`), profitability
(:mod:`.profitability` with :mod:`.costing`), the account plans (:mod:`.plan_book`,
:mod:`.account_plan`, :mod:`.health`) and the KPI review (:mod:`.kpi_review` with
:mod:`.churn`). No HTML, charts or Excel here: :mod:`kamlib.report` presents the results.
Uses :mod:`kamlib.core` and :mod:`kamlib.intake` only.
"""
