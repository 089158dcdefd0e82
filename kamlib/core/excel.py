"""Excel deliverables: tidy sheets a client can filter, and no cell that becomes a formula.

The step workbooks are written with XlsxWriter (styles, sheets, the package); the cells
of each table are rendered a column at a time into the sheet's XML, a block of rows at a
time, so 100,000 accounts take a second or two and a million never sit in memory as
cells. The intake form, small and rich (comments, validation lists), uses openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet as _XlsxSheet

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


#: Excel's last row: a sheet holds at most this many rows, its header included.
EXCEL_ROWS = 1_048_576
#: Rows rendered into the sheet's XML at a time: memory stays flat however long the table.
BLOCK_ROWS = 5_000
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
#: Text as XML character data: markup escaped, control characters as Excel writes them
#: (``_x0001_``), so any text in the client's data reads back as it was.
_MARKUP = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_XML = str.maketrans(_MARKUP | {chr(c): f"_x{c:04X}_" for c in range(32) if chr(c) not in "\t\n\r"})


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text_cell(ref: str, v: str, plain: str, quoted: str) -> str:
    """A cell of text; text that looks like a formula carries the quote prefix."""
    style = quoted if v.startswith(FORMULA_START) else plain
    return f'{ref}{style} t="inlineStr"><is>{_text_body(v)}'


def _text_body(v: str) -> str:
    """A text cell's content after its reference and style: spaces at either end kept."""
    t = '<t xml:space="preserve">' if v[:1].isspace() or v[-1:].isspace() else "<t>"
    return f"{t}{_translate(v)}</t></is></c>"


def _any_cell(ref: str, v: object, plain: str, quoted: str) -> str:
    """A cell of any value (a column mixing text and numbers); "" when empty."""
    if isinstance(v, str):
        return _text_cell(ref, v, plain, quoted)
    if isinstance(v, bool | np.bool_):
        return f'{ref}{plain} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, dt.date | np.datetime64):
        serial = (pd.Timestamp(v).to_datetime64() - _EXCEL_EPOCH) / np.timedelta64(1, "D")
        return f"{ref}{plain}><v>{serial!r}</v></c>"
    if isinstance(v, int | float | np.number) and np.isfinite(float(v)):
        return f"{ref}{plain}><v>{v.item() if isinstance(v, np.generic) else v!r}</v></c>"
    return ""


def _translate(v: str) -> str:
    return v.translate(_XML)


def _as_text(num: np.ndarray) -> pa.Array:
    """Numbers as the shortest text that reads back as the same number (Arrow's cast:
    several times faster than numpy's or Python's); missing where not finite."""
    return pc.cast(pa.array(num, mask=~np.isfinite(num)), pa.string())


def _join(*parts: object) -> pa.Array:
    """Texts joined row by row, each part an array (one text per row) or one text for
    every row, in Arrow (no Python string per cell); missing where a part is missing."""
    return pc.binary_join_element_wise(*parts, "")


_ROWS = pc.JoinOptions(null_handling="replace", null_replacement="")


def _rows_xml(rows: pa.Array, cells: list[pa.Array]) -> pa.Buffer:
    """The XML of a block of rows, as UTF-8 bytes: each row's opening, its cells (a
    missing cell writes nothing) and its closing."""
    xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "", options=_ROWS)
    at = np.frombuffer(xml.buffers()[1], dtype=np.int32)[[xml.offset, xml.offset + len(xml)]]
    return xml.buffers()[2].slice(int(at[0]), int(at[1] - at[0]))


