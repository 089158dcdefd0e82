"""The step workbooks as an analyst receives them: the glossary's labels as headers, a
number format per column (currency, %, count, date), Yes/No for flags and a
"Definitions" sheet naming every column with what it means.

Every quantity a workbook shows has one entry in :data:`GLOSSARY` — its label, its kind
(how it is formatted) and its meaning — so a header reads the same in every workbook and
its definition is written once. A column the glossary does not know keeps its name,
written as words (an activity of the client's data pack: ``support_ticket`` → "Support
ticket").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.excel import Format

#: How a kind of quantity is formatted in Excel (keys of ``kamlib.core.excel.FORMATS``).
KIND_FORMAT = {"money": "money", "pct": "pct", "count": "int", "number": "number",
               "number2": "0.00", "date": "date", "text": None, "yesno": None}  # fmt: skip


@dataclass(frozen=True)
class Term:
    """One quantity: the client's label for it, its kind and what it means."""

    label: str
    kind: str  # a key of KIND_FORMAT
    means: str


def _t(label: str, kind: str, means: str) -> Term:
    return Term(label, kind, means)


#: The quantities of the workbooks, by the method's column name.
GLOSSARY: dict[str, Term] = {
    # who
    "account_id": _t("Account id", "text", "The customer's id in the client's systems."),
    "account_name": _t("Account", "text", "The customer's name."),
    "account": _t("Account", "text", "The customer's name."),
    "account_manager": _t("Account manager", "text", "Who manages the account today."),
    "owner": _t("Owner", "text", "The account manager who acts on the warning."),
    "industry": _t("Industry", "text", "The customer's industry."),
    "channel": _t("Channel", "text", "How the customer is served (direct, partner, ...)."),
    "region": _t("Region", "text", "The customer's region."),
    "members": _t("Group members", "count", "Accounts rolled up into this group."),
    "class": _t(
        "Class",
        "text",
        "Tier 1–3: the key accounts. Development: high potential, not key yet. Core: a solid "
        "share of revenue, served as today. Transactional: the smallest customers, served at "
        "the lowest cost.",
    ),
    "tier": _t("Tier", "text", "The key-account tier: 1 is the most strategic."),
    "segment": _t("Segment", "text", "The tier and buyer orientation (or the class)."),
    "group": _t("Group", "text", "The accounts a figure is computed over."),
    "quadrant": _t(
        "Price / cost-to-serve quadrant",
        "text",
        "Where the account sits on price level against cost-to-serve share, each against its "
        "peers: carriage trade (high price, high cost), passive (high price, low cost), "
        "bargain basement (low price, low cost) or aggressive (low price, high cost).",
    ),
    # money, trailing 12 months unless said
    "revenue": _t("Revenue", "money", "Net revenue over the 12 months to the as-of date."),
    "prior_revenue": _t("Prior-year revenue", "money", "Net revenue over the 12 months before."),
    "list_revenue": _t("Revenue at list price", "money", "Revenue before discounts."),
    "discounts": _t("Discounts", "money", "List revenue minus net revenue."),
    "net_revenue": _t("Net revenue", "money", "Revenue after discounts."),
    "cost_of_goods": _t("Cost of goods", "money", "What the products sold cost."),
    "gross_profit": _t("Gross profit", "money", "Net revenue minus cost of goods."),
    "cost_to_serve": _t(
        "Cost-to-serve",
        "money",
        "Activities (visits, tickets, dispatches, ...) at their unit costs.",
    ),
    "net_contribution": _t(
        "Net contribution",
        "money",
        "Gross profit minus cost-to-serve, before unallocated overheads.",
    ),
    "estimated_wallet": _t(
        "Estimated wallet", "money", "What the customer spends a year on what the client sells."
    ),
    "potential": _t("Potential", "money", "Revenue the account could add (wallet or growth)."),
    "package_cost": _t(
        "Package cost per account", "money", "A year of the segment's service package, per account."
    ),
    "package_saving": _t(
        "Saving from the package",
        "money",
        "Cost-to-serve saved by serving the elements the package includes at the segment's "
        "cost for an account of its size: the larger of its average per account and its cost "
        "per unit of revenue times the account's revenue.",
    ),
    "package_charge": _t(
        "Cost of what the package charges for",
        "money",
        "What the account costs today on elements its package charges separately: recovered "
        "if it pays for them.",
    ),
    "package_stop": _t(
        "Cost of what the package leaves out",
        "money",
        "What the account costs today on elements its package does not offer: saved if they stop.",
    ),
    "package_reworked": _t(
        "Package to be reworked first",
        "yesno",
        "The service model finds the segment's package unaffordable as it stands.",
    ),
    "price_increase": _t(
        "Price increase needed",
        "money",
        "Revenue to add by price for the net margin to reach its target.",
    ),
    "price_after_package": _t(
        "Price increase after the package",
        "money",
        "Revenue still to add by price once the account has its segment's package.",
    ),
    "price_first_year": _t(
        "Price increase, first year",
        "money",
        "What the first yearly step of the price path adds.",
    ),
    "cost_per_account": _t("Cost per account", "money", "A year's cost of the element."),
    "acv": _t("Annual contract value", "money", "Average yearly revenue per account."),
    "won_value": _t("Value won", "money", "Value of the opportunities won in the period."),
    "start": _t(
        "Starting revenue",
        "money",
        "Revenue of the cohort in the 12 months up to 12 months before.",
    ),
    "churn": _t("Revenue lost (churn)", "money", "Starting revenue of accounts that left."),
    "contraction": _t(
        "Revenue lost (contraction)", "money", "Revenue lost by accounts that stayed."
    ),
    "expansion": _t(
        "Revenue gained (expansion)", "money", "Revenue gained by accounts that stayed."
    ),
    # shares and rates
    "growth": _t("Revenue growth", "pct", "Revenue against the prior 12 months."),
    "gross_margin": _t("Gross margin", "pct", "Gross profit over net revenue."),
    "discount": _t("Discount", "pct", "Discounts over revenue at list price."),
    "share_of_wallet": _t("Share of wallet", "pct", "Revenue over the estimated wallet."),
    "net_margin": _t("Net margin", "pct", "Net contribution over net revenue."),
    "target_margin": _t("Target net margin", "pct", "The net margin the price increase aims at."),
    "price_increase_pct": _t(
        "Price increase needed (%)",
        "pct",
        "The price increase over today's net revenue that alone would reach the target "
        "margin: a measure of the gap, not a proposal (see Action).",
    ),
    "price_after_package_pct": _t(
        "Price increase after the package (%)",
        "pct",
        "The price increase still needed over today's net revenue.",
    ),
    "price_level": _t("Price level", "pct", "Net over list price."),
    "cts_share": _t("Cost-to-serve share", "pct", "Cost-to-serve over net revenue."),
    "cost_share": _t(
        "Package cost over gross profit",
        "pct",
        "The package's cost as a share of the segment's gross profit.",
    ),
    "unprofitable_key_share": _t(
        "Key accounts losing money",
        "pct",
        "Share of key accounts with a negative net contribution.",
    ),
    "whale_peak": _t(
        "Whale-curve peak",
        "pct",
        "The most profit the best accounts make, as a share of the total.",
    ),
    "grr": _t("Gross revenue retention", "pct", "(start − churn − contraction) / start."),
    "nrr": _t("Net revenue retention", "pct", "(start − churn − contraction + expansion) / start."),
    "logo_retention": _t(
        "Account retention", "pct", "Share of the cohort's accounts still buying a year later."
    ),
    "acv_growth": _t("Annual contract value growth", "pct", "ACV against a year before."),
    "margin_change": _t(
        "Gross margin change (points)",
        "number",
        "Gross margin over the last 12 months minus the 12 months before, in percentage points.",
    ),
    "revenue_pct": _t("Revenue percentile", "pct", "Rank of the account's revenue in the base."),
    "potential_pct": _t("Potential percentile", "pct", "Rank of its potential in the base."),
    # scores and counts
    "finance": _t("Finance score", "number", "Revenue, margin and potential as a rank, 0–100."),
    "strategy": _t("Strategy score", "number", "The strategic ratings as a rank, 0–100."),
    "attitude": _t("Attitude score", "number", "The relationship ratings as a rank, 0–100."),
    "score": _t(
        "Compatibility",
        "number",
        "The weighted finance, strategy and attitude score, 0–100: how well the customer fits "
        "as a key account.",
    ),
    "importance": _t("Importance", "number", "Average importance rating (1–5)."),
    "satisfaction": _t("Satisfaction", "number", "Average satisfaction rating (1–5)."),
    "gap": _t("Gap", "number", "Importance minus satisfaction: above zero, under-served."),
    "priority": _t("Priority", "number", "Gap weighted by importance: the order to act in."),
    "health": _t("Health", "count", "The weighted health score, 0–100."),
    "health_before": _t("Health a period before", "count", "The health score a period earlier."),
    "change": _t("Health change", "count", "Health now minus health a period before."),
    "nps": _t("NPS", "count", "Net promoter score: % promoters (9–10) − % detractors (0–6)."),
    "csat": _t("CSAT", "number2", "Average satisfaction score of the survey answers (1–5)."),
    "factor": _t("Unit cost factor", "number", "Every unit cost multiplied by this."),
    "accounts": _t("Accounts", "count", "Number of accounts."),
    "respondents": _t("Respondents", "count", "The answers behind the figure."),
    "nps_respondents": _t("NPS respondents", "count", "Answers behind the NPS."),
    "included": _t("Elements included", "count", "Service elements in the package."),
    "days_since_contact": _t("Days since last contact", "count", "Days since anyone met them."),
    "risk_count": _t("Number of risk signals", "count", "Open churn signals."),
    "opps_identified": _t("Opportunities identified", "count", "Opportunities opened."),
    "price_steps": _t(
        "Price path, years", "count", "Yearly steps of the price path (0: none needed)."
    ),
    "opps_won": _t("Opportunities won", "count", "Opportunities won."),
    "unprofitable_accounts": _t(
        "Accounts losing money", "count", "Accounts with a negative net contribution."
    ),
    "rows": _t("Rows", "count", "Rows of the table (blank: a finding not counted in rows)."),
    "level": _t(
        "Level", "text", "Error (stops the analysis), warning (handled as stated) or note."
    ),
    "examples": _t("Examples", "text", "The first rows or customers the finding is about."),
    "what the analysis does": _t(
        "What the analysis does", "text", "How the analysis treats the rows until they are fixed."
    ),
    "missing rows": _t("Missing rows", "count", "Rows without a value in the column."),
    "filled": _t("Filled", "pct", "The share of rows with a value."),
    "used by": _t("Used by", "text", "The steps of the engagement that use the table."),
    "from": _t("From", "date", "The earliest date in the table."),
    "to": _t("To", "date", "The latest date in the table."),
    "columns filled": _t("Columns filled", "count", "Columns of the table with any value."),
    "columns known": _t("Columns known", "count", "Columns the data dictionary describes."),
    "step": _t("Step", "text", "A step of the engagement."),
    "needs": _t("Needs", "text", "The data the step would use."),
    "without it": _t("Without it", "text", "What the step does without that data."),
    # dates and flags
    "period_end": _t("Period end", "date", "The last day of the period."),
    "lost_on": _t("Lost on", "date", "When the churn table records the account as lost."),
    "candidate": _t("Candidate", "yesno", "Passes the financial thresholds."),
    "enough": _t(
        "Enough respondents", "yesno", "At least the minimum of answers (3 unless set) to read it."
    ),
    "not_costed": _t(
        "Not costed", "text", "Included elements no activity delivers in the data: no cost here."
    ),
    "affordable": _t("Affordable", "yesno", "The package costs no more than its limit."),
    "covers its cost": _t(
        "Covers its cost",
        "yesno",
        "The gross profit of the accounts added at the line covers what the model adds per "
        "account, and the whole line's covers its whole cost.",
    ),
    "renormalised": _t("Weights re-normalised", "yesno", "A dimension had no rating."),
    "present": _t("Delivered", "yesno", "The column is in the data pack."),
    "table": _t("Table", "text", "A table of the data pack."),
    "required": _t("Required", "yesno", "The data pack must hold it for the analysis to run."),
    "available": _t(
        "Available", "text", "Delivered (partly: the share of rows with a value) or not."
    ),
    "column": _t("Column", "text", "A column of the data pack, in words."),
    "column_name": _t(
        "Column name", "text", "The column's name in the data pack, as the data dictionary has it."
    ),
    "file": _t("File", "text", "The file (and sheet) the table was read from."),
    "finding": _t(
        "Finding", "text", "What is wrong and where, how many rows, a few examples and the fix."
    ),
    # words
    "signals": _t("Risk signals", "text", "The churn signals in words."),
    "reasons": _t("Reasons", "text", "Why the account is on the list."),
    "band": _t(
        "Health band",
        "text",
        "Healthy, watch or at risk, by the health score's thresholds; an account that loses "
        "money after cost-to-serve is never healthy.",
    ),
    "status": _t(
        "Status",
        "text",
        "Where the row stands: a table present or missing, a KPI against its target, a "
        "part of a plan drafted, confirmed or to complete.",
    ),
    "element": _t("Service element", "text", "A part of the service offer."),
    "decision": _t("Decision", "text", "Included, charged or not offered."),
    "capped": _t(
        "Capped by a loss",
        "yesno",
        "The account loses money after cost-to-serve: over 2 % of revenue is never healthy, "
        "20 % or more is at risk.",
    ),
    "basis": _t(
        "Decided on",
        "text",
        "What the decision rests on; 'as Tier 3': a higher tier never gets less than a lower "
        "tier of the same buyer orientation.",
    ),
    "orientation": _t(
        "Buyer orientation",
        "text",
        "Partner (loyalty): values the relationship and pays for extras; price-driven: buys a "
        "standard package at the best price.",
    ),
    "better_action": _t(
        "Action",
        "text",
        "Move to the package, a price path, both, or renegotiate the terms or exit.",
    ),
    "unit_costs": _t("Unit cost change", "pct", "How much every unit cost moves."),
    "note": _t("Note", "text", "What the data could not support, and why."),
    "reason": _t("Why this class", "text", "The rule the account met or missed."),
    "override": _t("Consultant override", "text", "The consultants' decision, and why."),
    "potential_basis": _t("Potential from", "text", "Wallet estimate or current growth."),
    "missing_dimensions": _t(
        "Dimensions not rated", "text", "Compatibility dimensions without ratings for the account."
    ),
    "orientation_basis": _t("Orientation from", "text", "Stated in the data or derived."),
    "lost_reason": _t("Lost because", "text", "The reason the churn table gives."),
    # the line's sweep (segmentation workbook, "Sensitivity")
    "key accounts": _t("Key accounts", "count", "The largest customers down to the line."),
    "share of customers": _t(
        "Share of customers", "pct", "The line's accounts among all customers."
    ),
    "from revenue": _t("From revenue", "money", "The smallest revenue above the line."),
    "share of revenue": _t("Share of revenue", "pct", "The line's accounts' share of revenue."),
    "share of gross profit": _t(
        "Share of gross profit", "pct", "The line's accounts' share of gross profit."
    ),
    "model cost": _t(
        "Model cost",
        "money",
        "What the key-account model costs a year at the line: its cost per account (a planning "
        "assumption until the client's own figures replace it) times the key accounts.",
    ),
    "gross profit per added account": _t(
        "Gross profit per added account",
        "money",
        "Average gross profit of the accounts the row adds to the line above it.",
    ),
    "cost-to-serve per added account": _t(
        "Cost-to-serve per added account",
        "money",
        "Average cost-to-serve of the accounts the row adds to the line above it.",
    ),
    "margin to cover": _t(
        "Margin to cover",
        "pct",
        "The gross margin the accounts would need for their gross profit to pay the model's cost.",
    ),
    "line": _t("Line", "text", "Where the recommended line is drawn."),
    # the KPI scorecard
    "KPI (key accounts)": _t(
        "KPI (key accounts)", "text", "A programme KPI, over the key accounts."
    ),
    "unit": _t("Unit", "text", "The unit of the row's figures: %, points, a 1–5 score or a count."),
    "baseline": _t("Baseline", "text", "The KPI in the 12 months before the programme started."),
    "actual": _t("Actual", "text", "The KPI in the latest 12 months."),
    "target": _t(
        "Target", "text", "The KPI's target: proposed until the steering committee agrees it."
    ),
    "change since baseline": _t(
        "Change since baseline", "text", "Actual minus baseline, in the row's unit."
    ),
    "lapsed": _t(
        "Lapsed customer", "text", "Invoiced before, but not in the 12 months to the as-of date."
    ),
}


