"""The demo client: a deterministic, realistic European B2B telecom (the method's reference case).

Everything is drawn from one seeded generator, so the same arguments always give the
same pack. The patterns the later steps must find are built in on purpose:

* revenue is concentrated: roughly 15-20 % of customers make 65-75 % of revenue;
* the largest accounts get the deepest discounts and use the most service, so several
  are unprofitable after cost-to-serve, and the small-account tail destroys value;
* price- and loyalty-oriented buyers, and the three channels, value different services;
* a KAM programme started 12 months before the as-of date, after which the largest
  accounts churn less and grow faster; a handful of large accounts are declining.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.config import SERVICE_ELEMENTS

PRODUCTS = ["Mobile", "Fixed voice", "Connectivity", "Cloud & hosting", "Security", "IoT"]
# cost of goods as a share of list price, per product
COST_RATIO = np.array([0.44, 0.36, 0.40, 0.52, 0.47, 0.50])
# relative spend weight of a product when bought
PRODUCT_WEIGHT = np.array([1.0, 0.45, 0.9, 0.7, 0.45, 0.35])
BANDS = ["Enterprise", "Large", "Mid-market", "Small"]
# probability of buying each product, per size band
ADOPTION = np.array(
    [
        [0.98, 0.85, 0.97, 0.85, 0.75, 0.55],
        [0.95, 0.75, 0.92, 0.65, 0.50, 0.35],
        [0.90, 0.60, 0.80, 0.40, 0.25, 0.15],
        [0.85, 0.45, 0.60, 0.15, 0.08, 0.04],
    ]
)
ACTIVITY_RATES = {
    "account_manager_visit": 450.0,
    "support_ticket": 35.0,
    "field_engineer_dispatch": 180.0,
    "change_request": 220.0,
    "training_day": 900.0,
    "marketing_campaign": 1500.0,
    "solution_engineering_hour": 95.0,
}
# expected monthly quantity for an account of 100k annual revenue, and how it scales
ACTIVITY_BASE = np.array([0.55, 6.5, 1.10, 0.50, 0.05, 0.025, 3.2])
ACTIVITY_ELASTICITY = np.array([0.75, 0.35, 0.40, 0.85, 0.95, 1.05, 0.95])
# relationship activities depend on the channel; tickets and dispatches do not
RELATIONSHIP = np.array([True, False, False, False, True, True, True])
# what one account can plausibly use in a month, however demanding: two visits a week,
# a campaign, three training days, one solution engineer full time
ACTIVITY_CAP = np.array([8.0, np.inf, np.inf, np.inf, 3.0, 1.0, 160.0])

INDUSTRIES = {
    "Manufacturing": 0.18,
    "Retail": 0.13,
    "Financial services": 0.09,
    "Public sector": 0.08,
    "Healthcare": 0.09,
    "Logistics": 0.10,
    "Professional services": 0.14,
    "Energy & utilities": 0.05,
    "Hospitality": 0.08,
    "Media": 0.06,
}
COUNTRIES = {  # country: (region, weight, legal forms)
    "DE": ("DACH", 0.22, ["GmbH", "AG", "GmbH & Co. KG"]),
    "AT": ("DACH", 0.05, ["GmbH", "AG"]),
    "CH": ("DACH", 0.05, ["AG", "SA"]),
    "FR": ("France", 0.15, ["SA", "SAS", "SARL"]),
    "NL": ("Benelux", 0.09, ["B.V.", "N.V."]),
    "BE": ("Benelux", 0.05, ["NV", "SA", "BV"]),
    "ES": ("Southern Europe", 0.09, ["S.A.", "S.L."]),
    "IT": ("Southern Europe", 0.10, ["S.p.A.", "S.r.l."]),
    "SE": ("Nordics", 0.05, ["AB"]),
    "DK": ("Nordics", 0.04, ["A/S", "ApS"]),
    "PL": ("CEE", 0.07, ["Sp. z o.o.", "S.A."]),
    "CZ": ("CEE", 0.04, ["s.r.o.", "a.s."]),
}
STEMS = [
    "Nordwerk",
    "Alpina",
    "Rheinfeld",
    "Brightwater",
    "Lumen",
    "Vesta",
    "Kestrel",
    "Orbis",
    "Meridian",
    "Caldera",
    "Solvik",
    "Hanse",
    "Tiber",
    "Adria",
    "Baltica",
    "Corvid",
    "Danubia",
    "Elbtal",
    "Fjordline",
    "Garonne",
    "Helvetia",
    "Iberis",
    "Jura",
    "Karpat",
    "Loire",
    "Moselle",
    "Nautilus",
    "Oderberg",
    "Pyrene",
    "Quercus",
    "Riviera",
    "Sarek",
    "Tauern",
    "Ursa",
    "Vistula",
    "Weser",
    "Zephyr",
    "Aurora",
    "Borealis",
    "Cobalt",
    "Delta",
    "Equinox",
    "Falk",
    "Granit",
    "Halden",
    "Isar",
    "Kobalt",
    "Lindqvist",
    "Marburg",
    "Novara",
    "Ostara",
    "Polaris",
    "Rubin",
    "Saale",
    "Tessin",
    "Umbria",
    "Varde",
    "Wendel",
    "Arkona",
    "Bregenz",
    "Castell",
    "Dorado",
    "Estrel",
    "Fontaine",
    "Gallia",
    "Hermes",
    "Ilse",
    "Keller",
    "Lachs",
    "Mirabel",
    "Norrland",
    "Opal",
    "Prisma",
    "Roselli",
    "Sigma",
    "Tamar",
    "Ventura",
    "Walcher",
    "Aster",
    "Brenner",
]
SECTOR_WORDS = {
    "Manufacturing": ["Maschinenbau", "Industries", "Components", "Werke", "Precision"],
    "Retail": ["Retail", "Markets", "Stores", "Handel", "Mode"],
    "Financial services": ["Finance", "Capital", "Bank", "Assurance", "Invest"],
    "Public sector": ["Services Publics", "Stadtwerke", "Municipal Services", "Agency", "Region"],
    "Healthcare": ["Health", "Klinik", "Medical", "Pharma", "Care"],
    "Logistics": ["Logistik", "Freight", "Transport", "Shipping", "Cargo"],
    "Professional services": ["Consulting", "Partners", "Advisory", "Legal", "Engineering"],
    "Energy & utilities": ["Energie", "Power", "Utilities", "Renewables", "Grid"],
    "Hospitality": ["Hotels", "Hospitality", "Gastro", "Resorts", "Catering"],
    "Media": ["Media", "Studios", "Publishing", "Broadcast", "Digital"],
}
MANAGERS = [
    "Anna Berger",
    "Lukas Meyer",
    "Sophie Laurent",
    "Marco Bianchi",
    "Elena García",
    "Jan de Vries",
    "Katarzyna Nowak",
    "Henrik Lindberg",
    "Claire Dubois",
    "Thomas Wagner",
    "Isabel Fernández",
    "Pieter Janssens",
    "Giulia Romano",
    "Martin Novák",
    "Sara Holm",
    "Felix Schmid",
    "Laura Rossi",
    "Mathieu Girard",
    "Eva Horvath",
    "Daniel Keller",
]
FIRST = [
    "Julia",
    "Stefan",
    "Marie",
    "Paolo",
    "Carmen",
    "Erik",
    "Agnieszka",
    "Lars",
    "Camille",
    "Andreas",
    "Lucía",
    "Bram",
    "Francesca",
    "Tomáš",
    "Ingrid",
    "Markus",
    "Chiara",
    "Olivier",
    "Petra",
    "Jonas",
    "Nathalie",
    "Sven",
    "Alessandra",
    "Piotr",
    "Hanna",
    "Matteo",
    "Ruth",
    "Victor",
    "Léa",
    "Karl",
]
LAST = [
    "Hoffmann",
    "Schneider",
    "Martin",
    "Conti",
    "López",
    "Johansson",
    "Kowalska",
    "Nielsen",
    "Bernard",
    "Fischer",
    "Moreno",
    "Peeters",
    "Ricci",
    "Dvořák",
    "Svensson",
    "Weber",
    "Marino",
    "Lefebvre",
    "Varga",
    "Becker",
    "Roux",
    "Berg",
    "Greco",
    "Wiśniewski",
    "Lund",
    "Esposito",
    "Maier",
    "Petit",
    "Haas",
    "Costa",
]
ROLES = [  # role, senior, typical influence
    ("CEO", True, 5),
    ("CFO", True, 4),
    ("CIO", True, 5),
    ("COO", True, 4),
    ("CTO", True, 5),
    ("Head of Procurement", False, 4),
    ("IT Manager", False, 3),
    ("Operations Director", False, 3),
    ("Network Engineer", False, 2),
    ("Facility Manager", False, 2),
    ("Head of Digital", False, 3),
]
CHURN_REASONS = [
    "moved to competitor",
    "price",
    "service quality",
    "business closed",
    "merged into group contract",
    "consolidated suppliers",
]
# Importance of each service element: base, by buyer orientation, by channel.
IMPORTANCE_BASE = np.array([4.3, 3.6, 3.0, 3.0, 3.6, 3.2, 2.8, 2.6, 3.0, 2.4])
IMPORTANCE_ORIENT = {
    "loyalty": np.array([0.0, -0.2, 1.2, 0.3, 0.6, 0.8, 1.0, 0.5, -0.6, 0.9]),
    "price": np.array([0.3, 0.8, -0.9, -0.2, 0.0, -0.4, -0.6, -0.6, 1.2, -0.8]),
}
IMPORTANCE_CHANNEL = {
    "direct": np.array([0.0, 0.0, 0.3, 0.0, 0.3, 0.0, 0.3, -0.2, 0.0, -0.2]),
    "partner": np.array([0.0, 0.0, -0.2, 0.2, -0.3, 0.3, -0.3, 0.8, 0.0, 0.7]),
    "online": np.array([0.0, 0.6, -0.3, 0.0, -0.5, 0.5, -0.4, -0.3, 0.3, -0.3]),
}
SATISFACTION_BASE = np.array([4.0, 3.4, 3.1, 3.6, 2.6, 3.0, 2.7, 3.4, 3.3, 3.8])


@dataclass(frozen=True)
class DemoSpec:
    accounts: int = 1500
    seed: int = 42
    as_of: dt.date = dt.date(2026, 9, 30)
    months: int = 36
    programme_months: int = 12  # the programme started this many months before as_of


def _months(spec: DemoSpec) -> pd.DatetimeIndex:
    end = pd.Timestamp(spec.as_of).to_period("M")
    return pd.period_range(end=end, periods=spec.months, freq="M").to_timestamp()


def _names(rng: np.random.Generator, industry: np.ndarray, country: np.ndarray) -> np.ndarray:
    stems = rng.choice(STEMS, size=len(industry))
    words = np.array(
        [
            SECTOR_WORDS[i][k]
            for i, k in zip(industry, rng.integers(0, 5, len(industry)), strict=True)
        ]
    )
    legal = np.array(
        [
            COUNTRIES[c][2][k % len(COUNTRIES[c][2])]
            for c, k in zip(country, rng.integers(0, 6, len(industry)), strict=True)
        ]
    )
    base = pd.Series([f"{s} {w}" for s, w in zip(stems, words, strict=True)])
    full = base + " " + legal
    # the same name twice reads like one company: the later ones get a word companies use
    # to tell their entities apart ("Orbis Stores Services AG"), not a number
    dup = full.groupby(full).cumcount()
    extra = [
        "" if d == 0 else " " + [w for w in ENTITY_WORDS if w not in b][(d - 1) % 5]
        for b, d in zip(base, dup, strict=True)
    ]  # never "Municipal Services Services"
    return (base + pd.Series(extra) + " " + legal).to_numpy()


def _accounts(rng: np.random.Generator, spec: DemoSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = spec.accounts
    revenue = rng.lognormal(mean=np.log(30_000), sigma=1.35, size=n)
    rank = pd.Series(revenue).rank(ascending=False, method="first").to_numpy()  # 1 = largest
    pct = rank / n  # 0 (largest) .. 1
    band = np.select([pct <= 0.05, pct <= 0.20, pct <= 0.50], BANDS[:3], BANDS[3])
    band_i = np.select([pct <= 0.05, pct <= 0.20, pct <= 0.50], [0, 1, 2], 3)
    chan_p = np.array(
        [[0.92, 0.08, 0.0], [0.75, 0.22, 0.03], [0.40, 0.45, 0.15], [0.05, 0.40, 0.55]]
    )
    u = rng.random(n)
    cum = chan_p[band_i].cumsum(axis=1)
    channel = np.array(["direct", "partner", "online"])[(u[:, None] > cum).sum(axis=1)]
    industry = rng.choice(list(INDUSTRIES), size=n, p=np.array(list(INDUSTRIES.values())))
    cw = np.array([v[1] for v in COUNTRIES.values()])
    country = rng.choice(list(COUNTRIES), size=n, p=cw / cw.sum())
    region = np.array([COUNTRIES[c][0] for c in country])
    loyalty_p = np.where(band_i <= 1, 0.55, 0.42)
    orientation = np.where(rng.random(n) < loyalty_p, "loyalty", "price")
    ids = np.array([f"C-{i:05d}" for i in rng.permutation(np.arange(10_001, 10_001 + n))])
    manager = np.array(MANAGERS)[rng.integers(0, len(MANAGERS), n)]
    # new customers: about 8 % joined inside the window, mostly small ones
    start = pd.Timestamp(spec.as_of) - pd.DateOffset(months=spec.months)
    is_new = rng.random(n) < np.where(band_i >= 2, 0.10, 0.03)
    years_back = np.where(band_i <= 1, rng.uniform(4, 25, n), rng.uniform(3.2, 15, n))
    since = np.where(
        is_new,
        (start + pd.to_timedelta(rng.uniform(30, spec.months * 30.4 - 60, n), unit="D")).values,
        (start - pd.to_timedelta(years_back * 365.25, unit="D")).values,
    )
    since = pd.to_datetime(since).normalize()
    sow = 0.2 + 0.6 * rng.beta(3, 3, n)
    wallet = np.round(revenue / sow, -3)
    has_wallet = rng.random(n) < np.where(band_i <= 1, 0.9, 0.55)
    df = pd.DataFrame(
        {
            "account_id": ids,
            "account_name": _names(rng, industry, country),
            "parent_id": None,
            "industry": industry,
            "channel": channel,
            "region": region,
            "country": country,
            "size_band": band,
            "account_manager": manager,
            "customer_since": since,
            "estimated_wallet": np.where(has_wallet, wallet, np.nan),
        }
    )
    # qualitative ratings exist for the larger accounts the client knows well
    rated = pct <= 0.30
    loyal = orientation == "loyalty"

    def rating(mu: np.ndarray, mask: np.ndarray) -> np.ndarray:
        r = np.clip(np.round(mu + rng.normal(0, 0.8, n)), 1, 5)
        return np.where(mask, r, np.nan)

    strat_missing = rng.random(n) < 0.12
    att_missing = rng.random(n) < 0.15
    size_boost = 1.2 * (1 - pct)
    for col in ["market_leadership", "innovation_leadership", "strategic_fit"]:
        df[col] = rating(2.4 + size_boost + 0.3 * loyal, rated & ~strat_missing)
    for col in ["loyalty", "information_sharing", "engagement"]:
        df[col] = rating(2.3 + 1.3 * loyal + 0.4 * size_boost, rated & ~att_missing)
    known = rated & (rng.random(n) < 0.6)
    df["buyer_orientation"] = np.where(known, orientation, np.full(n, None, dtype=object))
    hidden = pd.DataFrame(
        {
            "revenue": revenue,
            "rank": rank,
            "pct": pct,
            "band_i": band_i,
            "orientation": orientation,
            "is_new": is_new,
        },
        index=df.index,
    )
    _groups(rng, df, hidden)
    df["account_name"] = _unique(df["account_name"], df["country"])
    return df, hidden


#: Words that tell entities of one name apart, in the order they are used
ENTITY_WORDS = ("Services", "Holding", "International", "Systems", "Solutions", "Group")

CITIES = {
    "DE": "Hamburg",
    "AT": "Linz",
    "CH": "Basel",
    "FR": "Lyon",
    "NL": "Utrecht",
    "BE": "Gent",
    "ES": "Valencia",
    "IT": "Torino",
    "SE": "Malmö",
    "DK": "Aarhus",
    "PL": "Kraków",
    "CZ": "Brno",
}


def _unique(names: pd.Series, country: pd.Series) -> pd.Series:
    """Make names unique the way companies do: a site name, then a number."""
    names = names.copy()
    for round_ in range(20):
        dup = names.groupby(names).cumcount()
        if not (dup > 0).any():
            break
        suffix = country.map(CITIES) if round_ == 0 else (dup + 1).astype(str)
        names = names.where(dup == 0, names + " " + suffix)
    return names


def _groups(rng: np.random.Generator, df: pd.DataFrame, hidden: pd.DataFrame) -> None:
    """About 6 % of accounts belong to groups of 2-6 entities headed by their largest member."""
    n = len(df)
    n_groups = max(1, int(n * 0.015))
    order = hidden.sort_values("rank").index.to_numpy()
    heads = order[rng.choice(np.arange(min(n, max(n_groups * 4, 4))), n_groups, replace=False)]
    free = np.setdiff1d(np.arange(n), heads)
    members = rng.permutation(free)
    ids = df["account_id"].to_numpy()
    names = df["account_name"].to_numpy(dtype=object, copy=True)
    parent = df["parent_id"].to_numpy(dtype=object, copy=True)
    at = df.index.get_indexer  # labels to positions: the columns are set whole, once
    pos = 0
    for h in heads:
        k = int(rng.integers(1, 6))
        sub = at(members[pos : pos + k])
        pos += k
        head = at([h])[0]
        parent[head] = ids[head]
        parent[sub] = ids[head]
        stem = names[head].split(" ")[0]
        for m in sub:
            names[m] = f"{stem} {names[m].split(' ', 1)[1]}"
    df["parent_id"] = parent
    df["account_name"] = names


def _activity_matrix(
    spec: DemoSpec, hidden: pd.DataFrame, months: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active flag (account x month) with churn, late starts, and the churn month."""
    n, m = len(hidden), len(months)
    prog = m - spec.programme_months
    band_i = hidden["band_i"].to_numpy()
    hazard = np.array([0.0018, 0.0035, 0.0065, 0.0100])[band_i]
    key_like = hidden["pct"].to_numpy() <= 0.18
    haz = np.repeat(hazard[:, None], m, axis=1)
    haz[:, prog:] = np.where(key_like[:, None], haz[:, prog:] * 0.35, haz[:, prog:])
    churned = rng.random((n, m)) < haz
    churn_month = np.where(churned.any(axis=1), churned.argmax(axis=1), m)
    active = np.arange(m)[None, :] < churn_month[:, None]
    return active, churn_month, key_like


