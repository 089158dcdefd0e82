"""Step 0 — the data review as the client reads it: the findings table, readiness
per step, the summary in words, the headline cards and ``00_data_review.xlsx``.

The numbers come from :mod:`kamlib.method.review`.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..core import fmt
from ..core.evidence import of_pack
from ..intake.datapack import ERROR, INFO, WARNING, DataPack, Finding
from ..intake.schema import label, plain, where
from .decision import Decision

#: What each step needs, and what it does without the optional part.
READINESS = [
    (
        "1 Segmentation",
        "revenue",
        "cost",
        "gross profit, margins and net contribution are not available; the line sweep needs "
        "the client's typical gross margin to recommend a line",
    ),
    (
        "1 Segmentation",
        "accounts",
        "estimated_wallet",
        "potential falls back to revenue growth (with 24 months of revenue) or is not scored",
    ),
    (
        "1 Segmentation",
        "accounts",
        "strategic_fit",
        "strategic compatibility is not scored; finance and attitude count for more",
    ),
    (
        "1 Segmentation",
        "accounts",
        "loyalty",
        "attitude is not scored; finance and strategy count for more",
    ),
    (
        "1 Segmentation",
        "accounts",
        "buyer_orientation",
        "orientation is derived from attitude ratings or discount depth where the data "
        "has them, or left unknown",
    ),
    (
        "2 Service model",
        "service_ratings",
        None,
        "no importance matrix or gap analysis; package costs only",
    ),
    (
        "3 Profitability",
        "activities",
        None,
        "cost-to-serve and net contribution are not available",
    ),
    ("3 Profitability", "revenue", "list_amount", "the price waterfall starts at net revenue"),
    ("4 Account plans", "contacts", None, "no stakeholder map"),
    ("4 Account plans", "opportunities", None, "no weighted pipeline in the growth targets"),
    ("4 Account plans", "plan_inputs", None, "every account-manager field shows 'to complete'"),
    ("5 KPI review", "surveys", None, "NPS and CSAT are shown as not available"),
    ("5 KPI review", "churn", None, "churn is inferred from months without revenue"),
]


def client_message(f: Finding) -> str:
    """A finding in the client's words: where (the column and table by their names in
    words), then what is wrong, the rows and the fix; the file and column as delivered
    stay in the workbook's findings sheet for the data owner.

    Examples
    --------
    >>> f = Finding("warning", "accounts", "accounts.csv", "parent_id", 2, (),
    ...             "accounts.csv, column 'parent_id': 2 rows loop. Fix the parent_id.", "kept")
    >>> client_message(f)
    'Parent account (accounts table): 2 rows loop. Fix the parent account.'
    """
    place, body = _parts(f)
    return f"{_cap(place.removeprefix('the '))}: {body}" if place else body


def _parts(f: Finding) -> tuple[str, str]:
    """Where a finding is, in words ("" for the pack), and what it says (in words, a
    number quoted from the file read as a number: '-250.76' -> −250.76; each example
    before its row: "C-10060 in row 31").

    Examples
    --------
    >>> f = Finding("warning", "revenue", "r.csv", "amount", 2, (),
    ...             "r.csv, column 'amount': 2 rows are negative (rows 5: '-10.5', 9: 'A B').", "")
    >>> _parts(f)[1]
    "2 rows are negative (−10.5 in row 5, 'A B' in row 9)."
    """
    raw = f.source + (f", column '{f.column}'" if f.column else "")
    body = f.message.removeprefix(raw + ": ") if f.source else f.message
    # the examples as a reader names them: "C-10060 in row 31", not "row 31: 'C-10060'"
    body = re.sub(
        r"\(rows? ((?:\d+: '[^']*'(?:, )?)+)",
        lambda m: "(" + re.sub(r"(\d+): ('[^']*')", r"\2 in row \1", m[1]),
        body,
    )
    body = re.sub(r"'(-?)(\d[\d,]*(?:\.\d+)?)'", lambda m: ("−" if m[1] else "") + m[2], body)
    body = re.sub(r"'([^'\s]+)' in row", r"\1 in row", body)
    if not f.table:
        return "", plain(body)
    if not f.column:
        return f"the {label(f.table)} table", plain(body)
    return f"the {label(f.column)} ({label(f.table)} table)", plain(body)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table, errors first, then warnings, then notes: the table and column
    in words and the finding in the client's words (:func:`client_message`); the file and
    the column's name as delivered for the data owner (the workbook's findings sheet)."""
    order = {ERROR: 0, WARNING: 1, INFO: 2, "note": 2}
    df = pd.DataFrame(
        [
            {
                "level": "note" if f.level == INFO else f.level,
                "table": _cap(label(f.table)) if f.table else "Data pack",
                "column": _cap(label(f.column)) if f.column else "",
                "rows": f.rows or None,  # not counted in rows (a loop, a date): blank
                "examples": "; ".join(f.examples),
                "finding": client_message(f),
                "what the analysis does": f.action,
                "file": f.source,
                "column_name": f.column,
            }
            for f in findings
        ],
        columns=[
            "level",
            "table",
            "column",
            "rows",
            "examples",
            "finding",
            "what the analysis does",
            "file",
            "column_name",
        ],
    )
    return df.sort_values("level", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def in_words(df: pd.DataFrame) -> pd.DataFrame:
    """A data review table with its tables and columns named in words (the column's name
    in the data pack kept beside it, and the file the table came from, for the data owner).

    Examples
    --------
    >>> in_words(pd.DataFrame({"table": ["service_ratings"], "column": ["parent_id"]}))
                 table          column column_name
    0  Service ratings  Parent account   parent_id
    """
    out = df.rename(columns={"source": "file"})
    if "table" in out:
        out["table"] = out["table"].map(lambda t: _cap(label(t)))
    if "column" in out:
        names = out["column"]
        out["column"] = names.map(lambda c: _cap(label(c)))
        out.insert(out.columns.get_loc("column") + 1, "column_name", names)
    return out


def readiness(pack: DataPack, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Per step, the optional data it would use, whether it is there, and the consequence
    where it is not (the column left out when nothing is missing); with ``as_of``, first
    whether the revenue reaches 24 months back (growth needs it)."""
    rows = []
    if as_of is not None:
        full = of_pack(pack).history_before(as_of, 24)
        rows.append(
            {
                "step": "1–5 all steps",
                "needs": "24 months of revenue",
                "available": "yes" if full else "no",
                "without it": ""
                if full
                else "growth, growth-based potential, revenue and margin trends in health, "
                "the outlier check, retention, NRR and GRR are not available",
            }
        )
    for step, table, column, without in READINESS:
        ok = pack.has(table, column)
        filled = float(pack[table][column].notna().mean()) if ok and column else 1.0
        rows.append(
            {
                "step": step,
                "needs": _cap(where(table, column or "")),
                # a column filled for some rows only serves those rows
                "available": ("yes" if filled >= 0.995 else f"partly ({fmt.pct(filled)})")
                if ok
                else "no",
                "without it": without
                if not ok
                else ("" if filled >= 0.995 else f"for the rows without it: {without}"),
            }
        )
    out = pd.DataFrame(rows)
    if (out["available"] == "yes").all():  # nothing missing: an empty column says nothing
        out = out.drop(columns="without it")
    return out


def kpi_cards(head: dict, as_of: dt.date | str) -> list[tuple[str, str, str]]:
    """The headline figures as (label, value, note) cards; revenue of fewer months than
    the window says so."""
    from ..core import fmt

    n, window = head.get("window_months", 12), head.get("window", 12)
    partial = n < window
    idle = head["accounts"] - head["invoiced_accounts"]
    never = head.get("never_invoiced", 0)
    idle_note = (
        f"; {fmt.count(idle - never)} lapsed, {fmt.count(never)} never invoiced"
        if idle and never
        else (f"; {fmt.count(idle)} lapsed" if idle else "")
    )
    return [
        ("customers in the pack", fmt.count(head["accounts"]),
         f"{fmt.count(head['invoiced_accounts'])} invoiced in the last {window} months"
         + idle_note),
        (f"revenue, last {window} months",
         fmt.money(head["trailing_revenue"]),
         f"only {n} months of data" if partial else f"to {fmt.day(as_of)}"),
        ("months of revenue", fmt.count(head["months"]),
         f"{head['first_month']} to {head['last_month']}"),
        ("tables delivered", f"{head['tables_present']} of {head['tables_known']}",
         "accounts and revenue are required"),
        ("errors" if head["errors"] != 1 else "error", fmt.count(head["errors"]),
         f"{fmt.plural(head['warnings'], 'warning')} and {fmt.plural(head['notes'], 'note')}"
         ", each with its fix"),
    ]  # fmt: skip


def summary_text(head: dict, currency: str | None = None) -> str:
    """The executive summary in words, from :func:`headline`'s numbers."""
    from ..core import fmt

    parts = [
        f"The data pack covers **{fmt.count(head['accounts'])} customers** and "
        f"{fmt.count(head['revenue_rows'])} revenue rows from {head['first_month']} to "
        f"{head['last_month']} ({head['months']} months). In the trailing 12 months"
        + (
            f" (of which the data holds {head['window_months']})"
            if head.get("window_months", 12) < head.get("window", 12)
            else ""
        )
        + ", "
        f"{fmt.count(head['invoiced_accounts'])} customers were invoiced "
        f"**{fmt.money(head['trailing_revenue'], currency)}**. Every amount in the "
        f"reports is in {fmt.currency_name(currency)}"
        + (
            f" ({(currency or fmt.currency()).upper()})."
            if fmt.currency_name(currency) != (currency or fmt.currency()).upper()
            else "."
        ),  # fmt: skip
    ]
    if head["errors"]:
        parts.append(
            f"**{fmt.plural(head['errors'], 'error')} stop the analysis**: they are "
            "listed first below, each with its fix."
        )
    else:
        parts.append("**No errors: the data is fit for the analysis.**")
    if head["warnings"]:
        parts.append(
            f"{fmt.plural(head['warnings'], 'warning')} and {fmt.plural(head['notes'], 'note')}"
            " are listed below, each with what the analysis does about it."
        )
    missing = head["optional_missing"]
    if missing:
        parts.append(
            f"{head['tables_present']} of {head['tables_known']} tables were delivered; "
            f"missing: {', '.join(missing)}. The sections that need them say so and are "
            "skipped."
        )
    else:
        parts.append(f"All {head['tables_known']} tables of the data pack were delivered.")
    return " ".join(parts)


def export(
    output_dir: str, name: str, sheets: dict[str, pd.DataFrame], colour: str = "#0B3D91"
) -> str:
    """Write the data review's tables to one Excel workbook; nothing when no folder is given."""
    from .workbook import export as export_report

    ready = sheets.get("Readiness")
    if ready is not None and "available" in ready:  # "Yes", "Partly (63 %)", as other sheets
        cap = ready["available"].astype(str).map(lambda v: v[:1].upper() + v[1:])
        sheets = {**sheets, "Readiness": ready.assign(available=cap)}
    return export_report(
        output_dir, name, sheets, colour, formats={"Completeness": {"filled": "pct"}}
    )


def _short(f: Finding) -> str:
    """A finding in one clause for the next steps: where, then what is wrong up to its
    examples ("the amount (revenue table): 217 rows are negative")."""
    place, body = _parts(f)
    what = re.split(r" \((?:rows? [\d,]|[^()]*[;,] )", body)[0].split(". ")[0].rstrip(". ")
    return f"{place}: {what}" if place else what


def _review_steps(
    findings: list[Finding],
    missing: pd.DataFrame,
    errors: int,
    ready: pd.DataFrame,
    interviews: bool = False,
) -> list[str]:
    """The data owner's next steps: the first findings to fix or check, what to deliver,
    and what happens then; ``interviews``: a step already asks for new interviews, so the
    finding on their age is not counted again."""
    if interviews:
        findings = [f for f in findings if not _old_ratings(f)]
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    issues = sorted((f for f in findings if f.level != INFO), key=lambda f: order[f.level])
    steps = [
        f"{'Fix' if f.level == ERROR else 'Check'} {fmt.md_text(_short(f))} at the source."
        for f in issues[:3]
    ]
    if len(findings) > 3:
        steps.append(
            f"Check the other {fmt.plural(len(findings) - len(issues[:3]), 'finding')} in the "
            "findings section."
        )
    if len(missing):
        needs = "; ".join(n[:1].lower() + n[1:] for n in dict.fromkeys(missing["needs"]))
        steps.append(f"Ask the data owner for what is missing: {fmt.md_text(needs)}.")
    partly = ready[ready["available"].str.startswith("partly")] if len(ready) else ready
    if len(partly):
        gaps = "; ".join(
            f"{n[:1].lower() + n[1:]}, {a.removeprefix('partly (').rstrip(')')} filled"
            for n, a in zip(partly["needs"], partly["available"], strict=True)
        )
        steps.append(
            f"Ask the data owner to complete what is partly filled: {fmt.md_text(gaps)}; "
            "the steps that use it say what they do without it."
        )
    steps.append(
        "Re-run this review on every new delivery before the results are updated."
        if errors
        else "The engagement then runs on this data: segmentation, service model, "
        "profitability, account plans and KPI review."
    )
    return steps


def _old_ratings(f: Finding) -> bool:
    """The finding that the service interviews are old (see :func:`_interview_step`)."""
    return f.table == "service_ratings" and f.column == "date" and "latest interview" in f.message


def _interview_step(head: dict, as_of: dt.date | str) -> list[str]:
    """Service interviews older than a year: new ones first, as the service model asks."""
    latest = head.get("ratings_latest")
    if latest is None or pd.isna(latest):
        return []
    if latest > pd.Timestamp(as_of) - pd.DateOffset(months=12):
        return []
    return [
        f"Ask for new service interviews with the key accounts: the latest is from "
        f"{latest:%B %Y}, and the service packages rest on them."
    ]


def decision(
    head: dict, findings: list[Finding], ready: pd.DataFrame, as_of: dt.date | str,
    currency: str | None = None,
) -> Decision:  # fmt: skip
    """The data review's decision page: can the engagement run on this data, and what the
    client's data owner should do next."""
    missing = ready[ready["available"] == "no"] if len(ready) else ready
    errors, warnings = head["errors"], head["warnings"]
    if errors:
        head_text = (
            f"**The data cannot be used yet**: {fmt.plural(errors, 'error')} stop the analysis."
        )
        rec = (
            "Send this review to the client's data owner today; run the engagement once the "
            "corrected data pack is delivered and this review shows no error."
        )
        kind = "bad"
    elif len(missing):
        head_text = (
            f"**The data is fit for the analysis**, with {fmt.plural(len(missing), 'gap')}: "
            f"{fmt.count(head['accounts'])} customers and {head['months']} months of revenue."
        )
        rec = (
            "Run the engagement on this data now, and ask the client's data owner for what "
            "is missing: the parts that need it are left out and say so, and fill in when "
            "it is delivered."
        )
        kind = "good"
    else:
        head_text = (
            f"**The data is fit for the analysis**: {fmt.count(head['accounts'])} customers, "
            f"{head['months']} months of revenue and every table of the data pack."
        )
        rec = "Run the engagement on this data now."
        kind = "good"
    if warnings and not errors:
        rec += (
            f" The {fmt.plural(warnings, 'warning')} in the findings table each say what the "
            "analysis does about them; have them fixed at the source before the next delivery."
        )
    interview = _interview_step(head, as_of)
    return Decision(
        headline=head_text,
        tiles=kpi_cards(head, as_of),
        recommendation=rec,
        next_steps=interview + _review_steps(findings, missing, errors, ready, bool(interview)),
        detail=summary_text(head, currency),
        kind=kind,
    )
