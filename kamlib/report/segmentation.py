"""Step 1 — the segmentation as the client reads it: the summary and recommendation in
words, the headline cards, the screen, sensitivity and key-account tables, and
``01_segmentation.xlsx``.

The numbers come from :mod:`kamlib.method.segmentation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import fmt
from ..core import settings as settings_
from ..method.segmentation import (
    DIMENSIONS,
    Segmentation,
    class_totals,
    segment_totals,
)
from .decision import Decision
from .words import say, say_all, unbracket


def recommendation_text(h: dict, currency: str | None = None) -> str:
    """The recommended line in one sentence, with its reason: the line, no key-account
    model, or what is needed to draw one."""
    reason = say(h["line_reason"])
    if not h.get("line_decided", True):
        return f"No line can be recommended yet. {reason}"
    if h.get("line_none_pay", False):
        return f"We recommend no key-account model. {reason}"
    return (
        f"We recommend drawing the line at the {fmt.count(h['line_accounts'])} largest "
        f"accounts (revenue of at least {fmt.money(h['line_min_revenue'], currency)}, "
        f"{fmt.pct(h['line_revenue_share'])} of revenue). {reason}"
    )


def recommendation_callout(h: dict, currency: str | None = None) -> tuple[str, str]:
    """The recommendation box under the sweep: its text and kind (``good`` for a line,
    ``warn`` when there is none)."""
    text = "Recommendation: " + recommendation_text(h, currency)
    drawn = h.get("line_decided", True) and not h.get("line_none_pay", False)
    return text, "good" if drawn else "warn"


def summary_text(h: dict, currency: str | None = None) -> str:
    """The executive summary in words."""
    lo, hi = h["per_manager"]
    pareto_gp = (
        ""
        if np.isnan(h["pareto_80_gp"])
        else f" and {fmt.pct(h['pareto_80_gp'])} make 80 % of gross profit"
    )
    verb = "is" if h["overrides"] == 1 else "are"
    overrides = f"{fmt.plural(h['overrides'], 'consultant override')} {verb} applied."
    if not h["key_accounts"]:
        head = (
            f"**None of the {fmt.count(h['customers'])} customers is a key account** by the "
            f"rules. {fmt.pct(h['pareto_80'])} of customers make 80 % of revenue{pareto_gp}. "
        )
        return head + recommendation_text(h, currency) + " " + overrides
    tiers = ", ".join(f"{v} in {t}" for t, v in h["tiers"].items())
    gp = (
        " (gross profit needs cost of goods, which the data does not hold)"
        if np.isnan(h["gross_profit_share"])
        else f" and {fmt.pct(h['gross_profit_share'])} of gross profit"
    )
    managers = (
        f"{h['managers_low']} key account manager" + ("s" if h["managers_low"] != 1 else "")
        if h["managers_low"] == h["managers_high"]
        else f"{h['managers_low']} to {h['managers_high']} key account managers"
    )
    dev = (
        f"{fmt.plural(h['development'], 'account')} with large potential that "
        f"{'is' if h['development'] == 1 else 'are'} not key go to the development track; "
        if h["development"]
        else ""
    )
    by_override = ""
    staffing = f"At {lo} to {hi} key accounts per manager they need **{managers}**. "
    if h.get("key_by_override", 0) == h["key_accounts"] and (
        h.get("line_none_pay") or not h.get("line_decided", True)
    ):
        by_override = ", all by consultant override"
        staffing = "Confirm or withdraw the overrides: the rules make no customer key. "
    verb = "is a key account" if h["key_accounts"] == 1 else "are key accounts"
    return (
        f"**{fmt.count(h['key_accounts'])} of {fmt.count(h['customers'])} customers "
        f"({fmt.pct(h['key_share'])}) {verb}**{by_override}: {tiers}. Together they make "
        f"**{fmt.pct(h['revenue_share'])} of revenue**{gp}. "
        f"{staffing}"
        f"{fmt.pct(h['pareto_80'])} of customers make 80 % of revenue{pareto_gp}. "
        f"{recommendation_text(h, currency)} "
        + (f"{dev}{overrides}" if dev else overrides[0].upper() + overrides[1:])
    )


def kpi_cards(h: dict, currency: str | None = None) -> list[tuple[str, str, str]]:
    """The headline figures as (label, value, note) cards."""
    lo, hi = h["per_manager"]
    no_gp = np.isnan(h["gross_profit_share"])
    if not h.get("line_decided", True):
        line = ("recommended line", "not yet", "needs cost of goods or a margin")
    elif h.get("line_none_pay", False):
        line = ("recommended line", "none", "no line covers the model's cost")
    else:
        line = (
            "recommended line",
            fmt.money(h["line_min_revenue"], currency),
            f"the {fmt.count(h['line_accounts'])} largest accounts",
        )
    return [
        (
            "key accounts",
            fmt.count(h["key_accounts"]),
            f"{fmt.pct(h['key_share'])} of {fmt.count(h['customers'])} customers",
        ),
        ("share of revenue", fmt.pct(h["revenue_share"]), "trailing 12 months"),
        (
            "share of gross profit",
            "n/a" if no_gp else fmt.pct(h["gross_profit_share"]),
            "no cost of goods in the data" if no_gp else "trailing 12 months",
        ),
        (
            "key account managers",
            f"{h['managers_low']}–{h['managers_high']}"
            if h["managers_low"] != h["managers_high"]
            else fmt.count(h["managers_low"]),
            f"at {lo} to {hi} accounts each",
        ),
        line,
    ]


def by_segment(seg: Segmentation) -> pd.DataFrame:
    """:func:`~kamlib.method.segmentation.segment_totals` for readers."""
    return segment_totals(seg).rename(
        columns={
            "gross_profit": "gross profit",
            "score": "compatibility",
            "revenue_share": "share of revenue",
        }
    )


#: The Accounts sheet's columns, in order (labels and formats: :mod:`.workbook`).
EXPORT_COLUMNS = [
    "account_id",
    "account_name",
    "class",
    "tier",
    "segment",
    "reason",
    "override",
    "revenue",
    "prior_revenue",
    "growth",
    "gross_profit",
    "gross_margin",
    "discount",
    "estimated_wallet",
    "share_of_wallet",
    "potential",
    "potential_basis",
    "revenue_pct",
    "potential_pct",
    "finance",
    "strategy",
    "attitude",
    "score",
    "renormalised",
    "missing_dimensions",
    "orientation",
    "orientation_basis",
    "candidate",
    "lost_on",
    "lost_reason",
]


def export_table(seg: Segmentation) -> pd.DataFrame:
    """Every account with its metrics, scores, class and the reason, for the Excel export."""
    cols = [c for c in EXPORT_COLUMNS if c in seg.accounts.columns]
    extra = [
        c
        for c in ("industry", "channel", "region", "account_manager", "members")
        if c in seg.accounts.columns
    ]
    out = seg.accounts[cols[:2] + extra + cols[2:]]
    worded = {  # one sentence per row: a list, not pandas' map (100,000 rows)
        c: pd.Series([say(n) for n in out[c]], index=out.index, dtype=object)
        for c in ("reason", "override")
        if c in out.columns
    }
    out = out.assign(**worded)
    return out.sort_values("revenue", ascending=False, kind="stable")


def export(output_dir: str, seg: Segmentation, colour: str = "#0B3D91") -> str:
    """Write ``01_segmentation.xlsx``: accounts, sensitivity, segments; nothing without a folder."""
    from .workbook import export as export_workbook

    if not output_dir:
        return ""
    # the sweep's shares are named as shares in the workbook (the page's table heads them)
    shares = {"customers": "share of customers", "revenue": "share of revenue",
              "gross profit": "share of gross profit"}  # fmt: skip
    sheets = {
        "Accounts": export_table(seg),
        # the report marks the line "here" (a narrow column); the workbook says what it is
        "Sensitivity": sensitivity_view(seg)
        .rename(columns=shares)
        .replace({"line": {"here": "recommended"}}),
        "Segments": by_segment(seg),
    }
    if seg.notes:
        sheets["Notes"] = pd.DataFrame({"note": say_all(seg.notes)})
    sens = {c: "pct" for c in (*shares.values(), "margin to cover")}
    money = {
        "from revenue": "money",
        "model cost": "money",
        "gross profit per added account": "money",
    }
    return export_workbook(
        output_dir,
        "01_segmentation.xlsx",
        sheets,
        colour,
        formats={
            "Sensitivity": {**sens, **money},
            "Segments": {"share of revenue": "pct", "compatibility": "number"},
        },
    )


def screen_summary(seg: Segmentation) -> pd.DataFrame:
    """:func:`~kamlib.method.segmentation.class_totals` for readers ("n/a" where an input
    is missing, never 0)."""
    return class_totals(seg).rename(
        columns={"gross_profit": "gross profit", "gross_margin": "gross margin"}
    )


SENSITIVITY_FORMATS = {
    "customers": "pct0",
    "from revenue": "money_short",
    "revenue": "pct0",
    "gross profit": "pct0",
    "model cost": "money_short",
    "gross profit per added account": "money_short",
    "cost-to-serve per added account": "money_short",
    "margin to cover": "pct_cap",
}


def sensitivity_note(seg: Segmentation, settings: settings_.Segmentation | None = None) -> str:
    """What the sweep rests on: the model's cost assumptions (``settings``: the config's
    ``method.segmentation``), and a gross profit assumed from a stated margin, unknown,
    or annualised from fewer months."""
    s = seg.sensitivity
    said = []
    if settings is not None:
        lo, hi = (int(x) for x in settings.accounts_per_manager)
        mid = (lo + hi) / 2
        per = settings.manager_cost / mid + settings.service_cost
        said.append(
            f"The model costs {fmt.money(per)} per key account a year: a key account "
            f"manager's share ({fmt.money(settings.manager_cost)} a year for {mid:g} accounts, "
            f"the middle of {lo} to {hi}) and {fmt.money(settings.service_cost)} of added "
            "key-account service; both are planning assumptions, not yet the client's "
            "own figures."
        )
        if "marginal_cts" in s and s["marginal_cts"].notna().any():
            said.append(
                "The cost-to-serve per added account is what serving those accounts costs "
                "today, measured from the activity data as in the profitability report: it "
                "exists whether or not an account is key and is already in its net "
                "contribution, so it is shown beside the model's added cost, not in it. "
                "The service model prices each segment's package from the same activity "
                "costs."
            )
    said.append(
        "Covers its cost: the gross profit the accounts added at a line bring covers what "
        "the model adds per account, and the whole line's covers the model's whole cost. "
        "Margin to cover: the gross margin at which both would."
    )
    basis = s.attrs.get("gp_basis", "data")
    if basis == "assumed":
        said.append(
            f"Gross profit per added account is revenue x the assumed gross margin of "
            f"{fmt.pct(s.attrs['assumed_margin'])}, not measured."
        )
    elif basis == "none":
        said.append(
            "Without cost of goods, gross profit is not known; 'margin to cover' is the gross "
            "margin the added accounts would need to cover the model's cost."
        )
    if s.attrs.get("annualised_from"):
        said.append(
            f"Amounts per added account are annualised from the {s.attrs['annualised_from']} "
            "months of data."
        )
    return " ".join(said)


def sensitivity_view(seg: Segmentation) -> pd.DataFrame:
    """The sensitivity table with reader-facing column names.

    Without cost of goods the gross-profit columns are "n/a" (or say they are assumed),
    and "covers its cost" is "unknown" where only a gross margin would tell; the recommended line
    is marked.
    """
    s = seg.sensitivity
    if s.empty or "customer_share" not in s.columns:
        return pd.DataFrame()
    per = sorted(
        (c for c in s.columns if c.startswith("managers_at_")),
        key=lambda c: -int(c.rsplit("_", 1)[1]),
    )
    gp_label = "gross profit per added account"
    pays = [
        "unknown" if not isinstance(v, bool | np.bool_) else ("yes" if v else "no")
        for v in s["pays"]
    ]
    line = seg.recommendation.get("key_accounts", 0)
    return pd.DataFrame(
        {
            "key accounts": s["key_accounts"],
            "customers": s["customer_share"],
            "from revenue": s["min_revenue"],
            "revenue": s["revenue_share"],
            "gross profit": s["gross_profit_share"],
            **{f"managers at {c.rsplit('_', 1)[1]}": s[c] for c in per},
            "model cost": s["model_cost"],
            gp_label: s["marginal_gp"],
            **(
                {"cost-to-serve per added account": s["marginal_cts"]}
                if "marginal_cts" in s and s["marginal_cts"].notna().any()
                else {}
            ),
            "margin to cover": s["break_even_margin"].where(np.isfinite(s["break_even_margin"])),
            "covers its cost": pays,
            "line": np.where(s["key_accounts"] == line, "here", ""),
        }
    )


def weights_table(config) -> pd.DataFrame:
    """The compatibility weights and what each dimension is made of."""
    w = config.method.segmentation.weights
    made = {
        "finance": "revenue, gross profit, potential",
        "strategy": "market leadership, innovation leadership, strategic fit",
        "attitude": "loyalty, information sharing, engagement",
    }
    return pd.DataFrame(
        {
            "dimension": list(DIMENSIONS),
            "weight": [w[d] for d in DIMENSIONS],
            "made of": [made[d] for d in DIMENSIONS],
        }
    )


def renormalised_list(seg: Segmentation) -> pd.DataFrame:
    """Candidates and key accounts scored without one or more dimensions, largest first."""
    a = seg.accounts
    a = a[(a["candidate"] | a["key"]) & a["renormalised"]]
    return a.sort_values("revenue", ascending=False)[
        ["account_name", "class", "revenue", "missing_dimensions", "score"]
    ].rename(
        columns={
            "account_name": "account",
            "missing_dimensions": "not rated",
            "score": "compatibility",
        }
    )


def orientation_table(seg: Segmentation) -> pd.DataFrame:
    """Key accounts by orientation and by where the orientation came from."""
    k = seg.key_accounts
    t = pd.crosstab(k["orientation"].fillna("unknown"), k["orientation_basis"])
    t = t.reindex(
        columns=[
            c
            for c in ("client data", "attitude ratings", "discount depth", "unknown")
            if c in t.columns
        ]
    )
    t["key accounts"] = t.sum(axis=1)
    return t.reset_index().rename(columns={"orientation": "orientation"})


def unplaced_text(unplaced: int) -> str:
    """The note under the portfolio matrix."""
    if not unplaced:
        return "Every key and development account has strategic or attitude ratings."
    return (
        f"{unplaced} key or development accounts have no strategic or attitude rating and "
        "cannot be placed on the compatibility axis; rate them to complete the picture."
    )


def overrides_table(seg: Segmentation) -> pd.DataFrame:
    """The overrides applied, with the accounts' names."""
    names = seg.accounts.set_index("account_id")["account_name"]
    o = seg.overrides
    if o.empty:
        return pd.DataFrame({"account": [], "decision": []})
    return pd.DataFrame(
        {"account": o["account_id"].map(names).to_numpy(), "decision": o["override"].map(say)}
    )