def _revenue(
    rng: np.random.Generator, spec: DemoSpec, acc: pd.DataFrame, hidden: pd.DataFrame
) -> tuple[dict, dict]:
    """Every account's draws for its revenue lines (the lines themselves:
    :func:`_revenue_lines`), and the facts the other tables follow."""
    months = _months(spec)
    n, m = len(acc), len(months)
    prog = m - spec.programme_months
    active, churn_month, key_like = _activity_matrix(spec, hidden, months, rng)
    start_month = np.searchsorted(months.values, acc["customer_since"].values)
    active &= np.arange(m)[None, :] >= start_month[:, None]
    dormant = rng.random(n) < 0.006  # a few accounts on file with no revenue at all
    active[dormant] = False
    # growth: flat-ish before, faster for the largest accounts once the programme runs
    g_pre = rng.normal(0.02, 0.06, n)
    g_post = g_pre + np.where(key_like, rng.normal(0.20, 0.05, n), 0.0)
    big = hidden.sort_values("rank").index.to_numpy()[: max(3, int(n * 0.12))]
    pool = big[3:] if len(big) > 6 else big
    declining = rng.choice(pool, size=min(6, len(pool)), replace=False)
    g_post[declining] = rng.uniform(-0.45, -0.25, len(declining))
    t = np.arange(m)
    pre = np.minimum(t, prog)[None, :] / 12
    post = np.maximum(t - prog, 0)[None, :] / 12
    trend = (1 + g_pre[:, None]) ** pre * (1 + g_post[:, None]) ** post
    season = 1 + 0.03 * np.cos(2 * np.pi * (months.month.to_numpy() - 1) / 12)
    # level so that the trailing 12 months are near the drawn annual revenue
    level = hidden["revenue"].to_numpy() / 12 / trend[:, -12:].mean(axis=1)
    bought = rng.random((n, len(PRODUCTS))) < ADOPTION[hidden["band_i"].to_numpy()]
    bought[:, 0] |= ~bought.any(axis=1)
    share = bought * PRODUCT_WEIGHT * rng.uniform(0.6, 1.4, (n, len(PRODUCTS)))
    share = share / share.sum(axis=1, keepdims=True)
    pct = hidden["pct"].to_numpy()
    price = hidden["orientation"].to_numpy() == "price"
    discount = np.clip(
        0.04 + 0.33 * (1 - pct) ** 6 + 0.05 * price + rng.normal(0, 0.02, n), 0.0, 0.42
    )
    draws = {
        "ids": acc["account_id"].to_numpy(), "months": months, "active": active,
        "level": level, "share": share, "trend": trend, "season": season,
        "discount": discount, "bought": bought,
    }  # fmt: skip
    facts = {
        "active": active,
        "churn_month": churn_month,
        "key_like": key_like,
        "declining": declining,
        "months": months,
        "bought": bought,
        "dormant": dormant,
    }
    return draws, facts


