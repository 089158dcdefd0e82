"""Hostile names: a client or account name is text wherever it lands (HTML, CSS, SVG,
Markdown, file names), never markup that runs."""

from __future__ import annotations

import html.parser
import json
import subprocess

import pytest

from kamlib.intake.form import write_pack
from kamlib.intake.scenarios import Scenario, tables
from kamlib.render import chromium
from kamlib.run import runner

#: Each payload marks the page if it ever runs: the test looks for the mark.
PAYLOADS = [
    "</style><script>document.title='PWNED'</script>",
    "</style><svg onload=\"document.body.setAttribute('data-pwned','1')\">",
    "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
    "**bold** $x$ and $y$ _it_ [link](javascript:alert(1))",
    '\\"; } body { background: red } @top-left { content: "',
]


#: Names that must not break a page: 10,000 characters without a space, an unclosed
#: right-to-left override (it would print the id next to it backwards), emoji.
LONG = "Nord" + "x" * 9996
ODD_NAMES = [LONG, "\u202eNord Logistik GmbH", "Café ☕ 🚀 Sternwerk GmbH"]


class _Scan(html.parser.HTMLParser):
    """Collects what could run in a page: script elements, event handlers, js: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.bad.append("<script>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.bad.append(f"{tag} {name}=")
            if value and value.strip().lower().startswith("javascript:"):
                self.bad.append(f"{tag} {name}=javascript:")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A small pack whose client and largest accounts carry the payloads, run through the
    segmentation and the plans."""
    root = tmp_path_factory.mktemp("hostile")
    t = tables(Scenario(accounts=40, months=36))
    acc = t["accounts"]
    top = t["revenue"].groupby("account_id")["amount"].sum().sort_values().index[-len(PAYLOADS) :]
    for aid, payload in zip(top, PAYLOADS, strict=True):
        acc.loc[acc["account_id"] == aid, "account_name"] = f"Nord {payload} GmbH"
    for aid, name in zip(acc["account_id"].iloc[:3], ODD_NAMES, strict=True):
        acc.loc[acc["account_id"] == aid, "account_name"] = name
    write_pack(t, root / "pack", "csv")
    client = json.dumps(f"{PAYLOADS[0]} & Co")  # a YAML double-quoted string
    (root / "engagement.yml").write_text(
        f"client: {client}\nas_of: 2026-09-30\ndata: pack\n"
        "method:\n  programme_start: 2025-10-01\n",
        encoding="utf-8",
    )
    result = runner.run_engagement(
        root,
        runner.RunOptions(
            only=("segmentation", "profitability", "account_plans"), reports=root / "r", pdf=False
        ),
    )
    assert not result.failed_plans
    return result.latest


def test_no_page_holds_markup_that_runs(hostile_run):
    pages = sorted(hostile_run.glob("*.html")) + sorted((hostile_run / "plans").glob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        scan = _Scan()
        scan.feed(page.read_text(encoding="utf-8"))
        assert scan.bad == [], page.name
        assert "PWNED" not in page.read_text(encoding="utf-8").split("<title>")[0]


def test_the_names_are_printed_as_text(hostile_run):
    from kamlib.intake.scenarios import rendered_text

    seg = rendered_text(hostile_run / "01_segmentation.html").replace("\u200b", "")  # wraps
    assert "</style><script>document.title='PWNED'</script>" in seg  # shown, not run
    plans = [p for p in (hostile_run / "plans").glob("*.html") if p.name != "index.html"]
    assert all(not p.name.startswith(".") for p in plans)


@pytest.mark.skipif(chromium.find() is None, reason="no Chromium here")
def test_in_a_browser_no_payload_runs(hostile_run):
    pages = [hostile_run / "01_segmentation.html", hostile_run / "plans" / "index.html"]
    pages += [p for p in (hostile_run / "plans").glob("*.html") if p.name != "index.html"]
    for page in pages:
        dom = subprocess.run(
            [
                chromium.find(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        assert dom, page.name
        assert "<title>PWNED" not in dom and 'data-pwned="1"' not in dom, page.name


def test_odd_names_are_shortened_isolated_and_kept_whole_in_the_workbook(hostile_run):
    from openpyxl import load_workbook

    pages = [hostile_run / "01_segmentation.html", hostile_run / "plans" / "index.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "x" * 100 not in text, page.name  # shortened, with places to wrap
        assert "\u202e" not in text.replace("\u2068\u202eNord Logistik GmbH\u2069", "")
    wb = load_workbook(hostile_run / "01_segmentation.xlsx", read_only=True)
    cells = {c for ws in wb for row in ws.iter_rows(values_only=True) for c in row}
    assert LONG in cells  # the workbook keeps the whole name


def test_an_emoji_font_is_installed():
    """Emoji in a name print as emoji, not as empty boxes (make installs the font)."""
    found = subprocess.run(
        ["fc-list", ":charset=1f680", "family"], capture_output=True, text=True
    ).stdout
    assert found.strip(), "no font with emoji: scripts/bootstrap.sh installs fonts-noto-color-emoji"
