"""Step 4 — the plan book: what every key account's plan needs, computed once.

:func:`build_book` runs steps 1-3 and the plan computations for all key accounts at
once (the batch renders hundreds of plans from one book); :func:`open_book` caches the
book per engagement, as-of date and input files, so a kernel that renders plan after
plan computes it once. :func:`plan` cuts one account's plan out of the book: that
account's rows and its segment's aggregates, never another account's figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.config import Config
from ..core.fmt import did_you_mean
from ..core.notes import Note, note
from ..core.periods import in_window, trailing_window
from ..intake import plan_inputs as pi
from . import account_plan as ap
from . import health as hl

if TYPE_CHECKING:
    from ..intake.engagement import Engagement


@dataclass
class PlanBook:
    """Every key account's plan data (one row or several rows per account per frame)."""

    config: Config
    accounts: pd.DataFrame  # one row per key account: financials, targets, risks, health
    monthly: pd.DataFrame  # account_id, month, revenue, gross_profit (up to 36 months)
    products: pd.DataFrame  # account_id, product, revenue (trailing 12 months), prior_revenue
    segment_mix: pd.DataFrame  # segment, product, share of the segment's revenue, adoption
    segment_stats: pd.DataFrame  # per segment: accounts and medians
    whitespace: pd.DataFrame
    opportunities: pd.DataFrame  # open opportunities with their weighted amount
    contacts: pd.DataFrame
    nps: pd.DataFrame  # account_id, quarter, respondents, nps, csat
    activities: pd.DataFrame  # account_id, activity, quantity, unit_cost, cost
    ratings: pd.DataFrame  # account_id, element, importance, satisfaction (latest round)
    packages: pd.DataFrame  # segment, element, decision, importance (the segment's mean)
    inputs: pd.DataFrame  # account_id, field, text
    notes: list[Note] = field(default_factory=list)
    has: dict[str, bool] = field(default_factory=dict)
    # profitability's package savings and price paths a year, and what the key-account
    # model costs a year at the segmentation's line: the rest of the business case
    fixes: float = float("nan")
    fix_parts: tuple[float, float] = (float("nan"), float("nan"))  # savings, price paths
    programme_cost: float = float("nan")

    @property
    def currency(self) -> str:
        return self.config.currency

    @property
    def as_of(self) -> dt.date:
        return self.config.as_of


def _table(pack, name: str, units: pd.Series | None, keep: pd.Index) -> pd.DataFrame | None:
    if not pack.has(name):
        return None
    df = pack[name]
    if units is not None:
        df = df.assign(account_id=df["account_id"].map(units).to_numpy())
    return df[df["account_id"].isin(keep)]


def _monthly(revenue: pd.DataFrame, as_of: dt.date, months: int = 36) -> pd.DataFrame:
    r = revenue[in_window(revenue["date"], trailing_window(as_of, months))]
    r = r.assign(month=r["date"].dt.to_period("M").dt.to_timestamp())
    cols: dict[str, tuple[str, Any]] = {"revenue": ("amount", "sum")}
    if "cost" in r.columns:
        cols["cost"] = ("cost", lambda s: s.sum(min_count=1))
    g = r.groupby(["account_id", "month"]).agg(**cols).reset_index()
    g["gross_profit"] = g["revenue"] - g["cost"] if "cost" in g.columns else np.nan
    return g.drop(columns=[c for c in ("cost",) if c in g.columns])


