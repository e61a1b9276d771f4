from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel


class DailyPoint(BaseModel):
    day: date
    views: int
    watch_time_minutes: float
    revenue_usd: float
    cost_usd: float
    profit_usd: float


class ChannelAnalytics(BaseModel):
    channel_id: uuid.UUID
    start: date
    end: date
    days: list[DailyPoint]
    totals: DailyPoint | None
