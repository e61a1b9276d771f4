from __future__ import annotations

import uuid
from datetime import date

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
