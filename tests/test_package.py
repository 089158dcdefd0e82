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


def _kamlib_imports(path) -> set[str]:
    """The kamlib modules a source file imports (relative imports resolved)."""
    import ast
    from pathlib import Path

    root = Path(kamlib.__file__).parent
    package = ["kamlib", *path.resolve().parent.relative_to(root).parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("kamlib"):
                names = [f"{mod}.{a.name}" for a in node.names] if not node.module else [mod]
                found.update(names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kamlib"))
    return found


def test_the_core_imports_nothing_above_it():
    """Layers: ``kamlib.core`` (errors, formats, periods, paths, settings, the Excel
    writer) is used by every other part and uses none of them."""
    from pathlib import Path

    core = Path(kamlib.__file__).parent / "core"
    for path in sorted(core.glob("*.py")):
        above = {m for m in _kamlib_imports(path) if not m.startswith("kamlib.core")}
        assert not above, f"{path.name} imports {sorted(above)}"
