from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class DailyPoint(BaseModel):
    """One day; ``revenue_usd`` (and so ``profit_usd``) is None when YouTube's revenue is
    unknown (no monetary scope, or refused): unknown is not zero."""

    day: date
    views: int
    watch_time_minutes: float
    revenue_usd: float | None
    cost_usd: float
    profit_usd: float | None


class ChannelAnalytics(BaseModel):
    channel_id: uuid.UUID
    start: date
    end: date
    days: list[DailyPoint]
    totals: DailyPoint | None
    # Days whose revenue is unknown; the totals' revenue adds up the known days only (None
    # when no day is known).
    revenue_unknown_days: int = 0
    # Revenue per 1,000 views over the days whose revenue is known (None: none known, or
    # no views on them).
    rpm_usd: float | None = None
    # Return on the range's cost: (revenue - cost) / cost x 100; None when the revenue is
    # unknown or nothing was spent.
    roi_pct: float | None = None


class VideoProfit(BaseModel):
    """A video's money to date: YouTube's revenue minus its cost ledger.

    ``revenue_usd`` adds up the days whose revenue is known (None when none is: no monetary
    scope, or YouTube refused it); ``profit_usd`` is None then too. Views and revenue come
    from YouTube Analytics, which lags a day or two.
    """

    video_id: uuid.UUID
    views: int
    watch_time_minutes: float
    revenue_usd: float | None
    revenue_unknown_days: int
    cost_usd: float
    profit_usd: float | None
    metrics_through: date | None  # the last day YouTube Analytics reported


class VideoDay(BaseModel):
    day: date
    views: int
    watch_time_minutes: float
    average_view_duration_seconds: float | None
    revenue_usd: float | None


class VideoAnalytics(VideoProfit):
    channel_id: uuid.UUID
    youtube_video_id: str | None
    published_at: datetime | None
    # The hourly videos.list count of the first 48 hours (fresher than Analytics).
    latest_views: int | None
    latest_views_at: datetime | None
    days: list[VideoDay]


class VideoRangeRow(BaseModel):
    """One video over a range of days: its YouTube numbers, and what its ledger charged in
    the range (a video's production cost falls on the days it was made)."""

    video_id: uuid.UUID
    channel_id: uuid.UUID
    title: str
    views: int
    watch_time_minutes: float
    revenue_usd: float | None  # None: unknown on every day of the range with data
    revenue_unknown_days: int
    rpm_usd: float | None
    cost_usd: float
    profit_usd: float | None


class VideoRanking(BaseModel):
    """The range's videos by profit: the best, the worst (worst first, never one of the
    best), those whose profit is unknown (not ranked; most viewed first), and the most
    viewed."""

    top: list[VideoRangeRow]
    bottom: list[VideoRangeRow]
    unknown: list[VideoRangeRow]
    most_viewed: list[VideoRangeRow]  # whatever their revenue
    ranked: int  # videos with a known profit
    total: int  # videos with a YouTube day or a charge in the range
