"""Step 4 — the plan drafted from data: for every field the account manager writes,
what the account's own figures already say, as points the manager confirms or corrects.

The same facts feed the plan's summary, risk table, suggested actions and SWOT (one
source: a plan never says one thing in its summary and another in its drafts). A field
the data cannot speak to has no draft and stays "to complete"; nothing is invented.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..core import fmt
from ..method import account_plan as ap
from ..method.plan_book import Plan
from .rules import listing
from .words import joined, say

#: A product whose revenue moved more than this against the prior year is named.
PRODUCT_MOVE = 0.10
#: Fewer answers than this in a year: an NPS said "from only N respondents".
FEW_ANSWERS = 10
#: Days within which an action on a risk or a relationship gap is due.
URGENT_DAYS = 30


def _once(p: Plan, key: str, fn: Callable[[Plan], object]) -> object:
    """``fn(p)`` computed once per plan (a plan's views ask for the same facts often)."""
    memo = p.__dict__.setdefault("_memo", {})
    if key not in memo:
        memo[key] = fn(p)
    return memo[key]


def _lost(p: Plan) -> bool:
    """The churn table records the account as lost (it is a key account by override)."""
    return pd.notna(p.account.get("lost_on"))


def _has_fix(p: Plan) -> bool:
    """Profitability flagged the account and one of its actions is worth something."""
    a = p.account
    return isinstance(a.get("better_action"), str) and (
        a["price_increase"] > 0 or a["package_saving"] > 0
    )


def _path(a: pd.Series) -> str:
    """The price path after the package: ``'+21 % over 2 years'``."""
    n = int(a.get("price_steps", 0) or 0)
    years = "in one year" if n == 1 else f"over {n} years"
    return f"{fmt.pct(a['price_after_package_pct'], 1, signed=True)} {years}"


def _median_margin(p: Plan) -> str:
    """The segment's median account's net margin, where it differs from the segment's
    margin taken together (the key financials show the median)."""
    m, goal = p.segment.get("net_margin"), p.account.get("target_margin")
    if m is None or not pd.notna(m) or not pd.notna(goal) or fmt.pct(m, 1) == fmt.pct(goal, 1):
        return ""
    return (
        f" (its median account earns {fmt.pct(m, 1)}, its larger accounts less)"
        if (m > goal)
        else f" (its median account earns {fmt.pct(m, 1)}, its larger accounts more)"
    )


def _goal(p: Plan) -> str:
    """The net margin a fix brings the account to, and what it is: ``'11.2 %, the net
    margin of its segment's accounts taken together (its median account earns 18.3 %, its
    larger accounts less)'``."""
    return (
        f"{fmt.pct(p.account['target_margin'], 1)}, the net margin of its segment's accounts "
        f"taken together{_median_margin(p)}"
    )


def _to_rework(a: pd.Series) -> bool:
    """The service model finds the account's segment package unaffordable: a move onto it
    waits for the rework."""
    return a.get("package_affordable") is False or a.get("package_affordable") is np.False_


def _in_full(a: pd.Series, c: str | None) -> str:
    """What applying the package in full would recover: charging for what it charges
    separately and ending what it does not offer (today's cost of each)."""
    parts = []
    charge, stop = a.get("package_charge", 0.0), a.get("package_stop", 0.0)
    if pd.notna(charge) and charge > 0:
        parts.append(f"charging for the services it bills separately, {fmt.money(charge, c)} today")
    if pd.notna(stop) and stop > 0:
        parts.append(f"ending the services it does not offer, {fmt.money(stop, c)} today")
    return f" on the package in full ({'; '.join(parts)})" if parts else ""


def _fix(p: Plan) -> str:
    """What the profitability step proposes for the account, in one clause."""
    a, c = p.account, p.currency
    rework = _to_rework(a)
    saving = (
        f"serving it with the segment package{', once reworked,' if rework else ''} saves "
        f"{fmt.money(a['package_saving'], c)} a year"
    )
    if a["better_action"] == "package":
        short = _lift_first(p)
        return short or saving
    if a["better_action"] == "renegotiate or exit":
        return (
            f"even with the segment package it would need prices "
            f"{fmt.pct(a['price_after_package_pct'], signed=True)} to reach its segment's net "
            "margin, "
            f"more than a price path can ask: renegotiate the terms{_in_full(a, c)} or exit"
        )
    price = f"prices {_path(a)} add {fmt.money(a['price_after_package'], c)} a year"
    if a["better_action"] == "price":
        return f"{price}, which brings it to {_goal(p)}"
    text = f"{saving} and {price}: together they bring it to {_goal(p)}"
    nc, first = a.get("net_contribution"), a.get("price_first_year")
    year1 = float(nc) + (float(first) if pd.notna(first) else 0.0) if pd.notna(nc) else 0.0
    if rework and year1 < 0:
        text += (
            f"; until the package is reworked, it still loses {fmt.money(-year1, c)} a year "
            "after the first price step"
        )
    return text


def suggested_actions(p: Plan) -> pd.DataFrame:
    """Actions the data suggests, most urgent first: ``urgent`` for risks and relationship
    gaps, ``close`` the expected close date of an opportunity to close."""
    return _once(p, "actions", _suggested)


def _product_of(r: object) -> str:
    """An opportunity by what it sells (its CRM id is no words for a manager)."""
    get = r.get if isinstance(r, (dict, pd.Series)) else lambda k, d=None: getattr(r, k, d)
    product = get("product", None)
    return str(product) if isinstance(product, str) and product.strip() else "unnamed"


#: How the action on an opportunity below even odds begins
BELOW_EVEN = ("Qualify the", "Advance the")

#: Sales stages before a proposal (by the words they start with): an opportunity there
#: is still to qualify; one further on but below even odds is to advance
EARLY_STAGES = ("lead", "prospect", "qualif", "discover", "identif", "new")


def _below_even_verb(r: object) -> str:
    """'Qualify' an opportunity at an early or unrecorded stage, 'Advance' one already at
    a proposal or later (qualifying a deal already proposed says it is not).

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> [_below_even_verb(R(stage=s)) for s in ("qualify", "Proposal", None)]
    ['Qualify', 'Advance', 'Qualify']
    """
    stage = getattr(r, "stage", None)
    if not isinstance(stage, str) or not stage.strip():
        return "Qualify"
    return "Qualify" if stage.strip().lower().startswith(EARLY_STAGES) else "Advance"


def _odds(r: object) -> str:
    """An opportunity's stage and probability: 'at proposal stage, 40 % probable'.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> _odds(R(stage="proposal", probability=0.4)), _odds(R(stage=None, probability=0.7))
    ('at proposal stage, 40 % probable', '70 % probable')
    """
    stage = getattr(r, "stage", None)
    at = f"at {stage.strip()} stage, " if isinstance(stage, str) and stage.strip() else ""
    return f"{at}{fmt.pct(getattr(r, 'probability', np.nan))} probable"


def _close_text(r: object, currency: str) -> str:
    """'Close the €146 k Mobile deal': the amount and the product, not the CRM id; an
    opportunity below even odds is to qualify first, or to advance once proposed."""
    p = getattr(r, "probability", np.nan)
    if pd.notna(p) and p < 0.5:
        return f"{_below_even_verb(r)} the {fmt.money(getattr(r, 'amount', np.nan), currency)} " + (
            f"{_product_of(r)} opportunity" if _product_of(r) != "unnamed" else "opportunity"
        )
    return f"Close the {fmt.money(getattr(r, 'amount', np.nan), currency)} " + (
        f"{_product_of(r)} deal" if _product_of(r) != "unnamed" else "deal"
    )


def _suggested(p: Plan) -> pd.DataFrame:
    c = p.currency
    rows = [(act, why, True, None) for act, why in _urgent_actions(p)]
    # what the manager controls first where the package waits for a rework
    profit, cost = _profit_actions(p), _cost_actions(p)
    later = _to_rework(p.account)
    rows += [(act, why, urgent, None) for act, why, urgent in (cost + profit if later
                                                              else profit + cost)]  # fmt: skip
    silent = _unsurveyed(p)
    if silent:
        rows.append(
            ("Survey its decision makers", silent.split(" (")[0].split(":")[0], False, None)
        )
    for r in p.opportunities.sort_values("weighted", ascending=False).head(3).itertuples():
        close = getattr(r, "expected_close", None)
        when = pd.Timestamp(close) if close is not None and pd.notna(close) else None
        odds = _odds(r)  # the action names the amount: the why, its stage and probability
        if _close_text(r, c).startswith(BELOW_EVEN):  # first the month, then its close date
            by = f", expected to close {fmt.day(when)}" if when is not None else ""
            rows.append((_close_text(r, c), odds + by, True, None))
            continue
        rows.append((_close_text(r, c), odds, False, when))
    if unrecorded_projects(p):
        rows.append(
            (
                "Record the ongoing projects in the pipeline",
                "the targets count recorded opportunities only; add amount, probability and "
                "close date",
                False,
                None,
            )
        )
    for r in p.whitespace[~p.whitespace["in_pipeline"]].head(0 if _losing(p) else 2).itertuples():
        rows.append(
            (
                f"Propose {r.product}",
                f"{fmt.pct(r.adoption)} of the segment buy it, "
                f"typically {fmt.money(r.value, c)} a year",
                False,
                None,
            )
        )
    if _after_deals(p):  # the deal about to close comes before the price rise
        price = [r for r in rows if r[0].startswith(PRICE_ACTION)]
        deals = [r for r in rows if r[0].startswith(("Close the", *BELOW_EVEN))]
        if price and deals:
            rest = [r for r in rows if r not in price]
            at = rest.index(deals[-1]) + 1
            rows = rest[:at] + price + rest[at:]
    return pd.DataFrame(rows, columns=["action", "why", "urgent", "close"])


def unrecorded_projects(p: Plan) -> bool:
    """The manager names ongoing projects and no open opportunity is on record: the
    targets cannot count them until they are in the pipeline."""
    named = str(p.inputs.get("ongoing_projects") or "").strip()
    return bool(named) and p.has.get("opportunities", True) and p.opportunities.empty


def _urgent_actions(p: Plan) -> list[tuple[str, str]]:
    """Actions on a loss, relationship gaps and risk signals: (action, why)."""
    a = p.account
    urgent: list[tuple[str, str]] = []
    if _lost(p):
        urgent.append(
            ("Decide whether to win the account back", "recorded as lost, nothing bought since")
        )
    contacts = p.contacts
    if a.get("contacts", 0) == 0:
        urgent.append(
            ("Map the stakeholders: name, role, influence, attitude", "no contacts recorded")
        )
    else:
        if bool(a.get("no_senior")):
            urgent.append(("Win access to a senior decision maker", "no senior contact"))
        elif bool(a.get("stale_senior")):
            urgent.append(
                (
                    "Meet a senior decision maker",
                    f"last senior contact {int(a['days_since_senior'])} days ago",
                )
            )
        else:
            for r in _stale_seniors(p).itertuples():
                urgent.append((f"Meet the {_role(r)}", f"last met {int(r.days)} days ago"))
        if bool(a.get("no_supporter")):
            urgent.append(
                ("Build a supporter in the customer's organisation", "no supporter today")
            )
        det = contacts[
            (contacts.get("attitude") == "detractor") & (contacts.get("influence", 0) >= 4)
        ]
        for r in det.itertuples():
            urgent.append(
                (
                    f"Win over {r.name}, {r.role}",
                    f"influential detractor, influence {int(r.influence)}",
                )
            )
        for role in missing_roles(p):
            urgent.append(
                (
                    f"Meet the {role} and add them to the contacts",
                    "named in this plan; no contact on record holds the role",
                )
            )
    if a.get("signals"):
        urgent.append(("Review the risk signals with the account team", joined(a["signals"])))
    return urgent


def _lift_note(p: Plan) -> str:
    """What bringing the account up to its segment's average where it gets less would
    cost: a choice, not counted in the change, worth it only where its own ratings show
    a gap on what matters to it."""
    a, c = p.account, p.currency
    lift = a.get("package_lift")
    if lift is None or not pd.notna(lift) or lift <= 0:
        return ""
    text = (
        "; bringing it up to the segment's average where it gets less would cost "
        f"{fmt.money(lift, c)} more"
    )
    gaps = _in_package(p, _gap_frame(p))
    if len(gaps):
        return text + f", worth it for {listing(list(gaps['element'].head(2)))}, where it is short"
    if len(p.ratings) and "importance" in p.ratings.columns:
        return text + ", which its own ratings do not call for"
    return text + "; ask the customer what it is short on before spending it (it has not rated us)"


def _in_package(p: Plan, gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps on elements its segment's package includes (lifting it is the package's
    job; what it bills separately or does not offer is not)."""
    if not len(gaps) or not len(p.package):
        return gaps
    included = set(p.package.loc[p.package["decision"] == "included", "element"])
    return gaps[gaps["element"].isin(included)]


def _lift_first(p: Plan) -> str:
    """Where the account is short on what matters to it (its own ratings) and bringing it
    up to its segment's level costs at least what the package would save: the package
    move does not pay until the service is fixed (empty otherwise)."""
    a, c = p.account, p.currency
    lift, save = a.get("package_lift"), a.get("package_saving")
    gaps = _in_package(p, _gap_frame(p))
    if not len(gaps) or not pd.notna(lift) or not pd.notna(save) or lift < save or save <= 0:
        return ""
    return (
        f"its segment's package would save {fmt.money(save, c)} a year, but bringing it up to "
        f"the segment's level where it is short ({listing(list(gaps['element'].head(2)))}) "
        f"costs {fmt.money(lift, c)}: fix that service first, then review the package"
    )


def _more_in_full(a: pd.Series, c: str | None) -> str:
    """The rest of the package's effect, should the account accept it in full: what it
    could recover a year, and from what (today's cost of each part).

    Examples
    --------
    >>> both = pd.Series({"package_charge": 4000.0, "package_stop": 1000.0})
    >>> print(_more_in_full(both, "EUR"))  # doctest: +NORMALIZE_WHITESPACE
    ; charging for the services its package bills separately (€4.0 k today) and ending the
    services its package does not offer (€1.0 k today) could recover up to €5.0 k more a
    year, to negotiate with the customer
    """
    charge, stop = (float(v) if pd.notna(v) else 0.0
                    for v in (a.get("package_charge"), a.get("package_stop")))  # fmt: skip
    if charge + stop <= 0:
        return ""
    parts = [("charging for the services its package bills separately", charge),
             ("ending the services its package does not offer", stop)]  # fmt: skip
    parts = [(what, v) for what, v in parts if v > 0]
    how = (
        " and ".join(f"{what} ({fmt.money(v, c)} today)" for what, v in parts)
        if len(parts) > 1
        else parts[0][0]
    )
    return (
        f"; {how} could recover up to {fmt.money(charge + stop, c)} more a year, to negotiate "
        "with the customer"
    )


def _profit_actions(p: Plan) -> list[tuple[str, str, bool]]:
    """The profitability step's proposal for a flagged account: (action, why, urgent)."""
    a, c = p.account, p.currency
    if not _has_fix(p):
        return []
    act, out = a["better_action"], []
    first = _lift_first(p) if act == "package" else ""
    if first:
        element = _gap_frame(p)["element"].iloc[0]
        out.append((f"Fix {element} before any package move", first, False))
    elif act in ("package", "package and price"):
        rework = _to_rework(a)
        out.append(
            (
                "Move the account to its segment's service package"
                + (" once it is reworked" if rework else ""),
                f"saves {fmt.money(a['package_saving'], c)} a year; it serves the elements "
                "the package includes at the segment's cost for an account of its size"
                + (
                    "; as it stands the package costs its segment too much, and the service "
                    "model reworks it first"
                    if rework
                    else ""
                )
                + _more_in_full(a, c)
                + _protect(p),
                False,
            )
        )
    if act in ("price", "package and price"):
        out.append((f"{PRICE_ACTION} {_path(a)}", _price_why(p), False))
    if act == "renegotiate or exit":
        out.append(
            (
                "Renegotiate the terms, or plan an exit",
                f"even with the segment package it would need prices "
                f"{fmt.pct(a['price_after_package_pct'], signed=True)} to reach the "
                "segment's net margin",
                True,
            )
        )
    return out


#: How a price action starts (its due date is the next renewal, see :func:`dated_actions`).
PRICE_ACTION = "Raise net prices"


def _price_why(p: Plan) -> str:
    """Why a price rise is fair to ask and what it reaches: a discount off list above the
    segment's median account, else the value delivered; where we deliver badly on what
    matters to the account, only once the service fix is agreed."""
    a, seg = p.account, p.segment
    disc, median = a.get("discount"), seg.get("discount")
    basis = "asked on the value delivered"
    if _gap(disc, median) >= 0.005:
        # the rise that would bring its net price to the median account's discount
        room = (1 - float(median)) / (1 - float(disc)) - 1
        within = float(a["price_after_package_pct"]) <= room + 1e-9
        basis = (
            f"its discount off list, {fmt.pct(disc, 1)}, is above its segment's median "
            f"account's {fmt.pct(median, 1)}"
            + (
                f": the rise stays within that gap ({fmt.pct(room, 1, signed=True)})"
                if within
                else ""
            )
        )
    reach = (
        "with the package, " if a["better_action"] == "package and price" else ""
    ) + f"it brings it to {_goal(p)}"
    g = _gap_frame(p)
    fix = (
        f"; ask it once our delivery of {g['element'].iloc[0]} is fixed (it rates it "
        f"{g['importance'].iloc[0]:.0f} of 5 in importance, our delivery "
        f"{g['satisfaction'].iloc[0]:.0f} of 5)"
        if len(g)
        else ""
    )
    return f"{basis}; {reach}{fix}{_after_deals(p)}"


def _price_conditions(p: Plan) -> str:
    """What a price rise waits for, in its due date: the service fix and a deal about to
    close."""
    g = _gap_frame(p)
    out = f", once our {g['element'].iloc[0]} is fixed" if len(g) else ""
    deal = _after_deals(p)
    return out + (", " + deal.removeprefix("; ") if deal else "")


def _after_deals(p: Plan) -> str:
    """A price rise is not asked while a deal of the account's is about to close: the
    deals closing within the next six months, named."""
    o = p.opportunities
    if not len(o) or "expected_close" not in o:
        return ""
    close = pd.to_datetime(o["expected_close"], errors="coerce")
    soon = o[
        (close >= pd.Timestamp(p.as_of))
        & (close <= pd.Timestamp(p.as_of) + pd.DateOffset(months=6))
    ]
    if soon.empty:
        return ""
    r = soon.sort_values("amount", ascending=False).iloc[0]
    return (
        f"; not before the {fmt.money(r['amount'], p.currency)} {_product_of(r)} deal closes "
        f"({fmt.day(r['expected_close'])})"
    )


def _losing(p: Plan) -> bool:
    """It loses more than :data:`~kamlib.method.account_plan.MATERIAL_LOSS` of its revenue
    after cost-to-serve (the loss whose first target is to break even): its effort goes to
    the margin before growth."""
    nc, rev = p.account.get("net_contribution"), p.account.get("revenue")
    return bool(pd.notna(nc) and pd.notna(rev) and rev > 0 and -nc > ap.MATERIAL_LOSS * rev)


def _cost_actions(p: Plan) -> list[tuple[str, str, bool]]:
    """For an account that loses money: the two activities that cost most to serve it,
    to review with operations (growth proposals wait until it earns)."""
    c, act = p.currency, p.activities
    if not _losing(p) or not len(act) or "cost" not in act.columns:
        return []
    top = act.sort_values("cost", ascending=False).head(2)
    total = float(act["cost"].sum())
    names = [_plural(str(x).replace("_", " ")) for x in top["activity"]]
    what = listing(
        [
            f"{fmt.count(q)} {n} a year ({fmt.money(v, c)})"
            for n, q, v in zip(names, top["quantity"], top["cost"], strict=True)
        ]
    )
    return [
        (
            "Review with operations what drives its cost-to-serve",
            f"{listing(names)}, {fmt.pct(top['cost'].sum() / total)} of its "
            f"{fmt.money(total, c)} cost-to-serve; {what}; agree how often and at what level "
            "it gets them",
            False,
        )
    ]


def _plural(noun: str) -> str:
    """``'support ticket'`` -> ``'support tickets'``, ``'field engineer dispatch'`` ->
    ``'field engineer dispatches'``."""
    return noun + ("es" if noun.endswith(("ch", "sh", "s", "x")) else "s")


SWOT = ("strengths", "weaknesses", "opportunities", "threats")


def swot_data(p: Plan) -> dict[str, list[str]]:
    """What the data contributes to each SWOT quadrant, in words: strengths and weaknesses
    against the segment's median account, opportunities from whitespace, pipeline and
    wallet, threats from the risks the plan shows (:func:`risk_items`)."""
    a, seg = p.account, p.segment
    data: dict[str, list[str]] = {
        "strengths": [],
        "weaknesses": [],
        "opportunities": [],
        "threats": [],
    }
    sow, sow_m = a.get("share_of_wallet"), seg.get("share_of_wallet")
    pct0 = lambda v: fmt.pct(v)  # noqa: E731
    if pd.notna(sow):
        if sow >= 0.5 and not _gap(sow, sow_m) < 0:
            data["strengths"].append(
                f"{fmt.pct(sow)} share of wallet" + _segment_text(p, "share_of_wallet", pct0)
            )
        elif _gap(sow, sow_m) < -0.02:
            data["weaknesses"].append(
                f"{fmt.pct(sow)} share of wallet" + _segment_text(p, "share_of_wallet", pct0)
            )
    growth = a.get("growth")
    if pd.notna(growth) and growth > 0 and not _gap(growth, seg.get("growth")) < 0:
        data["strengths"].append(
            f"revenue {fmt.pct(growth, 1, signed=True)} on the prior year"
            + _segment_text(p, "growth", lambda v: fmt.pct(v, 1, signed=True))
        )
    if _gap(a.get("net_margin"), seg.get("net_margin")) > 0.01:
        data["strengths"].append(
            f"net margin {fmt.pct(a['net_margin'], 1)}"
            + _segment_text(p, "net_margin", lambda v: fmt.pct(v, 1))
        )
    nps = a.get("nps")
    if pd.notna(nps) and nps >= 30 and bool(a.get("nps_counted", True)):
        data["strengths"].append(nps_text(a))
    if a.get("supporters", 0) and a.get("supporters", 0) > 0:
        data["strengths"].append(
            fmt.plural(int(a["supporters"]), "supporter") + " among the contacts"
        )
    data["strengths"] += _rated_well(p)
    risks = risk_items(p)
    _swot_risks(p, data, risks)
    return data


def _swot_risks(p: Plan, data: dict[str, list[str]], risks: list[tuple[str, str]]) -> None:
    """The SWOT's weaknesses, opportunities and threats beyond the strengths, into
    ``data``: from the risks, the ratings, the contacts, whitespace, pipeline and wallet."""
    a, c = p.account, p.currency
    sow = a.get("share_of_wallet")
    for kind, evidence in risks:
        if kind == "relationship gap":
            data["weaknesses"].append(evidence)
    data["weaknesses"] += _service_gaps(p) + _detractors(p) + _weak_spots(p, [k for k, _ in risks])
    if not data["weaknesses"]:
        data["weaknesses"] += _no_weakness(p)
    if pd.notna(a["whitespace"]) and a["whitespace"] > 0:
        data["opportunities"].append(f"whitespace worth {fmt.money(a['whitespace'], c)} a year")
    if pd.notna(a["weighted"]) and a["weighted"] > 0:
        data["opportunities"].append(f"weighted open pipeline {fmt.money(a['weighted'], c)}")
    if pd.notna(a.get("headroom")) and a["headroom"] > 0:
        data["opportunities"].append(f"wallet headroom {fmt.money(a['headroom'], c)}")
    data["threats"] += [
        e for k, e in risks if k in ("lost", "churn signal", "customer sentiment", "survey gap")
    ]
    if pd.notna(sow) and sow < 1:
        data["threats"].append(
            f"{fmt.pct(1 - sow)} of its spend on what we sell goes to others "
            f"(share of wallet {fmt.pct(sow)})"
        )
    if not data["threats"]:
        data["threats"].append(_no_threat(p, risks))


def _no_threat(p: Plan, risks: list[tuple[str, str]]) -> str:
    """The SWOT's threats when the data shows none: what was checked; when the risk table
    lists risks of another kind (a relationship gap, a loss-making account), it says so
    rather than that there is no risk."""
    if not risks:
        return risks_empty(p)
    seen = "no lost business, no churn signal"
    seen += ", no falling or negative NPS" if p.has.get("surveys", True) else ""
    address = (
        f"the risk to address is {risks[0][1]}"
        if len(risks) == 1
        else f"the {len(risks)} risks to address are in the risk list"
    )
    return f"No outside threat shows in the data ({seen}); {address}."


def _detractors(p: Plan) -> list[str]:
    """The detractors among the contacts, by name and role (an influential one is also an
    urgent action)."""
    ct = p.contacts
    if not len(ct) or "attitude" not in ct.columns:
        return []
    det = ct[ct["attitude"] == "detractor"]
    if det.empty:
        return []
    who = listing([f"{r.name} ({_role(r)})" for r in det.head(3).itertuples()])
    return [fmt.plural(len(det), "detractor") + f" among the contacts: {who}"]


def _rated_well(p: Plan, n: int = 2) -> list[str]:
    """Elements the account rates important (4 or more) and our delivery 4 or more."""
    r = p.ratings
    if r.empty or not {"importance", "satisfaction"} <= set(r.columns):
        return []
    # well delivered: 4 or more and within a point of how much it matters (else a gap)
    g = r[(r["importance"] >= 4) & (r["satisfaction"] >= 4)
          & (r["importance"] - r["satisfaction"] < 1)]  # fmt: skip
    g = g.sort_values(["importance", "satisfaction"], ascending=False).head(n)
    return [
        rated(e, i, s) for e, i, s in zip(g["element"], g["importance"], g["satisfaction"],
                                          strict=True)
    ]  # fmt: skip


#: A service gap that is a risk, not only a weakness: importance at least the first,
#: our delivery at most the second (1–5).
SEVERE = (4.5, 2.0)


def risk_items(p: Plan, stale_days: int | None = None) -> list[tuple[str, str]]:
    """Every risk the plan's own figures show (see :func:`_risks`), computed once."""
    if stale_days is not None:
        return _risks(p, stale_days)
    return _once(p, "risks", _risks)  # type: ignore[return-value]


def _risks(p: Plan, stale_days: int | None = None) -> list[tuple[str, str]]:
    """Every risk the plan's own figures show, as (kind, evidence): the one source for the
    summary, the risk table, the SWOT's threats and the suggested actions, so that no part
    of a plan says "no risk" beside a figure that is one.

    Churn signals (declining revenue, margin erosion, falling NPS), a negative NPS even
    from too few respondents to count (said so), a loss after cost-to-serve, a health in
    the watch or risk band, relationship gaps, and each senior contact not met for longer
    than ``stale_days`` (default: the engagement's ``account_plan.stale_days``); no
    contact on record at all; an element the account rates most important that we
    deliver badly (:data:`SEVERE`).
    """
    a, c = p.account, p.currency
    out: list[tuple[str, str]] = []
    if _lost(p):
        why = a.get("lost_reason")
        out.append(
            ("lost", f"recorded as lost on {fmt.day_long(a['lost_on'])}"
             + (f" ({why})" if isinstance(why, str) and why else "") + ", nothing bought since")
        )  # fmt: skip
    gaps, signals = list(a.get("gaps") or []), list(a.get("signals") or [])
    stale_gap = any(g.code in ap.SENIOR_GAPS for g in gaps)
    nps = a.get("nps")
    for sig in signals:
        if sig.code == "risk.stale_senior" and stale_gap:
            continue  # the relationship gap says the same with the days
        if sig.code == "risk.nps_down" and pd.notna(nps):  # the level, not only the fall
            down = f"down {sig.values['points']:.0f} points"
            out.append(("churn signal", f"{nps_text(a)}, {down}"))
            continue
        out.append(("churn signal", say(sig)))
    if pd.notna(nps) and nps < 0 and not any(s.code == "risk.nps_down" for s in signals):
        few = "" if a.get("nps_counted", True) else ": too few to score, worth a conversation"
        out.append(("customer sentiment", nps_text(a) + few))
    silent = _unsurveyed(p)
    if silent:
        out.append(("survey gap", silent))
    if pd.notna(a.get("net_contribution")) and a["net_contribution"] < 0:
        out.append(
            (
                "profitability",
                f"loses {fmt.money(-a['net_contribution'], c)} a year after cost-to-serve",
            )
        )
    if a.get("band") in ("watch", "at risk"):
        out.append(("health", f"health {fmt.count(a['health'])} ({a['band']})"))
    out += [("relationship gap", say(g)) for g in gaps]
    if not gaps and p.has.get("contacts", True) and not int(a.get("contacts", 0) or 0):
        out.append(("relationship gap", "no contact at the account on record"))
    return out + _people_risks(p, stale_gap, stale_days)


def _people_risks(p: Plan, stale_gap: bool, stale_days: int | None = None) -> list[tuple[str, str]]:
    """The risks in whom we serve and how: a priority delivered badly, a role the plan
    counts on and nobody holds, senior contacts not met for long."""
    out: list[tuple[str, str]] = []
    g = _gap_frame(p)
    severe = g[(g["importance"] >= SEVERE[0]) & (g["satisfaction"] <= SEVERE[1])]
    out += [
        ("service gap", rated(e, i, v))
        for e, i, v in zip(severe["element"], severe["importance"], severe["satisfaction"],
                           strict=True)
    ]  # fmt: skip
    out += [
        (
            "relationship gap",
            f"the plan counts on the {role}, who is not among the contacts on record",
        )
        for role in missing_roles(p)
    ]
    limit = stale_days if stale_days is not None else p.stale_days
    old = _stale_seniors(p, limit)
    if len(old) and not stale_gap:
        if len(old) == 1:
            r = next(old.itertuples())
            out.append(("relationship gap", f"a senior contact not met for {int(r.days)} days: "
                        f"the {_role(r)}"))  # fmt: skip
        else:
            who = ", ".join(f"{_role(r)} ({int(r.days)} days)" for r in old.itertuples())
            out.append(
                ("relationship gap", f"senior contacts not met for over {limit} days: {who}")
            )
    return out


def nps_text(a: pd.Series) -> str:
    """``'NPS −50 over the last 12 months, from 4 respondents'``: a score of a handful of
    answers is read for what it is."""
    n = int(a.get("nps_respondents", 0) or 0)
    few = " only" if 0 < n < FEW_ANSWERS else ""
    return f"NPS {fmt.signed(a['nps'])} over the last 12 months" + (
        f", from{few} {fmt.plural(n, 'respondent')}" if n else ""
    )


def _unsurveyed(p: Plan) -> str:
    """Where the pack holds surveys and this account answered none in the last 12 months:
    since when it is silent (its last answered quarter), else that it never answered."""
    if not p.has.get("surveys", True) or pd.notna(p.account.get("nps")):
        return ""
    if not len(p.nps):
        return "no survey answered on record: we do not know what it thinks of us"
    last = pd.Timestamp(p.nps["quarter"].max())
    months = (p.as_of.year - last.year) * 12 + p.as_of.month - last.month
    return (
        f"no survey answered for {months} months (the last in Q{last.quarter} {last.year}): "
        "we do not know what it thinks of us today"
    )


#: Roles a manager names in a plan that should be among the contacts, with the words a
#: contact's role may spell them in.
ROLES = {
    "CEO": ("ceo", "chief executive", "managing director", "general manager"),
    "CFO": ("cfo", "chief financial", "finance director", "head of finance"),
    "CIO": ("cio", "chief information officer", "it director", "head of it"),
    "CTO": ("cto", "chief technology", "technical director"),
    "COO": ("coo", "chief operating", "operations director", "head of operations"),
    "CISO": ("ciso", "chief information security", "head of security"),
}


def missing_roles(p: Plan) -> list[str]:
    """Roles the manager's texts name (``"decision by the CIO with the CFO"``) that no
    contact on record holds: the plan counts on someone we have not mapped."""
    import re

    text = " ".join(str(v) for v in p.inputs.values())
    if not text or not p.has.get("contacts", True):
        return []
    roles = " | ".join(str(r).lower() for r in p.contacts.get("role", []) if isinstance(r, str))
    out = []
    for role, spellings in ROLES.items():
        if re.search(rf"\b{role}\b", text) and not any(
            re.search(rf"\b{w}\b", roles) for w in spellings
        ):
            out.append(role)
    return out


def _stale_seniors(p: Plan, limit: int | None = None) -> pd.DataFrame:
    """The account's senior contacts last met more than ``limit`` days ago."""
    ct = p.contacts
    if not len(ct) or not {"senior", "days"} <= set(ct.columns):
        return ct.iloc[:0]
    limit = p.stale_days if limit is None else limit
    return ct[ct["senior"].fillna(False).astype(bool) & (ct["days"] > limit)]


def _role(r: object) -> str:
    role, name = getattr(r, "role", None), getattr(r, "name", None)
    return str(role if isinstance(role, str) and role else name)


def client_value_points(p: Plan) -> list[str]:
    """What the account's own ratings say it values most and how we deliver it; without
    its own ratings, what its segment rates most important (said so)."""
    r = p.ratings
    if len(r) and "importance" in r.columns:
        top = _most_important(r)
        sat = top["satisfaction"] if "satisfaction" in top else pd.Series(np.nan, top.index)
        return [
            rated(e, i, s, cap=True)
            for e, i, s in zip(top["element"], top["importance"], sat, strict=True)
        ]
    pk = p.package
    if "importance" not in pk or pk["importance"].isna().all():
        return []
    top = pk.dropna(subset=["importance"]).sort_values(
        ["importance", "element"], ascending=[False, True]
    )
    return [
        "Not rated by the account itself; its segment rates most important "
        + listing(
            [
                f"{e} ({i:.1f} of 5)"
                for e, i in zip(top["element"].head(3), top["importance"].head(3), strict=True)
            ]
        )
    ]


def rated(element: str, importance: float, satisfaction: float, cap: bool = False) -> str:
    """How much an element matters to the account and how it rates our delivery of it:
    ``'rates technical support 5 of 5 in importance and our delivery of it 2 of 5'``."""
    text = f"rates {element} {importance:.0f} of 5 in importance" + (
        f" and our delivery of it {satisfaction:.0f} of 5" if pd.notna(satisfaction) else ""
    )
    return text[:1].upper() + text[1:] if cap else text


def _most_important(r: pd.DataFrame, n: int = 3, most: int = 5) -> pd.DataFrame:
    """The ``n`` elements an account rates most important, with those tied with the last
    (at most ``most``): a list never leaves out an element rated as high as one it names.

    >>> r = pd.DataFrame({"element": list("abcde"), "importance": [5.0, 4, 4, 4, 3]})
    >>> _most_important(r)["element"].tolist()
    ['a', 'b', 'c', 'd']
    """
    s = r.sort_values(["importance", "element"], ascending=[False, True])
    if len(s) <= n:
        return s
    return s[s["importance"] >= s["importance"].iloc[n - 1]].head(most)


def _gap(a: float | None, b: float | None) -> float:
    """``a − b``, NaN when either is unknown."""
    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return float("nan")
    return float(a) - float(b)


def _segment_text(p: Plan, key: str, value_fmt: Callable[[float], str]) -> str:
    """ ", against the segment's 9.0 %" — empty when the segment has no other account."""
    m = p.segment.get(key)
    if m is None or pd.isna(m) or int(p.segment.get("accounts", 0) or 0) < 2:
        return ""
    return f", against {value_fmt(m)} for the segment's median account"


def _product_moves(p: Plan) -> pd.DataFrame:
    """The account's products whose revenue moved more than :data:`PRODUCT_MOVE` on the
    prior year (a product no longer bought: −100 %), largest move in money first."""
    return _once(p, "moves", _moves)


def _moves(p: Plan) -> pd.DataFrame:
    pr = p.products
    if pr.empty or "prior_revenue" not in pr or pr["prior_revenue"].isna().all():
        cols = ["product", "revenue", "prior_revenue", "delta", "change"]
        return pd.DataFrame(columns=cols)
    m = pr.assign(
        delta=pr["revenue"] - pr["prior_revenue"],
        change=(pr["revenue"] / pr["prior_revenue"] - 1).where(pr["prior_revenue"] > 0),
    )
    moved = m[(m["change"].abs() > PRODUCT_MOVE) | (m["prior_revenue"] == 0)]
    return moved.reindex(moved["delta"].abs().sort_values(ascending=False).index)


def _weak_spots(p: Plan, risks: list[str]) -> list[str]:
    """Weaknesses the risks do not already name: a net margin below the segment's, no
    contact on record (a negative NPS is a risk, a threat in the SWOT)."""
    a, seg, out = p.account, p.segment, []
    if _gap(a.get("net_margin"), seg.get("net_margin")) < -0.01 and "profitability" not in risks:
        out.append(
            f"net margin {fmt.pct(a['net_margin'], 1)}"
            + _segment_text(p, "net_margin", lambda v: fmt.pct(v, 1))
        )
    if (
        p.has.get("contacts", True)
        and not int(a.get("contacts", 0) or 0)
        and "relationship gap" not in risks  # the risk says it already
    ):
        out.append("no contact at the account on record")
    return out


def _protect(p: Plan) -> str:
    """What a cheaper package must not cut: the service the account rates important and
    badly delivered (its own ratings), as the end of the move's reason."""
    gaps = _service_gaps(p, 1)
    if not gaps:
        return ""
    element = _gap_frame(p)["element"].iloc[0]
    pk = p.package.set_index("element")["decision"] if len(p.package) else pd.Series()
    how = {"charged separately": "charges separately for", "not offered": "does not offer"}
    if pk.get(element) in how:
        return (
            f"; its package {how[pk[element]]} what it needs most, so offer it as a paid "
            f"service at the level it needs: it {gaps[0]}"
        )
    return f"; keep what it needs most: it {gaps[0]}"


def _gap_frame(p: Plan) -> pd.DataFrame:
    """The account's own ratings where we deliver a point or more below what matters
    (importance 4 or more), largest gap first."""
    r = p.ratings
    if r.empty or not {"importance", "satisfaction"} <= set(r.columns):
        return pd.DataFrame(columns=["element", "importance", "satisfaction", "gap"])
    g = r.assign(gap=r["importance"] - r["satisfaction"])
    return g[(g["importance"] >= 4) & (g["gap"] >= 1)].sort_values("gap", ascending=False)


def _service_gaps(p: Plan, n: int = 2) -> list[str]:
    """Elements the account rates important (4 or more) and our delivery a point or more
    below, largest gap first."""
    g = _gap_frame(p)
    return [
        rated(e, i, s) for e, i, s in zip(g["element"], g["importance"], g["satisfaction"],
                                          strict=True)
    ][:n]  # fmt: skip


def challenges(p: Plan) -> list[str]:
    """The pressures on the customer's spend our figures show: revenue falling or growing
    slower than the segment's, products bought less; without any, that the figures show
    none. Our own margin on the account is our problem, not the customer's: it is in the
    weaknesses and risks, not here."""
    a, c = p.account, p.currency
    out = []
    growth = a.get("growth")
    signed = lambda v: fmt.pct(v, 1, signed=True)  # noqa: E731
    if pd.notna(growth) and (growth < 0 or _gap(growth, p.segment.get("growth")) < -0.01):
        out.append(
            f"Revenue {signed(growth)} on the prior year" + _segment_text(p, "growth", signed)
        )
    down = _product_moves(p)
    down = down[down["delta"] < 0].head(3)
    if len(down):
        out.append(
            "Buys less "
            + listing(
                [
                    f"{r.product} ({fmt.money(r.delta, c)}"
                    + (", no longer bought)" if r.revenue == 0 else ")")
                    for r in down.itertuples()
                ]
            )
            + " than the year before"
        )
    if out or not pd.notna(growth):
        return out
    return [
        f"Its spend with us: revenue {signed(growth)} on the prior year"
        + _segment_text(p, "growth", signed)
        + "; the challenges behind it are for the manager to write"
    ]


def ongoing_projects(p: Plan) -> list[str]:
    """Open opportunities (the largest weighted first) and products the account started
    buying this year."""
    c = p.currency
    out = []
    for r in p.opportunities.sort_values("weighted", ascending=False).head(3).itertuples():
        close = getattr(r, "expected_close", None)
        when = f", expected to close {fmt.day(close)}" if pd.notna(close) else ""
        stage = getattr(r, "stage", None)
        out.append(
            f"{_product_of(r)[:1].upper()}{_product_of(r)[1:]} opportunity"
            + (f" at {stage} stage" if isinstance(stage, str) and stage else "")
            + f", {fmt.money(r.amount, c)}{when}"
        )
    moves = _product_moves(p)
    for r in moves[moves["prior_revenue"] == 0].head(2).itertuples():
        out.append(f"Started buying {r.product} this year ({fmt.money(r.revenue, c)})")
    if not out and p.has.get("opportunities", True):
        out.append("No open opportunity and no product newly bought on record")
    return out


def required_actions(p: Plan) -> list[str]:
    """The actions the data suggests, most urgent first."""
    return [
        f"{r.action}. {r.why[:1].upper()}{r.why[1:]}."
        for r in suggested_actions(p).head(5).itertuples()
    ]


def _no_weakness(p: Plan) -> list[str]:
    """Where the data finds no weakness, what it compared, for the manager to confirm."""
    a, seg = p.account, p.segment
    compared = [
        what
        for what, key in (("share of wallet", "share_of_wallet"), ("net margin", "net_margin"))
        if pd.notna(a.get(key)) and pd.notna(seg.get(key))
    ]
    if not compared:
        return []
    return [
        f"Our figures show no clear weakness: {listing(compared)} not clearly below the "
        "segment's median account"
        + ("; no relationship or service gap on record" if a.get("contacts", 0) else "")
    ]


def desired_solution(p: Plan) -> list[str]:
    """What the account (or else its segment) rates most important, what its segment's
    package includes, and the products its segment buys that it does not."""
    out = []
    r = p.ratings
    if len(r) and "importance" in r.columns:
        top = _most_important(r)
        out.append(
            "What it rates most important: "
            + listing(
                [
                    f"{e} ({i:.1f} of 5)"
                    for e, i in zip(top["element"], top["importance"], strict=True)
                ]
            )
        )
    included = p.package.loc[p.package["decision"] == "included", "element"].tolist()
    if included:
        out.append(f"What its segment's package would give it: {listing(included)}")
    ws = p.whitespace[~p.whitespace["in_pipeline"]] if len(p.whitespace) else p.whitespace
    if len(ws):
        out.append(
            "Products its segment buys and it does not: " + listing(list(ws["product"].head(3)))
        )
    return out


def client_value(p: Plan) -> list[str]:
    """What the account's own service ratings say it values most, and where we fall short."""
    return client_value_points(p)


def investment(p: Plan) -> list[str]:
    """Today's cost-to-serve against the segment package, and the price path if any."""
    a, c = p.account, p.currency
    out = []
    cts, change = a.get("cost_to_serve"), a.get("package_change")
    if pd.notna(cts) and change is not None and pd.notna(change):
        out.append(
            f"Serving it costs {fmt.money(cts, c)} a year today; its segment's package (the "
            "elements it includes, at the segment's cost for an account of its size) would "
            + (
                f"cost {fmt.money(-change, c)} less"
                if change < 0
                else (f"cost {fmt.money(change, c)} more" if change > 0 else "cost the same")
            )
            + _lift_note(p)
            + _more_in_full(a, c)
        )
    elif pd.notna(cts):
        out.append(f"Serving it costs {fmt.money(cts, c)} a year today")
    if _has_fix(p) and a["better_action"] in ("price", "package and price"):
        both = ", with the package," if a["better_action"] == "package and price" else ""
        out.append(f"Prices {_path(a)}{both} bring it to {_goal(p)}")
    return out


def action_plan(p: Plan) -> list[str]:
    """The suggested actions as plan lines: action, owner, due, status."""
    return [f"{r.action} | {r.owner} | {r.due} | to agree" for r in dated_actions(p).itertuples()]


def deal_preparation(p: Plan) -> list[str]:
    """For the largest open opportunity: what, when, and who decides (from the contacts)."""
    if p.opportunities.empty:
        ws = p.whitespace[~p.whitespace["in_pipeline"]] if len(p.whitespace) else p.whitespace
        if not len(ws):
            return (
                ["No open opportunity on record and no product its segment buys that it does "
                 "not: the next deal is to find with the customer"]
                if p.has.get("opportunities", True)
                else []
            )  # fmt: skip
        w = ws.iloc[0]
        seen = (
            f"{w['product']}, which {fmt.pct(w['adoption'])} of its segment buy, typically "
            f"{fmt.money(w['value'], p.currency)} a year"
        )
        if unrecorded_projects(p):
            return [
                "No open opportunity on record: the ongoing projects named in this plan are "
                f"not in the pipeline yet; record them first. Also to propose: {seen}"
            ]
        return [f"No open opportunity on record: the first proposal to prepare is {seen}"]
    o = p.opportunities.sort_values("weighted", ascending=False).iloc[0]
    c = p.currency
    close = o.get("expected_close")
    out = [
        f"Largest open opportunity: {_product_of(o)}, {fmt.money(o['amount'], c)}"
        + (f" at {fmt.pct(o['probability'])}" if pd.notna(o.get("probability")) else "")
        + (f", expected to close {fmt.day(close)}" if pd.notna(close) else "")
    ]
    ct = p.contacts
    if len(ct) and "influence" in ct.columns:
        who = ct[ct["influence"] >= 4].sort_values(["influence", "name"], ascending=[False, True])
        if len(who):
            out.append(
                "Who decides, on record: "
                + listing(
                    [
                        f"{r.name} ({_role(r)}"
                        + (
                            f", {r.attitude})"
                            if isinstance(getattr(r, "attitude", None), str)
                            else ")"
                        )
                        for r in who.head(3).itertuples()
                    ]
                )
            )
        else:
            out.append("No contact with influence 4 or 5 on record: find who decides")
    return out


#: What to do about each kind of risk the plan shows (:func:`risk_items`).
MITIGATION = {
    "lost": "decide on a win-back with sales management before any other effort",
    "churn signal": "review the decline with the customer's decision maker and agree what "
    "would bring the spend back",
    "customer sentiment": "call the detractors, find the cause and agree a fix with a date",
    "profitability": "",  # the profitability step's own proposal (see below)
    "health": "review the account's health every month with the sales manager until it "
    "is healthy again",
    "relationship gap": "meet the senior decision makers within the month",
    "service gap": "agree a service fix with a date with the customer's decision maker",
    "survey gap": "ask its decision makers for a score and what to improve, this quarter",
}


def risk_mitigation(p: Plan) -> list[str]:
    """A first mitigation for each kind of risk the data shows (one line per kind); with
    none, how to keep it so (the risk table says what was checked)."""
    if not risk_items(p):
        return [
            "Nothing to mitigate on the data today: review the account's health, revenue "
            "and contacts every quarter to see a risk early"
        ]
    out, seen = [], set()
    for kind, evidence in risk_items(p):
        if kind in seen:
            continue
        seen.add(kind)
        what = (
            (_fix(p) if _has_fix(p) else "renegotiate the terms or the service with the customer")
            if kind == "profitability"
            else MITIGATION[kind]
        )
        if kind == "health" and _losing(p):  # its loss caps the score: the loss is the lever
            what = (
                "review it every month with the sales manager; its loss after cost-to-serve "
                "holds the score down until the loss is cut"
            )
        out.append(f"{evidence[:1].upper()}{evidence[1:]}: {what}")
    return out


#: The data's draft of each plan field the SWOT does not draft (a field missing here
#: and from the SWOT has none).
DRAFTS: dict[str, Callable[[Plan], list[str]]] = {
    "challenges": challenges,
    "ongoing_projects": ongoing_projects,
    "required_actions": required_actions,
    "desired_solution": desired_solution,
    "client_value": client_value,
    "investment": investment,
    "action_plan": action_plan,
    "deal_preparation": deal_preparation,
    "risk_mitigation": risk_mitigation,
}


def drafts(p: Plan) -> dict[str, list[str]]:
    """Every field the data can draft for this plan, with its points (none: not drafted);
    computed once per plan."""
    return _once(p, "drafts", _drafts)  # type: ignore[return-value]


def _drafts(p: Plan) -> dict[str, list[str]]:
    found = {**{n: fn(p) for n, fn in DRAFTS.items()}, **swot_data(p)}
    return {n: found[n] for n in [*DRAFTS, *SWOT] if found.get(n)}


def dated_actions(p: Plan) -> pd.DataFrame:
    """The suggested actions with an owner (the account's manager) and when each is due:
    risks and relationship gaps within :data:`URGENT_DAYS` days, an opportunity by its
    close date, the rest within the plan's first quarter."""
    s = suggested_actions(p)
    owner = p.account.get("account_manager")
    owner = owner if isinstance(owner, str) and owner else "the account manager"
    due = []
    for r in s.itertuples():
        if r.close is not None and pd.notna(r.close):
            due.append(f"by {fmt.day(r.close)}")
        elif r.urgent:
            due.append(f"within {URGENT_DAYS} days")
        elif r.action.endswith("once it is reworked"):  # waits for the rework, undated
            due.append("once the package is reworked")
        elif r.action.startswith(PRICE_ACTION):
            due.append("at the next renewal" + _price_conditions(p))
        else:
            due.append("within 3 months")
    return s.assign(owner=owner, due=due)[["action", "why", "owner", "due"]]


def risks_empty(p: Plan) -> str:
    """What the empty risk table means: which checks the data allowed, and which not."""
    checked: list[str] = []
    not_checked: list[str] = []
    for ok, what, why in (
        (p.has.get("history", True), "revenue trend", "less than 24 months of revenue"),
        (p.has.get("cost", True) and p.has.get("history", True), "margin trend",
         "no cost of goods or no full prior year"),
        (p.has.get("surveys", True), "NPS", "no surveys"),
        (p.has.get("contacts", True), "contacts", "no contacts table"),
        (p.has.get("cost", True) and p.has.get("activities", True), "profitability",
         "no cost of goods or activities"),
    ):  # fmt: skip
        (checked if ok else not_checked).append(what if ok else f"{what} ({why})")
    text = "No risk in the data checked"
    text += f" ({', '.join(checked)})." if checked else "."
    if not_checked:
        text += " Not checked for lack of data: " + "; ".join(not_checked) + "."
    return text
