"""How kamlib's frames hold text: as Python objects, the way the pack is read.

pandas 3 stores each new column of text as Arrow strings unless told otherwise, while
the pack's ids, names and products are read as Python objects (one object per distinct
value, shared by the lines). Every frame built from them (a screen, a cohort, a segment
table) then copied its ids into Arrow strings and back to objects when they met the
pack's again: 3.8 s of 26 s of a 100,000-account engagement's steps. With this setting a
new column of text keeps the objects it is given (pandas 2's behaviour); every figure is
the same, the runs' deliverables byte for byte. Imported for its effect by the layers
that build frames (:mod:`kamlib.intake`, :mod:`kamlib.method`, :mod:`kamlib.report`).
A pandas that no longer has the setting keeps its own default.
"""

from __future__ import annotations

import contextlib
import warnings

import pandas as pd


def text_as_objects() -> None:
    """New columns of text hold Python objects (pandas' ``future.infer_string`` off)."""
    with warnings.catch_warnings(), contextlib.suppress(pd.errors.OptionError, KeyError):
        warnings.simplefilter("ignore")  # pandas 3 says the setting goes in pandas 4
        pd.set_option("future.infer_string", False)


text_as_objects()
