"""The engagement's settings as typed objects: ``cfg.method.segmentation.min_score``.

:mod:`.config` holds the schema (kinds, defaults, the documentation of every setting),
validates the YAML against it with did-you-mean messages and writes the commented
``kam init`` template. The validated values are then built into these frozen
dataclasses, one per section, so method code reads attributes a type checker and a
reader can follow, never dotted strings. Groups that are maps by nature (weights per
dimension, tier cut-offs, KPI targets, activity rates) stay dicts.

A test checks that every section here has exactly the schema's keys, so the two cannot
drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar


@dataclass(frozen=True)
class DataReview:
    outlier_change: float
    examples: int


@dataclass(frozen=True)
class Thresholds:
    min_revenue: float | None = None
    min_gross_profit: float | None = None
    min_potential: float | None = None
    revenue_share: float | None = None


@dataclass(frozen=True)
class Segmentation:
    thresholds: Thresholds
    tiers: dict[str, Any]  # tier_1..3 and development: [finance, compatibility]; core: share
    min_score: float
    manager_cost: float
    service_cost: float
    assumed_gross_margin: float | None
    weights: dict[str, float]  # finance, strategy, attitude
    accounts_per_manager: list[int]
    roll_up_groups: bool


@dataclass(frozen=True)
class ServiceModel:
    elements: list[str]
    min_respondents: int
    include_at: dict[str, float]  # per buyer orientation: loyalty, price
    charge_at: dict[str, float]
    loyalty_always: list[str]
    element_activities: dict[str, list[str]]
    package_overrides: dict[str, dict[str, str]]
    affordable_share: float


@dataclass(frozen=True)
class Profitability:
    target_margin: float | None
    price_cut: float | None
    cost_cut: float | None
    price_step: float
    price_steps: int
    activity_rates: dict[str, float]


@dataclass(frozen=True)
class AccountPlan:
    growth_target: float
    horizons: list[int]
    min_adoption: float
    stale_days: int
    sign_off: list[str]
    inputs: str


@dataclass(frozen=True)
class KpiReview:
    period: str
    periods: int
    targets: dict[str, float]
    targets_agreed: bool
    amber: float
    discount_rate: float
    min_accounts: int
    health_drop: float
    senior_days: int


@dataclass(frozen=True)
class Health:
    weights: dict[str, float]
    watch_below: float
    risk_below: float
    revenue_decline: float
    margin_erosion: float
    nps_drop: float
    nps_min_respondents: int


@dataclass(frozen=True)
class Method:
    """The ``method:`` section: what each step computes with."""

    trailing_months: int
    programme_start: dt.date | None
    churn_inactive_months: int
    data_review: DataReview
    segmentation: Segmentation
    service_model: ServiceModel
    profitability: Profitability
    account_plan: AccountPlan
    kpi_review: KpiReview
    health: Health


@dataclass(frozen=True)
class Brand:
    """The ``brand:`` section: how the deliverables look."""

    primary_colour: str
    logo: Path | None
    paper: str
    deck_template: Path | None = None


T = TypeVar("T")


def build(cls: type[T], values: dict[str, Any]) -> T:
    """``values`` (validated against the schema) as the dataclass ``cls``, nested
    sections as their own dataclasses.

    Examples
    --------
    >>> build(DataReview, {"outlier_change": 0.8, "examples": 5}).examples
    5
    """
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = values[f.name]
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind) and isinstance(value, dict):
            value = build(kind, value)  # type: ignore[arg-type]
        kwargs[f.name] = value
    return cls(**kwargs)


def as_dict(section: Any) -> dict[str, Any]:
    """A section back as the plain dict of its values (the schema's shape)."""
    return dataclasses.asdict(section)
