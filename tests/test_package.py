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


#: The rooms of kamlib, lowest first: a module may import its own room and those below.
#: (Modules still directly under kamlib/ stand above them all for now.)
LAYERS = ["core", "intake", "render"]


def test_lower_layers_never_import_higher_ones():
    """``kamlib.core`` (errors, formats, periods, paths, settings, evidence, the Excel
    writer) uses nothing above it; ``kamlib.intake`` (data contract, data pack, intake
    form, plan inputs, demo and scenario packs) uses only the core; ``kamlib.render``
    (HTML and PDF pages) nothing above them."""
    from pathlib import Path

    root = Path(kamlib.__file__).parent
    for i, layer in enumerate(LAYERS):
        allowed = tuple(f"kamlib.{name}" for name in LAYERS[: i + 1])
        for path in sorted((root / layer).glob("*.py")):
            above = {m for m in _kamlib_imports(path) if not m.startswith(allowed)}
            assert not above, f"{layer}/{path.name} imports {sorted(above)}"
