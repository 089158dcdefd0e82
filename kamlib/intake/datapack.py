"""Read and validate a client's data pack (DATAPACK.md).

A pack is a folder of CSV files, a folder of Parquet files, or one Excel workbook with
one sheet per table. Table and column names match ignoring case, spaces, dashes and
underscores; the config may map the client's own names. Every value is parsed to its
type; anything that cannot be read is reported with file, column, rows and the fix.

Each table's index is the row number in its source (the header is row 1 in CSV and
Excel), so any finding can point the data owner at the exact rows.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..core import spill
from ..core.errors import ConfigError, DataPackError
from ..core.memory import give_back
from .schema import TABLES, Column, Table

T = TypeVar("T")
ERROR, WARNING, INFO = "error", "warning", "info"
FORMS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
EXCEL = {".xlsx", ".xlsm"}


@dataclass(frozen=True)
class Finding:
    """One thing the data owner should know about the pack."""

    level: str  # error | warning | info
    table: str
    source: str  # file, and sheet for Excel
    column: str
    rows: int  # how many rows are affected (0 when it is about the table or file)
    examples: tuple[str, ...]
    message: str  # names file, column, rows and the fix
    action: str  # what the analysis does about it


@dataclass
class DataPack:
    """The parsed tables of a pack, with where each came from and what was found."""

    path: Path
    form: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: values derived from the tables (:meth:`derived`): kind -> (the tables, the value)
    _derived: dict[str, tuple[tuple, Any]] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, kind: str, tables: tuple[str, ...], build: Callable[..., T]) -> T:
        """``build(*frames)`` of the named tables, computed once and kept with the pack
        while those tables are the same frames (a table replaced, it is computed again).
        The pack's tables are read, never changed in place: what is derived from them
        stays true."""
        frames = tuple(self.tables[t] for t in tables)
        store = self.__dict__.setdefault("_derived", {})  # a pack pickled before it had one
        kept = store.get(kind)
        if kept is not None and all(a is b for a, b in zip(kept[0], frames, strict=True)):
            return kept[1]
        value = build(*frames)
        store[kind] = (frames, value)
        return value

    def account_lines(self, table: str) -> np.ndarray | None:
        """The position in the accounts table of each line's account in ``table`` (-1
        for one that is not there), once per pack (the reading keeps what it coded): the
        month sums and the selections of some accounts' lines (:meth:`lines_of`) then
        look up no account id among millions. None when the accounts' ids are not
        unique, so that a position would not name one account."""
        ids = self.accounts_index()
        if not ids.is_unique:
            return None
        return self.derived(
            f"{ACCOUNT_LINES}{table}", ("accounts", table),
            lambda acc, lines: positions(ids, lines["account_id"]),
        )  # fmt: skip

    def lines_of(self, table: str, ids: pd.Index) -> np.ndarray:
        """Which lines of ``table`` belong to the accounts ``ids`` of the accounts table
        (as ``isin(ids)`` of its account ids; a line whose id is not an account's belongs
        to none: validation leaves none in a pack).

        Examples
        --------
        >>> pack = DataPack(Path("."), "csv", {
        ...     "accounts": pd.DataFrame({"account_id": ["a", "b"]}),
        ...     "revenue": pd.DataFrame({"account_id": ["b", "x", "a", "b"]})})
        >>> pack.lines_of("revenue", pd.Index(["b", "y"])).tolist()
        [True, False, False, True]
        """
        at = self.account_lines(table)
        if at is None:
            return self.tables[table]["account_id"].isin(ids).to_numpy()
        where = self.accounts_index().get_indexer(ids)
        member = np.zeros(len(self.tables["accounts"]) + 1, dtype=bool)  # the last: none
        member[where[where >= 0]] = True
        return member[at]

    def places_of(self, table: str, ids: pd.Index) -> np.ndarray | None:
        """Each line's position among the accounts ``ids`` (unique; -1 for a line of
        another account), from where its account is (:meth:`account_lines`): a group-by
        of those lines then reads numbers, not ids. None when the pack does not know
        where its lines' accounts are.

        Examples
        --------
        >>> pack = DataPack(Path("."), "csv", {
        ...     "accounts": pd.DataFrame({"account_id": ["a", "b"]}),
        ...     "revenue": pd.DataFrame({"account_id": ["b", "x", "a", "b"]})})
        >>> pack.places_of("revenue", pd.Index(["b", "y"])).tolist()
        [0, -1, -1, 0]
        """
        at = self.account_lines(table)
        if at is None:
            return None
        where = ids.get_indexer(self.accounts_index()).astype(np.int32)  # half of int64's
        return np.append(where, np.int32(-1))[at]  # the last: none

    def accounts_index(self) -> pd.Index:
        """The accounts' ids as an index, once per pack: what is looked up in it hashes
        them once (and the answers at every date share it)."""
        return self.derived("accounts_index", ("accounts",), lambda a: pd.Index(a["account_id"]))

    def days_of(self, table: str) -> pd.DatetimeIndex:
        """The distinct dates of a table's ``date`` column, sorted, without a missing one,
        once per pack: the spans and months asked of the revenue read a thousand days, not
        millions of lines.

        Examples
        --------
        >>> days = pd.to_datetime(["2026-02-01", None, "2025-01-31", "2026-02-01"])
        >>> pack = DataPack(Path("."), "csv", {"revenue": pd.DataFrame({"date": days})})
        >>> pack.days_of("revenue").strftime("%Y-%m-%d").tolist()
        ['2025-01-31', '2026-02-01']
        """
        return self.derived(
            f"days_of {table}", (table,),
            lambda t: pd.DatetimeIndex(pd.unique(t["date"])).dropna().sort_values(),
        )  # fmt: skip

    def text_codes(self, table: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        """A text column as a code per row (-1: no value) and the distinct values the
        codes number, once per pack: the reading keeps what it coded, so that grouping
        by a product or an activity hashes no million texts again.

        Examples
        --------
        >>> pack = DataPack(Path("."), "csv", {"activities": pd.DataFrame(
        ...     {"activity": ["visit", None, "call", "visit"]})})
        >>> codes, values = pack.text_codes("activities", "activity")
        >>> codes.tolist(), values.tolist()
        ([0, -1, 1, 0], ['visit', 'call'])
        """
        return self.derived(
            f"{TEXT_CODES}{table}:{column}", (table,), lambda df: _codes_of(df[column])
        )

    def has(self, table: str, column: str | None = None) -> bool:
        """True when the table is present (and non-empty) and has the column with some value."""
        df = self.tables.get(table)
        if df is None or df.empty:
            return False
        return column is None or (column in df.columns and bool(self.filled(table)[column]))

    def filled(self, table: str) -> pd.Series:
        """How many rows of ``table`` hold a value, per column (counted once per pack).

        Examples
        --------
        >>> pack = DataPack(Path("."), "csv", {"churn": pd.DataFrame(
        ...     {"account_id": ["a", "b"], "reason": [None, "price"]})})
        >>> pack.filled("churn").to_dict()
        {'account_id': 2, 'reason': 1}
        """
        return self.derived(f"filled:{table}", (table,), lambda df: df.notna().sum())

    def count_filled(self, table: str, known: dict[str, int]) -> None:
        """Keep :meth:`filled` of ``table`` with the counts the reading ``known`` (its text
        columns'); the other columns (numbers, dates: cheap) are counted here."""
        df = self.tables[table]
        counts = {c: known[c] if c in known else int(df[c].notna().sum()) for c in df.columns}
        got = pd.Series(counts, index=df.columns, dtype="int64")
        self.derived(f"filled:{table}", (table,), lambda _df: got)

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]


