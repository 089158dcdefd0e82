"""Scenario packs: the demo client cut to look like the data real clients deliver.

Real packs differ from the demo in ways that make a report state false things when the
code does not notice: a short history, no cost of goods, no activities, another
currency, thousands of tiny consumer-like accounts, a programme that started before the
data or has not started yet. :func:`write_scenario` writes such a pack (CSV) and its
engagement config from generator parameters, so tests and benchmarks can run every step
on the whole matrix without any client file.

Examples
--------
>>> s = Scenario(months=13, cost=False, currency="USD")
>>> s.name
'm13-usd-nocost'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from .demo import generate

#: Optional inputs a scenario can leave out, and what leaving them out removes.
OPTIONAL = {
    "cost": ("revenue", ["cost"]),
    "list_amount": ("revenue", ["list_amount"]),
    "products": ("revenue", ["product"]),
    "wallet": ("accounts", ["estimated_wallet"]),
    "ratings": (
        "accounts",
        [
            "market_leadership",
            "innovation_leadership",
            "strategic_fit",
            "loyalty",
            "information_sharing",
            "engagement",
            "buyer_orientation",
        ],
    ),
    "activities": ("activities", None),
    "service_ratings": ("service_ratings", None),
    "surveys": ("surveys", None),
    "contacts": ("contacts", None),
    "opportunities": ("opportunities", None),
}
#: Where ``programme_start`` lies against the data: before its first month, inside it
#: (a year before the as-of date, as in the demo), or after the last period end.
PROGRAMME = ("before", "inside", "after")


@dataclass(frozen=True)
class Scenario:
    """One synthetic pack: the demo client with these differences."""

    accounts: int = 40
    months: int = 36
    currency: str = "EUR"
    tiny: bool = False  # consumer-like: every amount divided by 500
    programme: str = "inside"
    cost: bool = True
    list_amount: bool = True
    products: bool = True
    wallet: bool = True
    ratings: bool = True
    activities: bool = True
    service_ratings: bool = True
    surveys: bool = True
    contacts: bool = True
    opportunities: bool = True
    assumed_margin: float | None = None  # the consultant's stated gross margin, no cost
    seed: int = 7
    as_of: str = "2026-09-30"

    @property
    def name(self) -> str:
        """A short folder name saying how the scenario differs from the demo."""
        parts = [f"m{self.months}", self.currency.lower()]
        if self.accounts != 40:
            parts.append(f"a{self.accounts}")
        if self.tiny:
            parts.append("tiny")
        if self.programme != "inside":
            parts.append(f"prog-{self.programme}")
        if self.assumed_margin is not None:
            parts.append(f"gm{round(self.assumed_margin * 100)}")
        parts += [f"no{f.name.replace('_', '')}" for f in fields(self) if f.name in OPTIONAL
                  and not getattr(self, f.name)]  # fmt: skip
        return "-".join(parts)

    def programme_start(self) -> str:
        as_of = pd.Timestamp(self.as_of)
        first = (as_of.to_period("M") - (self.months - 1)).to_timestamp()
        if self.programme == "before":
            when = first - pd.DateOffset(months=6)
        elif self.programme == "after":
            when = as_of + pd.DateOffset(days=1)
        else:  # a year before the as-of date, as in the demo; mid-data when that is earlier
            when = as_of - pd.DateOffset(years=1) + pd.DateOffset(days=1)
            if when <= first:
                when = first + pd.DateOffset(months=self.months // 2)
        return f"{when:%Y-%m-%d}"


def tables(s: Scenario) -> dict[str, pd.DataFrame]:
    """The scenario's data pack as a dict of tables."""
    if s.programme not in PROGRAMME:
        raise ValueError(f"programme must be one of {PROGRAMME}")
    t = generate(accounts=s.accounts, seed=s.seed, as_of=s.as_of)
    first = (pd.Timestamp(s.as_of).to_period("M") - (s.months - 1)).to_timestamp()
    dated = {"revenue": "date", "activities": "date", "service_ratings": "date",
             "surveys": "date", "opportunities": "created", "churn": "date"}  # fmt: skip
    for name, col in dated.items():
        if name in t and col in t[name].columns:
            d = pd.to_datetime(t[name][col].astype(str), format="mixed")
            t[name] = t[name][d >= first].reset_index(drop=True)
    if s.tiny:
        amounts = {"revenue": ["amount", "list_amount", "cost"],
                   "accounts": ["estimated_wallet"], "opportunities": ["amount"]}  # fmt: skip
        for name, amount_cols in amounts.items():
            for c in amount_cols:
                if c in t[name].columns:
                    t[name][c] = (t[name][c] / 500).round(2)
    for flag, (table, cols) in OPTIONAL.items():
        if getattr(s, flag):
            continue
        if cols is None:
            t.pop(table, None)
            if table == "activities":
                t.pop("activity_rates", None)
        else:
            t[table] = t[table].drop(columns=[c for c in cols if c in t[table].columns])
    return t


