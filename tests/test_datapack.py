"""Loading, matching, mapping and validation of the data pack (DATAPACK.md)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import accounts_frame, revenue_frame, write_csvs
from kamlib.core.errors import ConfigError, DataPackError
from kamlib.intake.datapack import load_datapack, norm, read_datapack


def errors_of(pack):
    return [f.message for f in pack.errors]


def test_minimal_pack_loads_with_types(pack_dir):
    pack = load_datapack(pack_dir)
    rev = pack["revenue"]
    assert pack.form == "csv"
    assert rev["amount"].tolist() == [100.5, 200.0, 50.0, 10.0]
    assert rev["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-01-01",
        "2026-02-01",
        "2026-01-15",
        "2025-12-01",
    ]
    # the index is the row number in the file: header is row 1
    assert rev.index.tolist() == [2, 3, 4, 5]
    assert not pack.has("activities")


def test_names_match_ignoring_case_spaces_dashes_underscores(tmp_path):
    acc = accounts_frame().rename(
        columns={"account_id": "Account ID", "account_name": "account-name"}
    )
    write_csvs(tmp_path / "p", {"Accounts": acc, "REVENUE": revenue_frame()})
    pack = load_datapack(tmp_path / "p")
    assert list(pack["accounts"].columns[:2]) == ["account_id", "account_name"]
    assert norm(" Account_ID-x ") == "accountidx"


def test_config_mapping_of_sheets_and_columns(tmp_path):
    acc = accounts_frame().rename(columns={"account_id": "Customer No", "account_name": "Name"})
    rev = revenue_frame().rename(columns={"account_id": "Customer No", "amount": "Net Sales"})
    write_csvs(tmp_path / "p", {"Customers": acc, "Sales": rev})
    mapping = {
        "tables": {"accounts": "Customers", "revenue": "Sales"},
        "columns": {
            "accounts": {"Customer No": "account_id", "Name": "account_name"},
            "revenue": {"Customer No": "account_id", "Net Sales": "amount"},
        },
    }
    pack = load_datapack(tmp_path / "p", mapping=mapping)
    assert pack["revenue"]["amount"].sum() == pytest.approx(360.5)


def test_mapping_to_unknown_column_is_a_config_error(tmp_path, pack_dir):
    with pytest.raises(ConfigError, match="unknown column"):
        read_datapack(pack_dir, mapping={"columns": {"accounts": {"Nr": "acount_id"}}})
    with pytest.raises(ConfigError, match="closest is 'accounts'"):
        read_datapack(pack_dir, mapping={"tables": {"acounts": "X"}})


def test_missing_required_table_names_what_was_found(tmp_path):
    write_csvs(tmp_path / "p", {"accounts": accounts_frame(), "revenu": revenue_frame()})
    with pytest.raises(DataPackError) as e:
        load_datapack(tmp_path / "p")
    msg = str(e.value)
    assert "required table 'revenue' is missing" in msg
    assert "revenu.csv" in msg and "closest is 'revenu'" in msg


def test_missing_required_column_lists_columns_and_closest(tmp_path):
    rev = revenue_frame().rename(columns={"amount": "amonut"})
    write_csvs(tmp_path / "p", {"accounts": accounts_frame(), "revenue": rev})
    (msg,) = errors_of(read_datapack(tmp_path / "p"))
    assert msg.startswith("revenue.csv, column 'amount': required column is missing")
    assert "Columns found: account_id, date, amonut" in msg
    assert "closest is 'amonut'" in msg


def test_duplicate_account_ids_name_keys_and_rows(tmp_path):
    acc = pd.concat([accounts_frame(), accounts_frame().iloc[[1]]])
    write_csvs(tmp_path / "p", {"accounts": acc, "revenue": revenue_frame()})
    (msg,) = errors_of(read_datapack(tmp_path / "p"))
    assert "accounts.csv, column 'account_id'" in msg
    assert "duplicate account_id" in msg
    assert "A2 in rows 3, 5" in msg


def test_revenue_for_unknown_account_is_an_error_with_rows(tmp_path):
    rev = pd.concat(
        [
            revenue_frame(),
            pd.DataFrame({"account_id": ["ZZ9"], "date": ["2026-01"], "amount": ["5"]}),
        ]
    )
    write_csvs(tmp_path / "p", {"accounts": accounts_frame(), "revenue": rev})
    (msg,) = errors_of(read_datapack(tmp_path / "p"))
    assert msg.startswith(
        "revenue.csv, column 'account_id': 1 row is for 1 account id(s) not in "
        "the accounts table (row 6: 'ZZ9')"
    )


def test_unknown_account_in_optional_table_is_a_warning_and_rows_are_left_out(pack_dir):
    write_csvs(
        pack_dir,
        {
            "churn": pd.DataFrame(
                {"account_id": ["A1", "NOPE"], "date": ["2026-01-31", "2026-02-28"]}
            )
        },
    )
    pack = read_datapack(pack_dir)
    assert not pack.errors
    (w,) = [f for f in pack.warnings if f.table == "churn"]
    assert w.rows == 1 and w.examples == ("3: 'NOPE'",)
    assert pack["churn"]["account_id"].tolist() == ["A1"]


def test_unparseable_dates_and_numbers_name_rows_and_values(tmp_path):
    rev = revenue_frame()
    rev.loc[1, "date"] = "31/02/2026"
    rev.loc[2, "amount"] = "1,234.50"
    write_csvs(tmp_path / "p", {"accounts": accounts_frame(), "revenue": rev})
    msgs = errors_of(read_datapack(tmp_path / "p"))
    assert any(
        m.startswith(
            "revenue.csv, column 'date': 1 row has a date that cannot be read or lies outside "
            "1900-2200 (row 3: '31/02/2026')"
        )
        and "YYYY-MM-DD" in m
        for m in msgs
    )
    assert any(
        m.startswith(
            "revenue.csv, column 'amount': 1 row has a number that cannot be "
            "read (row 4: '1,234.50')"
        )
        for m in msgs
    )


def test_decimal_comma_is_read_when_the_config_says_so(tmp_path):
    rev = revenue_frame()
    rev["amount"] = ["100,5", "200", "50", "10,25"]
    write_csvs(tmp_path / "p", {"accounts": accounts_frame(), "revenue": rev})
    pack = load_datapack(tmp_path / "p", decimal=",")
    assert pack["revenue"]["amount"].tolist() == [100.5, 200.0, 50.0, 10.25]


def test_semicolon_separated_csv_is_read(tmp_path):
    p = tmp_path / "p"
    write_csvs(p, {"revenue": revenue_frame()})
    accounts_frame().to_csv(p / "accounts.csv", index=False, sep=";")
    assert len(load_datapack(p)["accounts"]) == 3


def test_ratings_out_of_range_and_bad_choices(pack_dir):
    acc = accounts_frame().assign(loyalty=[1, 6, 3], buyer_orientation=["Price", "loyal", ""])
    write_csvs(pack_dir, {"accounts": acc})
    msgs = errors_of(read_datapack(pack_dir))
    assert any("column 'loyalty': 1 row is outside 1-5 (row 3: '6')" in m for m in msgs)
    assert any(
        "column 'buyer_orientation': 1 row has a value that is not allowed (row 3: "
        "'loyal'). Fix: use one of price, loyalty." in m
        for m in msgs
    )
    assert len(msgs) == 2  # "Price" matches case-insensitively; blank is allowed


def test_probability_accepts_percent_text_and_yes_no(pack_dir):
    write_csvs(
        pack_dir,
        {
            "opportunities": pd.DataFrame(
                {
                    "account_id": ["A1", "A2"],
                    "opportunity_id": ["O1", "O2"],
                    "amount": [10, 20],
                    "status": ["open", "Won"],
                    "probability": ["60%", "0.25"],
                }
            ),
            "contacts": pd.DataFrame(
                {"account_id": ["A1", "A1"], "name": ["X", "Y"], "senior": ["yes", "N"]}
            ),
        },
    )
    pack = load_datapack(pack_dir)
    assert pack["opportunities"]["probability"].tolist() == [0.6, 0.25]
    assert pack["opportunities"]["status"].tolist() == ["open", "won"]
    assert pack["contacts"]["senior"].tolist() == [True, False]


def test_empty_files(pack_dir):
    (pack_dir / "surveys.csv").write_text("")
    pack = read_datapack(pack_dir)
    assert not pack.errors
    (w,) = [f for f in pack.warnings if f.table == "surveys"]
    assert "surveys.csv: is empty" in w.message and w.action == "treated as absent"
    (pack_dir / "accounts.csv").write_text("account_id,account_name\n")
    (msg,) = errors_of(read_datapack(pack_dir))
    assert msg.startswith("accounts.csv: is empty (no data rows)")


def test_files_that_are_not_what_their_name_says(pack_dir, tmp_path):
    (pack_dir / "surveys.csv").write_bytes(b"\x00\x01\x02PK\x00binary")
    msgs = errors_of(read_datapack(pack_dir))
    assert msgs == [
        "surveys.csv: is not a text (CSV) file. Fix: export the table from its system "
        "as CSV (comma or semicolon separated)."
    ]
    bad = tmp_path / "pack.xlsx"
    bad.write_text("not a zip")
    (msg,) = errors_of(read_datapack(bad))
    assert msg.startswith("pack.xlsx: is not a readable Excel workbook")
    (pack_dir / "surveys.csv").unlink()
    (pack_dir / "churn.parquet").write_text("nope")
    (msg,) = errors_of(read_datapack(pack_dir))
    assert msg.startswith("churn.parquet: is not a readable Parquet file")


def test_a_damaged_parquet_column_leaves_its_table_out_with_one_error(pack_dir):
    """Parquet columns are read one at a time: a column whose pages are damaged, read
    after the others, still gives the file's error (not a traceback) and no table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    churn = pd.DataFrame({"account_id": ["A1"] * 500, "date": ["2026-01-31"] * 500,
                          "reason": [f"moved {i}" for i in range(500)]})  # fmt: skip
    file = pack_dir / "churn.parquet"
    pq.write_table(pa.Table.from_pandas(churn), file, compression="snappy")
    good = read_datapack(pack_dir)
    assert len(good.tables["churn"]) == 500 and good.tables["churn"]["reason"].iloc[-1] == (
        "moved 499"
    )
    chunk = pq.ParquetFile(file).metadata.row_group(0).column(2)  # reason
    at = chunk.dictionary_page_offset or chunk.data_page_offset
    raw = bytearray(file.read_bytes())
    raw[at + 30 : at + 300] = b"\xff" * 270
    file.write_bytes(bytes(raw))
    pack = read_datapack(pack_dir)
    (msg,) = errors_of(pack)
    assert msg.startswith("churn.parquet: is not a readable Parquet file (OSError)")
    assert "churn" not in pack.tables