#: how the kinds of :meth:`DataPack.account_lines` begin in :meth:`DataPack.derived`
ACCOUNT_LINES = "account_lines:"
#: and those of :meth:`DataPack.text_codes`
TEXT_CODES = "text_codes:"


def _codes_of(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, values = pd.factorize(s, use_na_sentinel=True)
    return _small(codes), np.asarray(values, dtype=object)


def _small(codes: np.ndarray) -> np.ndarray:
    """Codes in the smallest integer type that holds them (a million rows of a few
    products: a megabyte, not eight)."""
    top = int(codes.max()) if len(codes) else 0
    kind = np.int8 if top < 2**7 else np.int16 if top < 2**15 else np.int32
    return codes.astype(kind, copy=False)


def positions(ids: pd.Index, keys: pd.Series) -> np.ndarray:
    """The position in ``ids`` (unique) of each key (-1 for one that is not there): each
    distinct key looked up once."""
    code, distinct = pd.factorize(keys)
    where = ids.get_indexer(distinct)
    return np.where(code >= 0, where[code], -1).astype(np.int32)


def norm(name: object) -> str:
    """Normalise a table or column name: lower case, no spaces, dashes or underscores."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _closest(name: str, options: Iterable[str]) -> str:
    options = list(options)
    by_norm = {norm(o): o for o in options}
    match = difflib.get_close_matches(norm(name), list(by_norm), n=1, cutoff=0.6)
    return f" The closest is '{by_norm[match[0]]}'." if match else ""


def _examples(index: pd.Index, values: pd.Series | None, k: int) -> tuple[str, ...]:
    out = []
    for i, row in enumerate(index[:k]):
        if values is None:
            out.append(f"{row}")
        else:
            out.append(f"{row}: '{values.iloc[i]}'")
    return tuple(out)


class Collector:
    """Gathers findings with uniformly worded messages."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.findings: list[Finding] = []

    def add(
        self,
        level: str,
        table: str,
        source: str,
        column: str,
        text: str,
        fix: str,
        action: str,
        rows: pd.Index | None = None,
        values: pd.Series | None = None,
        keys: Iterable[str] | None = None,
    ) -> None:
        n = 0 if rows is None else len(rows)
        examples: tuple[str, ...] = ()
        where = source + (f", column '{column}'" if column else "")
        if keys is not None:
            keys = list(keys)
            examples = tuple(keys[: self.k])
            more = f", +{len(keys) - self.k} more" if len(keys) > self.k else ""
            detail = f" ({'; '.join(examples)}{more})"
        elif rows is not None and n:
            examples = _examples(rows, values, self.k)
            more = f", +{n - self.k} more" if n > self.k else ""
            label = "row" if n == 1 else "rows"
            detail = f" ({label} {', '.join(examples)}{more})"
        else:
            detail = ""
        count = f"{n:,} row{'s' if n != 1 else ''} " if rows is not None else ""
        if rows is not None and n == 1:  # "1 row is", not "1 row are"
            text = re.sub(r"^(are|have)\b", lambda m: {"are": "is", "have": "has"}[m[1]], text)
        message = f"{where}: {count}{text}{detail}. {fix}".replace("..", ".")
        self.findings.append(Finding(level, table, source, column, n, examples, message, action))


# --------------------------------------------------------------------------- reading


def _detect(
    path: Path, mapping: dict, out: Collector
) -> tuple[str, dict[str, tuple[Path, str]], list[str]]:
    """Return the form, per table the (file, sheet-or-empty) found, and every name seen."""
    if not path.exists():
        out.add(
            ERROR,
            "",
            str(path),
            "",
            "does not exist",
            "Fix: set 'data' in the engagement config to the pack's folder or workbook.",
            "stops the run",
        )
        return "missing", {}, []
    wanted = {t: norm(mapping.get(t, t)) for t in TABLES}
    if path.is_file():
        return _detect_workbook(path, wanted, out)
    return _detect_folder(path, wanted, out)


def _detect_workbook(
    path: Path, wanted: dict[str, str], out: Collector
) -> tuple[str, dict[str, tuple[Path, str]], list[str]]:
    """The tables of a workbook, one per sheet; other sheets are said and ignored."""
    found: dict[str, tuple[Path, str]] = {}
    if path.suffix.lower() not in EXCEL:
        out.add(
            ERROR,
            "",
            path.name,
            "",
            "is not a data pack",
            "Fix: point 'data' at a folder of CSV or Parquet files, or an .xlsx workbook.",
            "stops the run",
        )
        return "unknown", {}, []
    try:
        sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
    except (zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        out.add(
            ERROR,
            "",
            path.name,
            "",
            f"is not a readable Excel workbook ({exc})",
            "Fix: save it from Excel as .xlsx.",
            "stops the run",
        )
        return "broken", {}, []
    names = {norm(s): s for s in sheets}
    for table, key in wanted.items():
        if key in names:
            found[table] = (path, names.pop(key))
    for sheet in names.values():
        if sheet.startswith("_"):  # the intake form's own notes sheet
            continue
        out.add(
            INFO,
            "",
            f"{path.name}, sheet '{sheet}'",
            "",
            "is not a table of the pack",
            f"It is ignored.{_closest(sheet, TABLES)} Rename it or map it in the config "
            "(mapping.tables) if it should be read.",
            "ignored",
        )
    return "excel", found, list(sheets)


def _detect_folder(
    path: Path, wanted: dict[str, str], out: Collector
) -> tuple[str, dict[str, tuple[Path, str]], list[str]]:
    """The tables of a folder, one file each (CSV or Parquet); other files are said and
    ignored, two files for one table are an error."""
    found: dict[str, tuple[Path, str]] = {}
    files = [p for p in sorted(path.iterdir()) if p.suffix.lower() in FORMS and p.is_file()]
    by_key: dict[str, list[Path]] = {}
    for p in files:
        by_key.setdefault(norm(p.stem), []).append(p)
    forms = set()
    for table, key in wanted.items():
        hits = by_key.pop(key, [])
        if len(hits) > 1:
            out.add(
                ERROR,
                table,
                ", ".join(h.name for h in hits),
                "",
                f"are all the '{table}' table",
                "Fix: keep one file per table.",
                "stops the run",
            )
        elif hits:
            found[table] = (hits[0], "")
            forms.add(FORMS[hits[0].suffix.lower()])
    for hits in by_key.values():
        for p in hits:
            out.add(
                INFO,
                "",
                p.name,
                "",
                "is not a table of the pack",
                f"It is ignored.{_closest(p.stem, TABLES)} Rename it or map it in the config "
                "(mapping.tables) if it should be read.",
                "ignored",
            )
    if not files and any(p.suffix.lower() in EXCEL for p in path.iterdir()):
        out.add(
            ERROR,
            "",
            str(path),
            "",
            "holds an Excel workbook, not CSV or Parquet files",
            "Fix: point 'data' at the workbook itself.",
            "stops the run",
        )
    form = "parquet" if forms == {"parquet"} else "mixed" if len(forms) > 1 else "csv"
    return form, found, [p.name for p in files]


def _sniff(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _drop_repeated_headers(
    df: pd.DataFrame, table: str, source: str, out: Collector
) -> pd.DataFrame | None:
    """Two columns with the same header: the same values are one column (said); different
    values are an error, for nobody can tell which one is meant."""
    repeats = [c for c in df.columns if re.fullmatch(r".+\.\d+", str(c))
               and str(c).rsplit(".", 1)[0] in df.columns]  # fmt: skip
    if not repeats:
        return df
    differ = []
    for c in repeats:
        first = str(c).rsplit(".", 1)[0]
        same = df[first].astype(str).str.strip().equals(df[c].astype(str).str.strip())
        if not same:
            differ.append(first)
    names = sorted({str(c).rsplit(".", 1)[0] for c in repeats})
    if differ:
        out.add(
            ERROR,
            table,
            source,
            ", ".join(sorted(set(differ))),
            "is a header used twice, with different values in the two columns",
            "Fix: keep one of the columns (or rename the other); which one is meant cannot "
            "be guessed.",
            "stops the run",
        )
        return None
    out.add(
        WARNING,
        table,
        source,
        ", ".join(names),
        "is a header used twice; the two columns hold the same values",
        "The copy is left out; remove it at the source.",
        "copy left out",
    )
    return df.drop(columns=repeats)


def ragged_lines(text: str, sep: str) -> tuple[list[str], list[int]]:
    r"""The header's fields and the number of every line holding more fields than the
    header (a value with the separator in it, not quoted; or not this table's file).
    Trailing empty fields (``1,2,3,4,``, as some exports end each line) do not count.

    Examples
    --------
    >>> ragged_lines("a,b,c\n1,2,3\n1,2,3,4\n1,2,3,\n\"x,y\",2,3\n5,6,7,8,9\n", ",")
    (['a', 'b', 'c'], [3, 6])
    """
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], []
    n = len(header)
    bad = []
    start = reader.line_num + 1
    try:
        for rec in reader:
            if len(rec) > n and any(f.strip() for f in rec[n:]):
                bad.append(start)
            start = reader.line_num + 1
    except csv.Error:  # a stray quote or a NUL: the rest cannot be counted
        bad.append(start)
    return header, bad


def _report_ragged(text: str, sep: str, table: str, source: str, out: Collector) -> bool:
    header, bad = ragged_lines(text, sep)
    if not bad:
        return False
    lines = max(1, text.count("\n") - 1)
    shown = ", ".join(h.strip() for h in header[:6]) + (", …" if len(header) > 6 else "")
    what = "," if sep == "," else {";": ";", "\t": "tab", "|": "|"}.get(sep, sep)
    hint = (
        " Most lines do not match the header: is this the table's export at all?"
        if len(bad) * 2 > lines
        else ""
    )
    out.add(
        ERROR,
        table,
        source,
        "",
        f"have more fields than the header's {len(header)} ({shown})",
        f"Fix: a value holding the separator ({what}) must be in double quotes; check these "
        f"lines (the header is line 1).{hint}",
        "stops the run",
        rows=pd.Index(bad),
    )
    return True


def _read_csv(file: Path, source: str, table: str, out: Collector) -> pd.DataFrame | None:
    raw = file.read_bytes()
    if raw[:4] == b"PK\x03\x04":  # a zip: an Excel workbook saved under a .csv name
        out.add(
            ERROR,
            table,
            source,
            "",
            "is an Excel workbook (xlsx) with a .csv name, not a CSV file",
            f"Fix: save it from Excel as 'CSV UTF-8', or name it {table}.xlsx and point data: "
            "in the config at the workbook.",
            "stops the run",
        )
        return None
    data: Path | io.BytesIO = file
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        raw = raw.decode("utf-16").encode("utf-8")
        data = io.BytesIO(raw)
    decoded = _decode(raw, table, source, out)
    if decoded is None:
        return None
    df = _parse_csv(data, *decoded, table, source, out)
    if df is None or not len(df.columns):  # unreadable, or an empty file
        return df
    df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    # lines of separators only (",,,,", as spreadsheets export empty rows) hold nothing
    empty = df.apply(lambda c: c.astype(str).str.strip() == "").all(axis=1)
    if empty.any():
        out.add(
            INFO,
            table,
            source,
            "",
            "are empty (separators only)",
            "Left out; nothing to fix.",
            "left out",
            rows=df.index[empty],
        )
        df = df[~empty]
    return df


def _decode(raw: bytes, table: str, source: str, out: Collector) -> tuple[str, str] | None:
    """The file's text and encoding (UTF-8, else Windows-1252, said); None (an error)
    for a binary file."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if b"\x00" in raw[:4096]:
        out.add(
            ERROR,
            table,
            source,
            "",
            "is not a text (CSV) file",
            "Fix: export the table from its system as CSV (comma or semicolon separated).",
            "stops the run",
        )
        return None
    if encoding != "utf-8-sig":
        out.add(
            INFO,
            table,
            source,
            "",
            "is not UTF-8; it was read as Windows-1252",
            "Check that accented names look right; save as UTF-8 to be sure.",
            "read",
        )
    return text, encoding


def _parse_csv(
    data: Path | io.BytesIO, text: str, encoding: str, table: str, source: str, out: Collector
) -> pd.DataFrame | None:
    """The CSV's rows as text, its separator sniffed; lines longer than the header are
    named (None) unless only empty trailing fields make them longer."""
    sep = _sniff(text[:65536])
    options = dict(dtype=str, keep_default_na=False, sep=sep, encoding=encoding)
    try:
        df = pd.read_csv(data, skip_blank_lines=True, **options)
        if not isinstance(df.index, pd.RangeIndex):  # data lines longer than the header
            if _report_ragged(text, sep, table, source, out):
                return None
            if isinstance(data, io.BytesIO):
                data.seek(0)
            with warnings.catch_warnings():  # only empty trailing fields are dropped
                warnings.simplefilter("ignore", pd.errors.ParserWarning)
                df = pd.read_csv(data, skip_blank_lines=True, index_col=False, **options)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, ValueError) as exc:
        if _report_ragged(text, sep, table, source, out):
            return None
        out.add(
            ERROR,
            table,
            source,
            "",
            f"cannot be read as CSV ({str(exc).strip()})",
            "Fix: check quoting and that every line has the same number of columns.",
            "stops the run",
        )
        return None
    return df


def _read_excel(file: Path, sheet: str, table: str, source: str, out: Collector) -> pd.DataFrame:
    df = pd.read_excel(file, sheet_name=sheet, dtype=object, engine="openpyxl")
    df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    df = df.dropna(how="all")
    if len(df.columns):
        first = df.iloc[:, 0].astype(str).str.strip()
        notes = first.str.startswith("#")
        if notes.any():
            df = df[~notes]
    df.columns = [str(c) for c in df.columns]
    df = df.loc[:, [c for c in df.columns if not c.startswith("Unnamed:")]]
    return df


def _read_parquet(file: Path, table: str, source: str, out: Collector) -> _Columns | None:
    """The Parquet file's columns, each read when it is asked for (:class:`_Columns`)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(file)
        rows = pq.ParquetFile(file).metadata.num_rows
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        _unreadable_parquet(exc, table, source, out)
        return None
    return _Columns(file, schema, rows)


def _unreadable_parquet(exc: Exception, table: str, source: str, out: Collector) -> None:
    out.add(
        ERROR,
        table,
        source,
        "",
        f"is not a readable Parquet file ({type(exc).__name__})",
        "Fix: write it again with pandas/pyarrow, or deliver CSV instead.",
        "stops the run",
    )


class _Unreadable(Exception):
    """A Parquet column that could not be read (the file is damaged)."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.exc = exc


class _Columns:
    """A Parquet file's columns, read one at a time when each is asked for: a large
    table's raw columns are never all in memory at once, only the one being parsed (the
    parsed ones are kept, or mapped from files). Reads as much of a frame as the table's
    reading uses: its columns, index and emptiness, a column or a selection of them."""

    def __init__(self, file: Path, schema: Any, rows: int, names: dict[str, str] | None = None):
        self.file, self.schema, self.rows = file, schema, rows
        if names is None:  # not the index pandas stored with the frame: its rows' labels
            index = (schema.pandas_metadata or {}).get("index_columns") or []
            names = {n: n for n in schema.names if n not in index}
        self.names = names  # ours: the file's

    @property
    def columns(self) -> pd.Index:
        return pd.Index(list(self.names), dtype=object)

    @property
    def index(self) -> pd.RangeIndex:
        return pd.RangeIndex(1, self.rows + 1, name="row")

    @property
    def empty(self) -> bool:
        return self.rows == 0 or not self.names

    def __getitem__(self, key: str | list[str]) -> Any:
        if isinstance(key, list):
            return _Columns(self.file, self.schema, self.rows, {k: self.names[k] for k in key})
        return self._read(key)

    def _read(self, name: str) -> pd.Series:
        import pyarrow as pa
        import pyarrow.parquet as pq

        its = self.names[name]
        text = (pa.types.is_string, pa.types.is_large_string)
        try:  # text as Parquet stores it: its distinct values and a code per row
            coded = [its] if any(t(self.schema.field(its).type) for t in text) else None
            got = pq.read_table(self.file, columns=[its], read_dictionary=coded)
            s = got.to_pandas(self_destruct=True, split_blocks=True).iloc[:, 0]
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise _Unreadable(exc) from exc
        if self.rows >= spill.SPILL_ROWS:  # what reading it took, back before the next
            give_back(collect=False)
        s.index = self.index
        return s.rename(name)

    def rename(self, columns: dict[str, str]) -> _Columns:
        names = {columns.get(k, k): v for k, v in self.names.items()}
        return _Columns(self.file, self.schema, self.rows, names)

    def drop(self, columns: str | list[str]) -> _Columns:
        gone = {columns} if isinstance(columns, str) else set(columns)
        names = {k: v for k, v in self.names.items() if k not in gone}
        return _Columns(self.file, self.schema, self.rows, names)


# --------------------------------------------------------------------------- parsing


def _on_uniques(s: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Parse each distinct value once: ids, dates and codes repeat across millions of rows."""
    d = _Distinct.of(s)  # a Parquet text column: coded as read
    codes, uniques = d.codes, d.values
    if len(uniques) == 0 or len(uniques) > len(s) // 2:
        return parse(s)
    parsed = parse(pd.Series(uniques, dtype=object))
    values = parsed.to_numpy()
    if values.dtype.kind not in "Mmf":  # text and the like: pandas' own take
        taken = parsed.iloc[np.where(codes < 0, 0, codes)].to_numpy()
        return pd.Series(taken, index=s.index, dtype=parsed.dtype).where(codes >= 0)
    # dates and numbers: a numpy take, the last value (NaT, NaN) for a row without one
    missing = np.array(["NaT" if values.dtype.kind in "Mm" else "nan"]).astype(values.dtype)
    taken = np.concatenate([values, missing])[codes]
    return pd.Series(taken, index=s.index, dtype=parsed.dtype, copy=False)


@dataclass
class _Distinct:
    """A text column's distinct values, and per row which one it holds (-1: missing):
    ids, codes and names repeat across millions of rows, so each check and each cleaning
    runs once per distinct value."""

    codes: np.ndarray
    values: pd.Series  # object, one per distinct value

    @classmethod
    def of(cls, s: pd.Series) -> _Distinct:
        if isinstance(s.dtype, pd.CategoricalDtype):  # a Parquet text column: coded already
            values = s.cat.categories.to_numpy(dtype=object)
            return cls(s.cat.codes.to_numpy(), pd.Series(values, dtype=object))
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return cls(codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object))

    def rows(self, per_value: pd.Series | np.ndarray) -> np.ndarray:
        """Per row, the flag of the value it holds (False where it holds none)."""
        flags = np.asarray(per_value, dtype=bool)
        return np.append(flags, False)[self.codes]  # the last, for no value (-1)

    def take(self, per_value: pd.Series, index: pd.Index) -> pd.Series:
        """Per row, the value computed for the value it holds (None where it holds none)."""
        vals = np.empty(len(per_value) + 1, dtype=object)  # the last: for no value
        vals[:-1] = per_value.to_numpy(dtype=object)
        return pd.Series(vals[self.codes], index=index, dtype=object, copy=False)


