"""What the dashboard polls every 60 s, per owner and per channel."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics import service as analytics_service
from backend.channels import repository as channel_repository
from backend.costs.budget import period_starts
from backend.dashboard import repository
from backend.dashboard.schemas import ChannelMetrics, DashboardMetrics, Totals
from backend.db.base import utcnow
from backend.jobs.queues import ALL_QUEUES
from backend.models import VideoStatus

WAITING = (VideoStatus.queued.value, VideoStatus.running.value)


def _pct(spend: Decimal, budget: Decimal) -> float:
    return round(float(spend / budget * 100), 1) if budget > 0 else 0.0


async def queue_depths(client: aioredis.Redis) -> dict[str, int]:
    async with client.pipeline(transaction=False) as pipe:
        for name in ALL_QUEUES:
            pipe.llen(f"rq:queue:{name.value}")
        counts = await pipe.execute()
    return {name.value: int(n) for name, n in zip(ALL_QUEUES, counts, strict=True)}


async def metrics(
    session: AsyncSession, client: aioredis.Redis, owner_id: uuid.UUID
) -> DashboardMetrics:
    now = utcnow()
    day_start, month_start = period_starts(now)
    channels = await channel_repository.list_for_owner(session, owner_id)
    ids = [c.id for c in channels]
    by_status: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    done: dict[uuid.UUID, int] = defaultdict(int)
    failed: dict[uuid.UUID, int] = defaultdict(int)
    if ids:
        for cid, status, count, completed, fails in await repository.video_counts(
            session, ids, day_start
        ):
            by_status[cid][status] = count
            done[cid] += completed
            failed[cid] += fails
    today, month, last30 = await repository.spend_windows(
        session, ids, day_start, month_start, day_start - timedelta(days=29)
    )
    since = (day_start - timedelta(days=29)).date()
    revenue = await repository.revenue_since(session, ids, since)
    rows = []
    for c in channels:
        spend_day, spend_month = today.get(c.id, Decimal(0)), month.get(c.id, Decimal(0))
        cost30 = float(last30.get(c.id, 0))
        earned = revenue.get(c.id, repository.NO_ROWS)
        rows.append(
            ChannelMetrics(
                id=c.id,
                name=c.name,
                status=c.status.value,
                pause_reason=c.pause_reason,
                videos_by_status=by_status[c.id],
                completed_today=done[c.id],
                failed_today=failed[c.id],
                queue_depth=sum(by_status[c.id].get(s, 0) for s in WAITING),
                cost_today_usd=float(spend_day),
                cost_month_usd=float(spend_month),
                cost_30d_usd=cost30,
                daily_budget_usd=float(c.daily_budget_usd),
                monthly_budget_usd=float(c.monthly_budget_usd),
                budget_used_today_pct=_pct(spend_day, c.daily_budget_usd),
                budget_used_month_pct=_pct(spend_month, c.monthly_budget_usd),
                revenue_30d_usd=earned.known_usd,
                profit_30d_usd=_minus(earned.known_usd, cost30),
                revenue_unknown_days_30d=earned.unknown_days,
                roi_30d_pct=analytics_service.roi_pct(earned.known_usd, cost30),
            )
        )
    totals = _totals(rows, await repository.revenue_unknown_days(session, ids, since))
    return DashboardMetrics(
        generated_at=now, totals=totals, queues=await queue_depths(client), channels=rows
    )


def _minus(revenue: float | None, cost: float) -> float | None:
    return None if revenue is None else round(revenue - cost, 6)


def _totals(rows: list[ChannelMetrics], unknown_days: int) -> Totals:
    statuses: dict[str, int] = defaultdict(int)
    for row in rows:
        for status, count in row.videos_by_status.items():
            statuses[status] += count
    known = [r.revenue_30d_usd for r in rows if r.revenue_30d_usd is not None]
    revenue = round(sum(known), 6) if known or not rows else None  # no channel: 0 earned
    cost30 = round(sum(r.cost_30d_usd for r in rows), 6)
    return Totals(
        videos_by_status=dict(statuses),
        completed_today=sum(r.completed_today for r in rows),
        failed_today=sum(r.failed_today for r in rows),
        queue_depth=sum(r.queue_depth for r in rows),
        cost_today_usd=round(sum(r.cost_today_usd for r in rows), 6),
        cost_month_usd=round(sum(r.cost_month_usd for r in rows), 6),
        daily_budget_usd=sum(r.daily_budget_usd for r in rows),
        monthly_budget_usd=sum(r.monthly_budget_usd for r in rows),
        revenue_30d_usd=revenue,
        cost_30d_usd=cost30,
        profit_30d_usd=_minus(revenue, cost30),
        revenue_unknown_days_30d=unknown_days,
        roi_30d_pct=analytics_service.roi_pct(revenue, cost30),
    )


def _cache_key(owner_id: uuid.UUID) -> str:
    return f"ytempire:dashboard:{owner_id}"


async def metrics_json(
    session: AsyncSession, client: aioredis.Redis, owner_id: uuid.UUID, ttl_s: float
) -> bytes:
    """The owner's metrics as JSON, computed at most once per ``ttl_s`` (single flight)."""
    if ttl_s <= 0:
        return (await metrics(session, client, owner_id)).model_dump_json().encode()
    key, ttl_ms = _cache_key(owner_id), max(int(ttl_s * 1000), 1)
    cached = await client.get(key)
    if cached is not None:
        return cached if isinstance(cached, bytes) else cached.encode()
    if not await client.set(f"{key}:lock", b"1", nx=True, px=min(ttl_ms, 10_000)):
        for _ in range(50):  # someone else is computing it: wait up to ~1 s for theirs
            await asyncio.sleep(0.02)
            cached = await client.get(key)
            if cached is not None:
                return cached if isinstance(cached, bytes) else cached.encode()
    body = (await metrics(session, client, owner_id)).model_dump_json().encode()
    await client.set(key, body, px=ttl_ms)
    await client.delete(f"{key}:lock")
    return body
