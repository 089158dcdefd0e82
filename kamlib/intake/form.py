"""Write data packs: the Excel intake form (``kam init``), and CSV / Parquet folders."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.excel import atomic_save, put
from .schema import TABLES, Column

NOTE_FILL = PatternFill("solid", fgColor="EEF1F6")
NOTE_FONT = Font(italic=True, color="5A6270", size=9)
VALIDATED_ROWS = 20_000

ABOUT = [
    "Data intake form",
    "",
    "One sheet per table. Only 'accounts' and 'revenue' are required; fill the others if the "
    "data exists.",
    "Row 1 holds the column names: keep them (or map your own names in the engagement config).",
    "Rows whose first cell starts with # are notes and examples: they are ignored. Write your "
    "data below them, or delete them.",
    "Dates: YYYY-MM-DD. Months: YYYY-MM. Numbers: plain, no thousands separators or currency "
    "symbols.",
    "Coded columns (ratings, yes/no, lists) offer their allowed values in a drop-down.",
    "Check the filled form with:  kam validate <engagement folder>",
]


def _note(col: Column) -> str:
    need = "required" if col.required else "optional"
    return f"# {need} · {col.kind_help} · {col.description}"


def _validation(col: Column) -> DataValidation | None:
    if col.kind == "choice":
        return DataValidation(type="list", formula1=f'"{",".join(col.choices)}"', allow_blank=True)
    if col.kind == "yesno":
        return DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    if col.kind == "rating":
        return DataValidation(
            type="decimal", operator="between", formula1="1", formula2="5", allow_blank=True
        )
    if col.kind == "score10":
        return DataValidation(
            type="whole", operator="between", formula1="0", formula2="10", allow_blank=True
        )
    if col.kind == "probability":
        return DataValidation(
            type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True
        )
    return None


def write_intake(
    path: str | Path, tables: dict[str, pd.DataFrame] | None = None, colour: str = "#0B3D91"
) -> Path:
    """Write the Excel intake form: a sheet per table with notes and validation lists.

    With ``tables`` the form is filled with that data (the demo's small example pack);
    without, each sheet carries one clearly marked example row.
    """
    wb = Workbook()
    about = wb.active
    about.title = "_about"
    for i, line in enumerate(ABOUT, 1):
        c = about.cell(i, 1, line)
        c.font = Font(bold=True, size=14) if i == 1 else Font(size=11)
    about.column_dimensions["A"].width = 110
    fill = PatternFill("solid", fgColor=colour.lstrip("#").upper())
    for name, spec in TABLES.items():
        ws = wb.create_sheet(name)
        for j, col in enumerate(spec.columns, 1):
            head = ws.cell(1, j, col.name)
            head.font = Font(bold=True, color="FFFFFF")
            head.fill = fill
            head.comment = Comment(f"{col.kind_help}. {col.description}", "KAM workbook")
            note = ws.cell(
                2,
                j,
                _note(col)
                if j == 1
                else f"{'required' if col.required else 'optional'}"
                f" · {col.kind_help} · {col.description}",
            )
            note.font, note.fill = NOTE_FONT, NOTE_FILL
            note.alignment = Alignment(wrap_text=True, vertical="top")
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = 24 if col.kind == "text" else 16
            dv = _validation(col)
            if dv is not None:
                dv.error = f"{col.name}: {col.kind_help}"
                dv.errorTitle = "Value not allowed"
                ws.add_data_validation(dv)
                dv.add(f"{letter}3:{letter}{VALIDATED_ROWS}")
            fmt = {"date": "yyyy-mm-dd", "number": "#,##0.00"}.get(col.kind)
            if fmt:
                for r in range(3, 3 + (len(tables[name]) if tables and name in tables else 1)):
                    ws[f"{letter}{r}"].number_format = fmt
        ws.row_dimensions[2].height = 48
        ws.freeze_panes = "A3"
        if tables is None:
            for j, col in enumerate(spec.columns, 1):
                value = col.example or ("" if col.kind != "rating" else "4")
                if col.kind == "choice":
                    value = col.choices[0]
                if col.kind == "yesno":
                    value = value or "yes"
                c = put(ws, 3, j, f"# e.g. {value}" if j == 1 else value or None)
                c.font, c.fill = NOTE_FONT, NOTE_FILL
        elif name in tables:
            df = tables[name][[c for c in spec.column_names if c in tables[name].columns]]
            cols = {c: j for j, c in enumerate(spec.column_names, 1)}
            for i, row in enumerate(
                df.astype(object).where(df.notna(), None).itertuples(index=False), 3
            ):
                for c, v in zip(df.columns, row, strict=True):
                    put(ws, i, cols[c], v)
    return atomic_save(wb, path)


def write_pack(
    tables: Mapping[str, pd.DataFrame | Iterable[pd.DataFrame]], dest: str | Path, form: str = "csv"
) -> Path:
    """Write a pack as a CSV folder, a Parquet folder or an Excel intake form.

    A table given as blocks (an iterable of frames with the same columns, such as a large
    demo client's lines) is written a block at a time, never held whole; an Excel form
    takes whole tables only. The pack appears whole or not at all: it is written beside
    ``dest`` and moved in.
    """
    dest = Path(dest)
    if form == "excel":
        if not all(isinstance(df, pd.DataFrame) for df in tables.values()):
            raise ValueError("an Excel intake form takes whole tables: use csv or parquet")
        return write_intake(dest, tables)  # type: ignore[arg-type]
    if form not in {"csv", "parquet"}:
        raise ValueError(f"unknown pack form {form!r}: use csv, parquet or excel")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
    try:
        for name, df in tables.items():
            path = tmp / f"{name}.{form}"
            if isinstance(df, pd.DataFrame):
                df.to_csv(path, index=False) if form == "csv" else df.to_parquet(path, index=False)
            else:
                (_csv_blocks if form == "csv" else _parquet_blocks)(df, path)
        old = dest.with_name(f".{dest.name}-old")
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _csv_blocks(blocks: Iterable[pd.DataFrame], path: Path) -> None:
    """One CSV file from blocks of rows: the header once, then each block's rows."""
    first = True
    for block in blocks:
        block.to_csv(path, index=False, header=first, mode="w" if first else "a")
        first = False


def _parquet_blocks(blocks: Iterable[pd.DataFrame], path: Path) -> None:
    """One Parquet file from blocks of rows, a row group per block."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    try:
        for block in blocks:
            table = pa.Table.from_pandas(block, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
