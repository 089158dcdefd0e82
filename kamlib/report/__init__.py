"""The reports: how each step's results are shown to the client.

Per step, the views (reader-facing tables), the summary in words, the headline cards and
the Excel workbook: :mod:`.review`, :mod:`.segmentation`, :mod:`.service_model`,
:mod:`.profitability`, :mod:`.plan` (one account plan) and :mod:`.kpi_review`; with the
charts (:mod:`.charts`), the tables (:mod:`.tables`), every sentence the method's notes
become (:mod:`.words`), the rules stated from the settings
(:mod:`.rules`) and what a notebook calls to show them (:mod:`.notebook`). Uses the
method, intake and core layers: a view selects, orders, renames and formats what the
method computed (and counts what a sentence needs).
"""

from ..core import frames as _frames  # noqa: F401  (text held as objects)
