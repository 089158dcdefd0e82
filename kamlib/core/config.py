"""The engagement config: one YAML per engagement, validated on load.

One schema (``SCHEMA``) gives every setting its kind, default (from METHOD.md) and
documentation; it drives validation, the did-you-mean on unknown keys, and the
commented config that ``kam init`` writes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, ParameterError
from .fmt import isolate
from .paths import resolve_engagement
from .settings import Brand, Method, build

REQUIRED = object()


@dataclass(frozen=True)
class Setting:
    kind: str  # str, date, int, number, share, bool, colour, choice, path, list, columns, tables
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    nullable: bool = False
    low: float | None = None


SERVICE_ELEMENTS = [
    "quality of products",
    "logistic service",
    "product development and innovation",
    "variety of the product portfolio",
    "technical support",
    "information and advice",
    "supply chain integration",
    "training",
    "finance",
    "marketing support",
]

SCHEMA: dict[str, Any] = {
    "client": Setting("str", REQUIRED, "Client name, as it appears on every page"),
    "engagement": Setting("str", "Key account management review", "Engagement title on the cover"),
    "currency": Setting(
        "currency",
        "EUR",
        "Currency of every amount in the data pack (one per engagement): its ISO code, "
        "e.g. EUR, USD, GBP, CHF",
    ),
    "as_of": Setting("date", REQUIRED, "End of the analysis: the trailing 12 months end here"),
    "data": Setting(
        "path",
        "datapack.xlsx",
        "The data pack: a folder of CSV or Parquet files, or "
        "one Excel workbook; relative to this file",
    ),
    "decimal": Setting(
        "choice", ".", "Decimal separator in numbers written as text", choices=(".", ",")
    ),
    "mapping": {
        "tables": Setting(
            "tables", {}, "Client's file or sheet name for a table, e.g. accounts: Customers"
        ),
        "columns": Setting(
            "columns",
            {},
            "Client's column names per table, e.g. accounts: {Customer No: account_id}",
        ),
    },
    "method": {
        "trailing_months": Setting(
            "int", 12, "Months in the trailing window of the financial screen", low=1
        ),
        "programme_start": Setting(
            "date", None, "Start of the KAM programme (baseline before it)", nullable=True
        ),
        "churn_inactive_months": Setting(
            "int",
            3,
            "Months without revenue after which a customer "
            "counts as churned (when no churn table says so)",
            low=1,
        ),
        "data_review": {
            "outlier_change": Setting(
                "share",
                0.8,
                "Flag accounts whose trailing revenue moved "
                "more than this share vs the prior period (0.8 = +/-80 %)",
            ),
            "examples": Setting("int", 5, "How many example rows or keys a finding shows", low=1),
        },
        "segmentation": {
            "thresholds": {
                "min_revenue": Setting(
                    "number", None, "Candidates: minimum trailing 12-month revenue", nullable=True
                ),
                "min_gross_profit": Setting(
                    "number", None, "Candidates: minimum trailing gross profit", nullable=True
                ),
                "min_potential": Setting(
                    "number", None, "Candidates: minimum potential (headroom)", nullable=True
                ),
                "revenue_share": Setting(
                    "share",
                    None,
                    "Candidates: the top accounts covering this share of revenue; with no "
                    "threshold set, the recommended line of the sensitivity is used",
                    nullable=True,
                ),
            },
            "tiers": {
                "tier_1": Setting(
                    "list", [0.97, 0.80], "Tier 1: minimum revenue and potential percentile"
                ),
                "tier_2": Setting(
                    "list", [0.90, 0.60], "Tier 2: minimum revenue and potential percentile"
                ),
                "tier_3": Setting(
                    "list", [0.75, 0.40], "Tier 3: minimum revenue and potential percentile"
                ),
                "development": Setting(
                    "list",
                    [0.40, 0.90],
                    "Development track: minimum revenue and potential "
                    "percentile (below the key-account line)",
                ),
                "core": Setting(
                    "share", 0.5, "Non-key customers at or above this revenue percentile are core"
                ),
            },
            "min_score": Setting(
                "number",
                40,
                "Candidates need this compatibility score (0-100) to become key",
                low=0,
            ),
            "manager_cost": Setting(
                "number", 180000, "Fully loaded annual cost of one key account manager", low=0
            ),
            "service_cost": Setting(
                "number",
                25000,
                "Annual cost of the service a key account gets on top of today's, per account "
                "(a planning assumption)",
                low=0,
            ),
            "assumed_gross_margin": Setting(
                "share",
                None,
                "Without cost of goods in the data: the client's typical gross margin, used "
                "(and labelled as assumed) to judge where the key-account model pays; "
                "empty: no line is recommended until cost or a margin is given",
                nullable=True,
            ),
            "weights": {
                "finance": Setting("share", 0.5, "Weight of the financial dimension"),
                "strategy": Setting("share", 0.25, "Weight of strategic compatibility"),
                "attitude": Setting("share", 0.25, "Weight of attitude"),
            },
            "accounts_per_manager": Setting(
                "list", [5, 10], "Key accounts per manager, rule of thumb (low and high)"
            ),
            "roll_up_groups": Setting(
                "bool", False, "Score accounts as groups when parent_id is present"
            ),
        },
        "service_model": {
            "elements": Setting("list", SERVICE_ELEMENTS, "Service elements rated by customers"),
            "min_respondents": Setting(
                "int", 3, "Cells with fewer respondents are greyed out", low=1
            ),
            "include_at": {
                "loyalty": Setting(
                    "number",
                    3.5,
                    "Loyalty buyers: mean importance from which an element is included",
                    low=1,
                ),
                "price": Setting(
                    "number",
                    4.0,
                    "Price buyers: mean importance from which an element is included",
                    low=1,
                ),
            },
            "charge_at": {
                "loyalty": Setting(
                    "number",
                    2.5,
                    "Loyalty buyers: mean importance from which "
                    "an element is offered, charged separately",
                    low=1,
                ),
                "price": Setting(
                    "number",
                    3.0,
                    "Price buyers: mean importance from which an "
                    "element is offered, charged separately",
                    low=1,
                ),
            },
            "loyalty_always": Setting(
                "list",
                [
                    "product development and innovation",
                    "information and advice",
                    "marketing support",
                ],
                "Included for loyalty-oriented segments whatever the ratings (joint innovation, "
                "a contact per function, shared marketing)",
            ),
            "element_activities": Setting(
                "tables",
                {
                    "logistic service": ["field_engineer_dispatch"],
                    "product development and innovation": ["solution_engineering_hour"],
                    "technical support": ["support_ticket"],
                    "information and advice": ["account_manager_visit"],
                    "supply chain integration": ["change_request"],
                    "training": ["training_day"],
                    "marketing support": ["marketing_campaign"],
                },
                "Which cost-to-serve activities deliver each element (for package costs)",
            ),
            "package_overrides": Setting(
                "tables",
                {},
                "Consultant decisions per segment and element, e.g. "
                "'Tier 1 · price-driven': {training: charged}",
            ),
            "affordable_share": Setting(
                "share",
                0.5,
                "A package is affordable when it costs at most this share of "
                "the segment's gross profit per account",
            ),
        },
        "profitability": {
            "target_margin": Setting(
                "share",
                None,
                "Net margin each flagged account should reach; empty: its segment's net margin",
                nullable=True,
            ),
            "price_cut": Setting(
                "share",
                None,
                "Price level (net / list) splitting high from low price; "
                "empty: each account's peers' median",
                nullable=True,
            ),
            "cost_cut": Setting(
                "share",
                None,
                "Cost-to-serve / revenue splitting high from low cost; "
                "empty: each account's peers' median",
                nullable=True,
            ),
            "price_step": Setting(
                "share",
                0.10,
                "The largest price increase to put to a customer in one year",
            ),
            "price_steps": Setting(
                "int",
                3,
                "The longest price path in yearly steps; a larger gap calls for "
                "renegotiating the terms or exiting",
                low=1,
            ),
            "activity_rates": Setting(
                "tables",
                {},
                "Unit cost per activity, used when the data "
                "pack has no activity_rates table, e.g. visit: 450",
            ),
        },
        "account_plan": {
            "growth_target": Setting(
                "share",
                0.10,
                "Management's overall annual growth target, applied to each key account",
            ),
            "horizons": Setting("list", [12, 24, 36], "Target horizons in months"),
            "min_adoption": Setting(
                "share",
                0.25,
                "Whitespace: a product counts when at least this "
                "share of the segment's accounts buys it",
            ),
            "stale_days": Setting(
                "int", 180, "A senior contact not met for this many days is a risk", low=1
            ),
            "sign_off": Setting(
                "list",
                ["Sales", "Service", "Finance", "Operations", "Marketing"],
                "Business areas that sign every plan off",
            ),
            "inputs": Setting(
                "path",
                "plan-inputs.xlsx",
                "The filled plan inputs workbook (`kam plans ENGAGEMENT --inputs-template` "
                "writes it), relative to this file; read into every plan when present",
            ),
        },
        "kpi_review": {
            "period": Setting(
                "choice", "quarter", "KPI period", choices=("quarter", "month", "year")
            ),
            "periods": Setting("int", 8, "Number of periods shown", low=2),
            "targets": {
                "retention": Setting(
                    "number", 0.05, "Retention (logo, GRR, NRR): points to gain on baseline"
                ),
                "satisfaction": Setting(
                    "number", 0.15, "CSAT: relative improvement on baseline (0.15 = +15 %)"
                ),
                "revenue_growth": Setting(
                    "number", 0.10, "Key-account revenue growth (and ACV growth) to reach"
                ),
                "share_of_wallet": Setting("number", 0.02, "Share of wallet: points to gain"),
                "nps": Setting("number", 10, "NPS: points to gain on baseline"),
                "opportunities": Setting(
                    "number",
                    0.20,
                    "Opportunities won: relative improvement on the average period of the "
                    "year before the programme",
                ),
            },
            "targets_agreed": Setting(
                "bool",
                False,
                "The targets are agreed with management: the scorecard's statuses are final, "
                "not measured against proposed targets",
            ),
            "amber": Setting(
                "share", 0.5, "Amber when at least this share of the targeted gain is reached"
            ),
            "discount_rate": Setting(
                "share", 0.10, "Customer lifetime value: annual discount rate (0.10 = 10 %)"
            ),
            "min_accounts": Setting(
                "int",
                5,
                "A key-account KPI gets a status only from this many key accounts (or "
                "respondents) at the baseline and now",
                low=1,
            ),
            "health_drop": Setting(
                "number", 10, "Early warning: health down this many points since last period"
            ),
            "senior_days": Setting(
                "int", 180, "Early warning: no senior contact for this many days", low=1
            ),
        },
        "health": {
            "weights": {
                "revenue_trend": Setting("share", 0.25, "Weight of the revenue trend"),
                "margin_trend": Setting("share", 0.15, "Weight of the gross margin trend"),
                "profitability": Setting(
                    "share", 0.15, "Weight of the net margin after cost-to-serve"
                ),
                "nps": Setting("share", 0.2, "Weight of the account's NPS"),
                "engagement": Setting("share", 0.1, "Weight of contact recency"),
                "risks": Setting("share", 0.15, "Weight of the open risk signals"),
            },
            "watch_below": Setting(
                "number", 70, "Health below this (0-100) puts an account on watch", low=0
            ),
            "risk_below": Setting(
                "number", 40, "Health below this (0-100) puts an account at risk", low=0
            ),
            "revenue_decline": Setting(
                "share", 0.05, "Risk signal: revenue down this share or more on the prior year"
            ),
            "margin_erosion": Setting(
                "share", 0.02, "Risk signal: gross margin down this many points (0.02 = 2 pts)"
            ),
            "nps_drop": Setting(
                "number", 10, "Risk signal: NPS down this many points on the prior year", low=0
            ),
            "nps_min_respondents": Setting(
                "int",
                3,
                "An account's NPS counts (health, falling-NPS signal) from this many "
                "respondents in 12 months",
                low=1,
            ),
        },
    },
    "brand": {
        "primary_colour": Setting(
            "colour", "#0B3D91", "Main colour of reports and charts (#RRGGBB)"
        ),
        "logo": Setting(
            "path",
            None,
            "Logo shown on the cover (PNG or SVG), relative to this file",
            nullable=True,
        ),
        "paper": Setting("choice", "A4", "Paper size of the PDF", choices=("A4", "Letter")),
        "deck_template": Setting(
            "path",
            None,
            "The firm's PowerPoint template (.pptx) the steering-committee deck uses, "
            "relative to this file; none: a clean built-in design in the primary colour",
            nullable=True,
        ),
    },
}


@dataclass(frozen=True)
class Config:
    """A validated engagement config; ``method`` and ``brand`` are typed sections
    (:mod:`.settings`): ``cfg.method.segmentation.min_score``, ``cfg.brand.primary_colour``."""

    path: Path
    client: str
    engagement: str
    currency: str
    as_of: dt.date
    data: Path
    decimal: str
    mapping: dict
    method: Method
    brand: Brand
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        """Engagement name: the folder holding the config (``data/demo`` -> ``demo``)."""
        return self.path.parent.name

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def running_since(self) -> dt.date | None:
        """The programme's start when it has started by the as-of date (the steps then
        review a running programme rather than propose one), else None."""
        start = self.method.programme_start
        return start if start is not None and start <= self.as_of else None


def _suggest(key: str, options: list[str]) -> str:
    match = difflib.get_close_matches(key, options, n=1, cutoff=0.5)
    return f" Did you mean '{match[0]}'?" if match else f" Known keys here: {', '.join(options)}."


def _whole_characters(text: str) -> tuple[str, str | None]:
    """Text with YAML escapes of an emoji's two UTF-16 halves (``"\\ud83d\\ude80"``)
    joined into the character; a half alone is a problem (no file could hold it).

    Examples
    --------
    >>> _whole_characters("Stern \\ud83d\\ude80")
    ('Stern 🚀', None)
    >>> _whole_characters("x \\ud83d")[1]
    'holds an invalid character (a lone UTF-16 surrogate); write the character itself'
    """
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16"), None
    except UnicodeDecodeError:
        return (
            text,
            "holds an invalid character (a lone UTF-16 surrogate); write the character itself",
        )


def _check(name: str, s: Setting, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, problem or None)."""
    if value is None:
        return (None, None) if s.nullable or s.default is None else (None, "is empty")
    k = s.kind
    if k == "str":
        if not isinstance(value, str | int | float):
            return value, "must be text"
        return _whole_characters(str(value))
    if k == "currency":
        code = str(value).strip().upper()
        if re.fullmatch(r"[A-Z]{3}", code):
            return code, None
        hint = {"€": "EUR", "$": "USD", "£": "GBP"}.get(str(value).strip(), "")
        return value, (
            f"must be a three-letter ISO currency code such as EUR, USD or CHF, got '{value}'"
            + (f". Did you mean '{hint}'?" if hint else "")
        )
    if k == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        try:
            return dt.date.fromisoformat(str(value).strip()), None
        except ValueError:
            return value, f"must be a date written YYYY-MM-DD, got '{value}'"
    if k == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return value, f"must be a whole number, got '{value}'"
        if s.low is not None and value < s.low:
            return value, f"must be at least {s.low:g}, got {value}"
        return value, None
    if k == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, f"must be a number, got '{value}'"
        if s.low is not None and value < s.low:
            return value, f"must be at least {s.low:g}, got {value}"
        return float(value), None
    if k == "share":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            return value, f"must be a number between 0 and 1 (0.8 = 80 %), got '{value}'"
        return float(value), None
    if k == "bool":
        return (value, None) if isinstance(value, bool) else (value, "must be true or false")
    if k == "colour":
        ok = isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", value.strip())
        return (
            (value.strip(), None)
            if ok
            else (value, f"must be a colour like #0B3D91, got '{value}'")
        )
    if k == "choice":
        if str(value) in s.choices:
            return str(value), None
        return value, f"must be one of {', '.join(repr(c) for c in s.choices)}, got '{value}'"
    if k == "path":
        return (
            (str(value), None)
            if isinstance(value, str)
            else (value, "must be a file or folder path")
        )
    if k == "list":
        return (list(value), None) if isinstance(value, list) else (value, "must be a list")
    if k in {"tables", "columns"}:
        if not isinstance(value, dict):
            return value, "must be a mapping (name: value lines)"
        if k == "columns" and not all(isinstance(v, dict) for v in value.values()):
            return value, "must map each table to {client column: our column}"
        return dict(value), None
    raise AssertionError(k)