def _is_text(s: pd.Series) -> bool:
    return (
        s.dtype == object
        or pd.api.types.is_string_dtype(s)
        or isinstance(s.dtype, pd.CategoricalDtype)
    )


def _blank(s: pd.Series, distinct: _Distinct | None = None) -> pd.Series:
    if _is_text(s):
        d = distinct or _Distinct.of(s)
        u = d.values
        blank_u = (u.isna() | (u.astype(str).str.strip() == "")).to_numpy(bool)
        return pd.Series(d.rows(blank_u) | (d.codes < 0), index=s.index)
    return s.isna()


def _isolate_bidi(
    s: pd.Series, d: _Distinct, index: pd.Index, table: str, source: str, column: str,
    out: Collector,
) -> pd.Series:  # fmt: skip
    """Names (``s``: the distinct values of ``d``) holding direction controls (an unclosed
    right-to-left override would reverse the id printed next to it) are isolated, and the
    data owner hears which rows."""
    from ..core.fmt import BIDI_CONTROLS, isolate

    found = s.astype("string").str.contains(f"[{BIDI_CONTROLS}]", regex=True).fillna(False)
    if not found.any():
        return s
    out.add(
        WARNING,
        table,
        source,
        column,
        "have invisible direction controls (such as a right-to-left override)",
        "Each is shown isolated, so it cannot reorder the text printed next to it; remove "
        "the controls at the source unless the name needs them.",
        "isolated",
        rows=index[d.rows(found.to_numpy(bool))],
    )
    return s.where(~found.to_numpy(), s[found.to_numpy()].map(isolate))


