"""The package as a newcomer meets it: what ``import kamlib`` offers, and a CLI that
answers ``--help`` without loading the analysis stack."""

from __future__ import annotations

import subprocess
import sys

import kamlib


def test_every_exported_name_resolves():
    assert set(kamlib.__all__) == set(kamlib._EXPORTS) | {"fmt"}
    for name in kamlib.__all__:
        assert getattr(kamlib, name) is not None, name


def test_the_cli_starts_without_pandas_or_the_notebook_stack():
    code = (
        "import sys, kamlib.cli; "
        "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'nbconvert', 'papermill') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