#: The terms each step report defines on its last page (glossary keys), in reading order.
REPORT_TERMS: dict[str, tuple[str, ...]] = {
    "data_review": ("revenue", "gross_profit", "cost_to_serve", "estimated_wallet", "lapsed",
                    "lost_on", "level", "required", "available", "without it"),
    "segmentation": ("revenue", "gross_profit", "gross_margin", "growth", "potential",
                     "estimated_wallet", "candidate", "score", "finance", "strategy", "attitude",
                     "class", "tier", "orientation", "segment", "cost_to_serve",
                     "net_contribution", "covers its cost", "override"),
    "service_model": ("element", "importance", "satisfaction", "respondents", "enough", "gap",
                      "priority", "orientation", "segment", "decision", "package_cost",
                      "gross_profit", "cost_share", "affordable", "not_costed"),
    "profitability": ("list_revenue", "discounts", "net_revenue", "cost_of_goods",
                      "gross_profit", "cost_to_serve", "net_contribution", "net_margin",
                      "price_level", "cts_share", "quadrant", "whale_peak", "package_saving",
                      "price_after_package", "price_steps", "target_margin", "better_action"),
    "kpi_review": ("logo_retention", "grr", "nrr", "growth", "acv", "acv_growth",
                   "share_of_wallet", "nps", "csat", "respondents", "opps_identified",
                   "opps_won", "status", "health", "band", "change", "net_contribution"),
}  # fmt: skip