def test_the_index_pandas_stores_in_a_parquet_file_is_not_a_column(pack_dir):
    """A frame filtered before ``to_parquet`` keeps its row labels in the file (pandas'
    ``__index_level_0__``): they are not the client's column, and the rows are numbered
    from 1 as in every other file."""
    churn = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "date": ["2026-01-31"] * 3})
    churn.iloc[[0, 2]].to_parquet(pack_dir / "churn.parquet")
    pack = read_datapack(pack_dir)
    assert list(pack.tables["churn"]["account_id"]) == ["A1", "A3"]
    assert list(pack.tables["churn"].index) == [1, 2]
    assert not [f for f in pack.findings if f.table == "churn"]


def test_missing_path_is_one_clear_error(tmp_path):
    (msg,) = errors_of(read_datapack(tmp_path / "nowhere"))
    assert "does not exist" in msg and "Fix: set 'data'" in msg


def test_parquet_and_excel_forms_give_the_same_tables(tmp_path, pack_dir):
    from kamlib.intake.form import write_pack

    csv = load_datapack(pack_dir)
    tables = {"accounts": accounts_frame(), "revenue": revenue_frame()}
    pq = load_datapack(write_pack(tables, tmp_path / "pq", "parquet"))
    xl = load_datapack(write_pack(tables, tmp_path / "pack.xlsx", "excel"))
    assert pq.form == "parquet" and xl.form == "excel"
    for other in (pq, xl):
        pd.testing.assert_series_equal(
            other["revenue"]["amount"].reset_index(drop=True),
            csv["revenue"]["amount"].reset_index(drop=True),
        )
        assert other["accounts"]["account_id"].tolist() == ["A1", "A2", "A3"]
    # Excel rows are numbered as Excel shows them: header 1, notes 2, data from 3
    assert xl["accounts"].index.tolist() == [3, 4, 5]


