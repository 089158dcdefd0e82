"""The engagement loader, and the pack and plan book handed from process to process."""

from __future__ import annotations

import os
import pickle
import shutil

from conftest import EXAMPLE
from kamlib.core import cache
from kamlib.core.config import load_config
from kamlib.intake.engagement import open_engagement, read_pack, shared_pack


def test_the_runners_pack_is_used_only_while_its_files_are_unchanged(tmp_path):
    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    config = load_config(str(eng))
    pack = read_pack(config)
    full = len(pack.tables["accounts"])
    pack.tables["accounts"] = pack.tables["accounts"].head(3)  # tells the shared one apart
    with shared_pack(config, pack, tmp_path) as path:
        assert path == tmp_path / ".pack.pickle" and path.is_file()
        assert len(open_engagement(str(eng), cache=path).pack.tables["accounts"]) == 3
        assert len(open_engagement(str(eng)).pack.tables["accounts"]) == full  # not given
        unchecked = open_engagement(str(eng), strict=False, cache=path)
        assert len(unchecked.pack.tables["accounts"]) == full  # kam validate reads afresh
        stat = config.data.stat()  # the client sends a new version of a file
        os.utime(config.data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert len(open_engagement(str(eng), cache=path).pack.tables["accounts"]) == full
    assert not path.exists()


def test_a_pack_that_cannot_be_shared_is_read_by_each_notebook(tmp_path):
    config = load_config(str(EXAMPLE))
    pack = read_pack(config)
    with shared_pack(config, pack, tmp_path / "no" / "such" / "folder") as path:
        assert path is None
        assert len(open_engagement(str(EXAMPLE), cache="").pack.tables["accounts"]) == 40


def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path):
    junk = tmp_path / "junk.pickle"
    junk.write_bytes(b"not a pickle")
    assert cache.load(junk, "k") is None
    other = tmp_path / "other.pickle"
    cache.save(other, "another key", "value")
    assert cache.load(other, "k") is None and cache.load(other, "another key") == "value"
    earlier = tmp_path / "earlier.pickle"  # an earlier version's file: key and value as one
    earlier.write_bytes(pickle.dumps(("k", "value")))
    assert cache.load(earlier, "k") is None
    assert len(open_engagement(str(EXAMPLE), cache=junk).pack.tables["accounts"]) == 40


def test_the_plan_book_is_computed_once_per_inputs_and_handed_over_by_file(tmp_path):
    from kamlib.method import plan_book

    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    cache.forget()
    book = plan_book.open_book(str(eng))
    assert plan_book.open_book(str(eng)) is book  # the same process: kept
    book.notes = [*book.notes, "saved by the batch"]  # tells the saved one apart
    saved = plan_book.save_book(book, tmp_path / "book.pickle")
    cache.forget()
    from_file = plan_book.open_book(str(eng), cache=str(saved))
    assert from_file is not book and from_file.notes[-1] == "saved by the batch"
    cache.forget()
    (eng / "engagement.yml").write_text((eng / "engagement.yml").read_text() + "\n# edited\n")
    rebuilt = plan_book.open_book(str(eng), cache=str(saved))  # stale: computed again
    assert "saved by the batch" not in rebuilt.notes
    cache.forget()


def _a_run(tmp_path):
    """An engagement (a copy of the example), a run folder, and the run's shared pack
    (a context manager: the file the kernels are handed)."""
    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    config = load_config(str(eng))
    run = tmp_path / "run"
    run.mkdir()
    return eng, run, shared_pack(config, read_pack(config), run)


def test_the_kernels_of_a_run_share_the_segmentation_and_the_run_removes_it(tmp_path):
    """A run's first kernel computes the segmentation and saves it beside the pack; the
    later kernels read it while the pack and the settings are unchanged; outside a run
    (no cache) it is always computed; the run removes the file at its end."""
    from kamlib.method import segmentation as sg

    eng, run, shared = _a_run(tmp_path)
    saved = run / ".step-segmentation.pickle"
    with shared as path:
        first = open_engagement(str(eng), cache=path)
        assert first.run_folder == run
        seg = sg.segment(first)
        assert saved.is_file()
        with saved.open("rb") as f:  # the key, then the value
            key, marked = pickle.load(f), pickle.load(f)
        marked.recommendation = {"marked": True}  # tells the saved one apart
        cache.save(saved, key, marked)
        # the same kernel keeps its own; a later kernel (nothing in memory) reads the file
        assert sg.segment(open_engagement(str(eng), cache=path)) is seg
        cache.forget()
        again = sg.segment(open_engagement(str(eng), cache=path))
        assert again.recommendation == {"marked": True}
        assert again.accounts.equals(seg.accounts)
        other_date = sg.segment(open_engagement(str(eng), as_of="2026-06-30", cache=path))
        assert other_date.recommendation != {"marked": True}  # another date: computed
        by_hand = open_engagement(str(eng))
        assert by_hand.run_folder is None and sg.segment(by_hand).recommendation == (
            seg.recommendation
        )
    assert not saved.exists() and not (run / ".pack.pickle").exists()


def test_the_run_computes_the_service_model_once_for_steps_2_and_3(tmp_path):
    """Step 2's kernel saves the service model beside the pack; step 3's reads it (it
    needs the packages and their costs) rather than computing it again; a model asked
    for another segmentation than the engagement's own is computed, never read."""
    from kamlib.method import profitability as pf
    from kamlib.method import segmentation as sg
    from kamlib.method import service_model as sm

    eng, run, shared = _a_run(tmp_path)
    saved = run / ".step-service_model.pickle"
    with shared as path:
        model = sm.analyse(open_engagement(str(eng), cache=path))
        assert saved.is_file()
        with saved.open("rb") as f:
            key, marked = pickle.load(f), pickle.load(f)
        marked.notes = ["marked"]
        cache.save(saved, key, marked)
        cache.forget()  # step 3 in a kernel of its own: from the file
        step3 = open_engagement(str(eng), cache=path)
        assert sm.analyse(step3).notes == ["marked"]
        assert pf.analyse(step3).table.equals(pf.analyse(step3, sg.segment(step3), model).table)
        assert sm.analyse(step3, sg.segment(step3)).notes == model.notes  # given: computed
    assert not saved.exists()