LONG_NAME = 200  # characters; longer names are shortened on the reports' pages


def _say_long(
    s: pd.Series, d: _Distinct, index: pd.Index, table: str, source: str, column: str,
    out: Collector,
) -> None:  # fmt: skip
    """Names (``s``: the distinct values of ``d``) too long for a page are said."""
    long = d.rows((s.astype("string").str.len() > LONG_NAME).fillna(False).to_numpy(bool))
    if long.any():
        out.add(
            INFO,
            table,
            source,
            column,
            f"are longer than {LONG_NAME} characters",
            "The reports show them shortened (…); the workbooks keep them whole.",
            "shortened in reports",
            rows=index[long],
        )


def _clean_text(s: pd.Series) -> pd.Series:
    def one(v: object) -> object:
        # Excel stores ids like 1001 as floats; keep them as "1001", not "1001.0"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return v

    # a column of text (the usual case) has nothing to convert
    plain = pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    out = (s if plain else s.map(one)).astype("string").str.strip()
    return out.where(out != "", pd.NA).astype(object).where(out.notna(), None)


def _text(s: pd.Series) -> pd.Series:
    out = _on_uniques(s, _clean_text)
    return out.astype(object).where(out.notna(), None)


def _number(s: pd.Series, decimal: str) -> pd.Series:
    """Parse plain numbers; text with thousands separators or symbols is not guessed at."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    is_num = pd.Series(False, index=s.index)
    if s.dtype == object:  # Excel cells hold real numbers next to text
        is_num = s.map(lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool))
    text = s.where(~is_num).astype("string").str.strip()
    if decimal == ",":
        text = text.where(~text.str.contains(".", regex=False))  # 1.234,5 is ambiguous
        text = text.str.replace(",", ".", regex=False)
    parsed = pd.to_numeric(text, errors="coerce").astype(float)
    parsed = parsed.where(np.isfinite(parsed))  # "inf" and "nan" are not amounts
    if is_num.any():
        parsed = parsed.where(~is_num, pd.to_numeric(s.where(is_num), errors="coerce"))
    return parsed.astype(float)


_ISO = r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"


def _parse_dates(s: pd.Series, periods: bool) -> pd.Series:
    text = (
        s.map(lambda v: v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v)
        .astype("string")
        .str.strip()
    )
    if periods:
        is_period = text.str.fullmatch(r"\d{4}-\d{2}").fillna(False)
        text = text.where(~is_period, text + "-01")
    # Strict ISO: YYYY-MM-DD, optionally with a time that is dropped; a year outside
    # 1900-2200 (an ERP's open end, 9999-12-31) is no date of a sale or a contact
    iso = text.str.extract(_ISO)[0]
    year = pd.to_numeric(iso.str[:4], errors="coerce")
    iso = iso.where(year.between(1900, 2200))
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")


def _date(s: pd.Series, periods: bool) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        s = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s
        # a Parquet date beyond what a timestamp holds (9999-12-31) is out of range
        s = s.where((s.dt.year >= 1900) & (s.dt.year <= 2200))
        return s.astype("datetime64[ns]")
    return _on_uniques(s, lambda u: _parse_dates(u, periods)).astype("datetime64[ns]")


_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}


def _yesno(s: pd.Series) -> pd.Series:
    def one(v: object) -> object:
        if isinstance(v, bool):
            return v
        t = str(v).strip().lower()
        if t.endswith(".0"):
            t = t[:-2]
        return True if t in _YES else False if t in _NO else None

    return s.map(one).astype(object)


def _parse_column(
    df: pd.DataFrame,
    col: Column,
    table: str,
    source: str,
    decimal: str,
    out: Collector,
    coded: dict | None = None,
    filled: dict | None = None,
) -> pd.Series:
    """One column parsed to its kind; a required value missing, a value that cannot be
    read and one outside its range are errors, named with their rows. How many rows hold
    a value once parsed goes into ``filled`` (a text column's blanks are counted here
    already: millions of rows are not looked at again)."""
    s = df[col.name]
    distinct = _Distinct.of(s) if _is_text(s) else None
    blank = _blank(s, distinct)
    if filled is not None and col.kind == "text":  # blank, or not: a text keeps its value
        filled[col.name] = int(len(blank) - np.count_nonzero(blank.to_numpy()))
    if col.required and blank.any():
        rows = df.index[blank]
        out.add(
            ERROR,
            table,
            source,
            col.name,
            "have no value",
            f"Fix: fill in {col.name} ({col.kind_help}) or remove those rows.",
            "stops the run",
            rows=rows,
        )
    if col.kind == "text":
        return _parse_text(df, col, distinct or _Distinct.of(s), table, source, out, coded)
    parsed, what, fix = _parse_typed(s, col, decimal)
    bad = parsed.isna() & ~blank
    if bad.any():
        out.add(
            ERROR,
            table,
            source,
            col.name,
            what,
            fix,
            "stops the run",
            rows=df.index[bad],
            values=s[bad],
        )
    limits = {"rating": (1, 5), "score10": (0, 10), "probability": (0, 1)}.get(col.kind)
    if limits:
        lo, hi = limits
        outside = parsed.notna() & ((parsed < lo) | (parsed > hi))
        if outside.any():
            out.add(
                ERROR,
                table,
                source,
                col.name,
                f"are outside {lo}-{hi}",
                f"Fix: {col.name} is a {col.kind_help}; correct or blank those values.",
                "stops the run",
                rows=df.index[outside],
                values=s[outside],
            )
    return parsed


def _parse_text(
    df: pd.DataFrame, col: Column, d: _Distinct, table: str, source: str, out: Collector,
    coded: dict | None = None,
) -> pd.Series:  # fmt: skip
    """A text column, trimmed: ids padded with spaces are said; names with direction
    controls are isolated, and very long ones said (each checked once per distinct value).
    An id column's distinct values and codes go into ``coded`` (for the references)."""
    clean_u = _clean_text(d.values)
    if col.name.endswith("_id"):
        # ids are matched trimmed; the data owner hears which ones carried spaces
        raw_u = d.values.astype("string")
        padded_u = (raw_u != raw_u.str.strip()) & clean_u.notna().to_numpy()
        padded = d.rows(padded_u.fillna(False).to_numpy(bool))
        if padded.any():
            out.add(
                WARNING,
                table,
                source,
                col.name,
                "have spaces before or after the id",
                "They are matched without the spaces; remove them at the source.",
                "trimmed",
                rows=df.index[padded],
                values=df[col.name][padded],
            )
        if coded is not None:
            coded[col.name] = _Distinct(d.codes, clean_u)
        return d.take(clean_u, df.index)
    clean_u = _isolate_bidi(clean_u, d, df.index, table, source, col.name, out)
    if col.name.endswith("name"):
        _say_long(clean_u, d, df.index, table, source, col.name, out)
    if coded is not None:
        coded[col.name] = _Distinct(d.codes, clean_u)
    return d.take(clean_u, df.index)