class _Cells:
    """How one column's cells are written: each row's cell as XML (missing when empty)."""

    def __init__(self, letter: str, plain: Styles, quoted: Styles):
        self.letter, self.plain, self.quoted = letter, plain, quoted

    def render(self, values: pd.Series, rows: pa.Array, lo: int) -> pa.Array:
        """The cells of ``values`` (a block of the column from row ``lo``) on sheet rows
        ``rows`` (their numbers as text)."""
        n = len(values)
        plain = _block(self.plain, lo, n)
        kind = values.dtype
        if pd.api.types.is_bool_dtype(kind) and not values.isna().any():
            flags = pc.cast(pa.array(values.to_numpy(bool).astype(np.int8)), pa.string())
            return self._cell(rows, plain, ' t="b"><v>', flags, "</v></c>")
        if pd.api.types.is_datetime64_any_dtype(kind):
            d = values.dt.tz_localize(None) if getattr(kind, "tz", None) else values
            num = (d.to_numpy("datetime64[ns]") - _EXCEL_EPOCH) / np.timedelta64(1, "D")
            return self._cell(rows, plain, "><v>", _as_text(num), "</v></c>")
        if pd.api.types.is_integer_dtype(kind) and not values.isna().any():
            whole = pc.cast(pa.array(values.to_numpy(np.int64)), pa.string())
            return self._cell(rows, plain, "><v>", whole, "</v></c>")
        if pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind):
            num = values.to_numpy(float, na_value=np.nan)
            return self._cell(rows, plain, "><v>", _as_text(num), "</v></c>")
        quoted = _block(self.quoted, lo, n)
        if isinstance(kind, pd.StringDtype):
            return self._texts(rows, pa.array(values.array, pa.string()), plain, quoted)
        vals = values.to_numpy(object)
        if pd.api.types.infer_dtype(vals, skipna=True) in ("string", "empty"):
            texts = pa.array(vals, pa.string(), from_pandas=True)
            return self._texts(rows, texts, plain, quoted)
        ref = f'<c r="{self.letter}' + rows.to_numpy(zero_copy_only=False).astype(object) + '"'
        each = [np.broadcast_to(np.asarray(s, dtype=object), n) for s in (plain, quoted)]
        mixed = zip(ref, vals, *each, strict=True)
        return pa.array([_any_cell(r, v, p, q) or None for r, v, p, q in mixed], pa.string())

    def _cell(self, rows: pa.Array, style: Styles, kind: str, *content: object) -> pa.Array:
        """``<c r="A2" s="3"`` then the cell's ``kind`` attribute and ``content``."""
        if isinstance(style, str):
            return _join(f'<c r="{self.letter}', rows, f'"{style}{kind}', *content)
        each = pa.array(style, pa.string())
        return _join(f'<c r="{self.letter}', rows, '"', each, kind, *content)

    def _texts(self, rows: pa.Array, texts: pa.Array, plain: Styles, quoted: Styles):
        """Cells of text: each distinct text escaped once (a column of segments or
        regions repeats a few), then joined to its rows' references and styles."""
        coded = pc.dictionary_encode(texts)  # missing: a missing code
        distinct, codes = coded.dictionary, coded.indices
        bodies = _text_bodies(distinct).take(codes)
        formula = pc.match_substring_regex(distinct, _FORMULA)
        if isinstance(plain, str) and not pc.any(formula).as_py():
            return self._cell(rows, plain, ' t="inlineStr"><is>', bodies)
        quote = formula.take(codes).fill_null(False).to_numpy(zero_copy_only=False)
        style = np.where(quote, *(np.asarray(s, dtype=object) for s in (quoted, plain)))
        return self._cell(rows, style, ' t="inlineStr"><is>', bodies)


#: Text that a spreadsheet would read as a formula (:data:`FORMULA_START`)
_FORMULA = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"


def _text_bodies(texts: pa.Array) -> pa.Array:
    """Each text's cell content after its reference and style (:func:`_text_body`),
    escaped in Arrow; text holding a control character goes through :data:`_XML`."""
    if pc.any(pc.match_substring_regex(texts, _CONTROL.pattern)).as_py():
        return pa.array([_text_body(v) for v in texts.to_pylist()], pa.string())
    escaped = texts
    for mark, entity in _MARKUP.items():  # "&" first: the entities' own "&" stay as they are
        escaped = pc.replace_substring(escaped, mark, entity)
    spaced = pc.or_(_space(pc.utf8_slice_codeunits(texts, 0, 1)),
                    _space(pc.utf8_slice_codeunits(texts, -1)))  # fmt: skip
    opening = pc.if_else(spaced, '<t xml:space="preserve">', "<t>")
    return _join(opening, escaped, "</t></is></c>")


def _space(chars: pa.Array) -> pa.Array:
    """Whether each text (one character or none) is white space, as Python says."""
    coded = pc.dictionary_encode(chars)
    space = [c.isspace() for c in coded.dictionary.to_pylist()]
    return pa.array(space, pa.bool_()).take(coded.indices)


