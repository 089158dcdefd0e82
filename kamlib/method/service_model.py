"""Step 2 — service model: what each segment values, and which package it gets.

1. :func:`rated` joins the interview ratings to the groups they are compared by;
2. :func:`importance_matrix` — mean importance per element and group, with respondent
   counts; cells below the minimum are kept but marked and left out of decisions;
3. :func:`gaps` — importance against satisfaction: under-served and over-served;
4. :func:`packages` — per segment and element: included, charged separately or not
   offered, by the stated rules on importance and buyer orientation, then overrides;
5. :func:`package_cost` — what each segment's package costs per account, from the
   activities that deliver its elements, against the segment's gross profit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core import settings as settings_
from ..core.notes import Note, note
from ..intake.checks import STALE_MONTHS, ratings_age

if TYPE_CHECKING:
    from ..intake.engagement import Engagement
    from .segmentation import Segmentation


INCLUDED, CHARGED, NOT_OFFERED = "included", "charged separately", "not offered"

#: Groups differ on an element when their mean importance is this far apart (1-5 scale).
GAP_DIFF = 0.5


def rated(ratings: pd.DataFrame, groups: pd.DataFrame, elements: list[str]) -> pd.DataFrame:
    """Ratings of the configured elements with each account's groups (segment, channel, ...).

    Element names match ignoring case and surrounding spaces; ratings of elements not in
    the configured list are dropped (the caller reports them).
    """
    known = {e.strip().lower(): e for e in elements}
    r = ratings.assign(element=ratings["element"].str.strip().str.lower().map(known))
    r = r[r["element"].notna()]
    return r.merge(groups, on="account_id", how="left")


def unknown_elements(ratings: pd.DataFrame, elements: list[str]) -> list[str]:
    """Element names in the ratings that are not in the configured list."""
    known = {e.strip().lower() for e in elements}
    names = ratings["element"].dropna().str.strip()
    return sorted(set(names[~names.str.lower().isin(known)]))


def importance_matrix(
    r: pd.DataFrame,
    by: str,
    elements: list[str],
    min_respondents: int = 3,
    value: str = "importance",
) -> pd.DataFrame:
    """Long table: element, group, mean ``value``, respondents, and ``enough`` respondents.

    Respondents are distinct accounts rating the element in the group.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "b"], "element": ["x", "x"],
    ...                   "importance": [4, 2], "segment": ["S", "S"]})
    >>> m = importance_matrix(r, "segment", ["x"], 2)
    >>> m.loc[0, ["importance", "respondents"]].tolist()
    [3.0, 2.0]
    """
    d = r[r[by].notna() & r[value].notna()]
    g = d.groupby([by, "element"]).agg(
        **{value: (value, "mean"), "respondents": ("account_id", "nunique")}
    )
    g = g.reset_index().rename(columns={by: "group"})
    g["enough"] = g["respondents"] >= min_respondents
    order = {e: i for i, e in enumerate(elements)}
    g["_o"] = g["element"].map(order)
    return g.sort_values(["_o", "group"]).drop(columns="_o").reset_index(drop=True)


def wide(matrix: pd.DataFrame, value: str = "importance") -> pd.DataFrame:
    """Element x group table of ``value`` (for the heatmap), elements in configured order."""
    order = list(dict.fromkeys(matrix["element"]))
    return matrix.pivot(index="element", columns="group", values=value).reindex(order)


def differences(matrix: pd.DataFrame, at_least: float = GAP_DIFF) -> pd.DataFrame:
    """Per element rated by two groups or more with enough respondents: the group that
    values it most and the one that values it least, and the spread between them (on
    the means shown, to one decimal); spreads of at least ``at_least``, largest first.

    Examples
    --------
    >>> m = pd.DataFrame({"group": ["a", "b", "a", "b"], "element": ["x", "x", "y", "y"],
    ...     "importance": [4.04, 2.96, 3.0, 3.2], "enough": True})
    >>> differences(m)[["element", "high", "low", "spread"]].values.tolist()
    [['x', 'a', 'b', 1.0]]
    """
    m = matrix[matrix["enough"]].assign(shown=lambda d: d["importance"].round(1))
    rows = []
    for element, g in m.groupby("element", sort=False):
        if len(g) < 2:
            continue
        hi, lo = g.loc[g["shown"].idxmax()], g.loc[g["shown"].idxmin()]
        rows.append((element, hi["group"], hi["shown"], lo["group"], lo["shown"],
                     round(hi["shown"] - lo["shown"], 1)))  # fmt: skip
    cols = ["element", "high", "high_importance", "low", "low_importance", "spread"]
    out = pd.DataFrame(rows, columns=cols)
    out = out[out["spread"] >= at_least - 1e-9]
    return out.sort_values("spread", ascending=False, kind="stable").reset_index(drop=True)


#: Gap analysis: an element is important from this mean importance, unimportant up to the
#: next, and a gap counts from GAP points on the 1-5 scale (``kamlib.report.rules`` says so).
IMPORTANT_AT = 3.5
UNIMPORTANT_AT = 2.5
GAP = 0.5


def gaps(
    r: pd.DataFrame, by: str, elements: list[str], min_respondents: int = 3, threshold: float = GAP
) -> pd.DataFrame:
    """Importance against satisfaction per element and group, ranked by what matters most.

    ``under-served``: important (mean importance at least 3.5) and satisfaction lower
    by ``threshold`` or more; ``over-served``: unimportant (importance at most 2.5) and
    satisfaction higher by ``threshold`` or more; otherwise ``in line``. The rank puts the
    largest importance-weighted shortfall first.
    """
    imp = importance_matrix(r, by, elements, min_respondents, "importance")
    sat = importance_matrix(r, by, elements, min_respondents, "satisfaction")
    g = imp.merge(sat[["group", "element", "satisfaction"]], on=["group", "element"], how="left")
    g["gap"] = g["importance"] - g["satisfaction"]
    g["status"] = np.select(
        [
            (g["importance"] >= IMPORTANT_AT) & (g["gap"] >= threshold),
            (g["importance"] <= UNIMPORTANT_AT) & (-g["gap"] >= threshold),
        ],
        ["under-served", "over-served"],
        "in line",
    )
    g.loc[g["satisfaction"].isna(), "status"] = "no satisfaction rating"
    g["priority"] = g["gap"] * g["importance"]
    g = g.sort_values(["enough", "priority"], ascending=[False, False], kind="stable")
    return g.reset_index(drop=True)


def decide(
    importance: float,
    orientation: str | None,
    element: str,
    include_at: dict,
    charge_at: dict,
    loyalty_always: list[str],
) -> str:
    """One package cell by the stated rules.

    Loyalty-oriented segments always get ``loyalty_always`` (joint innovation, a contact
    per function, shared marketing). Otherwise the element is included from the
    orientation's include level of mean importance, charged separately from its charge
    level, and not offered below. Price-oriented segments have the higher levels: a lean
    standard package with extras charged. Unknown orientation uses the price levels.
    The importance is compared as the report prints it, to one decimal: a 2.96 shown as
    3.0 is charged from 3.0, as the page says.

    Examples
    --------
    >>> levels = {"loyalty": 3.5, "price": 4.0}, {"loyalty": 2.5, "price": 3.0}
    >>> decide(2.96, "price", "technical support", *levels, [])
    'charged separately'
    >>> decide(2.94, "price", "technical support", *levels, [])
    'not offered'
    """
    side = "loyalty" if orientation == "loyalty" else "price"
    if side == "loyalty" and element in loyalty_always:
        return INCLUDED
    if pd.isna(importance):
        return CHARGED
    importance = float(f"{importance:.1f}")  # as printed
    if importance >= include_at[side]:
        return INCLUDED
    if importance >= charge_at[side]:
        return CHARGED
    return NOT_OFFERED


def packages(
    matrix: pd.DataFrame,
    orientation: dict[str, str | None],
    settings: settings_.ServiceModel,
    elements: list[str],
) -> pd.DataFrame:
    """Package decision per segment and element, with the basis of each decision.

    A cell with too few respondents is decided on the mean of every segment of the same
    buyer orientation (``basis`` says so); consultant overrides come last.
    """
    enough = matrix[matrix["enough"]]
    by_orient = (
        matrix.assign(orientation=matrix["group"].map(orientation))
        .groupby(["orientation", "element"])["importance"]
        .mean()
    )
    overrides = settings.package_overrides or {}
    rows = []
    for seg_name in sorted(orientation):
        o = orientation[seg_name]
        for element in elements:
            hit = enough[(enough["group"] == seg_name) & (enough["element"] == element)]
            if len(hit):
                imp, basis = float(hit["importance"].iloc[0]), "segment ratings"
            else:
                imp = by_orient.get((o, element), np.nan)
                basis = f"all {o or 'unknown'}-oriented segments" if pd.notna(imp) else "no ratings"
            decision = decide(
                imp,
                o,
                element,
                settings.include_at,
                settings.charge_at,
                settings.loyalty_always,
            )
            forced = (overrides.get(seg_name) or {}).get(element)
            if forced:
                decision, basis = forced, "consultant override"
            rows.append(
                {
                    "segment": seg_name,
                    "orientation": o,
                    "element": element,
                    "importance": imp,
                    "decision": decision,
                    "basis": basis,
                }
            )
    return pd.DataFrame(rows)


_RANK = {NOT_OFFERED: 0, CHARGED: 1, INCLUDED: 2}


def consistent_tiers(pk: pd.DataFrame, tiers: list[str]) -> pd.DataFrame:
    """Packages that never give a higher tier less than a lower tier of the same buyer
    orientation: where Tier 3 includes an element that Tier 1 would charge for, Tier 1
    includes it too (``basis``: "as Tier 3"). ``tiers`` runs from the highest tier down;
    consultant overrides stay as decided.

    Examples
    --------
    >>> pk = pd.DataFrame({"segment": ["Tier 1 · a", "Tier 2 · a", "Tier 3 · a"],
    ...     "orientation": "loyalty", "element": "logistics", "importance": [3.3, 3.8, 4.1],
    ...     "decision": ["charged separately", "included", "included"],
    ...     "basis": "segment ratings"})
    >>> out = consistent_tiers(pk, ["Tier 1", "Tier 2", "Tier 3"])
    >>> out[["decision", "basis"]].values.tolist()[0]
    ['included', 'as Tier 3']
    """
    out = pk.copy()
    tier = out["segment"].str.split(" · ").str[0]
    level = tier.map({t: i for i, t in enumerate(tiers)})
    for _, g in out[level.notna()].groupby(["orientation", "element"], dropna=False):
        best, source = -1, ""
        for i in g.assign(level=level).sort_values("level", ascending=False).index:
            rank = _RANK[out.at[i, "decision"]]
            if rank < best and out.at[i, "basis"] != "consultant override":
                out.at[i, "decision"] = {v: k for k, v in _RANK.items()}[best]
                out.at[i, "basis"] = f"as {source}"  # a higher tier never gets less
            elif rank > best:
                best, source = rank, tier[i]
    return out


def orientation_contrast(pk: pd.DataFrame) -> pd.DataFrame:
    """Mean importance per element for loyalty- and price-oriented segments, and the gap.

    Sorted from what loyalty buyers value most over price buyers to the reverse.
    """
    if pk is None:
        return pd.DataFrame(columns=["element", "loyalty", "price", "difference"])
    t = pk.pivot_table(index="element", columns="orientation", values="importance")
    if not {"loyalty", "price"} <= set(t.columns):
        return pd.DataFrame(columns=["element", "loyalty", "price", "difference"])
    t["difference"] = t["loyalty"] - t["price"]
    t = t.sort_values("difference", ascending=False).reset_index()
    return t[["element", "loyalty", "price", "difference"]]


def catalogue(pk: pd.DataFrame) -> pd.DataFrame:
    """The package table for the sales force: element x segment, one decision a cell."""
    order = list(dict.fromkeys(pk["element"]))
    return pk.pivot(index="element", columns="segment", values="decision").reindex(order)


def package_cost(
    pk: pd.DataFrame,
    cost: pd.DataFrame,
    segment_of: pd.Series,
    gross_profit: pd.Series,
    element_activities: dict[str, list[str]],
    affordable_share: float = 0.5,
) -> pd.DataFrame:
    """Cost per account of each segment's package against its gross profit per account.

    An included element costs what the segment's accounts spend on average on the
    activities that deliver it (trailing 12 months, from
    :func:`kamlib.method.costing.activity_cost`);
    elements charged separately or not offered cost nothing in the package. An included
    element without any activity behind it cannot be costed: ``not_costed`` lists them
    (the package cost leaves them out, and the report says so).
    """
    c = cost.assign(segment=cost["account_id"].map(segment_of))
    n = segment_of.value_counts()
    per_seg = c.groupby(["segment", "activity"])["cost"].sum().div(n, level="segment")
    rows = []
    for seg_name, g in pk.groupby("segment"):
        included = g.loc[g["decision"] == INCLUDED, "element"]
        acts = sorted({a for e in included for a in element_activities.get(e, [])})
        # an element no activity delivers in the data has no cost here: said, not zero
        uncosted = [e for e in included if not element_activities.get(e)]
        total = float(sum(per_seg.get((seg_name, a), 0.0) for a in acts))
        accounts = int(n.get(seg_name, 0))
        gp = (
            float(gross_profit[segment_of == seg_name].sum(min_count=1) / accounts)
            if accounts
            else np.nan
        )  # without cost of goods the gross profit is unknown (NaN), not zero
        rows.append(
            {
                "segment": seg_name,
                "accounts": accounts,
                "package_cost": total,
                "gross_profit": gp,
                "cost_share": total / gp if gp and gp > 0 else np.nan,
                "included": int(len(included)),
                "not_costed": uncosted,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # unknown (None) where the gross profit is not known: never "cannot afford"
    out["affordable"] = [
        None if pd.isna(v) else bool(v <= affordable_share) for v in out["cost_share"]
    ]
    return out


def element_cost_today(
    cost: pd.DataFrame, segment_of: pd.Series, element_activities: dict[str, list[str]]
) -> pd.DataFrame:
    """What serving each element costs per account today, per segment (no ratings needed)."""
    c = cost.assign(segment=cost["account_id"].map(segment_of))
    c = c[c["segment"].notna()]
    n = segment_of.value_counts()
    rows = []
    for element, acts in element_activities.items():
        per = c[c["activity"].isin(acts)].groupby("segment")["cost"].sum()
        for seg_name, accounts in n.items():
            rows.append(
                {
                    "element": element,
                    "segment": seg_name,
                    "cost_per_account": float(per.get(seg_name, 0.0)) / accounts,
                }
            )
    return pd.DataFrame(rows)


def rework(
    sm_: ServiceModel, segment: str, affordable: float = 0.5,
    keep: list[str] | tuple[str, ...] = (),
) -> tuple[pd.DataFrame, float]:  # fmt: skip
    """For a segment that cannot afford its package: the included elements to charge
    separately instead, costliest first (cost per account today), until the package
    costs at most ``affordable`` of the gross profit; never one of ``keep`` (what
    loyalty-oriented segments always get, whatever the ratings), nor one where the
    segment's key accounts are already under-served, nor one a lower tier of the same
    buyer orientation includes (a higher tier never gets less). Returns them and the
    package's share of gross profit after."""
    empty = pd.DataFrame(columns=["element", "cost_per_account"])
    if sm_.packages is None or sm_.cost_today is None or sm_.costs is None:
        return empty, float("nan")
    row = sm_.costs.set_index("segment").loc[segment]
    pk = sm_.packages
    short = (
        set(sm_.gaps.loc[(sm_.gaps["group"] == segment)
                         & (sm_.gaps["status"] == "under-served"), "element"])
        if sm_.gaps is not None
        else set()
    )  # fmt: skip
    # what loyal buyers always get stays, as the package rules promise it
    kept = (pk["orientation"] == "loyalty") & pk["element"].isin(keep)
    inc = pk[(pk["segment"] == segment) & (pk["decision"] == INCLUDED) & ~kept
             & ~pk["element"].isin(short) & ~pk["element"].isin(_lower_tiers_include(pk, segment))
             ]["element"]  # fmt: skip
    c = sm_.cost_today[(sm_.cost_today["segment"] == segment)
                       & sm_.cost_today["element"].isin(inc)]  # fmt: skip
    c = c[c["cost_per_account"] > 0].sort_values("cost_per_account", ascending=False)
    cost, gp, chosen = float(row["package_cost"]), float(row["gross_profit"]), []
    for r in c.itertuples():
        if cost / gp <= affordable:
            break
        chosen.append(r.Index)
        cost -= r.cost_per_account
    return c.loc[chosen].reset_index(drop=True), cost / gp