def _revenue_lines(d: dict, rows: slice, rng: np.random.Generator) -> pd.DataFrame:
    """The revenue lines of the accounts in ``rows`` (with a few credit notes), from
    their draws (:func:`_revenue`) and ``rng``."""
    m = len(d["months"])
    acc_i, prod_i = np.nonzero(d["bought"][rows])
    acc_i = acc_i + rows.start
    amount = (
        d["level"][acc_i, None]
        * d["share"][acc_i, prod_i, None]
        * d["trend"][acc_i]
        * d["season"][None, :]
        * rng.lognormal(0, 0.07, (len(acc_i), m))
    )
    mask = d["active"][acc_i]
    rows_a, rows_m = np.nonzero(mask)
    net = np.round(amount[rows_a, rows_m], 2)
    disc = d["discount"][acc_i[rows_a]]
    lst = np.round(net / (1 - disc), 2)
    cost = np.round(lst * COST_RATIO[prod_i[rows_a]] * rng.normal(1, 0.03, len(rows_a)), 2)
    rev = pd.DataFrame(
        {
            "account_id": d["ids"][acc_i[rows_a]],
            "date": d["months"].strftime("%Y-%m").to_numpy()[rows_m],
            "product": np.array(PRODUCTS)[prod_i[rows_a]],
            "amount": net,
            "list_amount": lst,
            "cost": cost,
        }
    )
    # a few credit notes
    k = max(1, len(rev) // 600)
    cn = rev.sample(n=k, random_state=int(rng.integers(1 << 31))).copy()
    frac = rng.uniform(0.05, 0.3, k)
    cn["amount"] = -np.round(cn["amount"] * frac, 2)
    cn["list_amount"] = -np.round(cn["list_amount"] * frac, 2)
    cn["cost"] = 0.0
    rev = pd.concat([rev, cn]).sort_values(["date", "account_id", "product"], kind="stable")
    return rev.reset_index(drop=True)


def _activities(
    rng: np.random.Generator, acc: pd.DataFrame, hidden: pd.DataFrame, facts: dict
) -> dict:
    """Every account's draws for its service activities (the lines themselves:
    :func:`_activity_lines`)."""
    n = len(acc)
    size = hidden["revenue"].to_numpy() / 100_000
    intensity = rng.lognormal(0, 0.55, n)
    # some of the largest accounts are very demanding: they use far more service
    demanding = (hidden["pct"].to_numpy() <= 0.08) & (rng.random(n) < 0.45)
    intensity = np.where(demanding, intensity * rng.uniform(3.0, 5.5, n), intensity)
    channel = acc["channel"].to_numpy()
    chan = np.where(channel == "online", 0.35, np.where(channel == "partner", 0.6, 1.0))
    lam = (
        ACTIVITY_BASE[None, :]
        * size[:, None] ** ACTIVITY_ELASTICITY[None, :]
        * intensity[:, None]
        * np.where(RELATIONSHIP[None, :], chan[:, None], 1.0)
    )
    lam[:, 0] *= np.where(channel == "direct", 1.0, 0.2)  # partners do their own visits
    return {"ids": acc["account_id"].to_numpy(), "lam": lam, **facts}


def _activity_lines(d: dict, rows: slice, rng: np.random.Generator) -> pd.DataFrame:
    """The activity lines of the accounts in ``rows``, from their draws
    (:func:`_activities`) and ``rng``."""
    months, active, lam = d["months"], d["active"][rows], d["lam"][rows]
    m = len(months)
    qty = rng.poisson(np.repeat(lam[:, :, None], m, axis=2))
    # scaled down to what one account can use, after the draw: the random stream, and so
    # every table generated after this one, stays as it was
    thin = np.minimum(1.0, ACTIVITY_CAP[None, :] / np.maximum(lam, 1e-12))
    qty = np.rint(qty * thin[:, :, None]).astype(qty.dtype)
    qty = qty * active[:, None, :]
    a, k, t = np.nonzero(qty)
    return (
        pd.DataFrame(
            {
                "account_id": d["ids"][a + rows.start],
                "date": months.strftime("%Y-%m").to_numpy()[t],
                "activity": np.array(list(ACTIVITY_RATES))[k],
                "quantity": qty[a, k, t],
            }
        )
        .sort_values(["date", "account_id", "activity"], kind="stable")
        .reset_index(drop=True)
    )


def _service_ratings(
    rng: np.random.Generator, spec: DemoSpec, acc: pd.DataFrame, hidden: pd.DataFrame
) -> pd.DataFrame:
    n = len(acc)
    k = min(150, max(8, round(n * 0.10)))
    top = hidden.sort_values("rank").index.to_numpy()
    pool = top[: max(k, int(n * 0.25))]
    chosen = np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False))
    orient = hidden.loc[chosen, "orientation"].to_numpy()
    chan = acc.loc[chosen, "channel"].to_numpy()
    base = (
        IMPORTANCE_BASE[None, :]
        + np.stack([IMPORTANCE_ORIENT[o] for o in orient])
        + np.stack([IMPORTANCE_CHANNEL[c] for c in chan])
    )
    imp = np.clip(np.round(base + rng.normal(0, 0.55, base.shape)), 1, 5)
    sat = np.clip(np.round(SATISFACTION_BASE[None, :] + rng.normal(0, 0.7, base.shape)), 1, 5)
    start = pd.Timestamp(spec.as_of) - pd.DateOffset(months=16)
    when = start + pd.to_timedelta(rng.integers(0, 75, len(chosen)), unit="D")
    e = len(SERVICE_ELEMENTS)
    return pd.DataFrame(
        {
            "account_id": np.repeat(acc.loc[chosen, "account_id"].to_numpy(), e),
            "element": np.tile(SERVICE_ELEMENTS, len(chosen)),
            "importance": imp.ravel().astype(int),
            "satisfaction": sat.ravel().astype(int),
            "date": np.repeat(when.strftime("%Y-%m-%d"), e),
        }
    )