def test_excel_ids_stored_as_numbers_stay_text(tmp_path):
    from kamlib.intake.form import write_pack

    acc = accounts_frame().assign(account_id=[1001, 1002, 1003])
    rev = revenue_frame().assign(account_id=[1001, 1001, 1002, 1003])
    pack = load_datapack(
        write_pack({"accounts": acc, "revenue": rev}, tmp_path / "x.xlsx", "excel")
    )
    assert pack["accounts"]["account_id"].tolist() == ["1001", "1002", "1003"]


def test_credit_notes_are_kept_with_a_warning(pack_dir):
    rev = revenue_frame()
    rev.loc[3, "amount"] = "-10"
    write_csvs(pack_dir, {"revenue": rev})
    pack = load_datapack(pack_dir)
    negative, credit_only = pack.warnings  # A3's only invoice is the credit note
    assert "1 row is negative (row 5: '-10.0')" in negative.message
    assert "1 account has only negative amounts (credit-only) (A3)" in credit_only.message
    assert pack["revenue"]["amount"].sum() == pytest.approx(340.5)


def test_an_open_ended_date_is_a_finding_naming_the_row_not_a_crash(tmp_path):
    rev = revenue_frame()
    rev.loc[1, "date"] = "9999-12-31"
    write_csvs(tmp_path / "p", {"accounts": accounts_frame(), "revenue": rev})
    msgs = errors_of(read_datapack(tmp_path / "p"))
    assert any("outside 1900-2200 (row 3: '9999-12-31')" in m and "open end" in m for m in msgs)
    # the same date in a Parquet file, where it is a timestamp beyond what pandas holds
    rev = revenue_frame().assign(
        date=pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-15", "2025-12-01"])
    )
    rev["date"] = rev["date"].astype("datetime64[us]")
    rev.loc[1, "date"] = pd.Timestamp("9999-12-31").as_unit("us")
    (tmp_path / "q").mkdir()
    accounts_frame().to_parquet(tmp_path / "q" / "accounts.parquet")
    rev.to_parquet(tmp_path / "q" / "revenue.parquet")
    msgs = errors_of(read_datapack(tmp_path / "q"))
    assert any("column 'date': 1 row has a date" in m for m in msgs)


