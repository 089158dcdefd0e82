"""A large client's line tables kept in files, mapped: the same pack, not held in memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import EXAMPLE
from kamlib.core import cache, spill
from kamlib.core.config import load_config
from kamlib.core.frames import plain
from kamlib.intake.datapack import ACCOUNT_LINES, CODED_TABLES, TEXT_CODES
from kamlib.intake.engagement import read_pack, shared_pack


@pytest.fixture
def every_column(monkeypatch):
    """Every table counts as large: each of its number and code columns goes to a file."""
    monkeypatch.setattr(spill, "SPILL_ROWS", 1)


def _derived(pack) -> dict:
    """The codes and positions the reading keeps with the pack, by kind."""
    return {k: v[1] for k, v in pack._derived.items() if k.startswith((ACCOUNT_LINES, TEXT_CODES))}


def test_a_pack_read_into_files_is_the_pack_read_into_memory(tmp_path, every_column):
    config = load_config(str(EXAMPLE))
    held = read_pack(config)
    store = spill.Store(tmp_path / "reports")
    kept = read_pack(config, store=store)
    assert kept.tables.keys() == held.tables.keys() and kept.findings == held.findings
    for name, df in held.tables.items():
        got = kept.tables[name]
        pd.testing.assert_frame_equal(plain(got), df, check_exact=True)  # the same values
        for column in df.columns:
            values = got[column].array
            if isinstance(values, pd.Categorical):  # the lines' texts: a code per line
                assert name in CODED_TABLES and df[column].dtype == object, (name, column)
                assert spill.where(values.codes) is not None
                assert list(values.categories) == sorted(df[column].dropna().unique())
                continue
            numbers = values.to_numpy()
            mapped = spill.where(numbers) is not None
            assert mapped == (numbers.dtype != object), (name, column)  # numbers and dates
            assert name not in CODED_TABLES or numbers.dtype != object, (name, column)
    rev = kept.tables["revenue"]
    assert rev["amount"].sum() == held.tables["revenue"]["amount"].sum()
    assert kept.account_lines("revenue") is not None
    codes = _derived(kept)
    assert codes.keys() == _derived(held).keys()
    for kind, value in _derived(held).items():
        got = codes[kind]
        if isinstance(value, tuple):  # a text column's codes and its values
            assert spill.where(got[0]) is not None and got[0].tolist() == value[0].tolist()
            assert got[1].tolist() == value[1].tolist()
        else:  # each line's account, as a position
            assert spill.where(got) is not None and got.tolist() == value.tolist()
    assert len(list(store.folder.iterdir())) == store._count  # a file per column kept
    store.close()
    assert not (tmp_path / "reports").exists()  # made for the store, removed with it


def test_a_mapped_column_is_never_changed_in_place(tmp_path, every_column):
    store = spill.Store(tmp_path)
    kept = read_pack(load_config(str(EXAMPLE)), store=store)
    amount = kept.tables["revenue"]["amount"]
    with pytest.raises(ValueError, match="read-only"):
        amount.to_numpy()[0] = 1.0  # what the file holds is what every process reads
    changed = kept.tables["revenue"].assign(amount=amount * 2)  # a new frame: in memory
    assert spill.where(changed["amount"].to_numpy()) is None
    assert changed["amount"].iloc[0] == 2 * amount.iloc[0]


def test_the_kernel_is_handed_the_files_not_their_bytes(tmp_path, every_column):
    """The pack saved for the kernels names each mapped column's file; a kernel (another
    process) maps the same files and reads the same numbers."""
    config = load_config(str(EXAMPLE))
    store = spill.Store(tmp_path / "store")
    pack = read_pack(config, store=store)
    rev = pack.tables["revenue"]
    numbers = int(sum(rev[c].to_numpy().nbytes for c in ("amount", "date")))
    with shared_pack(config, pack, tmp_path) as path:
        by_value = tmp_path / "by-value.pickle"
        cache.save(by_value, "k", pack)
        assert path.stat().st_size < by_value.stat().st_size - numbers  # not their bytes
        code = (
            "import sys, pickle\n"
            "from kamlib.core import spill\n"
            "with open(sys.argv[1], 'rb') as f:\n"
            "    pickle.load(f); pack = pickle.load(f)\n"
            "rev = pack.tables['revenue']\n"
            "print(spill.where(rev['amount'].to_numpy()) is not None, repr(rev['amount'].sum()),"
            " rev['date'].max().date(), pack.account_lines('revenue').sum())\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        ).stdout.split()
    want = [True, repr(rev["amount"].sum()), str(rev["date"].max().date())]
    assert out == [*map(str, want), str(pack.account_lines("revenue").sum())]
    store.close()


def test_a_column_that_cannot_be_written_stays_in_memory(tmp_path, every_column):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    store = spill.Store(blocked / "reports")
    pack = read_pack(load_config(str(EXAMPLE)), store=store)
    assert store.full and spill.where(pack.tables["revenue"]["amount"].to_numpy()) is None
    assert pack.tables["revenue"]["amount"].notna().all()
    store.close()


def test_small_tables_stay_in_memory_and_need_no_folder(tmp_path):
    store = spill.Store(tmp_path / "reports")
    pack = read_pack(load_config(str(EXAMPLE)), store=store)  # 3,344 lines: well below
    assert store.folder is None and spill.where(pack.tables["revenue"]["amount"].to_numpy()) is None
    store.close()
    assert not (tmp_path / "reports").exists()


def test_a_killed_runs_store_is_removed_by_the_next_run(tmp_path):
    dead = tmp_path / f"{spill.FOLDER_PREFIX}{2**22 + 7}-abc"  # beyond any process number
    dead.mkdir()
    (dead / "1.bin").write_bytes(b"\0" * 8)
    mine = spill.Store(tmp_path)
    mine.put(np.arange(3.0))
    assert spill.stale(tmp_path) == [dead]  # a running process's store is never stale
    mine.close()


def test_an_array_is_found_in_its_file_only_while_it_is_mapped(tmp_path):
    store = spill.Store(tmp_path)
    mapped = store.put(np.arange(10, dtype=np.int64))
    path, offset = spill.where(mapped[4:])
    assert Path(path).read_bytes()[offset : offset + 8] == np.int64(4).tobytes()
    assert spill.where(mapped[::2]) is None  # not one after another: pickled by value
    assert spill.where(np.arange(10, dtype=np.int64)) is None
    before = spill.mapped_bytes()
    del mapped, path
    import gc

    gc.collect()
    assert spill.mapped_bytes() == before - 80  # released: its addresses are no longer its
    store.close()