def _lower_tiers_include(pk: pd.DataFrame, segment: str) -> set[str]:
    """The elements a lower tier of ``segment``'s buyer orientation includes.

    Examples
    --------
    >>> pk = pd.DataFrame({"segment": ["Tier 1 · a", "Tier 3 · a", "Tier 3 · b"],
    ...     "orientation": ["loyalty", "loyalty", "price"], "element": ["x", "y", "z"],
    ...     "decision": "included"})
    >>> sorted(_lower_tiers_include(pk, "Tier 1 · a"))  # not z: another orientation
    ['y']
    >>> _lower_tiers_include(pk, "Tier 3 · a")
    set()
    """
    from .segmentation import TIERS

    level = {t: i for i, t in enumerate(TIERS)}
    tier = pk["segment"].str.split(" · ").str[0].map(level)
    mine = pk.loc[pk["segment"] == segment]
    if mine.empty or pd.isna(tier[mine.index[0]]):
        return set()
    lower = (pk["orientation"] == mine["orientation"].iloc[0]) & (tier > tier[mine.index[0]])
    return set(pk.loc[lower & (pk["decision"] == INCLUDED), "element"])


def reworked(
    model: ServiceModel, affordable: float = 0.5, keep: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame | None:
    """The packages as they would be promised: where a segment cannot afford its package,
    the elements :func:`rework` picks are charged separately (``basis``: "rework")."""
    if model.packages is None:
        return None
    pk = model.packages.copy()
    if model.costs is None or not len(model.costs):
        return pk
    for seg_name in model.costs.loc[model.costs["affordable"] == False, "segment"]:  # noqa: E712
        costly, _ = rework(model, seg_name, affordable, keep)
        hit = (pk["segment"] == seg_name) & pk["element"].isin(costly["element"])
        pk.loc[hit, ["decision", "basis"]] = [CHARGED, "rework"]
    return pk


DIMENSION_LABELS = {
    "segment": "segment",
    "channel": "channel",
    "size_band": "size band",
    "region": "region",
}


@dataclass
class ServiceModel:
    """Everything step 2 computes for an engagement."""

    elements: list[str]
    matrices: dict[str, pd.DataFrame]  # dimension -> long importance matrix
    gaps: pd.DataFrame | None
    packages: pd.DataFrame | None
    costs: pd.DataFrame | None
    cost_today: pd.DataFrame | None
    respondents: int
    min_respondents: int
    notes: list[Note] = field(default_factory=list)
    key_respondents: int = 0  # of the respondents, how many are key accounts

    @property
    def has_ratings(self) -> bool:
        return bool(self.matrices)


def analyse(engagement: Engagement, seg: Segmentation | None = None) -> ServiceModel:
    """Run step 2 on an engagement; ``seg`` is step 1's result (computed when not given:
    then, in a run, computed once for the run's later steps too, as step 1 is)."""
    from . import segmentation

    if seg is not None:
        return _analyse(engagement, seg)
    key = (pd.Timestamp(engagement.config.as_of), engagement.config.method)
    return engagement.reuse(
        "service_model", key, lambda: _analyse(engagement, segmentation.segment(engagement))
    )


def _analyse(engagement: Engagement, seg: Segmentation) -> ServiceModel:
    from . import costing

    cfg, pack = engagement.config, engagement.pack
    s = cfg.method.service_model
    accounts = seg.accounts
    notes: list[Note] = []
    key = accounts[accounts["key"]]
    segment_of = key.set_index("account_id")["segment"]
    r = _Ratings()
    if pack.has("service_ratings"):
        r = _from_ratings(pack["service_ratings"], accounts, key, s, notes, cfg.as_of)
    cost = costing.engagement_activity_cost(engagement)
    if not pack.has("service_ratings"):
        notes.append(note("sm.no_ratings", costs_shown=cost is not None))
    costs = today = None
    if cost is not None:
        today = element_cost_today(cost, segment_of, s.element_activities)
        if r.packages is not None:
            gross_profit = key.set_index("account_id")["gross_profit"]
            costs = package_cost(
                r.packages, cost, segment_of, gross_profit, s.element_activities,
                s.affordable_share,
            )  # fmt: skip
    else:
        notes.append(note("sm.no_activities"))
    return ServiceModel(
        list(s.elements), r.matrices, r.gaps, r.packages, costs, today, r.respondents,
        int(s.min_respondents), notes, r.key_respondents,
    )  # fmt: skip


@dataclass
class _Ratings:
    """What the service ratings give: matrices per dimension, gaps, packages, counts."""

    matrices: dict[str, pd.DataFrame] = field(default_factory=dict)
    gaps: pd.DataFrame | None = None
    packages: pd.DataFrame | None = None
    respondents: int = 0
    key_respondents: int = 0


def _from_ratings(
    ratings: pd.DataFrame,
    accounts: pd.DataFrame,
    key: pd.DataFrame,
    s: settings_.ServiceModel,
    notes: list[Note],
    as_of: object = None,
) -> _Ratings:
    """The importance matrices, the gap table and the packages from the ratings."""
    elements = list(s.elements)
    out = _Ratings()
    dims = [d for d in DIMENSION_LABELS if d in accounts.columns and accounts[d].notna().any()]
    groups = accounts[["account_id", *dims]]
    bad = unknown_elements(ratings, elements)
    if bad:
        notes.append(note("sm.unknown_elements", elements=bad))
    r = rated(ratings, groups, elements)
    out.respondents = int(r["account_id"].nunique())
    age = ratings_age(ratings, as_of)
    if age is not None and age >= STALE_MONTHS:
        notes.append(note("sm.old_ratings", latest=ratings["date"].max(), months=age))
    out.key_respondents = int(
        r.loc[r["account_id"].isin(key["account_id"]), "account_id"].nunique()
    )
    for d in dims:
        out.matrices[d] = importance_matrix(r, d, elements, s.min_respondents)
    if "satisfaction" in r.columns and r["satisfaction"].notna().any():
        out.gaps = gaps(r, "segment", elements, s.min_respondents)
    else:
        notes.append(note("sm.no_satisfaction"))
    orientation = (
        key.groupby("segment")["orientation"]
        .agg(lambda x: x.mode().iloc[0] if x.notna().any() else None)
        .to_dict()
    )
    key_matrix = out.matrices["segment"][out.matrices["segment"]["group"].isin(orientation)]
    if out.key_respondents:
        from .segmentation import TIERS

        out.packages = consistent_tiers(packages(key_matrix, orientation, s, elements), TIERS)
    else:
        notes.append(note("sm.no_key_ratings"))
    return out