def key_account_list(seg: Segmentation) -> pd.DataFrame:
    """Key accounts, largest first, with tier, segment and scores."""
    k = seg.key_accounts.sort_values("revenue", ascending=False)
    return pd.DataFrame(
        {
            "account": k["account_name"],
            "segment": k["segment"],
            "revenue": k["revenue"],
            "growth": k["growth"],
            "gross margin": k["gross_margin"],
            "compatibility": k["score"],
            # partial evidence is labelled: the dimensions the score could not rate
            "not rated": k["missing_dimensions"].fillna("") if "missing_dimensions" in k else "",
            "manager": k.get("account_manager", ""),
        }
    )


def _ordinal(n: int) -> str:
    """``1 -> '1st'``, ``22 -> '22nd'``, ``13 -> '13th'``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def _which(rows: pd.DataFrame, currency: str | None, names: int = 2, reasons: bool = False) -> str:
    """The largest accounts of a group by name, revenue and rank (and who decided, for a
    decision on the account, with its reason given ``reasons``); the rest counted."""
    said = [
        f"{fmt.shorten(r.account_name, 40)} ({fmt.money(r.revenue, currency)}, "
        f"{'the largest customer' if r.rank == 1 else _ordinal(int(r.rank)) + ' largest'}"
        + (f"; decided by {unbracket(r.by)}" if isinstance(getattr(r, "by", None), str) else "")
        + (_reason(r) if reasons else "")
        + ")"
        for r in rows.head(names).itertuples()
    ]
    more = len(rows) - len(said)
    return ", ".join(said) + (f" and {more} more" if more > 0 else "")


def _reason(r: Any) -> str:
    """Why an account named in the bridge is where it is: the decision's reason, or the
    growth its potential comes from when the data has no wallet estimate."""
    why = getattr(r, "why", None)
    if isinstance(why, str) and why.strip():
        return f": {unbracket(fmt.shorten(why.split(';')[0].strip(), 90))}"
    growth = getattr(r, "growth", None)
    if (
        getattr(r, "missed", None) == "potential"
        and str(getattr(r, "potential_basis", "")) == ("growth")
        and growth is not None
        and pd.notna(growth)
    ):
        g = fmt.pct(growth, 1, signed=True)
        return f"; potential from revenue growth of {g}, no wallet estimate"
    return ""


def bridge_table(
    b: dict, h: dict, currency: str | None = None, names: int = 2, reasons: bool = False
) -> pd.DataFrame:
    """From the recommended line to the key-account list (see
    :func:`kamlib.method.segmentation.line_bridge`): one row per difference, signed
    counts, the ``names`` largest accounts of each named (with why, given ``reasons``);
    rows without an account left out."""
    rows = [
        (
            f"The recommended line: the {fmt.count(b['line'])} largest customers",
            fmt.count(b["line"]),
            f"revenue of at least {fmt.money(h['line_min_revenue'], currency)}",
        )
    ]
    steps = [
        ("lost customers (churn table)", b["lost"], -1),
        ("compatibility below the minimum: not key", b["low_score"], -1),
        (
            "below the Tier 3 minimum for revenue: not key",
            b["below_tier"][b["below_tier"]["missed"] == "revenue"],
            -1,
        ),
        (
            "below the Tier 3 minimum for potential: not key",
            b["below_tier"][b["below_tier"]["missed"] == "potential"],
            -1,
        ),
        ("taken out by a decision on the account", b["demoted"], -1),
        ("added by a decision on the account", b["promoted"], +1),
    ]
    if b["other"]:
        rows.append(
            (
                "set by the thresholds agreed for this engagement instead of the line",
                ("+" if b["other"] > 0 else "−") + fmt.count(abs(b["other"])),
                "",
            )
        )
    for label, frame, sign in steps:
        if len(frame):
            rows.append(
                (
                    label,
                    ("+" if sign > 0 else "−") + fmt.count(len(frame)),
                    _which(frame, currency, names, reasons),
                )
            )
    tiers = ", ".join(f"{v} in {t}" for t, v in h["tiers"].items())
    rows.append(("Key accounts", fmt.count(b["key"]), tiers))
    return pd.DataFrame(rows, columns=["step", "accounts", "which"])


def _why_left(row: pd.Series) -> str:
    """Why the rules leave an account above the line out, in a few words."""
    if "missed" not in row or pd.isna(row.get("missed")):
        return "whose compatibility is below the minimum"
    text = f"whose {row['missed']} is below the Tier 3 minimum"
    if row["missed"] == "potential" and _from_growth(row):
        g = row.get("growth")
        moved = f", and its revenue moved {fmt.pct(g, signed=True)}" if pd.notna(g) else ""
        text += f" (without a wallet estimate its potential comes from revenue growth{moved})"
    return text


def _from_growth(row: pd.Series) -> bool:
    """The account's potential is its revenue growth: the data has no wallet estimate."""
    return str(row.get("potential_basis", "")) == "growth"


