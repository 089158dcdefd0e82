"""The data dictionary: every table and column the data pack accepts (DATAPACK.md).

This one description drives loading, validation, the Excel intake template and the
data dictionary in ``docs/``; change it here and everything follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The kinds of value a column may hold, with how a client should write them.
KIND_HELP = {
    "text": "text",
    "date": "date (YYYY-MM-DD)",
    "period": "date (YYYY-MM-DD) or month (YYYY-MM)",
    "number": "number",
    "rating": "rating 1-5",
    "score10": "score 0-10",
    "probability": "probability 0-1 (or a percentage such as 60%)",
    "yesno": "yes / no",
    "choice": "one of a list",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    example: str = ""

    @property
    def kind_help(self) -> str:
        if self.kind == "choice":
            return " / ".join(self.choices)
        return KIND_HELP[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _acc(required: bool = True) -> Column:
    return Column(
        "account_id",
        "text",
        "Customer number, as in the accounts table",
        required,
        example="C-00012",
    )


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "accounts",
            "One row per customer (legal entity or account).",
            (
                Column("account_id", "text", "Unique customer number", True, example="C-00012"),
                Column(
                    "account_name",
                    "text",
                    "Customer name as the client knows it",
                    True,
                    example="Nordwerk Logistik GmbH",
                ),
                Column(
                    "parent_id",
                    "text",
                    "Group or global account this entity belongs to "
                    "(an account_id); revenue rolls up to it when the config says so",
                ),
                Column("industry", "text", "Industry, to split the analysis", example="Logistics"),
                Column(
                    "channel",
                    "text",
                    "Sales channel, e.g. direct / partner / online",
                    example="direct",
                ),
                Column("region", "text", "Sales region", example="DACH"),
                Column("country", "text", "Country (ISO code or name)", example="DE"),
                Column(
                    "size_band",
                    "text",
                    "Size class, e.g. Enterprise / Large / Mid-market / Small",
                    example="Large",
                ),
                Column(
                    "account_manager", "text", "Responsible account manager", example="Anna Berger"
                ),
                Column("customer_since", "date", "Start of the relationship", example="2014-03-01"),
                Column(
                    "estimated_wallet",
                    "number",
                    "Estimated annual spend of the customer in our "
                    "category (for share of wallet and headroom)",
                    example="2400000",
                ),
                Column("market_leadership", "rating", "Strategic: the customer leads its market"),
                Column(
                    "innovation_leadership", "rating", "Strategic: the customer leads in innovation"
                ),
                Column(
                    "strategic_fit", "rating", "Strategic: fit with our capabilities and direction"
                ),
                Column("loyalty", "rating", "Attitude: loyalty to us"),
                Column(
                    "information_sharing", "rating", "Attitude: willingness to share information"
                ),
                Column("engagement", "rating", "Attitude: desire for a working relationship"),
                Column(
                    "buyer_orientation",
                    "choice",
                    "Price- or loyalty/value-oriented buyer; derived "
                    "from ratings and discounts when absent",
                    choices=("price", "loyalty"),
                ),
            ),
            required=True,
            key=("account_id",),
            used_by=("all steps",),
        ),
        Table(
            "revenue",
            "Invoiced revenue: one row per invoice line or per account, product and month.",
            (
                _acc(),
                Column("date", "period", "Invoice date or period", True, example="2026-09"),
                Column(
                    "amount",
                    "number",
                    "Net revenue (after discounts); credit notes may be negative",
                    True,
                    example="18250.00",
                ),
                Column("product", "text", "Product line, for mix and whitespace", example="Mobile"),
                Column(
                    "list_amount",
                    "number",
                    "Revenue at list price, before discounts (for the price waterfall)",
                    example="21470.00",
                ),
                Column(
                    "cost", "number", "Cost of goods sold (for gross profit)", example="9800.00"
                ),
                Column("quantity", "number", "Units invoiced"),
                Column("invoice_id", "text", "Invoice number"),
            ),
            required=True,
            used_by=("all steps",),
        ),
        Table(
            "activities",
            "Cost-to-serve drivers: how much of each service activity an account used.",
            (
                _acc(),
                Column("date", "period", "Date or month of the activity", True, example="2026-09"),
                Column(
                    "activity",
                    "text",
                    "Activity, e.g. visit, support ticket, delivery",
                    True,
                    example="support_ticket",
                ),
                Column("quantity", "number", "How many units of the activity", True, example="4"),
            ),
            used_by=("2 service model", "3 profitability", "4 account plans"),
        ),
        Table(
            "activity_rates",
            "Unit cost of each activity (may also be given in the config).",
            (
                Column(
                    "activity",
                    "text",
                    "Activity, as named in the activities table",
                    True,
                    example="support_ticket",
                ),
                Column(
                    "unit_cost", "number", "Cost of one unit of the activity", True, example="35"
                ),
            ),
            key=("activity",),
            used_by=("2 service model", "3 profitability"),
        ),
        Table(
            "service_ratings",
            "Key-account interviews: how important each service element is, and how satisfied "
            "the customer is with it.",
            (
                _acc(),
                Column(
                    "element",
                    "text",
                    "Service element, e.g. technical support",
                    True,
                    example="technical support",
                ),
                Column(
                    "importance",
                    "rating",
                    "Importance of the element (1 very low - 5 very high)",
                    True,
                    example="4",
                ),
                Column(
                    "satisfaction", "rating", "Satisfaction with our delivery (1-5)", example="3"
                ),
                Column("date", "date", "Interview date", example="2025-06-15"),
            ),
            used_by=("2 service model",),
        ),
        Table(
            "surveys",
            "Customer surveys: NPS and CSAT answers.",
            (
                _acc(),
                Column("date", "date", "Survey date", True, example="2026-06-30"),
                Column("nps", "score10", "Likelihood to recommend (0-10)", example="9"),
                Column("csat", "rating", "Customer satisfaction (1-5)", example="4"),
                Column("respondent_role", "text", "Role of the respondent", example="CIO"),
            ),
            used_by=("4 account plans", "5 KPI review"),
        ),
        Table(
            "contacts",
            "Stakeholders at the customer, for the stakeholder map.",
            (
                _acc(),
                Column("name", "text", "Contact name", True, example="Dr. Julia Hoffmann"),
                Column("role", "text", "Role or function", example="CIO"),
                Column("influence", "rating", "Influence on buying decisions (1-5)", example="5"),
                Column(
                    "attitude",
                    "choice",
                    "Attitude towards us",
                    choices=("supporter", "neutral", "detractor"),
                ),
                Column(
                    "relationship_strength",
                    "rating",
                    "Strength of our relationship (1-5)",
                    example="3",
                ),
                Column(
                    "last_contact", "date", "Date of the last meeting or call", example="2026-08-14"
                ),
                Column("senior", "yesno", "Senior decision maker (yes/no)", example="yes"),
            ),
            used_by=("4 account plans", "5 KPI review"),
        ),
        Table(
            "opportunities",
            "Sales opportunities (pipeline and history).",
            (
                _acc(),
                Column(
                    "opportunity_id", "text", "Unique opportunity number", True, example="OP-1043"
                ),
                Column("product", "text", "Product line", example="Security"),
                Column("stage", "text", "Sales stage", example="proposal"),
                Column("amount", "number", "Expected annual revenue", True, example="120000"),
                Column("probability", "probability", "Probability of winning", example="0.4"),
                Column("created", "date", "Date identified", example="2026-02-10"),
                Column("expected_close", "date", "Expected close date", example="2026-12-15"),
                Column("status", "choice", "Status", True, choices=("open", "won", "lost")),
            ),
            key=("opportunity_id",),
            used_by=("4 account plans", "5 KPI review"),
        ),
        Table(
            "churn",
            "Explicit churn events; without them churn is inferred from revenue.",
            (
                _acc(),
                Column("date", "date", "Date the customer left", True, example="2025-11-30"),
                Column("reason", "text", "Reason given", example="moved to competitor"),
            ),
            used_by=("5 KPI review",),
        ),
        Table(
            "overrides",
            "Consultants' manual key-account decisions, applied last and listed in the report.",
            (
                _acc(),
                Column("key", "yesno", "Key account (yes) or not (no)", True, example="yes"),
                Column("tier", "text", "Tier to force, e.g. Tier 1", example="Tier 2"),
                Column("segment", "text", "Segment to force"),
                Column("reason", "text", "Why", True, example="Strategic reference customer"),
                Column("by", "text", "Who decided", True, example="M. Laurent"),
            ),
            key=("account_id",),
            used_by=("1 segmentation",),
        ),
        Table(
            "plan_inputs",
            "What only the account manager knows, for the account plans.",
            (
                _acc(),
                Column(
                    "field",
                    "text",
                    "Plan field, e.g. challenges, strengths, desired_solution",
                    True,
                    example="challenges",
                ),
                Column(
                    "text",
                    "text",
                    "The account manager's text",
                    True,
                    example="Consolidating 14 sites onto one network by 2027",
                ),
            ),
            used_by=("4 account plans",),
        ),
    ]
}

OPTIONAL_TABLES = [name for name, t in TABLES.items() if not t.required]
REQUIRED_TABLES = [name for name, t in TABLES.items() if t.required]

#: The client's word for a column where its name does not read as one (a column has the
#: same word in every table); every other name reads with its underscores as spaces.
LABELS = {
    "account_id": "customer number",
    "account_name": "customer name",
    "parent_id": "parent account",
    "customer_since": "customer since",
    "market_leadership": "market leadership rating",
    "innovation_leadership": "innovation leadership rating",
    "strategic_fit": "strategic fit rating",
    "loyalty": "loyalty rating",
    "information_sharing": "information sharing rating",
    "engagement": "engagement rating",
    "list_amount": "amount at list price",
    "invoice_id": "invoice number",
    "respondent_role": "respondent's role",
    "opportunity_id": "opportunity number",
    "expected_close": "expected close date",
    "nps": "NPS",
    "csat": "CSAT",
    "key": "key account (yes or no)",
    "by": "decided by",
}


def label(name: str) -> str:
    """A table's or column's name in the client's words.

    Examples
    --------
    >>> label("estimated_wallet"), label("parent_id"), label("service_ratings")
    ('estimated wallet', 'parent account', 'service ratings')
    """
    return LABELS.get(name, name.replace("_", " "))


def where(table: str, column: str = "") -> str:
    """Where a value lives, in words: the column and its table.

    Examples
    --------
    >>> where("accounts", "estimated_wallet"), where("activity_rates")
    ('estimated wallet (accounts table)', 'activity rates table')
    """
    return f"{label(column)} ({label(table)} table)" if column else f"{label(table)} table"


_NAMES = sorted(
    {n for t in TABLES.values() for n in [t.name, *t.column_names] if "_" in n},
    key=len,
    reverse=True,
)
_NAMED = re.compile(r"'?\b(" + "|".join(_NAMES) + r")\b'?")


def plain(text: str) -> str:
    """Text with every table and column name of the contract written in words (a message
    for the data owner, re-worded for the client's report).

    Examples
    --------
    >>> plain("Fix the parent_id of one account; add it to activity_rates.")
    'Fix the parent account of one account; add it to activity rates.'
    """
    return _NAMED.sub(lambda m: label(m[1]), text)


def data_dictionary() -> str:
    """The data dictionary as Markdown (``docs/data-dictionary.md`` is this, kept in sync)."""
    lines = [
        "# Data dictionary",
        "",
        "The tables and columns a client's data pack may hold. Generated from "
        "`kamlib/intake/schema.py` (a test keeps this file in sync): change the schema, then run",
        '`python -c "from kamlib.intake.schema import data_dictionary; print(data_dictionary())" >'
        " docs/data-dictionary.md`.",
        "",
        "Only **accounts** and **revenue** are required. Within a table that is delivered, the "
        "columns marked *required* must be there. Names match ignoring case, spaces, dashes and "
        "underscores; the engagement config can map the client's own names (`mapping`).",
        "",
        "Forms: a folder of CSV files (`accounts.csv`, ...; comma or semicolon separated, UTF-8 "
        "or Windows-1252), a folder of Parquet files, or one Excel workbook with a sheet per "
        "table (the intake form of `kam init`; rows whose first cell starts with `#` are notes "
        "and ignored). Dates: `YYYY-MM-DD`; months: `YYYY-MM`; numbers: plain, no thousands "
        'separators (a decimal comma when the config says `decimal: ","`).',
        "",
    ]
    for t in TABLES.values():
        lines += [f"## {t.name}{' (required)' if t.required else ''}", "", t.description, ""]
        if t.key:
            lines += [f"Unique key: `{'`, `'.join(t.key)}`.", ""]
        lines += [
            f"Used by: {', '.join(t.used_by)}.",
            "",
            "| column | required | values | meaning |",
            "|---|---|---|---|",
        ]
        for c in t.columns:
            lines.append(
                f"| `{c.name}` | {'yes' if c.required else ''} | {c.kind_help} | {c.description} |"
            )
        lines.append("")
    lines += [
        "## Validation",
        "",
        "Errors stop the run before any report is written: a required table or column missing, "
        "duplicate keys, revenue for an account not in `accounts`, values that cannot be read "
        "(dates, numbers, yes/no, lists), ratings out of range, an empty required table, a file "
        "that is not what its name says. Warnings are handled as stated and listed in the data "
        "review: rows of optional tables for unknown accounts (left out), negative amounts "
        "(kept as credit notes), empty optional tables (treated as absent), activities without "
        "a unit cost, accounts without revenue, revenue after the as-of date (left out), large "
        "moves between periods. Every message names the file (and sheet), the column, how many "
        "rows, the first rows or keys, and the fix.",
        "",
    ]
    return "\n".join(lines)
