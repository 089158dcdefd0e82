"""Step 3 — profitability as the client reads it: the waterfalls, the per-segment and
per-activity tables, the actions, the summary in words, the headline cards and
``03_profitability.xlsx``.

The numbers come from :mod:`kamlib.method.profitability`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..method.profitability import (
    RENEGOTIATE,
    Profitability,
    activity_totals,
    group_totals,
    headline,
    waterfall,
)
from .decision import Decision
from .rules import listing
from .words import say_all

#: What cost-to-serve covers and what it leaves out: stated under every profitability figure.
ALLOCATION_NOTE = (
    "Cost-to-serve allocates the activities in the data delivered (visits, tickets, dispatches, "
    "change requests, training, marketing support, engineering time...) at their unit costs. "
    "Overheads with no activity driver (finance, IT, management) are not allocated, so net "
    "contribution is a contribution before those overheads, not a net profit."
)


#: How many flagged key accounts the price-cost chart numbers (the actions table's "no.").
NUMBERED = 10


def flagged_points(p: Profitability, n: int = NUMBERED) -> pd.DataFrame:
    """The ``n`` worst flagged key accounts with their place on the price-cost matrix."""
    if p.actions.empty:
        return pd.DataFrame(columns=["account_name", "price_level", "cts_share"])
    cols = ["account_id", "account_name", "price_level", "cts_share"]
    return p.actions.head(n)[["account_id"]].merge(p.table[cols], on="account_id")


def by_group(p: Profitability, column: str = "segment") -> pd.DataFrame:
    """:func:`~kamlib.method.profitability.group_totals` for readers."""
    return group_totals(p, column).rename(
        columns={
            column: column.replace("_", " "),
            "gross_profit": "gross profit",
            "cost_to_serve": "cost-to-serve",
            "net_contribution": "net contribution",
            "net_margin": "net margin",
        }
    )


def activity_view(p: Profitability) -> pd.DataFrame:
    """:func:`~kamlib.method.profitability.activity_totals` for readers."""
    out = activity_totals(p)
    if out.empty:
        return out
    out["activity"] = out["activity"].astype(str).str.replace("_", " ")  # readers' words
    return out.rename(columns={"unit_cost": "unit cost"})


def actions_empty(p: Profitability) -> str:
    """Why the actions table is empty, in one sentence."""
    if not p.earns:
        return (
            "Not available: the actions need each account's net contribution, that is cost "
            "of goods and cost-to-serve activities."
        )
    if p.key.empty:
        return "There are no key accounts to act on."
    return "No key account loses money or sits in the aggressive quadrant."


def price_path(pct: float, steps: int, step: float, max_steps: int) -> str:
    """A price path in words: ``'2 years, up to +10 % a year'``; none needed, or too
    long a path (``'+74 %: beyond 3 years'``).

    Examples
    --------
    >>> price_path(0.03, 1, 0.10, 3), price_path(0.21, 2, 0.10, 3)
    ('+3.0 % in one year', '+21.0 % over 2 years, at most +10 % a year')
    >>> price_path(0.74, 6, 0.10, 3), price_path(0.0, 0, 0.10, 3)
    ('+74 %: more than 3 yearly steps', 'none needed')
    >>> price_path(0.006, 0, 0.10, 3)
    'none: the package all but closes it'
    """
    from ..core import fmt

    if steps <= 0:
        return "none needed" if not pct > 0 else "none: the package all but closes it"
    if steps > max_steps:
        return f"{fmt.pct(pct, signed=True)}: more than {fmt.plural(max_steps, 'yearly step')}"
    # to one decimal, as the plans say it: the margin it reaches adds up
    if steps == 1:
        return f"{fmt.pct(pct, 1, signed=True)} in one year"
    return (
        f"{fmt.pct(pct, 1, signed=True)} over {steps} years, at most "
        f"{fmt.pct(step, signed=True)} a year"
    )


def actions_view(p: Profitability, step: float = 0.10, max_steps: int = 3) -> pd.DataFrame:
    """Flagged key accounts with the effect of each action a year, reader-facing: the
    saving of the segment's package, the price path that closes what is left, and the
    action (``step`` and ``max_steps``: the engagement's price path rules)."""
    a = p.actions
    if a.empty:
        return a
    numbered = [str(i) if i <= NUMBERED else "" for i in range(1, len(a) + 1)]
    return pd.DataFrame(
        {
            "no.": numbered,  # the number of the account on the chart above
            "account": a["account"],
            "segment": a["segment"],
            "net revenue": a["net_revenue"],
            "net contribution": a["net_contribution"],
            "net margin": a["net_margin"],
            "target": a["target_margin"],
            "package saves": a["package_saving"],
            # what the package charges for or leaves out: more, should the account accept it
            "more in full": a["package_charge"] + a["package_stop"],
            "price path after it": [
                price_path(x, int(n), step, max_steps)
                for x, n in zip(a["price_after_package_pct"], a["price_steps"], strict=True)
            ],
            "action": a["better_action"],
        }
    )


def _actions_sentence(h: dict, worst: pd.Series, currency: str | None) -> str:
    """The largest loss and what the actions on the flagged key accounts would bring."""
    from ..core import fmt

    prices = (
        f" Price paths would add {fmt.money(h['price_total'], currency)} a year once complete."
        if h["price_total"]
        else ""
    )
    rest = (
        f" {fmt.plural(h['renegotiate'], 'account')} would still fall short after the longest "
        "price path: renegotiate the terms or exit."
        if h["renegotiate"]
        else ""
    )
    return (
        f" The largest loss is {fmt.md_text(fmt.shorten(worst['account'], 100))} "
        f"({fmt.money(worst['net_contribution'], currency)}). For the "
        f"{h['flagged']} flagged key accounts: {savings_text(h, currency)[:1].lower()}"
        f"{savings_text(h, currency)[1:]}{prices}{rest}"
    )


def savings_text(h: dict, currency: str | None, detail: bool = True) -> str:
    """What the packages save the flagged key accounts: what the elements they include
    save, how much of it waits for a reworked package, and what charging for or ending
    the rest could add if the accounts accept it."""
    from ..core import fmt

    later = (
        f", {fmt.money(h['saving_later'], currency)} of it only once the packages the service "
        "model finds unaffordable are reworked"
        if h["saving_later"]
        else ""
    )
    more = h["saving_high"] - h["saving_total"]
    full = (
        " Charging for what the packages charge separately and ending what they do not "
        f"offer could bring up to {fmt.money(more, currency)} more a year (fees, and costs "
        "no longer incurred), if the accounts accept it."
        if more > 0
        else ""
    )
    lift = h.get("lift_total", 0.0)
    up = (
        " Bringing the key accounts served below their segment's average up to it would cost "
        f"{fmt.money(lift, currency)} a year: worth it only where an account is short on what "
        "it values."
        if lift > 0
        else ""
    )
    return (
        "Serving each with the elements its package includes, at its segment's cost for an "
        "account of its size, "
        f"saves {fmt.money(h['saving_total'], currency)} a year{later}."
        + (f"{full}{up}" if detail else "")
    )


def business_case(
    h: dict,
    programme_cost: float,
    accounts: int,
    key_net: float,
    currency: str | None,
    covering: int | None = None,
    running: bool = False,
) -> str:
    """The fixes set against what the key-account model costs a year for the ``accounts``
    key accounts (segmentation's planning assumptions), the gap said in money and what to
    decide: the model's cost checked, or a programme started with the ``covering`` key
    accounts whose own net contribution covers the model's cost per account today."""
    from ..core import fmt

    # added and subtracted as printed
    fixes = fmt.rounded(h["saving_total"]) + fmt.rounded(h["price_total"])
    if pd.isna(programme_cost) or programme_cost <= 0 or fixes <= 0:
        return ""
    prices = " and the price paths" if h["price_total"] else ""
    cost = (
        f"the {fmt.money(programme_cost, currency)} a year the key-account model costs for "
        f"the {fmt.plural(accounts, 'key account')} (the segmentation's planning assumptions)"
    )
    if fixes >= programme_cost:
        return (
            f" The package savings{prices} bring {fmt.money(fixes, currency)} a year, more "
            f"than {cost}."
        )
    text = (
        f" The package savings{prices} bring {fmt.money(fixes, currency)} a year against "
        f"{cost}: {fmt.money(fmt.rounded(programme_cost) - fixes, currency)} a year has to "
        "come from the "
        "growth and retention the account plans target."
    )
    when = "its budget is renewed" if running else "it is approved"
    if pd.notna(key_net) and key_net < programme_cost:
        per = fmt.money(programme_cost / accounts, currency) if accounts else ""
        start = (
            f", or start with the {fmt.plural(covering, 'key account')} whose net contribution "
            f"covers its {per} each today"
            if covering and covering < accounts
            else ""
        )
        text += (
            " The model costs more than all key accounts earn after cost-to-serve today "
            f"({fmt.money(key_net, currency)}): before {when}, replace its planning "
            f"assumptions with the client's own costs{start}."
        )
    return text


def summary_text(p: Profitability, currency: str | None = None) -> str:
    """The executive summary in words: what the data shows, and what it cannot."""
    from ..core import fmt

    h = headline(p)
    if not p.earns:
        parts = []
        if p.has_cts:
            parts.append(
                f"Serving customers costs **{fmt.money(h['cost_to_serve'], currency)}** a "
                f"year, {fmt.pct(h['cts_share'])} of net revenue."
            )
        if p.has_cost:
            parts.append(
                f"Gross profit is **{fmt.money(h['gross_profit'], currency)}**; "
                f"{fmt.plural(h['unprofitable_gp'], 'account')} lose money on their cost of "
                "goods alone."
            )
        missing = [
            w
            for w, ok in (("cost of goods", p.has_cost), ("cost-to-serve activities", p.has_cts))
            if not ok
        ]
        parts.append(
            f"Without {' and '.join(missing)} the data cannot show what each account earns "
            "after serving it: net contribution, the whale curve and the actions per account "
            "need both."
        )
        return " ".join(parts)
    worst = p.actions.iloc[0] if len(p.actions) else None
    idle = h.get("idle", 0)
    tail = (
        f"; the other {fmt.plural(idle, 'customer')} ({fmt.pct(idle / len(p.table))}) bought "
        "nothing in the last 12 months and earn nothing"
        if idle
        else ""
    )
    text = (
        f"Serving customers costs **{fmt.money(h['cost_to_serve'], currency)}** a year, "
        f"{fmt.pct(h['cts_share'])} of net revenue, leaving a net contribution of "
        f"**{fmt.money(h['net_contribution'], currency)}**. The {fmt.pct(h['whale_at'])} of "
        f"customers that make money earn **{fmt.money(earned(h), currency)}**; the "
        f"{fmt.plural(h['unprofitable'], 'customer')} that lose money "
        f"({fmt.pct(h['unprofitable'] / len(p.table))} of all) destroy "
        f"{fmt.money(h['destroyed'], currency)}{tail}. "
    )
    if h["key_accounts"]:
        text += (
            f"**{h['unprofitable_key']} of {h['key_accounts']} key accounts lose money** after "
            f"cost-to-serve and {h['aggressive_key']} sit in the aggressive quadrant (a lower "
            "price and a higher cost-to-serve than the key accounts of their segment)."
        )
    else:
        text += "There are no key accounts to flag."
    if worst is not None:
        text += _actions_sentence(h, worst, currency)
    return text


def kpi_cards(p: Profitability, currency: str | None = None) -> list[tuple[str, str, str]]:
    from ..core import fmt

    h = headline(p)
    if not p.earns:
        cards = []
        if p.has_cts:
            cards.append(("cost-to-serve", fmt.pct(h["cts_share"]), "of net revenue"))
        if p.has_cost:
            cards.append(("gross profit", fmt.money(h["gross_profit"], currency), "last 12 months"))
            cards.append(
                ("unprofitable accounts", fmt.count(h["unprofitable_gp"]), "on cost of goods alone")
            )
        missing = [w for w, ok in (("cost of goods", p.has_cost), ("activities", p.has_cts))
                   if not ok]  # fmt: skip
        cards.append(("net contribution", "n/a", "needs " + " and ".join(missing)))
        return cards
    return [
        ("net contribution", fmt.money(h["net_contribution"], currency), "after cost-to-serve"),
        ("cost-to-serve", fmt.pct(h["cts_share"]), "of net revenue"),
        (
            "earned by the customers that make money",
            fmt.money(earned(h), currency),
            f"the top {fmt.pct(h['whale_at'])}; {fmt.count(h['unprofitable'])} of the others lose "
            f"{fmt.money(h['destroyed'], currency)}",
        ),
        (
            "unprofitable key accounts",
            f"{h['unprofitable_key']} / {h['key_accounts']}",
            "net contribution below zero",
        ),
        ("aggressive key accounts", fmt.count(h["aggressive_key"]), "low price, high cost"),
    ]


def earned(h: dict) -> float:
    """What the customers that make money earn between them (the whale curve's peak): the
    net contribution plus what the others lose."""
    return float(h["net_contribution"]) + float(h["destroyed"])


def sensitivity_view(p: Profitability) -> pd.DataFrame:
    from ..core import fmt

    s = p.sensitivity
    if s.empty:
        return s
    return pd.DataFrame(
        {
            "unit costs": s["unit_costs"].map(
                lambda v: fmt.pct(v, signed=True) if v else "as given"
            ),
            # counted as on the decision page ("38 / 219"), the share beside
            "unprofitable key accounts": [
                f"{fmt.count(round(v * len(p.key)))} / {fmt.count(len(p.key))} ({fmt.pct(v)})"
                if pd.notna(v)
                else "n/a"
                for v in s["unprofitable_key_share"]
            ],
            "unprofitable accounts": s["unprofitable_accounts"],
            "earned by the best customers": s["whale_peak"],
            "net contribution": s["net_contribution"],
        }
    )


def robustness_text(p: Profitability) -> str:
    """Whether the conclusions hold when every unit cost is lower or higher: the key
    accounts losing money and the net contribution at the extremes, against as given."""
    from ..core import fmt

    s = p.sensitivity
    if s.empty or s["unprofitable_key_share"].isna().all():
        return ""
    n = len(p.key)
    losing = [round(v * n) for v in s["unprofitable_key_share"]]
    base = s.index[s["unit_costs"] == 0]
    if not len(base):
        return ""
    b = losing[s.index.get_loc(base[0])]
    lo, hi = losing[0], losing[-1]
    text = (
        f"With every unit cost {fmt.pct(abs(s['unit_costs'].iloc[0]))} lower, "
        f"{fmt.plural(lo, 'key account')} {'loses' if lo == 1 else 'lose'} money; "
        f"{fmt.pct(s['unit_costs'].iloc[-1])} "
        f"higher, {fmt.count(hi)}; as given, {fmt.count(b)}. "
    )
    if b and lo == 0:
        return text + (
            "Whether any key account loses money depends on the unit costs: have them "
            "checked by the client's controlling before any action is agreed."
        )
    return text + (
        "That a group of key accounts loses money holds across this range; which accounts "
        "sit at its edge depends on the unit costs, so have the largest activities' unit "
        "costs checked before the actions are agreed."
        if b
        else "No key account loses money across this range."
    )


EXPORT = [
    "account_id",
    "account_name",
    "class",
    "segment",
    "quadrant",
    "list_revenue",
    "discounts",
    "net_revenue",
    "cost_of_goods",
    "gross_profit",
    "cost_to_serve",
    "net_contribution",
    "net_margin",
    "price_level",
    "cts_share",
]


def actions_numbers(p: Profitability) -> pd.DataFrame:
    """The actions for the workbook: as computed, but no price path where the action is to
    renegotiate or exit (the path would pass the cap on yearly steps), as the page says."""
    a = p.actions.copy()
    out = a["better_action"] == RENEGOTIATE
    a.loc[out, ["price_steps", "price_first_year"]] = np.nan
    return a


def export(output_dir: str, p: Profitability, colour: str = "#0B3D91") -> str:
    """Write ``03_profitability.xlsx``: the account profitability table and the actions."""
    from .workbook import export as export_report

    if not output_dir:
        return ""
    t = p.table[[c for c in EXPORT if c in p.table.columns]]
    if p.activities is not None and len(p.activities):  # cost per activity, per account
        from ..method.costing import cost_to_serve

        per = cost_to_serve(p.activities).drop(columns="cost_to_serve")
        per.columns = ["account_id"] + [f"cost: {c}" for c in per.columns[1:]]
        t = t.merge(per, on="account_id", how="left")
    t = t.sort_values("net_contribution", kind="stable")
    pct = {c: "pct" for c in ("net_margin", "price_level", "cts_share")}
    sheets = {"Accounts": t}
    if len(p.actions):
        sheets["Actions"] = actions_numbers(p)
    if len(p.sensitivity):
        sheets["Cost sensitivity"] = p.sensitivity
    if p.notes:
        sheets["Notes"] = pd.DataFrame({"note": say_all(p.notes)})
    return export_report(
        output_dir,
        "03_profitability.xlsx",
        sheets,
        colour,
        formats={
            "Accounts": pct,
            "Actions": {
                "net_margin": "pct",
                "target_margin": "pct",
                "price_increase_pct": "pct",
            },
        },
    )


def account_waterfall(p: Profitability, account: str = "") -> tuple[str, pd.DataFrame]:
    """The waterfall of one account (by id or exact name) and its title; empty: the
    largest key account (the largest customer when there is none), the title saying why.

    Raises :class:`~kamlib.core.errors.ParameterError` naming close matches for an unknown one.
    """
    from ..core.errors import ParameterError
    from ..core.fmt import did_you_mean

    t = p.table
    if not account:
        pool, why = (
            (p.key, "the largest key account") if len(p.key) else (t, "the largest customer")
        )
        row = pool.loc[pool["net_revenue"].idxmax()]
        title = f"{row['account_name']}, {why}"  # the name the client knows, not its id
    else:
        hit = t[(t["account_id"] == account) | (t["account_name"] == account)]
        if hit.empty:
            hint = did_you_mean(account, list(t["account_id"]) + list(t["account_name"]), n=3)
            raise ParameterError(f"account '{account}' is not in the accounts table.{hint}")
        row = hit.iloc[0]
        title = str(row["account_name"])
    return title, waterfall(t[t["account_id"] == row["account_id"]])


def _no_earnings(p: Profitability, currency: str | None) -> Decision:
    """The decision page when net contribution cannot be measured: what to deliver."""
    missing = [w for w, ok in (("cost of goods", p.has_cost),
                               ("cost-to-serve activities", p.has_cts)) if not ok]  # fmt: skip
    return Decision(
        headline=(
            "**What each account earns after serving it cannot be measured yet**: the "
            f"data holds no {' and no '.join(missing)}."
        ),
        tiles=kpi_cards(p, currency)[:5],
        recommendation=(
            f"Ask the client for {' and '.join(missing)}, and run this step again: net "
            "contribution, the whale curve and the actions per account need them."
        ),
        next_steps=[f"Deliver {' and '.join(missing)} with the next data pack."],
        detail=summary_text(p, currency),
        kind="warn",
    )


def _covering(p: Profitability) -> int | None:
    """Key accounts whose own net contribution covers the model's cost per account."""
    if not p.programme_accounts or pd.isna(p.programme_cost):
        return None
    per = p.programme_cost / p.programme_accounts
    return int((p.key["net_contribution"] >= per).sum())


def _act_on(p: Profitability, h: dict, currency: str | None, running: bool = False) -> str:
    """The recommendation: the flagged key accounts grouped by action."""
    from ..core import fmt
    from ..method.profitability import BOTH, PACKAGE, PRICE, RENEGOTIATE

    count = p.actions["better_action"].value_counts()
    said = {
        PACKAGE: "to move to their segment's service package",
        BOTH: "to the package and a price path",
        PRICE: "to a price path alone",
        RENEGOTIATE: "to renegotiate their terms or exit, as no acceptable price path closes "
        "the gap",
    }
    parts = [f"{fmt.count(int(count[a]))} {said[a]}" for a in said if count.get(a, 0)]
    if parts and count.get(PACKAGE, 0) == 1:
        parts[0] = parts[0].replace("their segment's", "its segment's")
    prices = (
        f" The price paths add {fmt.money(h['price_total'], currency)} a year once complete, "
        "if the accounts keep buying as before."
        if h["price_total"]
        else ""
    )
    return (
        f"Act on the {fmt.plural(h['flagged'], 'flagged key account')} (losing money, or "
        "paying less and costing more than their peers): "
        + listing(parts)
        + ". "
        + savings_text(h, currency, detail=False)
        + prices
        + business_case(
            h,
            p.programme_cost,
            p.programme_accounts,
            float(p.key["net_contribution"].sum()),
            currency,
            _covering(p),
            running,
        )
    )


def decision(
    p: Profitability, currency: str | None = None, running_since: object = None
) -> Decision:
    """The profitability step's decision page: what the customer base earns after serving
    it, which key accounts to act on, and how (package, price path, or renegotiate)."""
    from ..core import fmt

    if not p.earns:
        return _no_earnings(p, currency)
    h, a = headline(p), p.actions
    whale = (
        f"the {fmt.pct(h['whale_at'])} of customers that make money earn "
        f"{fmt.money(earned(h), currency)}; {fmt.plural(h['unprofitable'], 'customer')} lose "
        f"{fmt.money(h['destroyed'], currency)}"
    )
    head = (
        f"**{h['unprofitable_key']} of {h['key_accounts']} key accounts lose money after "
        f"cost-to-serve**; {whale}."
        if h["key_accounts"]
        else f"**{whale[0].upper() + whale[1:]}**."
    )
    if len(a):
        worst = a.iloc[0]
        rec = _act_on(p, h, currency, running_since is not None)
        steps = [
            f"Start with {fmt.md_text(fmt.shorten(worst['account'], 60))}, the largest loss "
            f"({fmt.money(worst['net_contribution'], currency)} a year).",
            "Give each flagged account's manager its action from this report's actions "
            "table, to be agreed in the account plan.",
            "Check the unit costs of the largest activities with the client's controlling, "
            "and the activity counts behind the largest losses: every figure here rests on "
            "them.",
        ]
    else:
        rec = (
            "No key account loses money or pays less and costs more than its peers: keep the terms."
        )
        steps = ["Review profitability again with the next year's data."]
    return Decision(
        headline=head,
        tiles=kpi_cards(p, currency)[:5],
        recommendation=rec,
        next_steps=steps,
        detail=summary_text(p, currency),
        kind="warn" if len(a) else "good",
    )
