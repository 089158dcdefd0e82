"""The engagement loader and the pack the runner shares with its notebooks' kernels."""

from __future__ import annotations

import os
import shutil

from conftest import EXAMPLE
from kamlib.core.config import load_config
from kamlib.intake.engagement import PACK_CACHE, open_engagement, read_pack, shared_pack


def test_the_runners_pack_is_used_only_while_its_files_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.delenv(PACK_CACHE, raising=False)
    eng = tmp_path / "example"
    shutil.copytree(EXAMPLE, eng)
    config = load_config(str(eng))
    pack = read_pack(config)
    full = len(pack.tables["accounts"])
    pack.tables["accounts"] = pack.tables["accounts"].head(3)  # tells the shared one apart
    with shared_pack(config, pack, tmp_path) as path:
        assert os.environ[PACK_CACHE] == str(path)
        assert len(open_engagement(str(eng)).pack.tables["accounts"]) == 3
        assert len(open_engagement(str(eng), strict=False).pack.tables["accounts"]) == full
        stat = config.data.stat()  # the client sends a new version of a file
        os.utime(config.data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert len(open_engagement(str(eng)).pack.tables["accounts"]) == full
    assert PACK_CACHE not in os.environ and not path.exists()


def test_a_pack_that_cannot_be_shared_is_read_by_each_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv(PACK_CACHE, raising=False)
    config = load_config(str(EXAMPLE))
    pack = read_pack(config)
    with shared_pack(config, pack, tmp_path / "no" / "such" / "folder") as path:
        assert path is None and PACK_CACHE not in os.environ
        assert len(open_engagement(str(EXAMPLE)).pack.tables["accounts"]) == 40