def write_scenario(s: Scenario, folder: Path) -> Path:
    """Write the scenario's pack (CSV) and ``engagement.yml`` into ``folder``; returns it."""
    from ..core.paths import CONFIG_NAME
    from .form import write_pack

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_pack(tables(s), folder / "pack", "csv")
    (folder / CONFIG_NAME).write_text(
        f"client: Scenario {s.name}\n"
        "engagement: Key account management review\n"
        f"currency: {s.currency}\n"
        f"as_of: {s.as_of}\n"
        "data: pack\n"
        "method:\n"
        f"  programme_start: {s.programme_start()}\n"
        + (
            f"  segmentation:\n    assumed_gross_margin: {s.assumed_margin}\n"
            if s.assumed_margin is not None
            else ""
        ),
        encoding="utf-8",
    )
    return folder


# --- what every deliverable of a scenario must hold -------------------------------------

_MONEY0 = r"(?:€|\$|£|[A-Z]{3} )0(?![\d.,])"
_COST_WORDS = (
    r"(?i:gross profit|net contribution|cost-to-serve|cost of goods|gross margin|net margin)"
)


def rendered_text(path: Path) -> str:
    """The text a reader sees in an HTML deliverable (no markup, styles or scripts)."""
    import html as _html
    import re

    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    text = _html.unescape(re.sub(r"<[^>]+>", " ", raw))
    return re.sub(r"\s+", " ", text)


def empty_sections(path: Path) -> list[str]:
    """Headings of an HTML deliverable with nothing under them before the next heading."""
    import html as _html
    import re

    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<(style|script)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    raw = re.sub(r'<a class="anchor-link".*?</a>', " ", raw, flags=re.S)
    heads = list(re.finditer(r"<h([23])\b[^>]*>(.*?)</h\1>", raw, flags=re.S))
    out = []
    for h, nxt in zip(heads, [*heads[1:], None], strict=True):
        body = raw[h.end() : nxt.start() if nxt else len(raw)]
        if nxt is not None and int(nxt.group(1)) > int(h.group(1)):
            continue  # a sub-heading follows: its section holds the content
        has_picture = re.search(r"<(img|svg)\b", body) is not None
        words = re.sub(r"<[^>]+>", " ", body).strip()
        if not has_picture and not words:
            out.append(_html.unescape(re.sub(r"<[^>]+>", "", h.group(2))).strip())
    return out


