"""Excel deliverables: tidy sheets a client can filter, and no cell that becomes a formula."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .paths import atomic_path

FORMULA_START = ("=", "+", "-", "@")
#: A float column whose name holds one of these words is an amount of money.
MONEY_WORDS = ("revenue", "profit", "cost", "contribution", "amount", "value", "wallet",
               "potential", "price", "discount", "pipeline", "acv", "saving", "investment",
               "whitespace", "target", "headroom")  # fmt: skip
#: A column's number format: a kind of ``FORMATS`` or an Excel format, or one per row.
Format = str | list[str]
FORMATS = {
    "money": "#,##0",
    "money2": "#,##0.00",
    "int": "#,##0",
    "number": "#,##0.0",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "text": "@",
}


def put(ws: Worksheet, row: int, col: int, value: object):
    """Write one value; text that looks like a formula stays text (no formula injection)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ws.cell(row, col)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    cell = ws.cell(row, col, value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _guess_format(name: str, s: pd.Series) -> str | None:
    if pd.api.types.is_datetime64_any_dtype(s):
        return FORMATS["date"]
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_integer_dtype(s):
        return FORMATS["int"]
    if pd.api.types.is_float_dtype(s):
        lname = name.lower()
        if any(w in lname for w in ("pct", "share", "%", "margin", "rate")):
            return FORMATS["pct"]
        if any(w in lname for w in MONEY_WORDS):
            return "money"
        return FORMATS["int"] if s.abs().max(skipna=True) >= 100 else FORMATS["number"]
    return None


def number_format(kind: str) -> str:
    """The Excel number format of a kind of ``FORMATS`` (or a format given as is); money
    is written in the engagement's currency (:func:`kamlib.core.fmt.currency`)."""
    from . import fmt

    if kind in ("money", "money2"):
        return fmt.excel_money_format(decimals=2 if kind == "money2" else 0)
    return FORMATS.get(kind, kind)


def write_frame(
    ws: Worksheet,
    df: pd.DataFrame,
    colour: str = "#0B3D91",
    formats: Mapping[str, Format] | None = None,
    start_row: int = 1,
) -> None:
    """Write a frame as a table: styled frozen header, filters, number formats, widths.

    ``formats`` maps a column to a key of ``FORMATS`` or an Excel number format, or to a
    list of them, one per row (a column whose rows hold different quantities).
    """
    formats = dict(formats or {})
    fill = PatternFill("solid", fgColor=colour.lstrip("#").upper())
    header_font = Font(bold=True, color="FFFFFF")
    for j, name in enumerate(df.columns, 1):
        c = put(ws, start_row, j, str(name))
        c.fill, c.font = fill, header_font
        c.alignment = Alignment(vertical="center", wrap_text=True)
    number_formats = []
    for name in df.columns:
        fmt = formats.get(name) or _guess_format(str(name), df[name])
        if isinstance(fmt, list | tuple):  # one format per row
            number_formats.append([number_format(f) if f else None for f in fmt])
        else:
            number_formats.append([number_format(fmt) if fmt else None] * len(df))
    values = df.astype(object).where(df.notna(), None).to_numpy()
    for k, row in enumerate(values):
        for j, (v, fmts) in enumerate(zip(row, number_formats, strict=True), 1):
            cell = put(ws, start_row + 1 + k, j, v)
            if fmts[k]:
                cell.number_format = fmts[k]
    for j, name in enumerate(df.columns, 1):
        letter = get_column_letter(j)
        sample = [len(str(name))] + [len(str(v)) for v in df[name].head(200) if v is not None]
        ws.column_dimensions[letter].width = min(max(10, max(sample) + 2), 60)
    ws.freeze_panes = ws.cell(start_row + 1, 1)
    if len(df.columns):
        last = get_column_letter(len(df.columns))
        ws.auto_filter.ref = f"A{start_row}:{last}{start_row + max(len(df), 1)}"


class _ReproducibleZip(zipfile.ZipFile):
    """A zip whose entries all carry the zip format's first date instead of the time of
    writing: the same workbook is the same bytes."""

    EPOCH = (1980, 1, 1, 0, 0, 0)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.EPOCH)
        info.compress_type = self.compression
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(str(zinfo_or_arcname))
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as src, self.open(self._info(str(arcname)), "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def atomic_save(wb: Workbook, path: str | Path) -> Path:
    """Save a workbook so that a crash never leaves a half-written file in its place, and
    so that the same content gives the same file: no time of saving inside it."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = wb.properties.modified = dt.datetime(*_ReproducibleZip.EPOCH)
    with atomic_path(path) as tmp:
        archive = _ReproducibleZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        ExcelWriter(wb, archive).save()  # what wb.save does, without stamping the time
    return Path(path)


def export_workbook(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    colour: str = "#0B3D91",
    formats: Mapping[str, Mapping[str, Format]] | None = None,
) -> Path:
    """Write several frames to one workbook, one sheet each (names cut to Excel's 31 chars).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.xlsx"
    >>> export_workbook(p, {"Accounts": pd.DataFrame({"a": [1]})}).name
    'x.xlsx'
    """
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(str(name)[:31])
        write_frame(ws, df, colour, (formats or {}).get(name))
    return atomic_save(wb, path)


def export_report(
    output_dir: str,
    name: str,
    sheets: Mapping[str, pd.DataFrame],
    colour: str = "#0B3D91",
    formats: Mapping[str, Mapping[str, Format]] | None = None,
) -> str:
    """A step's Excel export: ``<output_dir>/<name>``, or nothing ("") without a folder
    (a notebook run by hand writes no file)."""
    if not output_dir:
        return ""
    return str(export_workbook(Path(output_dir) / name, sheets, colour, formats))