def _validate(node: dict, schema: dict, prefix: str, problems: list[str]) -> dict:
    out: dict[str, Any] = {}
    for key in node:
        if key not in schema:
            problems.append(f"unknown setting '{prefix}{key}'.{_suggest(str(key), list(schema))}")
    for key, spec in schema.items():
        where = f"{prefix}{key}"
        if isinstance(spec, dict):
            sub = node.get(key, {})
            if sub is None:
                sub = {}
            if not isinstance(sub, dict):
                problems.append(f"'{where}' must be a section of settings, got '{sub}'")
                sub = {}
            out[key] = _validate(sub, spec, f"{where}.", problems)
            continue
        if key not in node:
            if spec.default is REQUIRED:
                problems.append(f"'{where}' is required: {spec.doc.lower()}")
                continue
            out[key] = spec.default
            continue
        value, problem = _check(where, spec, node[key])
        if problem:
            problems.append(f"'{where}' {problem}")
        out[key] = value
    return out


def validate_config(raw: dict, source: str = "engagement.yml") -> dict:
    """Validate a raw config and fill in defaults; raise ConfigError listing every problem."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the file must hold settings as 'name: value' lines.")
    problems: list[str] = []
    out = _validate(raw, SCHEMA, "", problems)
    weights = out["method"]["segmentation"]["weights"]
    if not problems and sum(weights.values()) <= 0:
        problems.append("'method.segmentation.weights' must not all be zero")
    if not problems and sum(out["method"]["health"]["weights"].values()) <= 0:
        problems.append("'method.health.weights' must not all be zero")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(
            f"{source} has {len(problems)} problem(s):\n{lines}\n"
            "Fix them in the file; `kam init` writes a commented example."
        )
    return out


def _parse_yaml(text: str, path: Path) -> Any:
    """The config's YAML, or a ConfigError saying where it breaks and why: a tag
    (``!!python/object``, ``!foo``) is refused as a tag, not as bad indentation."""
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = str(getattr(exc, "problem", "") or "")
        tag = re.search(r"tag '([^']+)'", problem)
        if isinstance(exc, yaml.constructor.ConstructorError) and tag:
            name = tag[1].replace("tag:yaml.org,2002:", "!!")
            raise ConfigError(_tag_message(path, line, name)) from None
        where = f" at line {line}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}: not valid YAML{where}. Fix the indentation or quoting there."
        ) from None
    except Exception:  # PyYAML failing inside a tag's own reader (``!!timestamp nope``)
        found = next(
            ((i, m[0]) for i, ln in enumerate(text.splitlines(), 1)
             if (m := re.search(r"(?<![\w'\"])!\S*", ln.split("#")[0]))),
            (None, "!"),
        )  # fmt: skip
        raise ConfigError(_tag_message(path, *found)) from None


def _tag_message(path: Path, line: int | None, tag: str) -> str:
    where = f"line {line} holds" if line else "it holds"
    return (
        f"{path}: {where} a YAML tag ({tag}), which a config may not use. Fix: remove the "
        "tag (the word starting with '!') and write the value as plain text, in quotes if "
        "it starts with '!'."
    )


def _check_overrides(given: dict) -> None:
    """Values passed as parameters (``-p as_of=...``, a notebook's parameters cell) are
    checked on their own, so a bad one is blamed on the parameter, not the config file."""
    problems = []
    for key, value in given.items():
        spec = SCHEMA.get(key)
        if isinstance(spec, Setting):
            _, problem = _check(key, spec, value)
            if problem:
                problems.append(f"parameter {key}={value}: '{key}' {problem}")
    if problems:
        raise ParameterError(
            "; ".join(problems) + ". Fix the value passed (-p NAME=VALUE on the command "
            "line, or the notebook's parameters cell); the config file is not the problem."
        )


def load_config(ref: str | Path, overrides: dict | None = None) -> Config:
    """Load and validate an engagement config from a folder, YAML file or name under data/.

    ``overrides`` replace top-level settings (e.g. ``{"as_of": "2026-06-30"}`` from a
    notebook parameter) and are validated like the file.
    """
    path = resolve_engagement(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc}). Fix: save it as UTF-8 text.") from None
    raw = _parse_yaml(text, path)
    given = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    _check_overrides(given)
    if isinstance(raw, dict):
        raw = {**raw, **given}
    values = validate_config(raw, source=str(path))
    data = (path.parent / values["data"]).resolve()
    brand = dict(values["brand"])
    if brand["logo"]:
        logo = (path.parent / brand["logo"]).resolve()
        if not logo.is_file():
            raise ConfigError(
                f"{path}: 'brand.logo' file {logo} does not exist. Fix the path "
                "(relative to the config) or remove the setting."
            )
        brand["logo"] = logo
    if brand["deck_template"]:
        deck = (path.parent / brand["deck_template"]).resolve()
        if not deck.is_file():
            raise ConfigError(
                f"{path}: 'brand.deck_template' file {deck} does not exist. Fix the path "
                "(relative to the config) or remove the setting."
            )
        brand["deck_template"] = deck
    return Config(
        path=path,
        client=isolate(values["client"]),  # a right-to-left control cannot spill over
        engagement=isolate(values["engagement"]),
        currency=values["currency"],
        as_of=values["as_of"],
        data=data,
        decimal=values["decimal"],
        mapping=values["mapping"],
        method=build(Method, values["method"]),
        brand=build(Brand, brand),
        raw=raw,
    )


def _yaml_value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        # written plain only when YAML reads it back as the same text ("Acme #1 Ltd",
        # "@home AG", "Yes" are quoted); JSON's quoting is YAML's double-quoted style
        try:
            back = yaml.safe_load(f"k: {v}")["k"] if "\n" not in v else None
        except yaml.YAMLError:
            back = None
        # a date written as a date reads back as that date, which the config accepts
        plain = back == v or (isinstance(back, dt.date) and back.isoformat() == v)
        return v if plain and v else json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | dict):
        return yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()
    return str(v)


def render_config(values: dict, schema: dict | None = None, indent: int = 0) -> str:
    """A commented YAML config: every setting with its documentation and current value."""
    schema = SCHEMA if schema is None else schema
    pad = "  " * indent
    lines: list[str] = []
    for key, spec in schema.items():
        if isinstance(spec, dict):
            lines.append(f"{pad}{key}:")
            lines.append(render_config(values.get(key, {}), spec, indent + 1))
            continue
        value = values.get(key, None if spec.default is REQUIRED else spec.default)
        lines.append(f"{pad}# {spec.doc}")
        lines.append(f"{pad}{key}: {_yaml_value(value)}")
    return "\n".join(lines)