def _wallet_step(bridge: dict, currency: str | None) -> str:
    """Ask for wallet estimates where growth alone kept an account above the line out."""
    bt = bridge["below_tier"]
    need = bt[(bt["missed"] == "potential") & bt.apply(_from_growth, axis=1)] if len(bt) else bt
    if not len(need):
        return ""
    return (
        f"Ask the sales team for a wallet estimate of {_which(need, currency)}: without one "
        "its potential comes from revenue growth alone, and an estimate may make it key."
        if len(need) == 1
        else f"Ask the sales team for wallet estimates of {_which(need, currency)}: without "
        "one their potential comes from revenue growth alone, and an estimate may make them key."
    )


def _model_cost_text(seg: Segmentation, currency: str | None) -> str:
    """What the model costs at the recommended line (planning assumptions), and the two
    tests apart: the accounts' gross profit covers that cost (why the line is where it
    is), and the lift in gross profit the programme needs to pay back (its ambition)."""
    s, n = seg.sensitivity, seg.recommendation.get("key_accounts", 0)
    row = s[s["key_accounts"] == n] if n and "model_cost" in s else s.iloc[:0]
    if row.empty:
        return ""
    r = row.iloc[0]
    keys = int(seg.accounts["key"].sum()) if hasattr(seg, "accounts") else n
    # the list differs from the line: its own cost too, the figure later steps use
    listed = (
        f", {fmt.money(r['cost_per_account'] * keys, currency)} for the {fmt.count(keys)} on "
        "the list"
        if keys and keys != n
        else ""
    )
    text = (
        f" For the {fmt.count(n)} accounts at the line the key-account model costs "
        f"{fmt.money(r['model_cost'], currency)} a year{listed} "
        f"({fmt.money(r['cost_per_account'], currency)} per account, planning assumptions "
        "until the client's own figures replace them)"
    )
    gp = r.get("gross_profit", np.nan)
    if pd.notna(gp) and gp > 0:
        text += (
            f". Their gross profit today, {fmt.money(gp, currency)}, covers it, which is why "
            "the line is here; the programme pays back only if it adds as much a year "
            f"({fmt.pct(r['model_cost'] / gp)} more) or keeps as much from being lost"
        )
    return text + "." + _net_text(seg, r, currency)