def _nps(surveys: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    cols = ["account_id", "quarter", "respondents", "nps", "csat"]
    if surveys is None or "nps" not in surveys.columns:
        return pd.DataFrame(columns=cols)
    s = surveys[in_window(surveys["date"], trailing_window(as_of, 36))]
    s = s.assign(quarter=s["date"].dt.to_period("Q").dt.to_timestamp(how="end").dt.normalize())
    g = hl.nps_by(s, ["account_id", "quarter"])
    if "csat" not in g.columns:
        g["csat"] = np.nan
    return g[cols]


def _latest_ratings(ratings: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["account_id", "element", "importance", "satisfaction"]
    if ratings is None or ratings.empty:
        return pd.DataFrame(columns=cols)
    if "date" in ratings.columns:
        last = ratings.groupby("account_id")["date"].transform("max")
        ratings = ratings[(ratings["date"] == last) | last.isna()]
    have = [c for c in cols if c in ratings.columns]
    return ratings[have].groupby(["account_id", "element"], as_index=False).mean(numeric_only=True)


def _segment_stats(key: pd.DataFrame) -> pd.DataFrame:
    g = key.groupby("segment")
    out = g.agg(
        accounts=("account_id", "size"),
        revenue=("revenue", "median"),
        growth=("growth", "median"),
        gross_margin=("gross_margin", "median"),
        net_margin=("net_margin", "median"),
        cts_share=("cts_share", "median"),
        share_of_wallet=("share_of_wallet", "median"),
        discount=("discount", "median"),
    )
    return out


def build_book(engagement: Engagement) -> PlanBook:
    """Compute every key account's plan data for an engagement: steps 1-3 once, then
    each part of the plans from the key accounts' own rows."""
    from . import profitability, segmentation, service_model

    cfg, pack = engagement.config, engagement.pack
    s = cfg.method.account_plan
    seg = segmentation.segment(engagement)
    model = service_model.analyse(engagement, seg)
    prof = profitability.analyse(engagement, seg, model)
    notes: list[Note] = []
    key = prof.table[prof.table["key"]].copy()
    ids = pd.Index(key["account_id"])
    units = segmentation.units(pack["accounts"]) if seg.grouped else None

    def table(name: str) -> pd.DataFrame | None:
        return _table(pack, name, units, ids)

    revenue = table("revenue")
    assert revenue is not None  # the one required table: a validated pack has it
    has = _available(pack, key, prof, seg)
    if seg.comparison is not None and not has["history"]:
        notes.append(note("plan.no_history", comparison=seg.comparison))
    months = cfg.method.trailing_months
    products, ws, segment_mix = _products(revenue, key, cfg.as_of, months, s, has, notes)
    open_, pipe, ws = _pipeline(table("opportunities"), ws, notes)
    k = _targets(key, seg, months, s, pipe, ws, notes)
    k, contacts = _relationship(k, table("contacts"), cfg.as_of, s.stale_days, notes)
    surveys = table("surveys")
    k = _with_health(k, revenue, surveys, table("contacts"), engagement, units)
    k = _with_targets(k, s)
    k = _with_investment(k, model, prof)
    k = _with_price_targets(k, cfg.method.profitability.price_step, [int(x) for x in s.horizons])
    k, inputs = _with_inputs(k, cfg, pack)
    activities = prof.activities
    activities = (
        activities[activities["account_id"].isin(ids)]
        if activities is not None
        else pd.DataFrame(columns=["account_id", "activity", "quantity", "unit_cost", "cost"])
    )
    return PlanBook(
        config=cfg,
        accounts=k.reset_index(),
        monthly=_monthly(revenue, cfg.as_of),
        products=products,
        segment_mix=segment_mix,
        segment_stats=_segment_stats(key),
        whitespace=ws,
        opportunities=open_,
        contacts=contacts,
        nps=_nps(surveys, cfg.as_of),
        activities=activities,
        ratings=_latest_ratings(table("service_ratings")),
        packages=model.packages[["segment", "element", "decision", "importance"]]
        if model.packages is not None
        else pd.DataFrame(columns=["segment", "element", "decision", "importance"]),
        inputs=inputs,
        notes=notes,
        has=has,
        fixes=sum(_fixes(prof)),
        fix_parts=_fixes(prof),
        programme_cost=prof.programme_cost,
    )


def _fixes(prof: Any) -> tuple[float, float]:
    """What profitability's actions bring a year: package savings and price paths."""
    from .profitability import headline

    if not prof.earns:
        return float("nan"), float("nan")
    h = headline(prof)
    return float(h["saving_total"]), float(h["price_total"])


def portfolio(book: PlanBook, ids: Iterable[str] | None = None) -> dict[str, float]:
    """The plans together: revenue today and at the first horizon's targets, the extra
    gross profit at each account's gross margin (NaN where a margin is unknown), what
    profitability's actions bring and what the key-account model costs a year.

    The increase counts only accounts whose target is above today's revenue; the growth
    (and its gross profit) leaves out the price rises of accounts breaking even first,
    which profitability's actions count already. Given ``ids``, the plans' figures are of
    those accounts only (profitability's actions and the model's cost stay the whole's).
    """
    a = book.accounts
    if ids is not None:
        a = a[a["account_id"].astype(str).isin({str(i) for i in ids})]
    h = int(book.config.method.account_plan.horizons[0])
    base = a["annual_revenue"].where(a["annual_revenue"].notna(), a["revenue"])
    up = (a[f"target_{h}m"] - base).clip(lower=0)
    growth = up.where(a["target_basis"] != ap.BREAK_EVEN, 0.0)
    return {
        "months": float(h),
        "revenue": float(base.sum()),
        "target": float(a[f"target_{h}m"].sum()),
        "increase": float(up.sum()),
        "growth": float(growth.sum()),
        "extra_gross_profit": float((growth * a["gross_margin"]).sum())
        if a["gross_margin"].notna().all()
        else float("nan"),
        "fixes": book.fixes,
        "savings": getattr(book, "fix_parts", (np.nan, np.nan))[0],
        "price_paths": getattr(book, "fix_parts", (np.nan, np.nan))[1],
        "programme_cost": book.programme_cost,
        "price_steps": float(
            getattr(getattr(book.config.method, "profitability", None), "price_steps", 0)
        ),
    }


def _available(pack: Any, key: pd.DataFrame, prof: Any, seg: Any) -> dict[str, bool]:
    """Which optional inputs the plans can use."""
    return {
        "cost": pack.has("revenue", "cost"),
        "products": pack.has("revenue", "product"),
        "wallet": bool(key["estimated_wallet"].notna().any()),
        "contacts": pack.has("contacts"),
        "surveys": pack.has("surveys", "nps"),
        "opportunities": pack.has("opportunities"),
        "activities": prof.has_cts,
        "ratings": pack.has("service_ratings"),
        "history": seg.comparison is None or seg.comparison.full,  # growth is measurable
    }


def _products(
    revenue: pd.DataFrame,
    key: pd.DataFrame,
    as_of: dt.date,
    months: int,
    s: Any,
    has: dict[str, bool],
    notes: list[Note],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The key accounts' spend per product, their whitespace, and their segments' mix."""
    if not has["products"]:
        notes.append(note("plan.no_products"))
        return (
            pd.DataFrame(columns=["account_id", "product", "revenue", "prior_revenue"]),
            pd.DataFrame(columns=["account_id", "segment", "product", "adoption", "value"]),
            pd.DataFrame(columns=["segment", "product", "share", "adoption"]),
        )
    cur = revenue[in_window(revenue["date"], trailing_window(as_of, months))]
    products = cur.groupby(["account_id", "product"], as_index=False)["amount"].sum()
    products = products.rename(columns={"amount": "revenue"})
    seg_of = key.set_index("account_id")["segment"]
    both = _with_prior(products, revenue, as_of, months, has["history"])
    ws = ap.whitespace(products.rename(columns={"revenue": "amount"}), seg_of, s.min_adoption)
    p = products.assign(segment=products["account_id"].map(seg_of))
    mix = p.groupby(["segment", "product"]).agg(
        revenue=("revenue", "sum"), buyers=("account_id", "nunique")
    )
    mix["share"] = mix["revenue"] / mix.groupby(level=0)["revenue"].transform("sum")
    mix["adoption"] = (
        mix["buyers"] / seg_of.value_counts().reindex(mix.index.get_level_values(0)).to_numpy()
    )
    return both, ws, mix.reset_index()[["segment", "product", "share", "adoption"]]


def _with_prior(
    products: pd.DataFrame, revenue: pd.DataFrame, as_of: dt.date, months: int, history: bool
) -> pd.DataFrame:
    """Each account's products with the revenue of the 12 months before (``prior_revenue``;
    NaN without a full prior year): a product bought only then has revenue 0."""
    if not history:
        return products.assign(prior_revenue=np.nan)
    before = revenue[in_window(revenue["date"], trailing_window(as_of, months, back=1))]
    prior = before.groupby(["account_id", "product"], as_index=False)["amount"].sum()
    prior = prior[prior["account_id"].isin(products["account_id"].unique())]
    out = products.merge(
        prior.rename(columns={"amount": "prior_revenue"}), on=["account_id", "product"], how="outer"
    )
    out[["revenue", "prior_revenue"]] = out[["revenue", "prior_revenue"]].fillna(0.0)
    return out.sort_values(["account_id", "product"], kind="stable").reset_index(drop=True)


def _pipeline(
    opps: pd.DataFrame | None, ws: pd.DataFrame, notes: list[Note]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The open pipeline, weighted, per opportunity and per account; whitespace already in
    the pipeline is marked (not counted twice)."""
    if opps is None:
        notes.append(note("plan.no_opportunities"))
        return (
            pd.DataFrame(columns=["account_id", "opportunity_id", "amount", "weighted"]),
            pd.DataFrame(columns=["open_opportunities", "pipeline", "weighted"]),
            ws.assign(in_pipeline=False),
        )
    open_ = opps[opps["status"] == "open"].copy()
    prob = open_["probability"] if "probability" in open_.columns else np.nan
    open_["weighted"] = open_["amount"] * pd.Series(prob, index=open_.index).fillna(0.0)
    pipe = ap.weighted_pipeline(opps).set_index("account_id")
    if "product" not in open_.columns:
        return open_, pipe, ws.assign(in_pipeline=False)
    in_pipe = set(zip(open_["account_id"], open_["product"], strict=True))
    pairs = zip(ws["account_id"], ws["product"], strict=True)
    return open_, pipe, ws.assign(in_pipeline=np.array([p in in_pipe for p in pairs], dtype=bool))


def _targets(
    key: pd.DataFrame,
    seg: Any,
    months: int,
    s: Any,
    pipe: pd.DataFrame,
    ws: pd.DataFrame,
    notes: list[Note],
) -> pd.DataFrame:
    """Per key account (indexed by id): a year's revenue (fewer months of data are
    annualised first, and said), the pipeline, whitespace and wallet headroom the targets
    are reconciled with (:func:`_with_targets`, once health is known)."""
    k = key.set_index("account_id")
    scale = seg.comparison.to_year if seg.comparison is not None else 1.0
    if seg.comparison is not None and scale != 1.0:
        notes.append(note("plan.part_year", covered=seg.comparison.current_months, months=months))
    k["annual_revenue"] = k["revenue"] * scale
    pipeline = ["open_opportunities", "pipeline", "weighted"]
    k = k.join(pipe[pipeline])
    k[pipeline] = k[pipeline].fillna(0)
    k["whitespace"] = ws[~ws["in_pipeline"]].groupby("account_id")["value"].sum()
    k["whitespace"] = k["whitespace"].fillna(0.0)
    k["headroom"] = (k["estimated_wallet"] - k["annual_revenue"]).clip(lower=0)
    return k


def _with_targets(k: pd.DataFrame, s: Any) -> pd.DataFrame:
    """Each account's targets: management's growth rate, scaled to its situation
    (:func:`~kamlib.method.account_plan.target_growth`: break even first for a loss,
    stabilise an account at risk, half while it recovers, no further than its wallet)."""
    tg = ap.target_growth(k, float(s.growth_target))
    grows = tg["basis"].isin([ap.GROWTH, ap.RECOVER, ap.WALLET])  # never past the pipeline
    t = ap.targets(
        k["annual_revenue"], tg["rate"], [int(x) for x in s.horizons], k["weighted"], grows
    )
    t = t.set_index("account_id").drop(columns=["base"])
    return (
        k.drop(columns=[c for c in t.columns if c in k])
        .join(t)
        .assign(target_growth=tg["rate"], target_basis=tg["basis"])
    )


def _relationship(
    k: pd.DataFrame, contacts: pd.DataFrame | None, as_of: dt.date, stale_days: int,
    notes: list[Note],
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The stakeholder gaps of each account, and its contacts with days since last met."""
    if contacts is None:
        k = k.assign(gaps=None, stale_senior=False, days_since_contact=np.nan, contacts=0)
        notes.append(note("plan.no_contacts"))
        return k, pd.DataFrame(columns=["account_id", "name", "role"])
    gaps = ap.stakeholder_gaps(contacts, as_of, stale_days).set_index("account_id")
    k = k.join(gaps)
    contacts = contacts.assign(
        days=(pd.Timestamp(as_of) - contacts["last_contact"]).dt.days
        if "last_contact" in contacts.columns
        else np.nan
    )
    k["contacts"] = k["contacts"].fillna(0).astype(int)
    return k, contacts


def _with_health(
    k: pd.DataFrame,
    revenue: pd.DataFrame,
    surveys: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    engagement: Engagement,
    units: pd.Series | None = None,
) -> pd.DataFrame:
    """Risks and health: the same function as the KPI review's (``units``: the groups
    accounts roll up to, if any)."""
    cfg = engagement.config
    from .costing import priced_activities

    acts, rates = priced_activities(engagement, units)
    health = hl.account_health(
        revenue, surveys, contacts, k.index, cfg.as_of, cfg.method.health,
        cfg.method.account_plan.stale_days, engagement.evidence, acts, rates,
    )  # fmt: skip
    cols = ["nps", "nps_respondents", "nps_counted", "signals", "risk_count", "health", "band"]
    k = k.join(health[[*cols, "basis"]])
    for listed in ("gaps", "signals"):  # none found (or no contacts): an empty list
        k[listed] = pd.Series(
            [v if isinstance(v, list) else [] for v in k[listed]], index=k.index, dtype=object
        )
    for flag in ("no_senior", "no_supporter", "stale_senior"):
        if flag in k.columns:
            k[flag] = k[flag].astype("boolean").fillna(False).astype(bool)
    return k


def _with_investment(k: pd.DataFrame, model: Any, prof: Any) -> pd.DataFrame:
    """Today's cost-to-serve against the segment's package, and the profitability
    actions of a flagged account."""
    pkg_cost = (
        model.costs.set_index("segment")["package_cost"]
        if model.costs is not None
        else pd.Series(dtype=float)
    )
    k["package_cost"] = k["segment"].map(pkg_cost)
    # the service model's verdict on the segment's package: a move onto one it finds
    # unaffordable waits for the rework
    fits = (
        model.costs.set_index("segment")["affordable"]
        if model.costs is not None and "affordable" in model.costs
        else pd.Series(dtype=object)
    )
    k["package_affordable"] = k["segment"].map(fits)
    if prof.package is not None:  # what the package changes, element by element
        e = prof.package.reindex(k.index)
        # the saving the package brings; bringing it up where it gets less is a choice
        k["package_change"] = -e["trim"]
        k["package_trim"], k["package_lift"] = e["trim"], e["lift"]
        k["package_charge"], k["package_stop"] = e["charge"], e["stop"]
    if prof.actions.empty:
        return k
    act = prof.actions.set_index("account_id")
    cols = [
        "price_increase", "price_increase_pct", "target_margin", "package_saving",
        "price_after_package", "price_after_package_pct", "price_steps", "price_first_year",
    ]  # fmt: skip
    return k.join(act[[*cols, "better_action"]])


def _with_price_targets(k: pd.DataFrame, step: float, horizons: list[int]) -> pd.DataFrame:
    """An account breaking even first: its revenue targets are today's plus the price path
    profitability proposes (``price_targets``), so the targets and the actions agree."""
    if "better_action" not in k:
        return k
    priced = (k["target_basis"] == ap.BREAK_EVEN) & k["better_action"].isin(
        ["price", "package and price"]
    )
    if not priced.any():
        return k
    t = ap.price_targets(
        k.loc[priced, "annual_revenue"], k.loc[priced, "price_after_package"], step, horizons
    )
    k.loc[priced, t.columns] = t
    return k


def _with_inputs(k: pd.DataFrame, cfg: Config, pack: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The managers' inputs: the pack's, with the filled workbook on top."""
    workbook = pi.workbook_path(cfg)
    known = set(map(str, k.index))
    wb_inputs = pi.read_inputs(workbook, known) if workbook.is_file() else None
    inputs = pi.combine(pack.tables.get("plan_inputs"), wb_inputs)
    inputs = inputs[inputs["account_id"].isin(known)]
    return k, inputs


def _fingerprint(cfg) -> tuple:
    from ..intake.engagement import data_files, file_stamps

    files = [cfg.path, pi.workbook_path(cfg), *data_files(cfg)]
    return (str(cfg.path), cfg.as_of, file_stamps(files))


def open_book(
    engagement: str | Path | Engagement = "demo", as_of: str = "", cache: str | Path = ""
) -> PlanBook:
    """The plan book of an engagement, computed once per input files and as-of date.

    ``engagement`` is a reference (folder, config file, name) or an opened
    :class:`~kamlib.intake.engagement.Engagement` (its as-of date already set: ``as_of``
    is then not used). ``cache`` names a file the plan batch saved the book in
    (:func:`save_book`): used while the inputs are unchanged. Any change to the config,
    the data pack or the plan inputs workbook computes it again, so an analyst
    re-running a notebook sees edits at once.
    """
    from ..core import cache as cached
    from ..core.config import load_config
    from ..intake.engagement import Engagement, open_engagement

    if isinstance(engagement, Engagement):
        opened: Engagement | None = engagement
        cfg = engagement.config
    else:
        opened = None
        cfg = load_config(engagement, overrides={"as_of": as_of} if as_of else None)
    fmt.use_currency(cfg.currency)
    key = _fingerprint(cfg)

    def build() -> PlanBook:
        saved = cached.load(cache, key)
        if saved is not None:
            return saved
        return build_book(opened or open_engagement(cfg.path, as_of=as_of))

    return cached.remember("plan book", key, build)


def save_book(book: PlanBook, path: str | Path) -> Path | None:
    """Save a book with the fingerprint of its inputs, for :func:`open_book` in other
    processes (the batch's kernels, through their ``cache`` parameter): they load it
    instead of computing it again, and only while the inputs are unchanged. None when it
    cannot be written (they then compute it)."""
    from ..core import cache as cached

    return cached.save(path, _fingerprint(book.config), book)


@dataclass
class Plan:
    """One key account's plan: its own rows and its segment's aggregates."""

    account: pd.Series
    segment: pd.Series
    monthly: pd.DataFrame
    products: pd.DataFrame
    whitespace: pd.DataFrame
    opportunities: pd.DataFrame
    contacts: pd.DataFrame
    nps: pd.DataFrame
    activities: pd.DataFrame
    ratings: pd.DataFrame
    package: pd.DataFrame
    segment_mix: pd.DataFrame
    inputs: dict[str, str]
    currency: str
    as_of: dt.date
    horizons: list[int]
    growth_target: float
    sign_off: list[str]
    has: dict[str, bool]
    notes: list[Note]
    stale_days: int = 180  # a senior contact not met for longer is a risk
    # the kick-off fact pack: the data's facts and drafts only, no manager's text and
    # nothing to complete
    fact_pack: bool = False

    @property
    def id(self) -> str:
        return str(self.account["account_id"])

    @property
    def name(self) -> str:
        """The account's name as the plan prints it: a name of thousands of characters is
        cut (the workbooks keep it whole)."""
        from ..core.fmt import shorten

        return shorten(self.account["account_name"], 100)


def find_account(book: PlanBook, account: str = "") -> str:
    """The id of the named key account (id or exact name); empty: the largest by revenue.

    Raises :class:`~kamlib.core.errors.ParameterError` for an account that is not a key
    account, naming close matches.
    """
    from ..core.errors import ParameterError

    a = book.accounts
    if a.empty:
        raise ParameterError("This engagement has no key accounts: there is no plan to draft.")
    if not account:
        return str(a.loc[a["revenue"].idxmax(), "account_id"])
    hit = a[(a["account_id"] == account) | (a["account_name"] == account)]
    if hit.empty:
        hint = did_you_mean(account, list(a["account_id"]) + list(a["account_name"]), n=3)
        raise ParameterError(
            f"account '{account}' is not a key account of this engagement, so it has no "
            f"plan.{hint} Key accounts are listed in the segmentation report."
        )
    return str(hit.iloc[0]["account_id"])


def _own(frame: pd.DataFrame, account_id: str) -> pd.DataFrame:
    return frame[frame["account_id"] == account_id].reset_index(drop=True)


def plan(book: PlanBook, account: str = "", fact_pack: bool = False) -> Plan:
    """One key account's plan, cut out of the book; ``fact_pack``: its fact pack, the
    data's facts and drafts without the manager's inputs."""
    aid = find_account(book, account)
    row = book.accounts.set_index("account_id").loc[aid]
    row = pd.concat([pd.Series({"account_id": aid}), row])
    seg = row["segment"]
    stats = book.segment_stats.loc[seg] if seg in book.segment_stats.index else pd.Series()
    inputs = book.inputs[book.inputs["account_id"] == aid]
    texts = {} if fact_pack else inputs.groupby("field")["text"].agg("\n".join).to_dict()
    s = book.config.method.account_plan
    contacts = _own(book.contacts, aid)
    return Plan(
        account=row,
        segment=stats,
        monthly=_own(book.monthly, aid),
        products=_own(book.products, aid),
        whitespace=_own(book.whitespace, aid),
        opportunities=_own(book.opportunities, aid),
        contacts=contacts,
        nps=_own(book.nps, aid),
        activities=_own(book.activities, aid),
        ratings=_own(book.ratings, aid),
        package=book.packages[book.packages["segment"] == seg].reset_index(drop=True),
        segment_mix=book.segment_mix[book.segment_mix["segment"] == seg].reset_index(drop=True),
        inputs=texts,
        currency=book.currency,
        as_of=book.as_of,
        horizons=[int(h) for h in s.horizons],
        growth_target=float(s.growth_target),
        sign_off=list(s.sign_off),
        has=book.has,
        notes=book.notes,
        stale_days=int(s.stale_days),
        fact_pack=fact_pack,
    )