def test_data_that_should_not_pass_silently_is_named(tmp_path):
    """Spaces around ids, a negative wallet, a loop of parents, a credit-only account and
    rows of separators only: each a finding naming rows or keys, and what is done."""
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        "account_id,account_name,parent_id,estimated_wallet\n"
        "A ,Alpha,B,-5\nB,Beta,A,100\nC,Gamma,,\n",
        encoding="utf-8",
    )
    (folder / "revenue.csv").write_text(
        "account_id,date,amount\nA,2026-01-15,100\nB,2026-02-01,-5\nB,2026-03-01,-7\n"
        "C,2026-01-01,3\n,,\n,,\n",
        encoding="utf-8",
    )
    pack = read_datapack(folder)
    text = "\n".join(f.message for f in pack.findings)
    assert "1 row has spaces before or after the id (row 2: 'A ')" in text
    assert "1 row is negative: a wallet is a spend" in text
    assert (
        "2 accounts form loops of parents: following each one's parents leads back to itself"
        in text
        and "(A; B)" in text
    )
    assert "1 account has only negative amounts (credit-only) (B)" in text
    assert "2 rows are empty (separators only) (rows 6, 7)" in text
    assert not pack.errors  # the empty lines no longer make a valid file fail
    acc = pack["accounts"].set_index("account_id")
    assert pd.isna(acc.loc["A", "estimated_wallet"]) and pd.isna(acc.loc["A", "parent_id"])
    # the values the reading counted (text columns: while parsing) are those the tables
    # hold after the checks cleared some: a wallet, the parents in a loop, blank rows
    for name, table in pack.tables.items():
        assert pack.filled(name).to_dict() == table.notna().sum().to_dict(), name
    assert pack.filled("accounts")[["estimated_wallet", "parent_id"]].tolist() == [1, 0]
    assert not pack.has("accounts", "parent_id")


