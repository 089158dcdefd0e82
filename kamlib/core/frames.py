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


def plain(obj: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """``obj`` with its categorical columns and index levels as the texts they hold.

    A large client's line tables keep their texts (ids, products, activities) as
    categories whose codes are mapped from files (:mod:`kamlib.intake.datapack`). What
    is computed from those lines, a few rows per account, holds them as texts again:
    looked up, joined and written as every other result is.

    Examples
    --------
    >>> lines = pd.DataFrame({"product": pd.Categorical(["b", "a", "b"]), "n": [1, 2, 3]})
    >>> sums = plain(lines.groupby("product").sum())
    >>> sums.index.dtype, plain(lines)["product"].dtype
    (dtype('O'), dtype('O'))
    """
    out = obj
    index = obj.index
    if isinstance(index, pd.MultiIndex):
        if any(isinstance(lv, pd.CategoricalIndex) for lv in index.levels):
            out = out.copy(deep=False)
            out.index = index.set_levels(
                [
                    lv.astype(object) if isinstance(lv, pd.CategoricalIndex) else lv
                    for lv in index.levels
                ]  # fmt: skip
            )
    elif isinstance(index, pd.CategoricalIndex):
        out = out.copy(deep=False)
        out.index = index.astype(object)
    if isinstance(out, pd.DataFrame):
        cats = [c for c in out.columns if isinstance(out[c].dtype, pd.CategoricalDtype)]
        if cats:
            out = out.astype(dict.fromkeys(cats, object))
    elif isinstance(out.dtype, pd.CategoricalDtype):
        out = out.astype(object)
    return out
