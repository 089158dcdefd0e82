"""Step 2 — the service model as the client reads it: the heatmap frames, the gap and
package tables, the package costs, the summary in words, the headline cards and
``02_service_model.xlsx``.

The numbers come from :mod:`kamlib.method.service_model`.
"""

from __future__ import annotations

import pandas as pd

from ..core import fmt
from ..method.service_model import (
    CHARGED,
    DIMENSION_LABELS,
    INCLUDED,
    ServiceModel,
    catalogue,
    orientation_contrast,
    rework,
    wide,
)
from .decision import Decision
from .rules import listing
from .words import say_all


def _gaps_sentence(sm_: ServiceModel) -> list[str]:
    """The largest shortfall of the key-account segments and how many points are under-
    and over-served (the gap table also shows the other classes)."""
    parts: list[str] = []
    if sm_.gaps is None:
        return parts
    key = sm_.gaps["group"].isin(set(sm_.packages["segment"])) if sm_.packages is not None else True
    g = sm_.gaps[sm_.gaps["enough"] & key]
    under = g[g["status"] == "under-served"]
    over = g[g["status"] == "over-served"]
    if len(under):
        u = under.iloc[0]
        parts.append(
            f"The largest shortfall: **{fmt.md_text(u['element'])}** for "
            f"{fmt.md_text(u['group'])}, rated {u['importance']:.1f} in importance and "
            f"{u['satisfaction']:.1f} in satisfaction; key accounts are under-served on "
            f"{fmt.plural(len(under), 'point')} and over-served on {len(over)}."
        )
    return parts


def summary_text(sm_: ServiceModel, currency: str | None = None) -> str:
    """The executive summary in words."""

    parts = []
    if sm_.has_ratings:
        m = sm_.matrices["segment"]
        parts.append(
            f"{fmt.count(sm_.respondents)} interviewed accounts, "
            f"{fmt.count(sm_.key_respondents)} of them key accounts, rated "
            f"{len(sm_.elements)} service elements."
        )
        if sm_.packages is not None:
            c = orientation_contrast(sm_.packages)
            if len(c) >= 4:
                loyal = listing(list(c.head(2)["element"]))
                price = listing(list(c.tail(2)["element"].iloc[::-1]))
                parts.append(
                    f"Loyalty-oriented key accounts value **{fmt.md_text(loyal)}** far more than "
                    f"price-oriented ones, who value **{fmt.md_text(price)}** more than loyal "
                    "ones do."
                )
        if sm_.gaps is not None:
            parts += _gaps_sentence(sm_)
        thin = int((~m["enough"]).sum())
        if thin:
            parts.append(
                f"{fmt.plural(thin, 'element rating')} of a segment rest on fewer than "
                f"{sm_.min_respondents} respondents and are left out of the decisions."
            )
    if sm_.costs is not None and len(sm_.costs) and sm_.costs["affordable"].isna().all():
        parts.append(
            "Each key-account segment has a package; whether it can afford it needs the "
            "gross profit per account, that is cost of goods, which the data does not hold."
        )
    elif sm_.costs is not None and len(sm_.costs):
        c = sm_.costs
        bad = c[c["affordable"] == False]  # noqa: E712 - None is unknown, not False
        parts.append(
            "Each key-account segment has a package; "
            + (
                f"**{len(bad)} cannot afford theirs**, "
                f"{listing([fmt.md_text(x) for x in bad['segment']])}: each package costs more "
                "than half of the segment's gross profit per account."
                if len(bad)
                else "every segment can afford its package."
            )
        )
    if parts:
        return " ".join(parts)
    return "Nothing to propose yet: " + "; ".join(n.rstrip(".") for n in say_all(sm_.notes)) + "."


