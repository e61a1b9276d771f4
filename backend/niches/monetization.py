"""The owner's monetization score: the category table's RPM (the prior) blended with the RPM
measured on the owner's own channels, weighted by the views behind the measurement.

Empirical Bayes with a prior strength in views. The table's RPM counts as ``k`` views of
evidence (``YTE_RPM_PRIOR_VIEWS``, default 10,000); the owner's channels add ``V`` views
that earned ``R`` USD, a measured RPM ``m = 1000 * R / V``::

    rpm    = (k * prior + V * m) / (k + V)  =  prior + w * (m - prior)
    w      = V / (k + V)                      (the weight of the measurement, 0..1)
    M      = 100 * min(rpm / ceiling, 1)      (ceiling: the table's highest RPM)
    score' = score + w_M * (M(rpm) - M(prior))

``score`` is the niche's stored score (the market estimate, the same for every owner, made
from the table by ``discovery/scoring.py``) and ``w_M`` the monetization weight it was made
with (``YTE_DISCOVERY_WEIGHT_MONETIZATION`` normalised, 0.25 by default). Below the ceiling
the owner's score moves by ``100 * w_M * w * (m - prior) / ceiling``: up when the owner's
channels earn more per view than the table says, down when less, and the more so the more
views stand behind the measurement (10,000 views: half-way; 90,000: 90 %).

The measurement: the last ``YTE_RPM_WINDOW_DAYS`` (90) Pacific days of
``channel_daily_metrics`` whose revenue is known (an unknown day counts neither its views
nor its revenue), summed over the owner's channels about this niche (the channel's niche
is the niche's name) when they have views; otherwise over the owner's channels in the
niche's category (a channel's category: the stored niche of its name, else the catalogue
category its niche text names or shares the most keywords with). Stored scores stay global
because measured RPM is the owner's own: the blend is applied where an owner looks (the
niche page, ``GET /api/v1/niches/{id}``'s ``for_you``), never written to the niche.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.loop import PACIFIC, channel_revenue
from backend.db.base import utcnow
from backend.models import Niche
from backend.niches import repository
from backend.niches.catalog import Catalog, catalog
from backend.niches.discovery.scoring import Weights, monetization_component
from backend.niches.trends.match import CATEGORY_KEYWORDS, normalize_category, overlap_scores
from backend.settings import Settings

Scope = Literal["niche", "category"]


@dataclass(frozen=True, slots=True)
class Measurement:
    """Views and revenue (the days of known revenue) of some of the owner's channels."""

    scope: Scope
    views: int
    revenue_usd: float
    channels: int

    @property
    def rpm_usd(self) -> float | None:
        return 1000.0 * self.revenue_usd / self.views if self.views > 0 else None


@dataclass(frozen=True, slots=True)
class RpmBlend:
    prior_rpm_usd: float
    prior_views: int
    measurement: Measurement | None

    @property
    def views(self) -> int:
        return self.measurement.views if self.measurement is not None else 0

    @property
    def measured_rpm_usd(self) -> float | None:
        return self.measurement.rpm_usd if self.measurement is not None else None

    @property
    def weight(self) -> float:
        """``V / (k + V)``: how much of the blend is the measurement."""
        total = self.prior_views + self.views
        return self.views / total if total > 0 and self.views > 0 else 0.0

    @property
    def rpm_usd(self) -> float:
        measured = self.measured_rpm_usd
        if measured is None:
            return self.prior_rpm_usd
        return (self.prior_views * self.prior_rpm_usd + self.views * measured) / (
            self.prior_views + self.views
        )


def blend(prior_rpm_usd: float, measurement: Measurement | None, prior_views: int) -> RpmBlend:
    return RpmBlend(float(prior_rpm_usd), int(prior_views), measurement)


@dataclass(frozen=True, slots=True)
class OwnerRevenue:
    """The owner's measured views and revenue, by niche name and by catalogue category."""

    window: tuple[date, date]
    by_niche: dict[str, Measurement] = field(default_factory=dict)
    by_category: dict[str, Measurement] = field(default_factory=dict)

    @property
    def window_days(self) -> int:
        return (self.window[1] - self.window[0]).days + 1

    def measurement(self, niche_name: str, category: str) -> Measurement | None:
        own = self.by_niche.get(normalize_category(niche_name))
        if own is not None and own.views > 0:
            return own
        wide = self.by_category.get(category)
        return wide if wide is not None and wide.views > 0 else None