def _net_text(seg: Segmentation, r: pd.Series, currency: str | None) -> str:
    """The line on gross profit (the method's) against today's cost-to-serve: said when
    the last bands added do not cover the model after it, with how many key accounts
    cover it on their own (the profitability report's count)."""
    from ..method.segmentation import covering, net_line

    at = net_line(seg.sensitivity)
    cts = r.get("marginal_cts", np.nan)
    if at is None or pd.isna(cts) or at >= int(r["key_accounts"]):
        return ""
    net = r["marginal_gp"] - cts
    per = r["cost_per_account"]
    n = covering(seg.accounts, per) if hasattr(seg, "accounts") else None
    keys = int(seg.accounts["key"].sum()) if n is not None else 0
    who = (
        f"; {fmt.count(n)} of the {fmt.count(keys)} key accounts earn it on their own, the "
        "others only with the profitability report's actions"
        if n is not None
        else ""
    )
    return (
        f" After what serving them costs today ({fmt.money(cts, currency)} per account for "
        f"the last accounts added) they contribute {fmt.money(net, currency)} each, under "
        f"the model's {fmt.money(per, currency)}{who}."
    )


def _decision_headline(h: dict, drawn: bool) -> str:
    """The segmentation's answer in one sentence."""
    k = h["key_accounts"]
    if k and drawn:
        gp = (
            ""
            if np.isnan(h["gross_profit_share"])
            else f" and {fmt.pct(h['gross_profit_share'])} of gross profit"
        )
        return (
            f"**{fmt.count(k)} {'customer' if k == 1 else 'customers'} should be key "
            f"{'account' if k == 1 else 'accounts'}**: {fmt.pct(h['key_share'])} of "
            f"customers bringing {fmt.pct(h['revenue_share'])} of revenue{gp}, served by "
            f"{_managers(h)}."
        )
    if k:
        are = "customer is a key account" if k == 1 else "customers are key accounts"
        by_decision = "by a decision on the account" if k == 1 else "by decisions on the accounts"
        how = by_decision if h.get("key_by_override") == k else "by the rules"
        # the reason follows in the recommendation: the headline does not repeat it
        return f"**{fmt.count(k)} {are} {how}, but no line can be confirmed yet.**"
    return "**No customer should be run as a key account yet.**"