def export(output_dir: str, sm_: ServiceModel, colour: str = "#0B3D91") -> str:
    """Write ``02_service_model.xlsx``: matrices, gaps, package catalogue and costs."""
    from .workbook import export as export_report

    sheets = {f"Importance by {DIMENSION_LABELS[d]}": m for d, m in sm_.matrices.items()}
    if sm_.gaps is not None:
        sheets["Gaps"] = sm_.gaps.drop(columns="priority", errors="ignore")
    if sm_.packages is not None:
        sheets["Packages"] = catalogue(sm_.packages).reset_index()
        sheets["Package decisions"] = sm_.packages
    if sm_.costs is not None:
        sheets["Package costs"] = sm_.costs.assign(
            not_costed=[", ".join(u) for u in sm_.costs["not_costed"]]
        )
    if sm_.cost_today is not None:
        sheets["Cost today"] = sm_.cost_today
    if sm_.notes or not sheets:
        sheets["Notes"] = pd.DataFrame({"note": say_all(sm_.notes) or ["Nothing to export."]})
    return export_report(
        output_dir,
        "02_service_model.xlsx",
        sheets,
        colour,
        formats={"Package costs": {"cost_share": "pct"}},
    )


def heat(sm_: ServiceModel, dimension: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean importance and respondent counts, element x group; (None, None) without ratings."""
    if dimension not in sm_.matrices:
        return None, None
    m = sm_.matrices[dimension]
    if dimension == "segment":  # the key-account segments, which get packages
        m = m[m["group"].str.startswith("Tier")]
    return wide(m, "importance"), wide(m, "respondents").fillna(0).astype(int)


def heat_takeaway(sm_: ServiceModel, dimension: str) -> str:
    """What the heatmap of ``dimension`` shows, in a sentence: the elements its groups
    value most differently, or that they agree."""
    from ..method.service_model import GAP_DIFF, differences

    if dimension not in sm_.matrices:
        return ""
    m = sm_.matrices[dimension]
    if dimension == "segment":
        m = m[m["group"].str.startswith("Tier")]
    d = differences(m)
    label = DIMENSION_LABELS.get(dimension, dimension)
    if d.empty:
        return (
            f"Every {label} rates each element within {GAP_DIFF:.1f} points of the "
            "others: the same package can serve them all."
        )
    said = [
        f"{fmt.md_text(r.element)}, {r.high_importance:.1f} for {fmt.md_text(r.high)} against "
        f"{r.low_importance:.1f} for {fmt.md_text(r.low)}"
        for r in d.head(2).itertuples()
    ]
    rest = len(d) - len(said)
    tail = (
        f" {fmt.plural(rest, 'other element')} {'differs' if rest == 1 else 'differ'} by "
        f"{GAP_DIFF:.1f} points or more."
        if rest
        else f" On the other elements they are within {GAP_DIFF:.1f} points."
    )
    return f"Where the {label}s differ most: {'; '.join(said)}.{tail}"


def contrast_view(sm_: ServiceModel) -> pd.DataFrame:
    """Loyalty- against price-oriented key accounts per element, the means shown to one
    decimal and the difference taken of them, so that it subtracts as printed."""
    t = orientation_contrast(sm_.packages)
    if t.empty:
        return t
    t = t.assign(loyalty=t["loyalty"].round(1), price=t["price"].round(1))
    t["difference"] = (t["loyalty"] - t["price"]).round(1)
    return t.sort_values("difference", ascending=False, kind="stable").reset_index(drop=True)


def gap_view(sm_: ServiceModel, top: int = 20) -> pd.DataFrame:
    """The largest gaps with enough respondents: under-served first, then over-served,
    each kind ranked, at most ``top`` rows (room kept for both kinds). Importance and
    satisfaction are shown to one decimal and the gap is their difference as shown, so
    that it subtracts as printed; the rank (largest importance-weighted shortfall first)
    is on the figures as shown too."""
    if sm_.gaps is None:
        return pd.DataFrame()
    g = sm_.gaps[sm_.gaps["enough"] & (sm_.gaps["status"] != "in line")].copy()
    g["importance"], g["satisfaction"] = g["importance"].round(1), g["satisfaction"].round(1)
    g["gap"] = (g["importance"] - g["satisfaction"]).round(1)
    g["priority"] = g["gap"] * g["importance"]
    under = g[g["status"] == "under-served"].sort_values("priority", ascending=False, kind="stable")
    # over-served: the largest weighted excess first, as the caption says
    over = g[g["status"] == "over-served"].sort_values("priority", kind="stable")
    n_over = min(len(over), max(top // 3, top - len(under)))
    g = pd.concat([under.head(top - n_over), over.head(n_over)])
    g["weighted gap"] = (g["gap"] * g["importance"]).round(1)  # the rank, as printed
    return g.rename(columns={"group": "segment"})[
        ["status", "element", "segment", "importance", "satisfaction", "gap", "weighted gap",
         "respondents"]
    ]  # fmt: skip


def costs_missing(sm_: ServiceModel) -> str:
    """Why there is no package cost to show, in one sentence."""
    if sm_.packages is None:
        return "No package cost: there is no package (see the notes above)."
    if sm_.cost_today is None:
        return "No package cost: it needs cost-to-serve activities with unit costs."
    return "No package costs anything: no included element has activities behind it."


def gap_note(sm_: ServiceModel) -> str:
    """How many cells of each kind there are, when the table lists only the largest."""
    if sm_.gaps is None:
        return ""
    g = sm_.gaps[sm_.gaps["enough"]]
    under = int((g["status"] == "under-served").sum())
    over = int((g["status"] == "over-served").sum())
    if under + over <= len(gap_view(sm_)):
        return ""
    return (
        f"Across all groups, key accounts and the others, {fmt.plural(under, 'point')} are "
        f"under-served and {over} over-served (the summary counts the key-account segments "
        "only); the largest of each are listed, every one is in the workbook that comes "
        "with this report."
    )


def package_view(sm_: ServiceModel) -> pd.DataFrame:
    """The catalogue for the sales force, segments as columns."""
    if sm_.packages is None:
        return pd.DataFrame()
    return catalogue(sm_.packages).reset_index()


def cost_view(sm_: ServiceModel) -> pd.DataFrame:
    """Package cost against gross profit per account, reader-facing."""
    if sm_.costs is None:
        return pd.DataFrame()
    c = sm_.costs
    return pd.DataFrame(
        {
            "segment": c["segment"],
            "accounts": c["accounts"],
            "elements included": [
                f"{n} ({len(u)} not costed)" if u else str(n)
                for n, u in zip(c["included"], c["not_costed"], strict=True)
            ],
            "package cost per account": c["package_cost"],
            "gross profit per account": c["gross_profit"],
            "cost / gross profit": c["cost_share"],
            # an element not costed could still tip a "yes": said so; a "no" stands
            "affordable": [
                "unknown"
                if v is None
                else ("no" if not v else ("yes, on the costed elements" if u else "yes"))
                for v, u in zip(c["affordable"], c["not_costed"], strict=True)
            ],
        }
    )


def thin_note(sm_: ServiceModel) -> str:
    """What a grey cell of the importance matrices means, with the engagement's minimum."""
    if not sm_.has_ratings:
        return ""
    return (
        f"A cell with fewer than {sm_.min_respondents} respondents is grey: too few to read, "
        "it takes no part in the decisions."
    )


def uncosted_note(sm_: ServiceModel) -> str:
    """Which included elements have no activity behind them in the data, so no cost in
    the packages: said under the cost table, never a silent zero."""
    if sm_.costs is None or not len(sm_.costs):
        return ""
    names = sorted({e for u in sm_.costs["not_costed"] for e in u})
    if not names:
        return ""
    one = len(names) == 1
    return (
        f"{listing(names)[:1].upper()}{listing(names)[1:]} {'has' if one else 'have'} no activity "
        "behind {0} in the data, so the package costs leave {0} out: the costs above are of "
        "the other elements, and what {1} cost is to add before a package is promised."
    ).format("it" if one else "them", "it would" if one else "they would")


def cost_today_view(sm_: ServiceModel, currency: str | None = None) -> pd.DataFrame:
    """What each element costs per account today, element x segment, as printed (one
    unit per segment): an element the segment's package does not include is marked
    (charged separately, not offered), and the last row is the package's cost, what its
    included elements add up to (:func:`kamlib.method.service_model.package_cost`).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> m = NS(cost_today=pd.DataFrame({"element": ["a", "b"], "segment": ["S", "S"],
    ...                                 "cost_per_account": [1_200.0, 800.0]}),
    ...        packages=pd.DataFrame({"segment": ["S", "S"], "element": ["a", "b"],
    ...                               "decision": ["included", "charged separately"]}),
    ...        costs=pd.DataFrame({"segment": ["S"], "package_cost": [1_200.0]}))
    >>> cost_today_view(m, "EUR")["S"].tolist()
    ['€1.2 k', '€0.8 k, charged separately', '€1.2 k']
    """
    if sm_.cost_today is None or not len(sm_.cost_today):
        return pd.DataFrame()
    t = sm_.cost_today.pivot(index="element", columns="segment", values="cost_per_account")
    pk, costs = sm_.packages, sm_.costs
    decided = pk.set_index(["segment", "element"])["decision"] if pk is not None else None
    package = costs.set_index("segment")["package_cost"] if costs is not None else None
    rows = list(t.index.astype(str))
    if package is not None:
        rows.append(PACKAGE_ROW)
    out = pd.DataFrame({"element": rows})
    for seg in t.columns:
        scale = fmt.money_scale(t[seg])
        cells = []
        for el, v in t[seg].items():
            d = decided.get((seg, el), INCLUDED) if decided is not None else INCLUDED
            cells.append(fmt.money(v, currency, scale=scale) + ("" if d == INCLUDED else f", {d}"))
        if package is not None:
            cells.append(fmt.money(package.get(seg), currency, scale=scale))
        out[seg] = cells
    return out


#: The last row of :func:`cost_today_view`.
PACKAGE_ROW = "the package: its included elements"


def kpi_cards(sm_: ServiceModel, currency: str | None = None) -> list[tuple[str, str, str]]:
    """The headline figures as (label, value, note) cards."""

    rated_by = (
        f"rated by {fmt.plural(sm_.respondents, 'account')}, {sm_.key_respondents} key"
        if sm_.has_ratings
        else "configured; no ratings delivered"
    )
    cards = [("service elements", fmt.count(len(sm_.elements)), rated_by)]
    if sm_.has_ratings:
        cards.append(
            (
                "interviewed accounts",
                fmt.count(sm_.respondents),
                f"cells need {sm_.min_respondents}+ respondents",
            )
        )
    if sm_.gaps is not None:
        under = int(((sm_.gaps["status"] == "under-served") & sm_.gaps["enough"]).sum())
        cards.append(("under-served cells", fmt.count(under), "important, low satisfaction"))
    if sm_.costs is not None and len(sm_.costs):
        cards.append(("segments", fmt.count(len(sm_.costs)), "each with its package"))
        if sm_.costs["affordable"].notna().any():
            bad = int((sm_.costs["affordable"] == False).sum())  # noqa: E712
            cards.append(
                ("packages not affordable", fmt.count(bad), "cost > half the gross profit")
            )
    return cards


def decision_tiles(sm_: ServiceModel, under: int) -> list[tuple[str, str, str]]:
    """The numbers that matter: segments with a package, packages not affordable, gaps
    on key accounts, who was interviewed."""
    tiles = []
    if sm_.packages is not None:
        tiles.append(("key-account segments", fmt.count(sm_.packages["segment"].nunique()),
                      "each with its package"))  # fmt: skip
    if sm_.costs is not None and len(sm_.costs) and sm_.costs["affordable"].notna().any():
        bad = int((sm_.costs["affordable"] == False).sum())  # noqa: E712
        tiles.append(("packages not affordable", fmt.count(bad),
                      "cost over half the gross profit"))  # fmt: skip
    if sm_.gaps is not None:
        tiles.append(("service gaps", fmt.count(under), "key accounts: important, unsatisfied"))
    tiles.append(
        ("interviewed accounts", fmt.count(sm_.respondents),
         f"{fmt.count(sm_.key_respondents)} of them key accounts")
        if sm_.has_ratings
        else ("service elements", fmt.count(len(sm_.elements)), "no ratings delivered")
    )  # fmt: skip
    return tiles


def _rework_text(
    sm_: ServiceModel, bad: pd.DataFrame, affordable: float, keep: list[str] | tuple[str, ...],
    currency: str | None,
) -> str:  # fmt: skip
    """Per segment that cannot afford its package: its cost, and what to charge
    separately to bring it within reach (see :func:`rework`), or that prices must move;
    the segments where no element may go are said together."""
    text, stuck = "", []
    for r in bad.itertuples():
        costly, after = rework(sm_, r.segment, affordable, keep)
        cost = (
            f"the package costs {fmt.money(r.package_cost, currency)} per account, "
            f"{fmt.pct(r.cost_share)} of its gross profit"
        )
        if not len(costly):
            stuck.append(f"{fmt.md_text(r.segment)} ({cost})")
            continue
        what = listing([
            f"{fmt.md_text(e)} ({fmt.money(c, currency)})"
            for e, c in zip(costly["element"], costly["cost_per_account"], strict=True)
        ])  # fmt: skip
        text += f" {fmt.md_text(r.segment)}: {cost}. "
        text += (
            f"Charging separately for {what} per account brings it to {fmt.pct(after)}."
            if after <= affordable
            else f"Even charging separately for {what} per account leaves {fmt.pct(after)}: "
            "raise its prices over time as well, or move the accounts that cannot carry it "
            "down a tier."
        )
    if stuck:
        one = len(stuck) == 1
        its, pkg = ("its", "its package includes") if one else ("their", "their packages include")
        text += (
            f" {listing(stuck)}: every element {pkg} is one {its} accounts value most, are "
            "short of, or a lower tier already gets (a higher tier never gets less), so none "
            f"can be charged separately: raise {its} prices over time, or move the accounts "
            f"that cannot carry {'it' if one else 'them'} down a tier."
        )
    return text


def _service_steps(sm_: ServiceModel, under: pd.DataFrame, bad: pd.DataFrame) -> list[str]:
    """Next steps: the interviews to refresh first where they are old, the largest gaps,
    the briefing, the packages to rework, the thin cells."""
    old = next((n for n in sm_.notes if n.code == "sm.old_ratings"), None)
    steps = (
        [
            f"Refresh the interviews (the latest is from "
            f"{pd.Timestamp(old.values['latest']):%B %Y}) before the packages are promised."
        ]
        if old is not None
        else []
    )
    if len(under):
        decided = (
            sm_.packages.set_index(["segment", "element"])["decision"]
            if sm_.packages is not None
            else pd.Series(dtype=object)
        )
        said = "; ".join(
            f"{fmt.md_text(g.element)} for {fmt.md_text(g.group)}"
            + (
                ", a paid service in its package: deliver it better and charge for it"
                if decided.get((g.group, g.element)) == CHARGED
                else ""
            )
            for g in under.head(3).itertuples()
        )
        steps.append(
            "Close the largest service gaps first, costing what closing each takes before "
            f"it is promised: {said}."
        )
    steps.append(
        "Brief every key account manager on their segment's package: what to promise, "
        "what to charge, what not to offer."
    )
    if len(bad):
        steps.append(
            f"Rework the package of {fmt.md_text(bad['segment'].iloc[0])} with the "
            "segment's account managers before it is promised."
            if len(bad) == 1
            else f"Rework the packages of {listing([fmt.md_text(s) for s in bad['segment']])} "
            "with each segment's account managers before they are promised."
        )
    thin = int((~sm_.matrices["segment"]["enough"]).sum()) if sm_.has_ratings else 0
    if thin:
        steps.append(
            f"Interview more accounts where a segment's rating of an element rests on fewer "
            f"than {sm_.min_respondents} answers ({thin} of them)."
        )
    return steps


def _refresh_first(sm_: ServiceModel, rec: str) -> str:
    """The recommendation, after refreshing the interviews where they may be out of date."""
    old = next((n for n in sm_.notes if n.code == "sm.old_ratings"), None)
    if old is None:
        return rec
    return (
        f"First refresh the interviews: the latest is from "
        f"{pd.Timestamp(old.values['latest']):%B %Y}, and what the key accounts value may "
        "have moved since. Then: " + rec[:1].lower() + rec[1:]
    )


def _service_headline(sm_: ServiceModel, segments: int, bad: int, under: int) -> str:
    """The service model's answer in one sentence; gaps from old interviews in the past."""
    head = (
        f"**Each of the {segments} key-account segments gets its own service package**"
        if segments != 1
        else "**The key-account segment gets its own service package**"
    )
    if bad:
        its = "its" if bad == 1 else "theirs"
        head += f"; {fmt.plural(bad, 'segment')} cannot afford {its} as it stands"
    if under:
        old = next((n for n in sm_.notes if n.code == "sm.old_ratings"), None)
        # old interviews speak of then, not now
        were, when = (
            ("were", f" when last interviewed ({pd.Timestamp(old.values['latest']):%B %Y})")
            if old is not None
            else ("are", "")
        )
        head += (
            f", and key accounts {were} under-served on {fmt.plural(under, 'point')} "
            f"that {'matters' if under == 1 else 'matter'} to them{when}"
        )
    return head


def decision(
    sm_: ServiceModel, currency: str | None = None, keep: list[str] | tuple[str, ...] = (),
    affordable: float = 0.5,
) -> Decision:  # fmt: skip
    """The service model's decision page: the packages to adopt, the segments that cannot
    afford theirs and what to change (never one of ``keep``, what loyalty-oriented
    segments always get), and the key accounts' gaps to close first."""
    if sm_.packages is None:
        rec = (
            "Interview the key accounts on what they value (importance of each service "
            "element, and their satisfaction with it) and run this step again."
        )
        return Decision(
            "**No service package can be set yet**: it needs service ratings from key accounts.",
            decision_tiles(sm_, 0), rec, [rec.split(" and run")[0] + "."],
            summary_text(sm_, currency), kind="warn",
        )  # fmt: skip
    key_segments = set(sm_.packages["segment"])
    g = sm_.gaps
    under = (
        g[(g["status"] == "under-served") & g["enough"] & g["group"].isin(key_segments)]
        if g is not None
        else pd.DataFrame()
    )
    c = sm_.costs
    bad = c[c["affordable"] == False] if c is not None and len(c) else pd.DataFrame()  # noqa: E712
    head = _service_headline(sm_, len(key_segments), len(bad), len(under))
    if len(bad):
        good = len(key_segments) - len(bad)
        adopt = (
            f"Adopt the packages of the {fmt.plural(good, 'segment')} that can afford them "
            "as what each is promised (the sales force promises what is included, charges "
            "for what is charged separately, offers nothing else); rework the other "
            f"{fmt.plural(len(bad), 'package')} before they are promised."
        )
        if not good:
            adopt = (
                "Rework the package before it is promised."
                if len(bad) == 1
                else "Rework every package before they are promised."
            )
        rec = adopt + _rework_text(sm_, bad, affordable, keep, currency)
    else:
        rec = (
            "Adopt the packages below as what each segment is promised: the sales force "
            "promises what is included, charges for what is charged separately and offers "
            "nothing else."
        )
    return Decision(
        headline=head + ".",
        tiles=decision_tiles(sm_, len(under)),
        recommendation=_refresh_first(sm_, rec),
        next_steps=_service_steps(sm_, under, bad),
        detail=summary_text(sm_, currency),
        kind="warn" if len(bad) else "good",
    )