def check_deliverables(run: Path, s: Scenario) -> list[str]:
    """Every way the deliverables of ``run`` (a run folder of ``s``) state more than the
    data supports; empty when they hold. The invariants of issue "every sentence true":
    currency, Markdown artefacts, partial history, baselines, unknown-as-zero, empty
    sections, a recommendation its own table contradicts, plans for non-key accounts."""
    import re

    run = Path(run)
    problems: list[str] = []
    pages = sorted(run.glob("*.html")) + sorted((run / "plans").glob("*.html"))
    texts = {p.relative_to(run).as_posix(): rendered_text(p) for p in pages}
    for name, text in texts.items():
        if s.currency != "EUR" and ("€" in text or re.search(r"\beuros?\b", text, re.I)):
            problems.append(f"{name}: euros in a {s.currency} engagement")
        if "**" in text or "\\$" in text or "$$" in text:
            problems.append(f"{name}: Markdown or maths artefacts (** or \\$)")
        for bad in ("NaN", "None", " nan "):
            if bad in text:
                problems.append(f"{name}: '{bad.strip()}' in the text")
        if not (s.cost and s.activities):
            # "gross profit ... $0", or "$0 cost-to-serve" in a sentence (not a heading)
            words = _COST_WORDS.replace("(?i:", "(?:")
            hit = re.search(rf"{_COST_WORDS}[^.;\d]{{0,40}}?{_MONEY0}|{_MONEY0}\s+{words}", text)
            if hit:
                problems.append(f"{name}: a missing cost shown as zero: '{hit.group(0)}'")
        if not s.cost and re.search(r"(?:gross|net) margin[^.;]{0,20}?(?:100\.0|0\.0) %", text):
            problems.append(f"{name}: a margin without cost of goods")
        if not s.products and "No whitespace" in text:
            problems.append(f"{name}: 'no whitespace' claimed without product data")
        for head in empty_sections(run / name):
            problems.append(f"{name}: the heading '{head}' has nothing under it")
    review = run / "05_kpi_review.html"
    rag = re.findall(
        r'class="tag(?: short)? tag-rag-(green|amber|red)"', review.read_text(encoding="utf-8")
    )
    if s.programme != "inside" and rag:
        problems.append("05_kpi_review.html: RAG status without a baseline")
    card = _sheet(run / "05_kpi_review.xlsx", "Scorecard")
    annual = {"Account retention", "Gross revenue retention", "Net revenue retention",
              "Revenue growth", "Annual contract value growth"}  # fmt: skip
    if s.months < 36 and card is not None and "Status" in card[0]:
        i, j = card[0].index("KPI (key accounts)"), card[0].index("Status")
        scored = [r[i] for r in card[1:] if r[i] in annual and r[j] in ("green", "amber", "red")]
        if scored:
            problems.append(
                f"05_kpi_review.xlsx: scored without 24 months behind the baseline: {scored}"
            )
    per = _sheet(run / "05_kpi_review.xlsx", "KPIs per period")
    if per is not None and s.months < 24:
        annual_cols = ("Account retention", "Gross revenue retention", "Net revenue retention",
                       "Revenue growth")  # fmt: skip
        cols = [per[0].index(c) for c in annual_cols if c in per[0]]
        if any(r[c] is not None for r in per[1:] for c in cols):
            problems.append("05_kpi_review.xlsx: retention or growth over a partial prior year")
    accounts = _sheet(run / "01_segmentation.xlsx", "Accounts")
    if accounts is not None:
        header = list(accounts[0])
        if s.months < 24 and any(
            r[header.index("Revenue growth")] is not None for r in accounts[1:]
        ):
            problems.append("01_segmentation.xlsx: growth over a partial prior year")
        if not s.cost and any(r[header.index("Gross profit")] is not None for r in accounts[1:]):
            problems.append("01_segmentation.xlsx: gross profit without cost of goods")
        key = sum(1 for r in accounts[1:] if str(r[header.index("Class")]).startswith("Tier"))
        plans = [p for p in (run / "plans").glob("*.html") if p.name != "index.html"]
        if len(plans) != key:
            problems.append(f"plans: {len(plans)} plans for {key} key accounts")
    sweep = _sheet(run / "01_segmentation.xlsx", "Sensitivity")
    if sweep is not None and "Line" in sweep[0]:
        li, pi = sweep[0].index("Line"), sweep[0].index("Covers its cost")
        for r in sweep[1:]:
            if r[li] == "recommended" and r[pi] != "Yes":
                problems.append("01_segmentation.xlsx: the recommended line does not pay")
    if not s.cost:
        prof = _sheet(run / "03_profitability.xlsx", "Accounts")
        if prof is not None:
            names = [c for c in ("Gross profit",) if c in prof[0]]
            gi = prof[0].index(names[0]) if names else None
            if gi is not None and any(r[gi] is not None for r in prof[1:]):
                problems.append("03_profitability.xlsx: gross profit without cost of goods")
    return problems


def _sheet(path: Path, name: str) -> list[tuple] | None:
    from openpyxl import load_workbook

    if not Path(path).is_file():
        return None
    wb = load_workbook(path, read_only=True)
    if name not in wb.sheetnames:
        return None
    rows = [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    return rows