def _decision_steps(h: dict, bridge: dict, drawn: bool, currency: str | None) -> list[str]:
    """Who does what next: confirm the list, staff it, the development track, the next
    steps of the method (or what would draw a line)."""
    k, steps = h["key_accounts"], []
    if k:
        left = pd.concat([bridge["low_score"], bridge["below_tier"]]).sort_values("rank")
        wallet = _wallet_step(bridge, currency)
        first = (  # the wallet step names them: no need to say it twice
            ""
            if wallet or not len(left)
            else f", first {_which(left.head(1), currency)}, {_why_left(left.iloc[0])},"
        )
        decide = (
            f", deciding on the {fmt.plural(len(left), 'account')} above the line that the "
            f"rules leave out{first or ' (table above)'}"
            if len(left)
            else ""
        )
        n = h["overrides"]
        overrides = (
            (f" and on the {fmt.plural(n, 'override')}" if decide else
             f", deciding on the {fmt.plural(n, 'override')}")
            if n
            else ""
        )  # fmt: skip
        steps.append(
            f"Confirm the {fmt.plural(k, 'key account')} with the sales leadership"
            f"{decide}{overrides}."
        )
        if wallet:
            steps.append(wallet)
        tier_1 = int(h["tiers"].get("Tier 1", 0))
        cover = "covers" if h["managers_high"] == 1 else "cover"
        them = "it" if k == 1 else "them"
        first = f", the {fmt.plural(tier_1, 'Tier 1 account')} first" if 0 < tier_1 < k else ""
        today = ""
        if h.get("managers_today") and h["most_per_manager"] > h["per_manager"][1]:
            today = (
                f" (today {fmt.plural(h['managers_today'], 'account manager')} "
                f"{'holds' if h['managers_today'] == 1 else 'hold'} the "
                f"{fmt.plural(k, 'key account')}, up to {h['most_per_manager']} each)"
            )
        steps.append(f"Make sure {_managers(h)} {cover} {them}{first}{today}.")
    if h["development"]:
        steps.append(
            f"Give the {fmt.plural(h['development'], 'development-track account')} a growth "
            "plan and review them at the next segmentation."
        )
    steps.append(
        "Agree each segment's service package (service model) and check what each key "
        "account earns after cost-to-serve (profitability) before the packages are promised."
        if drawn
        else "Deliver cost of goods (or agree a gross margin to assume) and run the "
        "segmentation again to draw the line."
    )
    return steps