def category_for(text: str, known: Mapping[str, str], table: Catalog | None = None) -> str | None:
    """The catalogue category a channel's niche text belongs to: the stored niche of that
    name's, else the category it names (key or label), else the one sharing most keywords
    (the trend matcher's vocabulary and the label; the seed niches break a tie), else None."""
    table = table or catalog()
    wanted = normalize_category(text)
    if wanted in known:
        return known[wanted]
    for key, category in table.categories.items():
        if wanted in (key, normalize_category(category.label)):
            return key
    words = {
        key: (*CATEGORY_KEYWORDS.get(key, ()), category.label, key.replace("_", " "))
        for key, category in table.categories.items()
    }
    seeds = {key: category.seeds for key, category in table.categories.items()}
    first, second = overlap_scores(text, words), overlap_scores(text, seeds)
    ranked = sorted(
        set(first) | set(second), key=lambda k: (-first.get(k, 0), -second.get(k, 0), k)
    )
    return ranked[0] if ranked else None


def _sum(scope: Scope, rows: Iterable[tuple[int, float]]) -> Measurement:
    items = list(rows)
    return Measurement(
        scope, sum(v for v, _ in items), round(sum(r for _, r in items), 6), len(items)
    )


def pacific_today() -> date:
    return utcnow().astimezone(PACIFIC).date()


async def owner_revenue(
    session: AsyncSession, owner_id: uuid.UUID, window_days: int, today: date | None = None
) -> OwnerRevenue:
    """The owner's channels' views and revenue of the last ``window_days`` days of known
    revenue, grouped by the channels' niche and category."""
    until = today or pacific_today()
    since = until - timedelta(days=window_days - 1)
    rows = await channel_revenue(session, owner_id, since, until)
    known = await repository.categories_by_name(session, [r.niche for r in rows])
    niches: dict[str, list[tuple[int, float]]] = {}
    categories: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        niches.setdefault(normalize_category(row.niche), []).append((row.views, row.revenue_usd))
        category = category_for(row.niche, known)
        if category is not None:
            categories.setdefault(category, []).append((row.views, row.revenue_usd))
    return OwnerRevenue(
        (since, until),
        {k: _sum("niche", v) for k, v in niches.items()},
        {k: _sum("category", v) for k, v in categories.items()},
    )


@dataclass(frozen=True, slots=True)
class OwnerScore:
    """A niche's score as one owner sees it (see the module docstring)."""

    score: float | None  # score' (None: the niche is not scored yet)
    market_score: float | None  # the stored score
    monetization: float  # M(rpm)
    market_monetization: float  # M(prior)
    monetization_weight: float  # w_M
    rpm: RpmBlend
    rpm_ceiling_usd: float
    window_days: int

    @property
    def change(self) -> float:
        if self.score is None or self.market_score is None:
            return 0.0
        return round(self.score - self.market_score, 2)


def _number(*values: Any) -> float | None:
    """The first of ``values`` that is a number."""
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def owner_score(
    niche: Niche, revenue: OwnerRevenue, settings: Settings, table: Catalog | None = None
) -> OwnerScore | None:
    """The owner's view of ``niche``; None when its category has no RPM to start from."""
    table = table or catalog()
    stored = (niche.breakdown or {}).get("monetization")
    stored = stored if isinstance(stored, dict) else {}
    inputs = (niche.inputs or {}).get("score")
    inputs = inputs if isinstance(inputs, dict) else {}
    known = table.categories.get(niche.category)
    # the estimate the stored score was made from; else the table's
    prior = _number(stored.get("rpm_usd"), inputs.get("rpm_usd"))
    ceiling = _number(stored.get("rpm_ceiling_usd"), inputs.get("rpm_ceiling_usd"))
    if prior is None and known is not None:
        prior = known.rpm_usd
    if prior is None:
        return None
    ceiling = ceiling or table.rpm_ceiling
    weight = _number(stored.get("weight"))
    if weight is None:
        weight = Weights.from_settings(settings).normalised().monetization
    mix = blend(prior, revenue.measurement(niche.name, niche.category), settings.rpm_prior_views)
    own = monetization_component(mix.rpm_usd, ceiling)
    market = monetization_component(prior, ceiling)
    score = None
    if niche.score is not None:
        score = round(min(max(niche.score + weight * (own - market), 0.0), 100.0), 2)
    return OwnerScore(
        score=score,
        market_score=niche.score,
        monetization=round(own, 2),
        market_monetization=round(market, 2),
        monetization_weight=weight,
        rpm=mix,
        rpm_ceiling_usd=ceiling,
        window_days=revenue.window_days,
    )
