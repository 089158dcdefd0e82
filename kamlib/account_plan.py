"""Step 4 — account plans: the computations behind one key account's plan.

Each function works for every account at once (the batch needs that) and returns a
frame keyed by ``account_id``; a plan selects its own rows, so it never shows another
account's figures, only its segment's aggregates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PARTS = [
    "baselines",
    "relationship",
    "growth",
    "actions_solution",
    "client_value",
    "investment",
    "action_plan",
    "swot",
    "risks",
    "sign_off",
]


def whitespace(
    product_revenue: pd.DataFrame, segment_of: pd.Series, min_adoption: float = 0.25
) -> pd.DataFrame:
    """Products each account does not buy that its segment does, valued at the segment's
    typical spend (the median spend of the segment's accounts that buy the product).

    ``product_revenue`` holds ``account_id``, ``product`` and ``amount`` over the trailing
    window. Only products bought by at least ``min_adoption`` of the segment count.

    Examples
    --------
    >>> pr = pd.DataFrame({"account_id": ["a", "b", "b"], "product": ["X", "X", "Y"],
    ...                    "amount": [10.0, 20.0, 30.0]})
    >>> seg = pd.Series({"a": "S", "b": "S"})
    >>> whitespace(pr, seg, 0.5)[["account_id", "product", "value"]].values.tolist()
    [['a', 'Y', 30.0]]
    """
    spend = product_revenue.groupby(["account_id", "product"], as_index=False)["amount"].sum()
    spend = spend[spend["amount"] > 0]
    spend["segment"] = spend["account_id"].map(segment_of)
    spend = spend[spend["segment"].notna()]
    size = segment_of.value_counts()
    typical = (
        spend.groupby(["segment", "product"])
        .agg(buyers=("account_id", "nunique"), value=("amount", "median"))
        .reset_index()
    )
    typical["adoption"] = typical["buyers"] / typical["segment"].map(size)
    typical = typical[typical["adoption"] >= min_adoption]
    accounts = pd.DataFrame({"account_id": segment_of.index, "segment": segment_of.to_numpy()})
    cand = accounts.merge(typical, on="segment")
    bought = set(zip(spend["account_id"], spend["product"], strict=True))
    mask = [(a, p) not in bought for a, p in zip(cand["account_id"], cand["product"], strict=True)]
    out = cand[mask][["account_id", "segment", "product", "adoption", "value"]]
    return out.sort_values(["account_id", "value"], ascending=[True, False]).reset_index(drop=True)


def weighted_pipeline(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Per account: open opportunities, their amount and their probability-weighted amount."""
    o = opportunities[opportunities["status"] == "open"]
    prob = o["probability"] if "probability" in o.columns else pd.Series(np.nan, index=o.index)
    o = o.assign(weighted=o["amount"] * prob.fillna(0.0))
    g = o.groupby("account_id").agg(
        open_opportunities=("amount", "size"),
        pipeline=("amount", "sum"),
        weighted=("weighted", "sum"),
    )
    return g.reset_index()


def targets(
    base: pd.Series, growth: float, horizons: list[int], weighted: pd.Series | None = None
) -> pd.DataFrame:
    """Revenue targets per account: management's annual growth applied to each account.

    ``target_<h>m = base x (1 + growth) ^ (h / 12)``. ``from_pipeline`` is how much of the
    first horizon's increase the weighted open pipeline covers; ``to_find`` the rest.

    Examples
    --------
    >>> t = targets(pd.Series({"a": 100.0}), 0.1, [12, 24], pd.Series({"a": 4.0}))
    >>> t[["target_12m", "target_24m", "from_pipeline", "to_find"]].round(2).values.tolist()
    [[110.0, 121.0, 4.0, 6.0]]
    """
    out = pd.DataFrame({"account_id": base.index, "base": base.to_numpy()})
    for h in horizons:
        out[f"target_{h}m"] = out["base"] * (1 + growth) ** (h / 12)
    first = out[f"target_{horizons[0]}m"] - out["base"]
    w = (
        weighted.reindex(base.index).fillna(0.0).to_numpy()
        if weighted is not None
        else np.zeros(len(out))
    )
    out["from_pipeline"] = np.minimum(w, first.clip(lower=0).to_numpy())
    out["to_find"] = (first - out["from_pipeline"]).clip(lower=0)
    return out


def stakeholder_gaps(
    contacts: pd.DataFrame, as_of: dt.date | str, stale_days: int = 180
) -> pd.DataFrame:
    """Per account with contacts: senior contact, supporter, staleness and influential
    detractors, each as a flag, and the gaps in words."""
    c = contacts.copy()
    as_of = pd.Timestamp(as_of)
    c["days"] = (as_of - c["last_contact"]).dt.days if "last_contact" in c.columns else np.nan
    senior = (
        c["senior"].fillna(False).astype(bool)
        if "senior" in c.columns
        else pd.Series(False, index=c.index)
    )
    attitude = c["attitude"] if "attitude" in c.columns else pd.Series(None, index=c.index)
    influence = c["influence"] if "influence" in c.columns else pd.Series(np.nan, index=c.index)
    c = c.assign(
        is_senior=senior,
        supporter=attitude == "supporter",
        key_detractor=(attitude == "detractor") & (influence >= 4),
    )
    c["senior_days"] = c["days"].where(c["is_senior"])
    g = c.groupby("account_id").agg(
        contacts=("name", "size"),
        senior_contacts=("is_senior", "sum"),
        supporters=("supporter", "sum"),
        key_detractors=("key_detractor", "sum"),
        days_since_senior=("senior_days", "min"),
    )
    g["no_senior"] = g["senior_contacts"] == 0
    g["no_supporter"] = g["supporters"] == 0
    g["stale_senior"] = g["days_since_senior"] > stale_days
    words = []
    for r in g.itertuples():
        w = []
        if r.no_senior:
            w.append("no senior contact")
        elif r.stale_senior:
            w.append(f"senior contact not met for {int(r.days_since_senior)} days")
        if r.no_supporter:
            w.append("no supporter")
        if r.key_detractors:
            w.append(f"{int(r.key_detractors)} influential detractor(s)")
        words.append("; ".join(w))
    g["gaps"] = words
    return g.reset_index()


def risk_signals(
    revenue_now: pd.Series,
    revenue_before: pd.Series,
    margin_now: pd.Series,
    margin_before: pd.Series,
    nps_recent: pd.Series | None = None,
    nps_earlier: pd.Series | None = None,
    stale_senior: pd.Series | None = None,
    decline: float = -0.05,
    erosion: float = 0.02,
    nps_drop: float = 10.0,
) -> pd.DataFrame:
    """Data-driven churn signals per account, with the reason in words.

    Declining revenue (trailing change below ``decline``), margin erosion (gross margin
    down by ``erosion`` or more), falling NPS (down ``nps_drop`` points or more) and a
    stale senior contact.
    """
    idx = revenue_now.index
    change = (revenue_now / revenue_before - 1).where(revenue_before > 0)
    out = pd.DataFrame(index=idx)
    out["declining_revenue"] = change < decline
    out["margin_erosion"] = (margin_before - margin_now) >= erosion
    if nps_recent is not None and nps_earlier is not None:
        out["falling_nps"] = (nps_earlier.reindex(idx) - nps_recent.reindex(idx)) >= nps_drop
    else:
        out["falling_nps"] = False
    out["stale_senior"] = (
        stale_senior.reindex(idx).fillna(False).astype(bool) if stale_senior is not None else False
    )
    texts = []
    for a in idx:
        t = []
        if out.at[a, "declining_revenue"]:
            t.append(f"revenue {change[a]:+.0%} on the prior 12 months")
        if out.at[a, "margin_erosion"]:
            t.append(f"gross margin down {100 * (margin_before[a] - margin_now[a]):.1f} points")
        if out.at[a, "falling_nps"]:
            t.append(f"NPS down {nps_earlier[a] - nps_recent[a]:.0f} points")
        if out.at[a, "stale_senior"]:
            t.append("no recent senior contact")
        texts.append("; ".join(t))
    out["signals"] = texts
    out["count"] = out[["declining_revenue", "margin_erosion", "falling_nps", "stale_senior"]].sum(
        axis=1
    )
    return out.rename_axis("account_id").reset_index()


def completeness(filled: dict[str, bool]) -> tuple[float, list[str]]:
    """Share of the plan's parts filled from data or inputs, and the parts still to complete.

    Examples
    --------
    >>> completeness({"baselines": True, "swot": False})
    (0.5, ['swot'])
    """
    if not filled:
        return 0.0, []
    todo = [k for k, v in filled.items() if not v]
    return (len(filled) - len(todo)) / len(filled), todo


#: What only the account manager knows: field name -> what to write.
PLAN_FIELDS = {
    "challenges": "The customer's key business challenges for the next 12-36 months",
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
    "risk_mitigation": "How we mitigate the risks listed in the plan",
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
    from .excel import export_workbook

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


def _rows(n: int) -> str:
    return "1 row names" if n == 1 else f"{n} rows name"


def read_inputs(path, known_accounts: set[str] | None = None) -> pd.DataFrame:
    """Read a filled plan inputs workbook back as ``plan_inputs`` rows (account_id, field,
    text); rows with no text are skipped. Unknown fields or accounts are a
    :class:`~kamlib.errors.DataPackError` naming the rows and the fix."""
    from pathlib import Path

    from .datapack import ERROR, Finding
    from .errors import DataPackError

    path = Path(path)
    try:
        df = pd.read_excel(path, sheet_name="Plan inputs", dtype=object, engine="openpyxl")
    except (ValueError, OSError, KeyError) as exc:
        raise DataPackError(
            [
                Finding(
                    ERROR,
                    "plan_inputs",
                    path.name,
                    "",
                    0,
                    (),
                    f"{path.name}: cannot be read as the plan inputs "
                    f"workbook ({exc}). Fix: write it again with "
                    "`kam plans ENGAGEMENT --inputs-template`.",
                    "stops the run",
                )
            ]
        ) from None
    missing = [c for c in ("account_id", "field", "your text") if c not in df.columns]
    if missing:
        raise DataPackError(
            [
                Finding(
                    ERROR,
                    "plan_inputs",
                    path.name,
                    missing[0],
                    0,
                    (),
                    f"{path.name}, sheet 'Plan inputs': column "
                    f"'{missing[0]}' is missing. Fix: keep the template's "
                    "columns.",
                    "stops the run",
                )
            ]
        )
    df.index = pd.RangeIndex(2, len(df) + 2)
    text = df["your text"].astype("string").str.strip()
    df = df[text.notna() & (text != "")].assign(text=text)
    problems = []
    bad_field = ~df["field"].isin(list(PLAN_FIELDS))
    if bad_field.any():
        rows = ", ".join(str(i) for i in df.index[bad_field][:5])
        problems.append(
            Finding(
                ERROR,
                "plan_inputs",
                path.name,
                "field",
                int(bad_field.sum()),
                (),
                f"{path.name}, column 'field': {_rows(int(bad_field.sum()))} "
                f"an unknown field (rows {rows}). Fix: use one of "
                f"{', '.join(PLAN_FIELDS)}.",
                "stops the run",
            )
        )
    if known_accounts is not None:
        bad_acc = ~df["account_id"].astype(str).isin(known_accounts)
        if bad_acc.any():
            rows = ", ".join(str(i) for i in df.index[bad_acc][:5])
            problems.append(
                Finding(
                    ERROR,
                    "plan_inputs",
                    path.name,
                    "account_id",
                    int(bad_acc.sum()),
                    (),
                    f"{path.name}, column "
                    f"'account_id': {_rows(int(bad_acc.sum()))} an account "
                    f"that is not a key account (rows {rows}). Fix: correct "
                    "the id or delete the rows.",
                    "stops the run",
                )
            )
    if problems:
        raise DataPackError(problems, source=path.name)
    out = df[["account_id", "field", "text"]].astype({"account_id": str, "text": str})
    return out.reset_index(drop=True)