def _parse_typed(s: pd.Series, col: Column, decimal: str) -> tuple[pd.Series, str, str]:
    """A date, number, yes/no or choice column parsed (NaN/NaT/None where unreadable),
    with what an unreadable value is called and how to fix it."""
    kind = col.kind
    if kind in {"date", "period"}:
        fix = (
            "Fix: write dates as YYYY-MM-DD"
            + (" or months as YYYY-MM" if kind == "period" else "")
            + " (e.g. 2026-09-30); an open end such as 9999-12-31 is no date: leave it "
            "out or give the real one."
        )
        what = "have a date that cannot be read or lies outside 1900-2200"
        return _date(s, periods=kind == "period"), what, fix
    if kind in {"number", "rating", "score10", "probability"}:
        if kind == "probability" and not pd.api.types.is_numeric_dtype(s):
            text = s.astype("string").str.strip()
            pct = text.str.fullmatch(r"[+-]?\d+(\.\d+)?\s*%").fillna(False)
            parsed = _number(s.where(~pct, text.str.rstrip("% ")), decimal)
            parsed = parsed.where(~pct, parsed / 100)
        else:
            parsed = _number(s, decimal)
        sep = "a decimal comma" if decimal == "," else "a decimal point"
        fix = (
            f"Fix: write plain numbers with {sep} and no thousands separators or currency "
            "symbols (e.g. 18250.5), or set 'decimal' in the config."
        )
        return parsed, "have a number that cannot be read", fix
    if kind == "yesno":
        return _yesno(s), "are neither yes nor no", "Fix: write yes or no."
    if kind == "choice":
        lower = _text(s).map(lambda v: v.lower() if isinstance(v, str) else v)
        parsed = lower.where(lower.isin(col.choices), None)
        return (
            parsed,
            "have a value that is not allowed",
            f"Fix: use one of {', '.join(col.choices)}.",
        )
    raise AssertionError(kind)  # pragma: no cover - schema and parser are kept in step by tests