def glossary_table(step: str) -> pd.DataFrame:
    """A step report's definitions page: each term of :data:`REPORT_TERMS` with what it
    means, as the workbooks label and define it.

    Examples
    --------
    >>> glossary_table("kpi_review").iloc[1].tolist()
    ['Gross revenue retention', '(start − churn − contraction) / start.']
    """
    keys = REPORT_TERMS[step]
    return pd.DataFrame(
        [(GLOSSARY[k].label, GLOSSARY[k].means) for k in keys],
        columns=["term", "what it means"],
    )


def label(name: str) -> str:
    """A column's header: the glossary's label, else its name written as words."""
    term = GLOSSARY.get(name)
    if term is not None:
        return term.label
    if ":" in name:  # "cost: support_ticket" -> "Cost: support ticket"
        head, _, tail = name.partition(":")
        return f"{label(head.strip())}: {tail.strip().replace('_', ' ')}"
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _yes_no(v: object) -> object:
    """A flag as the client reads it: Yes or No; a word kept, capitalised ("Unknown")."""
    if isinstance(v, bool | np.bool_):
        return "Yes" if v else "No"
    if isinstance(v, str):
        return {"yes": "Yes", "no": "No"}.get(v, v[:1].upper() + v[1:])
    return v


def page_header(name: str) -> str:
    """A column's header on a report page: the glossary's label, lower-case as the pages'
    tables are, an abbreviation kept ("NPS", "CSAT").

    Examples
    --------
    >>> page_header("grr"), page_header("nps")
    ('gross revenue retention', 'NPS')
    """
    text = label(name)
    first = text.split(" ", 1)[0]
    return text if first.isupper() else text[:1].lower() + text[1:]


