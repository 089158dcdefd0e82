"""Redraw the README's thumbnail strip: the decision page (page 2) of each step report
of the demo, from ``reports/demo/latest/`` (run ``make demo`` first).

Uses ``pdftoppm`` (poppler-utils) to draw the page; a maintainer's tool, not part of a run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports" / "demo" / "latest"
OUT = ROOT / "docs" / "img"
STEPS = {
    "00": "00_data_review",
    "01": "01_segmentation",
    "02": "02_service_model",
    "03": "03_profitability",
    "05": "05_kpi_review",
}


def main() -> int:
    if shutil.which("pdftoppm") is None:
        print(
            "thumbnails: pdftoppm is missing; install poppler-utils (apt-get install poppler-utils)"
        )
        return 1
    missing = [s for s in STEPS.values() if not (REPORTS / f"{s}.pdf").exists()]
    if missing:
        print(f"thumbnails: no {', '.join(missing)} PDF in {REPORTS}; run `make demo` first")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for key, name in STEPS.items():
        target = OUT / f"decision-{key}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "2", "-l", "2", "-singlefile",
             str(REPORTS / f"{name}.pdf"), str(target)],
            check=True,
        )  # fmt: skip
        print(f"  {target.relative_to(ROOT)}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