def _match_columns(
    df: pd.DataFrame, spec: Table, source: str, mapping: dict, out: Collector
) -> pd.DataFrame | None:
    client_map = {norm(k): v for k, v in (mapping.get(spec.name) or {}).items()}
    unknown_targets = [v for v in client_map.values() if v not in spec.column_names]
    if unknown_targets:
        raise ConfigError(
            f"mapping.columns.{spec.name} maps to unknown column(s) {', '.join(unknown_targets)}."
            f" Columns of {spec.name}: {', '.join(spec.column_names)}."
        )
    ours = {norm(c): c for c in spec.column_names}
    rename: dict[str, str] = {}
    for col in df.columns:
        target = client_map.get(norm(col)) or ours.get(norm(col))
        if target is None:
            continue
        if target in rename.values():
            first = next(k for k, v in rename.items() if v == target)
            out.add(
                ERROR,
                spec.name,
                source,
                col,
                f"and column '{first}' are both '{target}'",
                "Fix: delete or rename one of them.",
                "stops the run",
            )
            return None
        rename[col] = target
    extra = [c for c in df.columns if c not in rename]
    if extra:
        out.add(
            INFO,
            spec.name,
            source,
            "",
            f"has columns the workbook does not use: {', '.join(map(str, extra))}",
            "They are ignored; map them in the config "
            "(mapping.columns) if one is a known column under another name.",
            "ignored",
        )
    missing = [c for c in spec.required_columns if c not in rename.values()]
    if missing:
        for m in missing:
            out.add(
                ERROR,
                spec.name,
                source,
                m,
                "required column is missing",
                f"Columns found: {', '.join(map(str, df.columns)) or 'none'}.{_closest(m, extra)}"
                f" Fix: add the column or map the client's name to '{m}' in the config "
                "(mapping.columns).",
                "stops the run",
            )
        return None
    return df[list(rename)].rename(columns=rename)


def _check_keys(df: pd.DataFrame, spec: Table, source: str, out: Collector) -> None:
    if not spec.key:
        return
    key = list(spec.key)
    present = df[key].notna().all(axis=1)
    dup = df[present].duplicated(key, keep=False)
    if dup.any():
        d = df[present][dup]
        groups = d.groupby(key, sort=False).apply(lambda g: list(g.index), include_groups=False)
        keys = [
            f"{k if isinstance(k, str) else '/'.join(map(str, k))} in rows "
            f"{', '.join(map(str, rows))}"
            for k, rows in groups.items()
        ]
        out.add(
            ERROR,
            spec.name,
            source,
            "/".join(key),
            f"duplicate {'/'.join(key)} values (each must be unique)",
            "Fix: keep one row per key, or merge the rows.",
            "stops the run",
            keys=keys,
        )


def _check_references(
    tables: dict[str, pd.DataFrame],
    sources: dict[str, str],
    out: Collector,
    coded: dict[str, _Distinct] | None = None,
) -> None:
    """Rows for accounts the accounts table does not hold; ``coded``: a table's account
    ids as read (distinct values and a code per row), checked once per distinct id."""
    if "accounts" not in tables:
        return
    # the accounts' ids hashed once for every table's distinct ids
    known = pd.Index(tables["accounts"]["account_id"].dropna().unique(), dtype=object)
    for name, df in list(tables.items()):
        if name == "accounts" or "account_id" not in df.columns or df.empty:
            continue
        unknown = _unknown_ids(df["account_id"], known, (coded or {}).get(name))
        if not unknown.any():
            continue
        rows = df.index[unknown]
        ids = df.loc[unknown, "account_id"]
        n_ids = ids.nunique()
        if name == "revenue":
            out.add(
                ERROR,
                name,
                sources[name],
                "account_id",
                f"are for {n_ids} account id(s) not in the accounts table",
                "Fix: add the accounts to the accounts table, or correct the ids.",
                "stops the run",
                rows=rows,
                values=ids,
            )
        else:
            out.add(
                WARNING,
                name,
                sources[name],
                "account_id",
                f"are for {n_ids} account id(s) not in the accounts table",
                "These rows are left out of the analysis; add the accounts or correct the "
                "ids to include them.",
                "rows left out",
                rows=rows,
                values=ids,
            )
            tables[name] = df[~unknown]
            if coded and name in coded:  # the codes of the rows kept
                coded[name] = _Distinct(coded[name].codes[~unknown.to_numpy()], coded[name].values)
    acc = tables["accounts"]
    if "parent_id" in acc.columns:
        orphan = acc["parent_id"].notna() & ~acc["parent_id"].isin(known)
        if orphan.any():
            out.add(
                WARNING,
                "accounts",
                sources["accounts"],
                "parent_id",
                "name a parent that is not itself in the accounts table",
                "The group is kept under its id, without a name; add the parent account "
                "to name it.",
                "kept",
                rows=acc.index[orphan],
                values=acc.loc[orphan, "parent_id"],
            )


def _unknown_ids(s: pd.Series, known: pd.Index, coded: _Distinct | None) -> pd.Series:
    """Per row of ``s``: an id that is not in ``known`` (a missing id is not unknown)."""
    if coded is None or len(coded.codes) != len(s):
        return s.notna() & ~s.isin(known)
    values = coded.values
    per_value = values.notna().to_numpy() & (known.get_indexer(values) < 0)
    return pd.Series(coded.rows(per_value), index=s.index)


def _parent_cycles(parent: pd.Series) -> list[str]:
    """Accounts whose chain of parents comes back to itself (A -> B -> A).

    Examples
    --------
    >>> _parent_cycles(pd.Series({"A": "B", "B": "A", "C": "A", "D": None}))
    ['A', 'B']
    """
    up = parent.dropna().to_dict()
    cyclic = set()
    for start in up:
        seen, node = [], start
        while node in up and node not in seen:
            seen.append(node)
            node = up[node]
        if node in seen:
            cyclic.update(seen[seen.index(node) :])
    return sorted(cyclic)