def client_frame(
    df: pd.DataFrame, formats: Mapping[str, Format] | None = None
) -> tuple[pd.DataFrame, dict[str, Format]]:
    """A sheet for the client: glossary labels as headers, Yes/No for flags; and the number
    format of each column (``formats`` given by the step win, by column name or label).

    Examples
    --------
    >>> f, fm = client_frame(pd.DataFrame({"net_margin": [0.1], "covers its cost": [True]}))
    >>> list(f.columns), f["Covers its cost"].tolist(), fm["Net margin"]
    (['Net margin', 'Covers its cost'], ['Yes'], 'pct')
    """
    given = dict(formats or {})
    out, fmts = {}, {}
    for name in df.columns:
        s, term = df[name], GLOSSARY.get(str(name))
        head = label(str(name))
        if pd.api.types.is_bool_dtype(s) and not s.isna().any():  # 100,000 rows at once
            s = pd.Series(np.where(s.to_numpy(bool), "Yes", "No").astype(object), index=s.index)
        elif pd.api.types.is_bool_dtype(s) or (term is not None and term.kind == "yesno"):
            s = s.map(_yes_no)
        if head in out:  # two names, one label (account / account_name): keep both
            head = f"{head} ({str(name).replace('_', ' ')})"
        kind = given.get(str(name)) or given.get(head)
        if kind is None and term is not None:
            kind = KIND_FORMAT[term.kind]
        if kind:
            fmts[head] = kind
        out[head] = s
    frame = pd.DataFrame(out, index=df.index)
    return frame, fmts


