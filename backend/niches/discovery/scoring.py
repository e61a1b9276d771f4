"""The niche score, 0-100, and its breakdown.

    score = w_trend * T + w_competition * C + w_monetization * M + w_volume * V

with the weights from settings (normalised to sum to 1; defaults 0.30/0.25/0.25/0.20) and
each component on 0-100:

- T, trend: ``50 + 50 * tanh(g / 0.25)`` where ``g`` is the Prophet forecast growth
  (mean forecast over the horizon / mean of as many recent observations - 1). The forecast
  includes yearly seasonality when the series spans two years, so a niche heading into its
  seasonal peak counts as rising and one leaving it as falling. +25 % → 88, 0 → 50, -25 % → 12.
- C, competition (higher is easier): ``100 * (1 - (supply + strength) / 2)`` with
  ``supply = log10(1 + recent videos) / 6`` (videos published in the last 30 days, 1M caps)
  and ``strength = log10(1 + median subscribers of the top videos' channels) / 7`` (10M caps).
- M, monetization: ``100 * min(RPM(category) / highest RPM in the table, 1)``, the RPM being
  the creator's revenue per 1,000 views of the category table (``backend/data/niches``;
  inputs stored before the table had RPM score ``CPM / highest CPM`` instead). This stored
  score is the market estimate, the same for every owner; an owner's view blends in the RPM
  measured on the owner's own channels (``backend/niches/monetization.py``).
- V, search volume: the mean of the available signals among the recent Google Trends
  interest level (already 0-100) and ``100 * log10(1 + median views of top recent videos) / 7``.

A component without data is 50 (neutral) and listed in ``missing``. The breakdown stores each
component's score, weight and points (score x weight); the points add up to the total.
Everything the formula reads is in :class:`ScoreInputs`, stored with the niche, so a score
can be recomputed exactly from the row.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from backend.settings import Settings

GROWTH_SCALE = 0.25
SUPPLY_DECADES = 6.0
STRENGTH_DECADES = 7.0
VIEWS_DECADES = 7.0
NEUTRAL = 50.0
COMPONENTS = ("trend", "competition", "monetization", "volume")


@dataclass(frozen=True, slots=True)
class ScoreInputs:
    cpm_usd: float
    cpm_ceiling_usd: float
    growth: float | None = None
    interest_level: float | None = None
    recent_videos: int | None = None
    median_subscribers: float | None = None
    median_views: float | None = None
    rpm_usd: float | None = None
    rpm_ceiling_usd: float | None = None

    @property
    def rpm_basis(self) -> bool:
        """Monetization from the RPM table (inputs stored before it had one: the CPM)."""
        return self.rpm_usd is not None and bool(self.rpm_ceiling_usd)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreInputs:
        values: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Weights:
    trend: float = 0.30
    competition: float = 0.25
    monetization: float = 0.25
    volume: float = 0.20

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            settings.discovery_weight_trend,
            settings.discovery_weight_competition,
            settings.discovery_weight_monetization,
            settings.discovery_weight_volume,
        )

    def normalised(self) -> Weights:
        total = self.trend + self.competition + self.monetization + self.volume
        if total <= 0:
            raise ValueError("at least one score weight must be positive")
        return Weights(
            self.trend / total,
            self.competition / total,
            self.monetization / total,
            self.volume / total,
        )


@dataclass(frozen=True, slots=True)
class Score:
    total: float
    breakdown: dict[str, Any]


def _log_share(value: float, decades: float) -> float:
    return min(math.log10(1.0 + max(value, 0.0)) / decades, 1.0)


def trend_component(growth: float | None) -> float | None:
    return None if growth is None else NEUTRAL + NEUTRAL * math.tanh(growth / GROWTH_SCALE)


def competition_component(
    recent_videos: int | None, median_subscribers: float | None
) -> float | None:
    pressures = []
    if recent_videos is not None:
        pressures.append(_log_share(recent_videos, SUPPLY_DECADES))
    if median_subscribers is not None:
        pressures.append(_log_share(median_subscribers, STRENGTH_DECADES))
    if not pressures:
        return None
    return 100.0 * (1.0 - sum(pressures) / len(pressures))


def monetization_component(rate_usd: float, ceiling_usd: float) -> float:
    """``100 * min(rate / ceiling, 1)`` for an RPM (or, in old inputs, a CPM) and the
    table's highest value of the same kind."""
    if ceiling_usd <= 0:
        raise ValueError("the RPM/CPM ceiling must be positive")
    return 100.0 * min(max(rate_usd, 0.0) / ceiling_usd, 1.0)


def monetization_of(inputs: ScoreInputs) -> float:
    if inputs.rpm_basis:
        assert inputs.rpm_usd is not None and inputs.rpm_ceiling_usd is not None
        return monetization_component(inputs.rpm_usd, inputs.rpm_ceiling_usd)
    return monetization_component(inputs.cpm_usd, inputs.cpm_ceiling_usd)


def volume_component(interest_level: float | None, median_views: float | None) -> float | None:
    signals = []
    if interest_level is not None:
        signals.append(min(max(interest_level, 0.0), 100.0))
    if median_views is not None:
        signals.append(100.0 * _log_share(median_views, VIEWS_DECADES))
    return sum(signals) / len(signals) if signals else None


def score(inputs: ScoreInputs, weights: Weights) -> Score:
    w = weights.normalised()
    raw = {
        "trend": trend_component(inputs.growth),
        "competition": competition_component(inputs.recent_videos, inputs.median_subscribers),
        "monetization": monetization_of(inputs),
        "volume": volume_component(inputs.interest_level, inputs.median_views),
    }
    breakdown: dict[str, Any] = {"missing": [k for k, v in raw.items() if v is None]}
    total = 0.0
    for name in COMPONENTS:
        value = raw[name]
        component = NEUTRAL if value is None else value
        weight = getattr(w, name)
        points = round(component * weight, 4)
        breakdown[name] = {
            "score": round(component, 2),
            "weight": round(weight, 6),
            "points": points,
        }
        total += points
    if inputs.rpm_basis:  # the estimate the monetization score was made from
        breakdown["monetization"] |= {
            "rpm_usd": inputs.rpm_usd,
            "rpm_ceiling_usd": inputs.rpm_ceiling_usd,
        }
    breakdown["total"] = round(total, 4)
    return Score(round(total, 2), breakdown)