def test_utf16_and_a_workbook_named_csv_and_repeated_headers(tmp_path):
    # Excel's "Unicode text": UTF-16 with a byte-order mark, read as such
    p = tmp_path / "utf16"
    p.mkdir()
    (p / "accounts.csv").write_bytes("account_id,account_name\nA1,Ærø AG\n".encode("utf-16"))
    (p / "revenue.csv").write_text("account_id,date,amount\nA1,2026-01,5\n", encoding="utf-8")
    pack = read_datapack(p)
    assert not pack.errors and pack["accounts"]["account_name"].tolist() == ["Ærø AG"]
    # an xlsx renamed to .csv is named for what it is
    w = tmp_path / "renamed"
    w.mkdir()
    pd.DataFrame({"account_id": ["A1"], "account_name": ["A"]}).to_excel(
        w / "accounts.csv", index=False, engine="openpyxl"
    )
    (w / "revenue.csv").write_text("account_id,date,amount\nA1,2026-01,5\n", encoding="utf-8")
    assert any(
        "is an Excel workbook (xlsx) with a .csv name" in m for m in errors_of(read_datapack(w))
    )
    # the same header twice: the same values are one column; different values stop the run
    d = tmp_path / "dup"
    d.mkdir()
    (d / "accounts.csv").write_text("account_id,account_name\nA1,Alpha\n", encoding="utf-8")
    (d / "revenue.csv").write_text(
        "account_id,date,amount,amount\nA1,2026-01,5,7\n", encoding="utf-8"
    )
    msgs = errors_of(read_datapack(d))
    assert any("column 'amount'" in m and "header used twice, with different values" in m
               for m in msgs)  # fmt: skip
    (d / "revenue.csv").write_text(
        "account_id,date,amount,amount\nA1,2026-01,5,5\n", encoding="utf-8"
    )
    pack = read_datapack(d)
    assert not pack.errors and pack["revenue"]["amount"].tolist() == [5.0]
    assert any("header used twice; the two columns hold the same values" in f.message
               for f in pack.findings)  # fmt: skip


def test_every_line_longer_than_the_header_is_named(tmp_path):
    folder = tmp_path / "rag"
    folder.mkdir()
    (folder / "accounts.csv").write_text(
        'account_id,account_name\nA1,Alpha\nA2,Beta,GmbH\nA3,"Gamma, Delta"\nA4,x,y,z\n'
        "A5,Eps,\n",  # a trailing separator alone is no extra field
        encoding="utf-8",
    )
    (folder / "revenue.csv").write_text("account_id,date,amount\nA1,2026-01,5\n", encoding="utf-8")
    (msg,) = errors_of(read_datapack(folder))
    assert msg.startswith(
        "accounts.csv: 2 rows have more fields than the header's 2 (account_id, account_name) "
        "(rows 3, 5). Fix: a value holding the separator (,) must be in double quotes"
    )
    # garbage from line 2 on: its real first line is named, not pandas' "line 115"
    (folder / "accounts.csv").write_text(
        "a,b,c,d\n" + "".join(f"x{i},1,2,3,4,5,6\n" for i in range(200)), encoding="utf-8"
    )
    (msg,) = errors_of(read_datapack(folder))
    assert "200 rows have more fields than the header's 4 (a, b, c, d) (rows 2, 3, 4" in msg
    assert "Most lines do not match the header: is this the table's export at all?" in msg
    # every line ending in a separator (some exports): read, columns not shifted
    (folder / "accounts.csv").write_text(
        "account_id,account_name\nA1,Alpha,\nA2,Beta,\n", encoding="utf-8"
    )
    pack = read_datapack(folder)
    assert not pack.errors
    assert pack["accounts"]["account_name"].tolist() == ["Alpha", "Beta"]


