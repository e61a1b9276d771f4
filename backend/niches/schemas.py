from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _clean(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class NicheOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    category: str
    description: str | None
    score: float | None
    breakdown: dict[str, Any]
    sources: list[str]
    keywords: list[str]
    scored_at: datetime | None
    created_at: datetime


class TrendOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    topic: str
    source: str
    growth: float | None
    series: list[dict[str, Any]]
    forecast: list[dict[str, Any]]  # ds, yhat, yhat_lower, yhat_upper
    fetched_at: datetime | None


class MeasuredRpm(BaseModel):
    """What the owner's channels earned per 1,000 views (days of known revenue only)."""

    rpm_usd: float | None
    views: int
    revenue_usd: float
    channels: int
    scope: Literal["niche", "category"] | None  # channels about the niche, or its category
    window_days: int


class OwnerMonetization(BaseModel):
    """rpm = (prior_views * estimate + views * measured) / (prior_views + views)."""

    estimate_rpm_usd: float  # the category table (the prior)
    measured: MeasuredRpm
    prior_views: int  # YTE_RPM_PRIOR_VIEWS
    weight: float  # views / (prior_views + views)
    rpm_usd: float  # the blend
    rpm_ceiling_usd: float  # the RPM that scores 100
    score: float  # 0-100 from the blend
    estimate_score: float  # 0-100 from the estimate (the stored score's)
    score_weight: float  # the monetization component's weight in the total


class OwnerNicheScore(BaseModel):
    """The niche's score for the calling owner: the stored (market) score with its
    monetization component made from the blended RPM."""

    score: float | None
    market_score: float | None
    monetization: OwnerMonetization


class NicheDetail(NicheOut):
    inputs: dict[str, Any]
    interest: TrendOut | None  # the niche's own interest series and its forecast
    topics: list[TrendOut]  # other topics grouped under the niche (rising first)
    top_videos: list[dict[str, Any]]
    for_you: OwnerNicheScore | None = None  # the caller's measured RPM blended in


class NichePage(BaseModel):
    items: list[NicheOut]
    next_cursor: str | None


class TrendingNiche(NicheOut):
    growth: float


class CategoryOut(BaseModel):
    key: str
    label: str
    cpm_usd: float
    cpm_range_usd: tuple[float, float]
    rpm_usd: float  # creator revenue per 1,000 views: the monetization score's prior
    niches: int
    average_score: float | None


class Categories(BaseModel):
    items: list[CategoryOut]
    cpm_source: str
    cpm_reviewed: str


class SearchHit(NicheOut):
    similarity: float


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    category: str = Field(min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    keywords: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _clean(value)


class AnalyzeAccepted(BaseModel):
    job_id: str
    niche_id: uuid.UUID
    status: str


class AnalyzeStatus(BaseModel):
    job_id: str
    status: str  # queued | started | finished | failed | ...
    niche: NicheDetail | None = None
    error: str | None = None


class WatchlistEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    niche_id: uuid.UUID
    alert_threshold: float | None = Field(default=None, ge=0, le=100)


class WatchlistEntryOut(BaseModel):
    id: uuid.UUID
    niche: NicheOut
    alert_threshold: float | None
    last_alerted_at: datetime | None
    created_at: datetime


class SourceHealth(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: str
    configured: bool
    status: str
    last_success_at: str | None = None
    last_error_at: str | None = None
    last_error: str | None = None
    calls_ok: int = 0
    calls_failed: int = 0


SortParam = Literal["score", "recent", "name"]