#: Notes on how the candidate list is drawn: said under the line, not on the decision page
LINE_NOTES = ("seg.line_as_threshold", "seg.lost_excluded")


def decision_notes(seg: Segmentation) -> list:
    """The notes the decision page carries: what the data could not do."""
    return [n for n in seg.notes if n.code not in LINE_NOTES]


def line_notes(seg: Segmentation) -> list:
    """The notes on how the candidates are drawn, shown where the line is discussed."""
    return [n for n in seg.notes if n.code in LINE_NOTES]


def _running(steps: list[str], since: object) -> list[str]:
    """A running programme reviews its key-account list rather than confirming a new one."""
    if since is None or not steps or not steps[0].startswith("Confirm the "):
        return steps
    first = steps[0].replace("Confirm the ", "Review the ", 1)
    first = first.replace(
        " with the sales leadership",
        f" with the sales leadership, against the list the programme started with on "
        f"{fmt.day_long(since)}",
        1,
    )
    return [first, *steps[1:]]


def decision(
    seg: Segmentation,
    min_score: float,
    currency: str | None = None,
    tier_3: tuple | None = None,
    running_since: object = None,
) -> Decision:
    """The segmentation's decision page: who is a key account, the line and how the list
    follows from it (the bridge), the managers needed, and what to do next (a review of the
    list when the programme has run since ``running_since``)."""
    from ..method.segmentation import headline, line_bridge

    h = headline(seg)
    drawn = h.get("line_decided", True) and not h.get("line_none_pay", False)
    bridge = line_bridge(seg, min_score, tier_3)
    table = bridge_table(bridge, h, currency) if drawn and bridge["line"] else None
    rec = recommendation_text(h, currency) + _model_cost_text(seg, currency)
    return Decision(
        headline=_decision_headline(h, drawn),
        tiles=kpi_cards(h, currency),
        recommendation=rec,
        next_steps=_running(_decision_steps(h, bridge, drawn, currency), running_since),
        bridge=table,
        bridge_caption="From the recommended line to the key-account list",
        kind="good" if drawn else "warn",
    )


def _managers(h: dict) -> str:
    if h["managers_low"] == h["managers_high"]:
        return fmt.plural(h["managers_low"], "key account manager")
    return f"{h['managers_low']} to {h['managers_high']} key account managers"