def _check_accounts(
    tables: dict[str, pd.DataFrame], sources: dict[str, str], out: Collector
) -> None:
    acc = tables.get("accounts")
    if acc is None or acc.empty:
        return
    if "estimated_wallet" in acc.columns:
        neg = acc["estimated_wallet"] < 0
        if neg.any():
            out.add(
                WARNING,
                "accounts",
                sources["accounts"],
                "estimated_wallet",
                "are negative: a wallet is a spend, never below zero",
                "Left out of share of wallet and headroom; correct or clear them.",
                "left out",
                rows=acc.index[neg],
                values=acc.loc[neg, "estimated_wallet"],
            )
            # a new frame, not one changed in place: what the pack keeps derived from the
            # table read (its counts of values) stays true of the frame it was counted on
            acc = tables["accounts"] = acc.assign(
                estimated_wallet=acc["estimated_wallet"].where(~neg)
            )
    if "parent_id" in acc.columns:
        cycle = _parent_cycles(pd.Series(acc["parent_id"].to_numpy(), index=acc["account_id"]))
        if cycle:
            out.add(
                WARNING,
                "accounts",
                sources["accounts"],
                "parent_id",
                (
                    "1 account is its own parent"
                    if len(cycle) == 1
                    else f"{len(cycle)} accounts form loops of parents: following each one's "
                    "parents leads back to itself"
                ),
                "Fix the parent_id of one account in each loop; until then group roll-up "
                "treats each of them as its own group.",
                "no roll-up",
                rows=None,
                keys=cycle,
            )
            loop = acc["account_id"].isin(cycle).to_numpy()
            tables["accounts"] = acc.assign(parent_id=acc["parent_id"].where(~loop, None))


def _check_values(
    tables: dict[str, pd.DataFrame],
    sources: dict[str, str],
    out: Collector,
    coded: dict[str, _Distinct] | None = None,
) -> None:
    """Values that are readable but suspicious: accounts (duplicates and the like),
    revenue amounts, and activities without a unit cost (``coded``: the tables' account
    ids as read)."""
    _check_accounts(tables, sources, out)
    rev = tables.get("revenue")
    if rev is not None and not rev.empty and "amount" in rev.columns:
        _check_amounts(rev, sources["revenue"], out, (coded or {}).get("revenue"))
    act, rates = tables.get("activities"), tables.get("activity_rates")
    if act is not None and rates is not None and not act.empty and not rates.empty:
        unpriced = ~act["activity"].isin(set(rates["activity"]))
        if unpriced.any():
            names = sorted(act.loc[unpriced, "activity"].dropna().unique())
            out.add(
                WARNING,
                "activities",
                sources["activities"],
                "activity",
                f"have an activity with no unit cost in activity_rates ({', '.join(names)})",
                "They carry no cost-to-serve; add their unit cost to activity_rates or to "
                "the config.",
                "no cost",
                rows=act.index[unpriced],
            )


def _largest_by_account(rev: pd.DataFrame, coded: _Distinct | None) -> pd.Series:
    """Each account's largest amount; ``coded``: the table's account ids as read, so that
    millions of lines are grouped by an integer code, not by their text."""
    if coded is None or len(coded.codes) != len(rev):
        return rev.groupby("account_id")["amount"].max()
    codes, amount = coded.codes, rev["amount"].to_numpy(dtype=float, na_value=np.nan)
    has = (codes >= 0) & ~np.isnan(amount)  # no id: no account; no amount: none to compare
    largest = np.full(len(coded.values), -np.inf)
    np.fmax.at(largest, codes[has], amount[has])  # per code, at C speed
    seen = np.zeros(len(coded.values), dtype=bool)
    seen[codes[has]] = True
    per_code = pd.Series(largest[seen], index=coded.values.to_numpy()[seen])
    return per_code.groupby(level=0).max().rename_axis("account_id")  # two spellings: one id


def _check_amounts(
    rev: pd.DataFrame, source: str, out: Collector, coded: _Distinct | None = None
) -> None:
    """Negative, credit-only and zero amounts, and list amounts below the net amount."""
    neg = rev["amount"] < 0
    if neg.any():
        out.add(
            WARNING,
            "revenue",
            source,
            "amount",
            "are negative",
            "Kept as credit notes; check they are not sign errors.",
            "kept",
            rows=rev.index[neg],
            values=rev.loc[neg, "amount"],
        )
    credit_only = _largest_by_account(rev, coded) < 0
    if credit_only.any():
        ids = sorted(credit_only.index[credit_only])
        out.add(
            WARNING,
            "revenue",
            source,
            "amount",
            f"{len(ids)} account{' has' if len(ids) == 1 else 's have'} only negative "
            "amounts (credit-only)",
            "Kept: their revenue is negative; check that invoices are not missing.",
            "kept",
            rows=None,
            keys=ids,
        )
    zero = rev["amount"] == 0
    if zero.any():
        out.add(
            WARNING,
            "revenue",
            source,
            "amount",
            "are zero",
            "Kept; they do not change any total.",
            "kept",
            rows=rev.index[zero],
        )
    if "list_amount" in rev.columns:
        below = (rev["amount"] > 0) & (rev["list_amount"] < rev["amount"] - 0.005)
        if below.any():
            out.add(
                WARNING,
                "revenue",
                source,
                "list_amount",
                "have a list amount below the net amount (a negative discount)",
                "Kept; check the list prices.",
                "kept",
                rows=rev.index[below],
                values=rev.loc[below, "list_amount"],
            )


def read_datapack(
    path: str | Path, mapping: dict | None = None, decimal: str = ".", examples: int = 5,
    store: spill.Store | None = None,
) -> DataPack:  # fmt: skip
    """Read and validate a pack; never raises for bad data, returns every finding.

    Parameters
    ----------
    path : folder of CSV/Parquet files, or an Excel workbook.
    mapping : ``{"tables": {table: client name}, "columns": {table: {client col: col}}}``.
    decimal : ``"."`` or ``","``, for numbers written as text.
    examples : how many example rows a finding names.
    store : where a large table's numbers and codes are kept, mapped from files, as
        each is parsed (:mod:`~kamlib.core.spill`); None: all in memory.
    """
    mapping = mapping or {}
    out = Collector(examples)
    path = Path(path)
    unknown = [t for t in (mapping.get("tables") or {}) if t not in TABLES] + [
        t for t in (mapping.get("columns") or {}) if t not in TABLES
    ]
    if unknown:
        raise ConfigError(
            f"mapping names unknown table(s) {', '.join(unknown)}."
            f"{_closest(unknown[0], TABLES)} Tables: {', '.join(TABLES)}."
        )
    form, found, seen = _detect(path, mapping.get("tables") or {}, out)
    pack = DataPack(path=path, form=form)
    ids: dict[str, _Distinct] = {}  # each table's account ids, coded
    for name, spec in TABLES.items():
        if name in found:
            _read_table(pack, name, spec, found[name], (mapping, decimal, store), out, ids)
        elif spec.required and form in {"csv", "parquet", "mixed", "excel"}:
            out.add(
                ERROR,
                name,
                path.name,
                "",
                f"required table '{name}' is missing",
                f"Found: {', '.join(seen) or 'nothing'}."
                f"{_closest(name, [Path(n).stem for n in seen])} Fix: add "
                f"{name}.csv (or a sheet '{name}'), or map the client's name in the config "
                "(mapping.tables).",
                "stops the run",
            )
    _check_references(pack.tables, pack.sources, out, ids)
    _check_values(pack.tables, pack.sources, out, ids)
    _keep_account_lines(pack, ids, store)
    pack.findings = out.findings
    return pack


