from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class ChannelMetrics(BaseModel):
    id: uuid.UUID
    name: str
    status: str
    pause_reason: str | None
    videos_by_status: dict[str, int]
    completed_today: int
    failed_today: int
    queue_depth: int
    cost_today_usd: float
    cost_month_usd: float
    cost_30d_usd: float
    daily_budget_usd: float
    monthly_budget_usd: float
    budget_used_today_pct: float
    budget_used_month_pct: float
    # YouTube's revenue over the last 30 days, adding up the known days; None when no
    # day's revenue is known (no monetary scope): unknown, never 0. Profit likewise.
    revenue_30d_usd: float | None
    profit_30d_usd: float | None
    revenue_unknown_days_30d: int = 0
    # (revenue - cost) / cost over the 30 days in percent; None when the revenue is
    # unknown or nothing was spent.
    roi_30d_pct: float | None = None


class Totals(BaseModel):
    videos_by_status: dict[str, int]
    # videos made today: reached ready since midnight UTC and still ready, publishing or
    # published (discarded, cancelled or re-queued videos are not counted)
    completed_today: int
    failed_today: int
    queue_depth: int
    cost_today_usd: float
    cost_month_usd: float
    daily_budget_usd: float
    monthly_budget_usd: float
    revenue_30d_usd: float | None  # the channels' known revenue; None when none is known
    cost_30d_usd: float
    profit_30d_usd: float | None
    # days on which some channel's revenue is unknown (the sums leave those out)
    revenue_unknown_days_30d: int = 0
    roi_30d_pct: float | None = None


class DashboardMetrics(BaseModel):
    generated_at: datetime
    totals: Totals
    queues: dict[str, int]
    channels: list[ChannelMetrics]