def test_direction_controls_are_isolated_and_long_names_said(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    long = "N" + "x" * 300
    (folder / "accounts.csv").write_text(
        f"account_id,account_name\nA1,\u202eNord AG\nA2,{long}\nA3,Café ☕ GmbH\n", encoding="utf-8"
    )
    (folder / "revenue.csv").write_text("account_id,date,amount\nA1,2026-01,5\n", encoding="utf-8")
    pack = read_datapack(folder)
    names = pack["accounts"]["account_name"].tolist()
    assert names == ["\u2068\u202eNord AG\u2069", long, "Café ☕ GmbH"]  # long kept whole
    text = "\n".join(f.message for f in pack.findings)
    assert (
        "1 row has invisible direction controls (such as a right-to-left override) (row 2)" in text
    )
    assert "1 row is longer than 200 characters (row 3). The reports show them shortened" in text


def test_a_parquet_pack_is_checked_as_its_csv_is(tmp_path):
    """Parquet's text columns are read as distinct values and codes: the ids checked once
    per distinct value (spaces, unknown ids, credit-only accounts) find the same rows as
    in the CSV (numbered from 1 in Parquet, from 2 under a CSV's header)."""
    csv = tmp_path / "csv"
    csv.mkdir()
    (csv / "accounts.csv").write_text(
        "account_id,account_name\nA,Alpha\nB,Beta\nC,Gamma\n", encoding="utf-8"
    )
    (csv / "revenue.csv").write_text(
        "account_id,date,amount\nA,2026-01-15,100\nB,2026-02-01,-5\nB ,2026-03-01,-7\n"
        "C,2026-01-01,3\nZ,2026-01-01,4\nC,2026-02-01,-1\n",
        encoding="utf-8",
    )
    (csv / "activities.csv").write_text(
        "account_id,date,activity,quantity\nA,2026-01-15,visit,1\nY,2026-01-15,visit,2\n",
        encoding="utf-8",
    )
    pq = tmp_path / "pq"
    pq.mkdir()
    for f in csv.glob("*.csv"):
        pd.read_csv(f, dtype=str).to_parquet(pq / f"{f.stem}.parquet")
    found = {}
    for form, folder in (("csv", csv), ("parquet", pq)):
        pack = read_datapack(folder)
        found[form] = [f.message.replace(f".{form}", "") for f in pack.findings]
        assert [len(t) for t in pack.tables.values()] == [3, 6, 1]  # Y's activity left out
        # where each line's account is, as read: 'B ' is B, Z is none, Y's line is gone
        assert pack.account_lines("revenue").tolist() == [0, 1, 1, 2, -1, 2]
        assert pack.account_lines("activities").tolist() == [0]
        assert pack.lines_of("revenue", pd.Index(["B", "Z"])).tolist() == [0, 1, 1, 0, 0, 0]
    one_on = [re.sub(r"\b(\d+)(?=: ')", lambda m: str(int(m[1]) + 1), f) for f in found["parquet"]]
    assert one_on == found["csv"]
    text = "\n".join(found["parquet"])
    assert "1 row has spaces before or after the id (row 3: 'B ')" in text
    assert "1 account has only negative amounts (credit-only) (B)" in text  # B and 'B '
    assert "1 row is for 1 account id(s) not in the accounts table (row 5: 'Z')" in text
    assert "(row 2: 'Y')" in text


def test_a_text_columns_codes_are_kept_as_read_one_per_value_as_cleaned(tmp_path):
    """The reading keeps each few-valued text column's codes (a product, an activity):
    two spellings that clean to one value are one code, a missing value is -1, and a
    table the checks replace is coded again from its own rows."""
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,account_name\nA,Alpha\nB,Beta\n")
    (folder / "revenue.csv").write_text(
        "account_id,date,amount,product\nA,2026-01-15,100,IoT\nB,2026-01-15,100, IoT\n"
        "A,2026-02-15,5,\nB,2026-02-15,7,Mobile\nA,2026-01-15,100,IoT \n"
    )
    (folder / "activities.csv").write_text(
        "account_id,date,activity,quantity\nA,2026-01-15,visit,1\nZ,2026-01-15,call,2\n"
    )
    pack = read_datapack(folder)
    codes, values = pack.text_codes("revenue", "product")
    assert values.tolist() == ["IoT", "Mobile"] and codes.tolist() == [0, 0, -1, 1, 0]
    # the first line is repeated by the last (its product as cleaned): a duplicate
    from kamlib.intake.checks import analysis_findings

    found = analysis_findings(pack, "2026-02-28", 12, 0.5, 5)
    assert any("duplicates" in f.message and "(row 6)" in f.message for f in found)
    # Z's activity was left out: the table replaced, its codes are its own rows'
    codes, values = pack.text_codes("activities", "activity")
    assert values.tolist() == ["visit"] and codes.tolist() == [0]
