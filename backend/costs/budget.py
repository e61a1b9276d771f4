"""The budget watcher: spend per channel per day and month against its budgets.

At 80 % of a budget it records a ``cost.alert`` warning, at 100 % a critical one and
pauses the channel, so no new work starts. Each alert is recorded once per channel,
period and threshold (a dedup key), however often the watcher runs. A channel paused
for its daily budget is resumed by the watcher once a new day starts within budget.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import repository as channel_repository
from backend.channels.service import set_status
from backend.costs.repository import spend_since
from backend.db.base import utcnow
from backend.events.bus import record_event
from backend.models import Channel, ChannelStatus
from backend.observability.metrics import BUDGET_ALERTS

log = structlog.get_logger(__name__)

THRESHOLDS = (80, 100)
PAUSE_PREFIX = "budget_exceeded"


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    channel_id: uuid.UUID
    day_spend: Decimal
    month_spend: Decimal
    daily_budget: Decimal
    monthly_budget: Decimal
    alerts: tuple[str, ...]
    paused: bool

    @property
    def exceeded(self) -> bool:
        return (
            _ratio(self.day_spend, self.daily_budget) >= 1
            or _ratio(self.month_spend, self.monthly_budget) >= 1
        )


def _ratio(spend: Decimal, budget: Decimal) -> Decimal:
    if budget <= 0:
        return Decimal("Infinity") if spend > 0 else Decimal(0)
    return spend / budget


def period_starts(now: datetime) -> tuple[datetime, datetime]:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


async def check_budgets(
    session: AsyncSession,
    connection: redis.Redis | None,
    channel_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[BudgetStatus]:
    now = now or utcnow()
    day_start, month_start = period_starts(now)
    channels = await channel_repository.list_all(session)
    if channel_id is not None:
        channels = [c for c in channels if c.id == channel_id]
    ids = [c.id for c in channels]
    day_spend = await spend_since(session, ids, day_start)
    month_spend = await spend_since(session, ids, month_start)
    results = []
    for channel in channels:
        status = await _check_channel(
            session,
            connection,
            channel,
            day_spend.get(channel.id, Decimal(0)),
            month_spend.get(channel.id, Decimal(0)),
            now,
        )
        results.append(status)
    return results


async def _check_channel(
    session: AsyncSession,
    connection: redis.Redis | None,
    channel: Channel,
    day: Decimal,
    month: Decimal,
    now: datetime,
) -> BudgetStatus:
    periods = (
        ("daily", day, channel.daily_budget_usd, now.strftime("%Y-%m-%d")),
        ("monthly", month, channel.monthly_budget_usd, now.strftime("%Y-%m")),
    )
    alerts: list[str] = []
    over: str | None = None
    for period, spend, budget, key in periods:
        ratio = _ratio(spend, budget)
        for threshold in THRESHOLDS:
            if ratio * 100 < threshold:
                continue
            if threshold == 100:
                over = over or period
            recorded = await record_event(
                session,
                connection,
                user_id=channel.owner_id,
                channel_id=channel.id,
                type="cost.alert",
                severity="critical" if threshold >= 100 else "warning",
                message=(
                    f"{channel.name}: {period} spend ${spend:.2f} is {threshold}% or more of "
                    f"the ${budget:.2f} budget" + ("; channel paused" if threshold >= 100 else "")
                ),
                data={
                    "period": period,
                    "threshold": threshold,
                    "spend_usd": float(spend),
                    "budget_usd": float(budget),
                },
                dedup_key=f"budget:{channel.id}:{period}:{key}:{threshold}",
            )
            if recorded is not None:
                alerts.append(f"{period}:{threshold}")
                BUDGET_ALERTS.labels(period=period, level=str(threshold)).inc()
    paused = await _apply_pause(session, connection, channel, over)
    return BudgetStatus(
        channel_id=channel.id,
        day_spend=day,
        month_spend=month,
        daily_budget=channel.daily_budget_usd,
        monthly_budget=channel.monthly_budget_usd,
        alerts=tuple(alerts),
        paused=paused,
    )


async def _apply_pause(
    session: AsyncSession, connection: redis.Redis | None, channel: Channel, over: str | None
) -> bool:
    budget_paused = (channel.pause_reason or "").startswith(PAUSE_PREFIX)
    if over is not None and channel.status == ChannelStatus.active:
        set_status(channel, ChannelStatus.paused, reason=f"{PAUSE_PREFIX}:{over}")
        await session.flush()
        log.warning("budget.channel_paused", channel_id=str(channel.id), period=over)
        await record_event(
            session,
            connection,
            user_id=channel.owner_id,
            channel_id=channel.id,
            type="channel.paused",
            severity="critical",
            message=f"{channel.name} paused: {over} budget exhausted",
            data={"reason": f"{PAUSE_PREFIX}:{over}"},
        )
        return True
    if over is None and channel.status == ChannelStatus.paused and budget_paused:
        set_status(channel, ChannelStatus.active, reason=None)
        await session.flush()
        await record_event(
            session,
            connection,
            user_id=channel.owner_id,
            channel_id=channel.id,
            type="channel.resumed",
            message=f"{channel.name} resumed: back within budget",
        )
        return False
    return channel.status == ChannelStatus.paused