class _TableSheet(_XlsxSheet):
    """An XlsxWriter sheet whose rows are one table, rendered a block at a time when the
    workbook is saved (the rest — styles, panes, filters, widths — is XlsxWriter's)."""

    table_frame: pd.DataFrame | None = None
    table_cells: list[_Cells] = []
    header_xml: str = ""
    note_xml: str = ""

    def _write_rows(self) -> None:  # XlsxWriter calls it to write <sheetData>'s rows
        df = self.table_frame
        if df is None:
            return super()._write_rows()
        self.fh.write(self.header_xml)
        for lo in range(0, len(df), BLOCK_ROWS):
            block = df.iloc[lo : lo + BLOCK_ROWS]
            rows = pc.cast(pa.array(np.arange(lo + 2, lo + 2 + len(block))), pa.string())
            cols = [c.render(block.iloc[:, j], rows, lo) for j, c in enumerate(self.table_cells)]
            self._write_bytes(_rows_xml(rows, cols))
        self.fh.write(self.note_xml)
        return None

    def _write_bytes(self, xml: pa.Buffer) -> None:
        """UTF-8 written to the sheet's file as it is (no decoding and encoding again)."""
        if hasattr(self.fh, "buffer"):
            self.fh.flush()
            self.fh.buffer.write(xml)
        else:  # XlsxWriter's in-memory mode writes to a StringIO
            self.fh.write(xml.to_pybytes().decode("utf-8"))


class _FastZip(zipfile.ZipFile):
    """The package compressed at zlib's fastest level: three times faster to write than
    the default for a file a quarter larger."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compresslevel", 1)
        super().__init__(*args, **kwargs)


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook, packaged with :class:`_FastZip`."""

    def _store_workbook(self) -> None:
        import xlsxwriter.workbook as module

        module.ZipFile, default = _FastZip, module.ZipFile
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = default


class _Styles:
    """The workbook's cell formats, made once each: the header, and each number format
    alone and with the quote prefix that keeps text that looks like a formula as text."""

    def __init__(self, wb: xlsxwriter.Workbook, colour: str):
        self.wb = wb
        header = {"bold": True, "font_color": "#FFFFFF", "bg_color": colour, "pattern": 1,
                  "valign": "vcenter", "text_wrap": True}  # fmt: skip
        self.header = wb.add_format(header)
        self._made: dict[tuple[str | None, bool], str] = {}

    def attr(self, num_format: str | None, quote: bool = False) -> str:
        """The cell attribute (``' s="3"'``) of a number format, "" for the default."""
        key = (num_format, quote)
        if key not in self._made:
            props: dict[str, object] = {}
            if num_format:
                props["num_format"] = num_format
            if quote:
                props["quote_prefix"] = True
            self._made[key] = f' s="{self.wb.add_format(props)._get_xf_index()}"' if props else ""
        return self._made[key]


#: A column's cell attribute: one for every row (the usual case), or one per row
Styles = str | np.ndarray


def _column_styles(styles: _Styles, fmt: Format | None) -> tuple[Styles, Styles]:
    """A column's cell attribute, plain and for text kept as text: one for all its rows,
    or one per row when ``fmt`` is a list of formats, one per row."""
    if isinstance(fmt, list | tuple):
        kinds = [number_format(f) if f else None for f in fmt]
        plain = np.array([styles.attr(f) for f in kinds], dtype=object)
        return plain, np.array([styles.attr(f, quote=True) for f in kinds], dtype=object)
    kind = number_format(fmt) if fmt else None
    return styles.attr(kind), styles.attr(kind, quote=True)


def _block(style: Styles, lo: int, n: int) -> Styles:
    """The attribute of the rows ``lo`` to ``lo + n``: the column's own when it has one."""
    return style[lo : lo + n] if isinstance(style, np.ndarray) else style


def _width(name: object, s: pd.Series) -> float:
    sample = [len(str(name))] + [len(str(v)) for v in s.head(200) if v is not None]
    return min(max(10, max(sample) + 2), 60)


def _fit_rows(df: pd.DataFrame, sheet: str, path: Path) -> tuple[pd.DataFrame, str | None]:
    """A table longer than a sheet can hold: the rows that fit, and the note the sheet ends
    with; every row goes to a Parquet file beside the workbook."""
    room = EXCEL_ROWS - 2  # the header, and the note's row
    if len(df) <= EXCEL_ROWS - 1:
        return df, None
    beside = path.with_name(f"{path.stem} - {sheet}.parquet")
    with atomic_path(beside) as tmp:
        df.reset_index(drop=True).to_parquet(tmp, index=False)
    note = (f"This sheet shows the first {room:,} of {len(df):,} rows, as many as Excel holds; "
            f"every row is in {beside.name} beside this workbook.")  # fmt: skip
    return df.iloc[:room], note