def definitions(sheets: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every column the workbook's sheets show that the glossary defines, once, with the
    sheets it is on and what it means."""
    where: dict[str, list[str]] = {}
    for sheet, df in sheets.items():
        for name in df.columns:
            if str(name) in GLOSSARY:
                where.setdefault(str(name), []).append(sheet)
    rows = [
        (GLOSSARY[n].label, GLOSSARY[n].means, ", ".join(dict.fromkeys(s)))
        for n, s in where.items()
    ]
    rows += _family_rows(sheets)
    out = pd.DataFrame(rows, columns=["Column", "What it means", "Sheets"])
    return out.drop_duplicates("Column").sort_values("Column", kind="stable")


def _family_rows(sheets: Mapping[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    """Definitions of the columns named after the client's data (one row per family):
    the cost of each activity, the managers needed at each accounts-per-manager ratio.

    Examples
    --------
    >>> f = pd.DataFrame(columns=["cost: support_ticket", "cost: visit", "managers at 5"])
    >>> [r[0] for r in _family_rows({"S": f})]
    ['Cost: (each activity)', 'Managers at 5']
    """
    rows, seen = [], set()
    for sheet, df in sheets.items():
        for name in map(str, df.columns):
            if name.startswith("cost: ") and "cost" not in seen:
                seen.add("cost")
                rows.append(("Cost: (each activity)", "What the account's use of the activity "
                             "cost in the 12 months: its quantity at the activity's unit cost.",
                             sheet))  # fmt: skip
            elif name.startswith("managers at ") and name not in seen:
                seen.add(name)
                n = name.rsplit(" ", 1)[1]
                rows.append((label(name), f"Key account managers needed at {n} key accounts "
                             "each.", sheet))  # fmt: skip
    return rows


def export(
    output_dir: str,
    name: str,
    sheets: Mapping[str, pd.DataFrame],
    colour: str = "#0B3D91",
    formats: Mapping[str, Mapping[str, Format]] | None = None,
) -> str:
    """A step's workbook ``<output_dir>/<name>`` for the client: every sheet through
    :func:`client_frame`, then the definitions; nothing ("") without a folder."""
    from ..core.excel import export_report

    if not output_dir:
        return ""
    out, fmts = {}, {}
    for sheet, df in sheets.items():
        out[sheet], fmts[sheet] = client_frame(df, (formats or {}).get(sheet))
    defs = definitions(sheets)
    if len(defs):
        out["Definitions"] = defs
    return export_report(output_dir, name, out, colour, fmts)