def _keep_account_lines(
    pack: DataPack, coded: dict[str, _Distinct], store: spill.Store | None = None
) -> None:
    """Each table's account ids as the reading coded them, kept as the pack's
    :meth:`DataPack.account_lines` (a position per line: no id looked up again)."""
    acc = pack.tables.get("accounts")
    index = pd.Index(acc["account_id"]) if acc is not None else None
    if index is None or not index.is_unique:
        return
    for name, d in coded.items():
        lines = pack.tables.get(name)
        if lines is None or len(d.codes) != len(lines):
            continue
        where = index.get_indexer(d.values)
        at = np.where(d.codes >= 0, where[np.maximum(d.codes, 0)] if len(where) else -1, -1)
        at = spill.keep(store, at.astype(np.int32))  # int32: half the memory
        pack.derived(f"{ACCOUNT_LINES}{name}", ("accounts", name), lambda *_, at=at: at)


def _read_table(
    pack: DataPack,
    name: str,
    spec: Table,
    where: tuple[Path, str],
    how: tuple[dict, str, spill.Store | None],
    out: Collector,
    ids: dict | None = None,
) -> None:
    """One table read from its file or sheet, its columns matched and parsed, its keys
    checked, into ``pack``; left out (with its findings) when it cannot be used. Its
    account ids, coded, go into ``ids``. ``how``: the mapping, the decimal mark and where
    a large table's columns are kept (each as it is parsed, its raw column let go)."""
    file, sheet = where
    source = f"{file.name}, sheet '{sheet}'" if sheet else file.name
    df: pd.DataFrame | _Columns | None
    if file.stat().st_size == 0:
        df = pd.DataFrame()
    elif sheet:
        df = _read_excel(file, sheet, name, source, out)
    elif FORMS[file.suffix.lower()] == "csv":
        df = _read_csv(file, source, name, out)
    else:
        df = _read_parquet(file, name, source, out)
    try:
        _parse_table(pack, df, spec, source, how, out, ids)
    except _Unreadable as exc:  # a damaged Parquet column: the table is left out
        _unreadable_parquet(exc.exc, name, source, out)


def _parse_table(
    pack: DataPack,
    df: pd.DataFrame | _Columns | None,
    spec: Table,
    source: str,
    how: tuple[dict, str, spill.Store | None],
    out: Collector,
    ids: dict | None,
) -> None:
    """:func:`_read_table` once the table's raw columns are at hand (``df``)."""
    mapping, decimal, store = how
    name = spec.name
    if df is not None:
        df = _drop_repeated_headers(df, name, source, out)
    if df is None:
        return
    if df.empty:
        out.add(
            ERROR if spec.required else WARNING,
            name,
            source,
            "",
            "is empty (no data rows)",
            "Fix: export the table again with its rows."
            if spec.required
            else "It is treated as absent; deliver its rows to use it.",
            "stops the run" if spec.required else "treated as absent",
        )
        return
    matched = _match_columns(df, spec, source, mapping.get("columns") or {}, out)
    del df  # the columns matched are the only ones kept
    if matched is None:
        return
    parsed = pd.DataFrame(index=matched.index)
    coded: dict[str, _Distinct] = {}
    filled: dict[str, int] = {}
    for col in spec.columns:
        if col.name in matched.columns:
            raw = matched[col.name].to_frame() if isinstance(matched, _Columns) else matched
            s = _parse_column(raw, col, name, source, decimal, out, coded, filled)
            matched = matched.drop(columns=col.name)  # the raw column, let go
            as_codes = coded.get(col.name) if name in CODED_TABLES else None
            parsed[col.name] = _kept(s, as_codes, store)
            del raw, s
    del matched
    _check_keys(parsed, spec, source, out)
    if ids is not None and "account_id" in coded:
        ids[name] = coded.pop("account_id")
    pack.tables[name] = parsed
    pack.sources[name] = source
    pack.count_filled(name, filled)
    for column, d in coded.items():  # what the reading coded: kept with the table
        _keep_codes(pack, name, column, d, store)


#: The tables whose texts a large pack keeps as categories (:func:`_kept`): the lines,
#: tens of millions of them for a large client. The others' texts stay texts.
CODED_TABLES = ("revenue", "activities")


def _kept(s: pd.Series, d: _Distinct | None, store: spill.Store | None) -> pd.Series:
    """A parsed column as the pack keeps it. A large table's (``SPILL_ROWS`` lines, and a
    store) is kept in files: its numbers and dates mapped from one; the texts of the
    lines (:data:`CODED_TABLES`: ids, products, activities, ``d`` as the reading coded
    them) as categories, their distinct values in memory and a code per line mapped from
    a file, not a pointer per line in memory. A small table's, in memory as parsed."""
    if store is None or len(s) < spill.SPILL_ROWS:
        return s
    if d is not None:
        coded = _categories(d, store)
        return s if coded is None else pd.Series(coded, s.index, name=s.name, copy=False)
    values = s.to_numpy()
    kept = spill.keep(store, values)
    return s if kept is values else pd.Series(kept, s.index, name=s.name, copy=False)


def _categories(d: _Distinct, store: spill.Store) -> pd.Categorical | None:
    """A text column as categories in sorted order (so that sorting and grouping by it
    order as its texts do), one per distinct value as cleaned, and its codes mapped from
    ``store``; None when its values do not sort (mixed kinds) or the store cannot keep them.

    Examples
    --------
    >>> import tempfile
    >>> store = spill.Store(Path(tempfile.mkdtemp()))
    >>> d = _Distinct(np.array([0, 1, -1, 2, 0]), pd.Series(["b", "a", " b"]).str.strip())
    >>> c = _categories(d, store)
    >>> list(c.categories), c.codes.tolist(), spill.where(c.codes) is not None
    (['a', 'b'], [1, 0, -1, 1, 1], True)
    >>> store.close()
    """
    per_value, values = pd.factorize(d.values, use_na_sentinel=True)
    distinct = np.asarray(values, dtype=object)
    try:
        order = np.argsort(distinct, kind="stable")
    except TypeError:  # texts and numbers mixed: they have no order
        return None
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order], rank[-1] = np.arange(len(order)), -1  # the last: no value
    n = len(distinct)  # the code type pandas gives so many categories (it would copy another)
    kind = np.int8 if n < 127 else np.int16 if n < 32767 else np.int32
    codes = store.put(rank.astype(kind)[np.append(per_value, -1)][d.codes])
    if spill.where(codes) is None:
        return None
    categories = pd.Index(distinct[order], dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


#: The most distinct values of a text column whose codes the reading keeps (products,
#: activities, stages: a few; an invoice number per line is not worth the memory)
KEEP_CODES = 2**15 - 1


def _keep_codes(
    pack: DataPack, table: str, column: str, d: _Distinct, store: spill.Store | None = None
) -> None:
    """A text column's codes as read, kept as its :meth:`DataPack.text_codes`: one code
    per value as cleaned (two spellings of one product, " IoT" and "IoT", are one)."""
    per_value, values = pd.factorize(d.values, use_na_sentinel=True)
    if len(values) > KEEP_CODES:
        return
    codes = spill.keep(store, _small(np.append(per_value, -1))[d.codes])
    kept = (codes, np.asarray(values, dtype=object))
    pack.derived(f"{TEXT_CODES}{table}:{column}", (table,), lambda _df: kept)


def load_datapack(
    path: str | Path, mapping: dict | None = None, decimal: str = ".", examples: int = 5,
    store: spill.Store | None = None,
) -> DataPack:  # fmt: skip
    """Read a pack and raise :class:`DataPackError` listing every error, if there is any."""
    pack = read_datapack(path, mapping, decimal, examples, store)
    if pack.errors:
        raise DataPackError(pack.errors, source=str(path))
    return pack