def write_frame(
    wb: xlsxwriter.Workbook,
    sheet: str,
    df: pd.DataFrame,
    styles: _Styles,
    formats: Mapping[str, Format] | None = None,
    note: str | None = None,
) -> None:
    """Write a frame as a sheet: styled frozen header, filters, number formats, widths.

    ``formats`` maps a column to a key of ``FORMATS`` or an Excel number format, or to a
    list of them, one per row (a column whose rows hold different quantities). ``note``
    is a line of text under the table.
    """
    formats = dict(formats or {})
    ws = wb.add_worksheet(sheet, worksheet_class=_TableSheet)
    cells, head = [], []
    for j, name in enumerate(df.columns):
        letter = xl_col_to_name(j)
        fmt = formats.get(name) or _guess_format(str(name), df[name])
        plain, quoted = _column_styles(styles, fmt)
        cells.append(_Cells(letter, plain, quoted))
        title = str(name).translate(_XML)
        head.append(f'<c r="{letter}1" s="{styles.header._get_xf_index()}"'
                    f' t="inlineStr"><is><t>{title}</t></is></c>')  # fmt: skip
        ws.set_column(j, j, _width(name, df[name]))
    ws.table_frame, ws.table_cells = df, cells
    ws.header_xml = '<row r="1">' + "".join(head) + "</row>"
    last_col = max(len(df.columns) - 1, 0)
    ws._check_dimensions(0, 0)
    ws._check_dimensions(len(df) + (1 if note else 0), last_col)
    if note:
        row = len(df) + 2
        ws.note_xml = (f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>'
                       f"{note.translate(_XML)}</t></is></c></row>")  # fmt: skip
    ws.freeze_panes(1, 0)
    if len(df.columns):
        ws.autofilter(0, 0, max(len(df), 1), last_col)


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

    Atomic (a crash never leaves half a workbook) and reproducible (no time of saving
    inside: the same content is the same bytes). A table longer than Excel's rows shows
    the rows that fit, says so, and leaves every row in a Parquet file beside it.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.xlsx"
    >>> export_workbook(p, {"Accounts": pd.DataFrame({"a": [1]})}).name
    'x.xlsx'
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = _Workbook(str(tmp), {"strings_to_formulas": False,
                                            "strings_to_numbers": False,
                                            "strings_to_urls": False})  # fmt: skip
        wb.set_properties({"created": dt.datetime(*_ReproducibleZip.EPOCH)})
        styles = _Styles(wb, colour)
        cells = 0
        for name, df in sheets.items():
            sheet = str(name)[:31]
            fitted, note = _fit_rows(df, sheet, path)
            cells += fitted.size
            write_frame(wb, sheet, fitted, styles, (formats or {}).get(name), note)
        if cells > 20_000_000:  # a package past 4 GB before compression
            wb.use_zip64()
        wb.close()
    return path


def export_report(
    output_dir: str,
    name: str,
    sheets: Mapping[str, pd.DataFrame],
    colour: str = "#0B3D91",
    formats: Mapping[str, Mapping[str, Format]] | None = None,
) -> str:
    """A step's Excel export: ``<output_dir>/<name>``, or nothing ("") without a folder
    (a notebook run by hand writes no file). In the runner's kernel
    (:func:`hand_to_runner`) the workbook's content is saved beside it instead, and the
    runner writes it while the next step runs (:func:`write_handed`)."""
    if not output_dir:
        return ""
    path = Path(output_dir) / name
    if _HANDING[0] and _hand_over(path, (dict(sheets), colour, formats)):
        return str(path)
    return str(export_workbook(path, sheets, colour, formats))


#: How a workbook handed to the runner is named while it waits, beside where it goes
HANDED = ".workbook-"
#: Whether this process hands its step workbooks to the runner (its kernel: see
#: :func:`hand_to_runner`); a notebook run by hand writes its own.
_HANDING = [False]


def hand_to_runner(on: bool = True) -> None:
    """From now on, this process (the runner's kernel) saves each step workbook's content
    beside the workbook for the runner to write on its own core: the largest workbooks
    (100,000 accounts: seconds each) are then off the steps' path."""
    _HANDING[0] = on


def _hand_over(path: Path, content: tuple) -> bool:
    from .cache import save

    return save(path.with_name(f"{HANDED}{path.name}.pickle"), HANDED, content) is not None


def write_handed(folder: str | Path, stem: str) -> list[Path]:
    """Write the workbooks of the step ``stem`` (``01_segmentation``) whose content its
    kernel handed over in ``folder``; each as :func:`export_workbook` writes it (the same
    bytes), its handed file removed."""
    from .cache import load

    written = []
    for handed in sorted(Path(folder).glob(f"{HANDED}{stem}*.pickle")):
        content = load(handed, HANDED)
        if content is None:
            raise OSError(f"the workbook handed over in {handed.name} cannot be read back")
        sheets, colour, formats = content
        name = handed.name[len(HANDED) : -len(".pickle")]
        written.append(export_workbook(handed.with_name(name), sheets, colour, formats))
        handed.unlink()
    return written
