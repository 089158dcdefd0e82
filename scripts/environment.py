"""Write environment.yml for conda users from uv.lock: the same pinned versions that
`make` and CI install (one lock, two ways in). Run by `make environment.yml`; a test
checks that the committed file is what this writes.

usage: python scripts/environment.py [--check]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("test", "authoring")
HEAD = """\
# For conda users: the versions pinned in uv.lock (which `make` and CI install from),
# written by `make environment.yml`; tests/test_package.py checks that the two agree.
# conda env create -f environment.yml && conda activate kam
name: kam
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pango  # the PDF engine (WeasyPrint) draws text with Pango
  - pip:
"""


def uv() -> str:
    found = Path(sys.executable).parent / "uv"
    return str(found) if found.exists() else "uv"


def pins() -> list[str]:
    extras = [a for e in EXTRAS for a in ("--extra", e)]
    out = subprocess.run(
        [uv(), "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project",
         "--no-annotate", "-q", *extras],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [line.strip() for line in out.splitlines() if line.strip()]


def render() -> str:
    lines = [f'      - "{p}"' for p in pins()]
    lines.append(f"      - -e .[{','.join(EXTRAS)}]")
    return HEAD + "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = render()
    target = ROOT / "environment.yml"
    if "--check" in sys.argv:
        sys.exit(0 if target.read_text() == text else 1)
    target.write_text(text)
