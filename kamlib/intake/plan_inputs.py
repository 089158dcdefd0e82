"""The plan inputs: what only the account manager knows, collected in an Excel workbook.

``kam plans ENGAGEMENT --inputs-template`` writes the workbook, one row per key account
and field, pre-filled with what the data already says and with earlier answers; the
filled workbook is read back into every plan (fields left empty stay "to complete").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: What only the account manager knows: field name -> what to write.
PLAN_FIELDS = {
    "challenges": "The customer's key business challenges for the next 12–36 months",
    "ongoing_projects": "Ongoing projects at the customer that touch our offer",
    "strengths": "Strengths of our relationship",
    "weaknesses": "Weaknesses of our relationship",
    "opportunities": "SWOT: opportunities we see",
    "threats": "SWOT: threats (competitors, budget, re-organisation...)",
    "required_actions": "What we must do to reach the target",
    "desired_solution": "The solution the customer wants from us",
    "client_value": "The value of that solution for the customer, in their terms",
    "investment": "What we must invest (people, pilots, pricing) and what it returns",
    "action_plan": "Actions as 'action | owner | due date | status', one per line",
    "deal_preparation": "How we prepare the deal: decision makers, timing, proposal",
    "risk_mitigation": "How we mitigate each risk, those the data shows and those you know of",
    "investment_amount": "Planned extra investment per year: a number in the engagement's "
    "currency (e.g. 25000)",
}
INPUT_COLUMNS = ["account_id", "account", "field", "what to write", "from the data", "your text"]


def inputs_template(
    path,
    accounts: pd.DataFrame,
    context: pd.DataFrame | None = None,
    existing: pd.DataFrame | None = None,
    colour: str = "#0B3D91",
):
    """Write the plan inputs workbook: one row per account and field.

    ``accounts`` has ``account_id`` and ``account_name``; ``context`` (account_id, field,
    text) is what the data already says, shown beside each field; ``existing`` is the
    pack's ``plan_inputs``, pre-filled in "your text" so a second round keeps the first.
    """
    from ..core.excel import export_workbook

    rows = pd.DataFrame(
        [
            (a, n, f, d)
            for a, n in zip(accounts["account_id"], accounts["account_name"], strict=True)
            for f, d in PLAN_FIELDS.items()
        ],
        columns=["account_id", "account", "field", "what to write"],
    )
    for name, frame in (("from the data", context), ("your text", existing)):
        if frame is not None and len(frame):
            joined = frame.groupby(["account_id", "field"])["text"].agg("\n".join)
            rows[name] = [
                joined.get((a, f), "")
                for a, f in zip(rows["account_id"], rows["field"], strict=True)
            ]
        else:
            rows[name] = ""
    return export_workbook(path, {"Plan inputs": rows[INPUT_COLUMNS]}, colour)


def _finding(path, column: str, rows: int, message: str):
    """An error in the plan inputs workbook: it stops the run before anything is written."""
    from .datapack import ERROR, Finding

    return Finding(ERROR, "plan_inputs", path.name, column, rows, (), message, "stops the run")


def _bad_rows(path, index: pd.Index, column: str, mask: pd.Series, what: str, fix: str):
    n = int(mask.sum())
    rows = ", ".join(str(i) for i in index[mask.to_numpy()][:5])
    return _finding(
        path,
        column,
        n,
        f"{path.name}, column '{column}': {_rows(n)} {what} (rows {rows}). Fix: {fix}",
    )


def _rows(n: int) -> str:
    return "1 row names" if n == 1 else f"{n} rows name"


def read_inputs(path, known_accounts: set[str] | None = None) -> pd.DataFrame:
    """Read a filled plan inputs workbook back as ``plan_inputs`` rows (account_id, field,
    text); rows with no text are skipped. Unknown fields or accounts are a
    :class:`~kamlib.core.errors.DataPackError` naming the rows and the fix."""
    from pathlib import Path

    from ..core.errors import DataPackError

    path = Path(path)
    try:
        df = pd.read_excel(path, sheet_name="Plan inputs", dtype=object, engine="openpyxl")
    except Exception as exc:  # not a workbook, no such sheet, damaged zip: all one message
        raise DataPackError(
            [
                _finding(
                    path,
                    "",
                    0,
                    f"{path.name}: cannot be read as the plan inputs "
                    f"workbook ({exc}). Fix: write it again with "
                    "`kam plans ENGAGEMENT --inputs-template --force` "
                    "(the damaged file is kept as .bak.xlsx).",
                )
            ]
        ) from None
    missing = [c for c in ("account_id", "field", "your text") if c not in df.columns]
    if missing:
        raise DataPackError(
            [
                _finding(
                    path,
                    missing[0],
                    0,
                    f"{path.name}, sheet 'Plan inputs': column "
                    f"'{missing[0]}' is missing. Fix: keep the template's "
                    "columns.",
                )
            ]
        )
    df.index = pd.RangeIndex(2, len(df) + 2)
    text = df["your text"].astype("string").str.strip()
    df = df[text.notna() & (text != "")].assign(text=text)
    amounts = df["field"] == "investment_amount"
    checks = [
        ("field", ~df["field"].isin(list(PLAN_FIELDS)), "an unknown field",
         f"use one of {', '.join(PLAN_FIELDS)}."),
        ("your text", amounts & df["text"].map(parse_amount).isna(),
         "an investment_amount that is not a number", "write a plain number such as 25000."),
    ]  # fmt: skip
    if known_accounts is not None:
        checks.append(
            ("account_id", ~df["account_id"].astype(str).isin(known_accounts),
             "an account that is not a key account", "correct the id or delete the rows.")
        )  # fmt: skip
    problems = [_bad_rows(path, df.index, *c) for c in checks if c[1].any()]
    if problems:
        raise DataPackError(problems, source=path.name)
    out = df[["account_id", "field", "text"]].astype({"account_id": str, "text": str})
    return out.reset_index(drop=True)


def parse_amount(text: object) -> float | None:
    """A planned amount written by a person: ``"25000"``, ``"25,000"``, ``"€ 25 000"``.

    Examples
    --------
    >>> parse_amount("€ 25,000"), parse_amount("12.5"), parse_amount("a lot")
    (25000.0, 12.5, None)
    """
    import re

    s = re.sub(r"[\s\u00a0\u202f€$£,]|EUR|USD|GBP|CHF", "", str(text))
    try:
        return float(s)
    except ValueError:
        return None


def combine(pack_inputs: pd.DataFrame | None, workbook: pd.DataFrame | None) -> pd.DataFrame:
    """The pack's ``plan_inputs`` with the workbook's answers on top: a field answered in
    the workbook replaces the pack's text for that account and field."""
    cols = ["account_id", "field", "text"]
    frames = [f[cols] for f in (pack_inputs, workbook) if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=cols)
    if len(frames) == 2:
        done = set(zip(frames[1]["account_id"], frames[1]["field"], strict=True))
        keep = [
            (a, f) not in done
            for a, f in zip(frames[0]["account_id"], frames[0]["field"], strict=True)
        ]
        frames[0] = frames[0][keep]
    out = pd.concat(frames, ignore_index=True).astype({"account_id": str, "text": str})
    return out[out["text"].str.strip() != ""].reset_index(drop=True)


def workbook_path(config) -> Path:
    """Where the engagement's plan inputs workbook lives (``method.account_plan.inputs``)."""
    return (config.folder / config.method.account_plan.inputs).resolve()


def parse_actions(text: str | None) -> pd.DataFrame:
    """The action plan written as ``action | owner | due date | status`` lines.

    Missing parts stay empty (shown "to complete"); blank lines are skipped.

    Examples
    --------
    >>> parse_actions("Workshop | Anna | 2026-11-15 | planned\\nCall the CFO").values.tolist()
    [['Workshop', 'Anna', '2026-11-15', 'planned'], ['Call the CFO', '', '', '']]
    """
    rows = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        rest = (parts[1:3] + ["", ""])[:2]
        rows.append([parts[0], *rest, " | ".join(parts[3:])])
    return pd.DataFrame(rows, columns=["action", "owner", "due", "status"])