def _surveys(
    rng: np.random.Generator, spec: DemoSpec, acc: pd.DataFrame, hidden: pd.DataFrame, facts: dict
) -> pd.DataFrame:
    months, active = facts["months"], facts["active"]
    n, m = active.shape
    prog = m - spec.programme_months
    surveyed = (hidden["pct"].to_numpy() <= 0.22) | (rng.random(n) < 0.08)
    latent = rng.normal(7.0, 1.2, n) + 0.4 * (hidden["orientation"].to_numpy() == "loyalty")
    latent[facts["declining"]] -= 1.5
    quarter_ends = [i for i in range(m) if months[i].month in (3, 6, 9, 12)]
    roles = ["CIO", "IT Manager", "Head of Procurement", "CFO", "Operations Director"]
    rows = []
    for qi in quarter_ends:
        answering = surveyed & active[:, qi] & (rng.random(n) < 0.55)
        idx = np.nonzero(answering)[0]
        lift = np.where(facts["key_like"][idx] & (qi >= prog), 1.0, 0.0)
        if qi >= m - 4:  # declining accounts turn sour in the last quarters
            lift = lift - 1.8 * np.isin(idx, facts["declining"])
        resp = rng.integers(1, 4, len(idx))
        ai = np.repeat(idx, resp)
        mu = np.repeat(latent[idx] + lift, resp)
        nps = np.clip(np.round(mu + rng.normal(0, 1.4, len(ai))), 0, 10).astype(int)
        csat = np.clip(np.round(1 + (mu - 3) / 1.75 + rng.normal(0, 0.6, len(ai))), 1, 5)
        day = (
            months[qi]
            + pd.offsets.MonthEnd(0)
            - pd.to_timedelta(rng.integers(0, 25, len(ai)), unit="D")
        )
        rows.append(
            pd.DataFrame(
                {
                    "account_id": acc["account_id"].to_numpy()[ai],
                    "date": day.strftime("%Y-%m-%d"),
                    "nps": nps,
                    "csat": csat.astype(int),
                    "respondent_role": np.array(roles)[rng.integers(0, len(roles), len(ai))],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _contacts(
    rng: np.random.Generator, spec: DemoSpec, acc: pd.DataFrame, hidden: pd.DataFrame, facts: dict
) -> pd.DataFrame:
    n = len(acc)
    k = min(120, max(5, round(n * 0.08)))
    top = hidden.sort_values("rank").index.to_numpy()[:k]
    as_of = pd.Timestamp(spec.as_of)
    stale = set(rng.choice(top, size=max(1, k // 8), replace=False))
    rows = []
    for a in top:
        count = int(rng.integers(3, 9))
        picks = rng.choice(len(ROLES), size=count, replace=False)
        no_senior = rng.random() < 0.1
        for p in picks:
            role, senior, infl = ROLES[p]
            if no_senior and senior:
                role, senior, infl = "IT Manager", False, 3
            dec = a in facts["declining"]
            att = rng.choice(
                ["supporter", "neutral", "detractor"],
                p=[0.25, 0.4, 0.35] if dec else [0.48, 0.40, 0.12],
            )
            days = rng.exponential(35) + (220 if (a in stale and senior) else 0)
            rows.append(
                {
                    "account_id": acc.at[a, "account_id"],
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "role": role,
                    "influence": int(np.clip(infl + rng.integers(-1, 2), 1, 5)),
                    "attitude": att,
                    "relationship_strength": int(rng.integers(1, 6)),
                    "last_contact": (as_of - pd.Timedelta(days=int(days))).strftime("%Y-%m-%d"),
                    "senior": "yes" if senior else "no",
                }
            )
    return pd.DataFrame(rows)


def _opportunities(
    rng: np.random.Generator, spec: DemoSpec, acc: pd.DataFrame, hidden: pd.DataFrame, facts: dict
) -> pd.DataFrame:
    months, active = facts["months"], facts["active"]
    n, m = active.shape
    prog = m - spec.programme_months
    pct = hidden["pct"].to_numpy()
    rate_pre = np.where(pct <= 0.3, 0.06, 0.006)
    rate_post = np.where(facts["key_like"], 0.16, rate_pre)
    rate = np.where(np.arange(m)[None, :] >= prog, rate_post[:, None], rate_pre[:, None])
    a, t = np.nonzero((rng.random((n, m)) < rate) & active)
    k = len(a)
    # most opportunities offer a product the account does not buy yet (whitespace)
    bought = facts["bought"][a]
    noise = rng.random((k, len(PRODUCTS))) + np.where(bought, 1.0, 0.0)
    prod = np.where(rng.random(k) < 0.6, noise.argmin(axis=1), rng.integers(0, len(PRODUCTS), k))
    created = months[t] + pd.to_timedelta(rng.integers(0, 28, k), unit="D")
    close = created + pd.to_timedelta(rng.integers(60, 240, k), unit="D")
    amount = np.maximum(
        np.round(hidden["revenue"].to_numpy()[a] * rng.uniform(0.04, 0.25, k), -2), 500.0
    )
    closed = close <= pd.Timestamp(spec.as_of)
    won = rng.random(k) < np.where(t >= prog, 0.55, 0.42)
    stage_i = rng.integers(0, 3, k)
    stage = np.where(closed, "closed", np.array(["qualify", "proposal", "negotiation"])[stage_i])
    prob = np.where(closed, np.where(won, 1.0, 0.0), np.array([0.2, 0.4, 0.7])[stage_i])
    status = np.where(closed, np.where(won, "won", "lost"), "open")
    order = np.lexsort((a, t))
    return pd.DataFrame(
        {
            "account_id": acc["account_id"].to_numpy()[a][order],
            "opportunity_id": [f"OP-{i:06d}" for i in range(100_001, 100_001 + k)],
            "product": np.array(PRODUCTS)[prod][order],
            "stage": stage[order],
            "amount": amount[order],
            "probability": prob[order],
            "created": created.strftime("%Y-%m-%d").to_numpy()[order],
            "expected_close": close.strftime("%Y-%m-%d").to_numpy()[order],
            "status": status[order],
        }
    )


def _churn(rng: np.random.Generator, acc: pd.DataFrame, facts: dict) -> pd.DataFrame:
    months, cm = facts["months"], facts["churn_month"]
    idx = np.nonzero((cm < len(months)) & ~facts["dormant"])[0]
    idx = idx[rng.random(len(idx)) < 0.6]  # the rest is only visible as missing revenue
    when = months[cm[idx]] - pd.Timedelta(days=1)
    return (
        pd.DataFrame(
            {
                "account_id": acc["account_id"].to_numpy()[idx],
                "date": when.strftime("%Y-%m-%d"),
                "reason": np.array(CHURN_REASONS)[rng.integers(0, len(CHURN_REASONS), len(idx))],
            }
        )
        .sort_values("date", kind="stable")
        .reset_index(drop=True)
    )


def _trailing(rev: pd.DataFrame) -> pd.Series:
    """Each account's revenue over the last 12 months of the lines."""
    last12 = sorted(rev["date"].unique())[-12:]
    return rev[rev["date"].isin(last12)].groupby("account_id")["amount"].sum()


def _expected_trailing(d: dict) -> pd.Series:
    """Each account's revenue over the last 12 months as its draws (:func:`_revenue`)
    expect it, before the lines' own noise: a large client's lines are never held whole."""
    monthly = d["level"][:, None] * d["trend"][:, -12:] * d["season"][None, -12:]
    total = (monthly * d["active"][:, -12:]).sum(axis=1)
    return pd.Series(total, index=d["ids"])[total > 0]


def _overrides(acc: pd.DataFrame, hidden: pd.DataFrame, trailing: pd.Series) -> pd.DataFrame:
    order = hidden.sort_values("rank").index.to_numpy()
    n = len(order)
    trailing = trailing.sort_values(ascending=False, kind="stable")
    rows = []
    mid = order[int(n * 0.3) : int(n * 0.45)]
    if len(mid):
        w = acc.loc[mid, "estimated_wallet"].fillna(0)
        promote = w.idxmax()
        rows.append(
            {
                "account_id": acc.at[promote, "account_id"],
                "key": "yes",
                "tier": "Tier 3",
                "segment": None,
                "reason": "Strategic innovation partner: joint 5G campus pilot with a large wallet",
                "by": "Katrin Vogel (chief sales officer)",
            }
        )
    if len(trailing) > 30:  # a large, active account the client wants out of the programme
        rows.append(
            {
                "account_id": trailing.index[24],
                "key": "no",
                "tier": None,
                "segment": None,
                "reason": "Announced sale of its European operations; "
                "relationship to be managed by the acquirer's account team",
                "by": "Martin Roth (sales director)",
            }
        )
    return pd.DataFrame(rows, columns=["account_id", "key", "tier", "segment", "reason", "by"])


#: The largest account's plan is complete: what a finished plan looks like.
FULL_PLAN = [
    (
        "required_actions",
        "Agree a three-year network roadmap with the CIO and CFO; bring finance in "
        "early; move quotes to a 48-hour turnaround.",
    ),
    (
        "desired_solution",
        "One managed SD-WAN and mobile service for all sites, with a single service desk "
        "and one monthly invoice.",
    ),
    (
        "client_value",
        "About 10 % lower total telecom cost by consolidating four suppliers into one, fewer "
        "outages at the sites, and one contract to manage instead of four; for us, the "
        "share of its spend that goes to the other three.",
    ),
    (
        "investment",
        "A solution architect for six months and a two-site pilot; pricing held for the "
        "first contract year.",
    ),
    ("investment_amount", "60000"),
    (
        "action_plan",
        "Executive workshop on the network roadmap | Account manager | 2026-11-15 | planned\n"
        "Business case review with the CFO | Account manager | 2026-11-30 | open\n"
        "Two-site SD-WAN pilot | Solution architect | 2027-01-31 | open\n"
        "Proposal for the managed network | Account manager | 2027-02-28 | open",
    ),
    (
        "deal_preparation",
        "Decision by the CIO with the CFO; board approval in March; proposal before the "
        "budget round, references from two customers in the same industry.",
    ),
    ("opportunities", "Fleet renewal opens the mobile contract; new sites in the east."),
    ("threats", "A competitor's bundled offer to procurement; budget freeze if Q4 is weak."),
    (
        "risk_mitigation",
        "Quarterly business reviews with the CIO and the CFO from November; a fix for "
        "technical support agreed with the CIO before the pilot starts.",
    ),
]


def _plan_inputs(acc: pd.DataFrame, hidden: pd.DataFrame) -> pd.DataFrame:
    top = hidden.sort_values("rank").index.to_numpy()[:2]
    rows = []
    texts = [
        (
            "challenges",
            "Consolidating its sites and four telecom suppliers onto one managed network "
            "before the current contracts end; board pressure to cut total telecom cost by "
            "10 %.",
        ),
        ("ongoing_projects", "SD-WAN design study for the sites; mobile fleet renewal."),
        ("strengths", "We run its core network and know every site; the CIO supports us."),
        (
            "weaknesses",
            "Finance sees us only through invoices; slow quote turnaround; technical support "
            "below what the CIO expects.",
        ),
    ]
    # the second account's manager wrote their own words, not the first one's
    second = [
        (
            "challenges",
            "Opening three new clinics next year on a flat IT budget; patient-data rules keep "
            "its records in the country.",
        ),
        ("ongoing_projects", "Clinic Wi-Fi refresh; a tender for nurse-call devices in spring."),
        ("strengths", "Trusted by its operations director for the clinics' connectivity."),
        (
            "weaknesses",
            "Little contact with the new CFO; seen as a connectivity supplier, not a partner "
            "for digital care.",
        ),
    ]
    for i, a in enumerate(top):
        for field, text in texts + FULL_PLAN if i == 0 else second:
            rows.append({"account_id": acc.at[a, "account_id"], "field": field, "text": text})
    return pd.DataFrame(rows)


#: Above this many accounts the revenue and activity lines are drawn, and written, a block
#: of this many accounts at a time (each block from its own seeded stream): a client of a
#: million accounts and ~90 M lines is generated without holding its lines in memory.
BLOCK = 50_000


@dataclass
class Lines:
    """A large table drawn a block of accounts at a time: iterating it draws its blocks
    in order (the same blocks every time); ``rows`` counts the rows drawn last time."""

    draw: Callable[[dict, slice, np.random.Generator], pd.DataFrame]
    draws: dict
    accounts: int
    seed: tuple[int, ...]
    rows: int = 0

    def __iter__(self) -> Iterator[pd.DataFrame]:
        self.rows = 0
        for i, start in enumerate(range(0, self.accounts, BLOCK)):
            rows = slice(start, min(start + BLOCK, self.accounts))
            block = self.draw(self.draws, rows, np.random.default_rng([*self.seed, i]))
            self.rows += len(block)
            yield block


def generate(
    accounts: int = 1500, seed: int = 42, as_of: dt.date | str = dt.date(2026, 9, 30)
) -> dict[str, pd.DataFrame]:
    """Generate the demo client's data pack as a dict of tables (DATAPACK.md layout).

    Parameters
    ----------
    accounts : number of business customers.
    seed : the one seed every random draw descends from.
    as_of : the engagement's as-of date; 36 months of revenue end in its month.

    Examples
    --------
    >>> pack = generate(accounts=40)
    >>> sorted(pack)[:3]
    ['accounts', 'activities', 'activity_rates']
    """
    return {
        name: t if isinstance(t, pd.DataFrame) else pd.concat(list(t), ignore_index=True)
        for name, t in draw(accounts, seed, as_of).items()
    }


def draw(
    accounts: int = 1500, seed: int = 42, as_of: dt.date | str = dt.date(2026, 9, 30)
) -> dict[str, pd.DataFrame | Lines]:
    """The demo client's tables as :func:`generate` makes them, except that above
    :data:`BLOCK` accounts the revenue and activities are :class:`Lines`: drawn a block
    of accounts at a time as they are written (:func:`kamlib.intake.form.write_pack`)."""
    if accounts < 10:
        raise ValueError("the demo needs at least 10 accounts")
    spec = DemoSpec(accounts=accounts, seed=seed, as_of=pd.Timestamp(as_of).date())
    rng = np.random.default_rng(seed)
    acc, hidden = _accounts(rng, spec)
    whole = slice(0, accounts)
    draws, facts = _revenue(rng, spec, acc, hidden)
    rev: pd.DataFrame | Lines
    acts: pd.DataFrame | Lines
    if accounts <= BLOCK:  # drawn at once, in the one stream
        rev = _revenue_lines(draws, whole, rng)
        acts = _activity_lines(_activities(rng, acc, hidden, facts), whole, rng)
        trailing = _trailing(rev)
    else:
        rev = Lines(_revenue_lines, draws, accounts, (seed, 1))
        acts = Lines(_activity_lines, _activities(rng, acc, hidden, facts), accounts, (seed, 2))
        trailing = _expected_trailing(draws)
    tables = {
        "accounts": acc,
        "revenue": rev,
        "activities": acts,
        "activity_rates": pd.DataFrame(
            {"activity": list(ACTIVITY_RATES), "unit_cost": list(ACTIVITY_RATES.values())}
        ),
        "service_ratings": _service_ratings(rng, spec, acc, hidden),
        "surveys": _surveys(rng, spec, acc, hidden, facts),
        "contacts": _contacts(rng, spec, acc, hidden, facts),
        "opportunities": _opportunities(rng, spec, acc, hidden, facts),
        "churn": _churn(rng, acc, facts),
        "overrides": _overrides(acc, hidden, trailing),
        "plan_inputs": _plan_inputs(acc, hidden),
    }
    acc["customer_since"] = acc["customer_since"].dt.strftime("%Y-%m-%d")
    return tables
