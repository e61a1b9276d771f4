"""Autopilot fixtures: owners with channels in the database, a real Redis, a tick helper."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.auth.service import create_user
from backend.autopilot.service import TickReport, tick
from backend.costs.service import record_cost
from backend.db.session import unit_of_work
from backend.models import AutopilotSlot, Channel, User, Video, VideoStatus
from backend.pipeline.dispatch import PipelineDispatcher
from backend.settings import Settings

# A Wednesday, 06:00 UTC: before the day's first slot (the default hours are 08-22).
NOW = datetime.fromisoformat("2026-12-02T06:00:00+00:00")


@pytest.fixture
def connection(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url)
    yield client
    client.close()


async def make_owner(db: async_sessionmaker[AsyncSession], settings: Settings) -> User:
    async with unit_of_work(db) as session:
        return await create_user(
            session,
            settings,
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            password="long enough password",
        )


async def make_channel(db: async_sessionmaker[AsyncSession], owner: User, **fields: Any) -> Channel:
    values: dict[str, Any] = {
        "name": f"Channel {uuid.uuid4().hex[:4]}",
        "niche": "budgeting for beginners",
        "autopilot": True,
        "cadence_per_day": 2.0,
        "autopilot_buffer_days": 2,
        "daily_budget_usd": Decimal("100"),
        "monthly_budget_usd": Decimal("1000"),
        **fields,
    }
    async with unit_of_work(db) as session:
        channel = Channel(id=uuid.uuid4(), owner_id=owner.id, **values)
        session.add(channel)
    return channel


async def run_tick(
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis | None,
    settings: Settings,
    now: datetime = NOW,
) -> TickReport:
    dispatcher = PipelineDispatcher(connection) if connection is not None else None
    assert dispatcher is not None
    return await tick(db, connection, settings, dispatcher, now=now)


async def slot_videos(
    db: async_sessionmaker[AsyncSession], channel_id: uuid.UUID
) -> list[tuple[AutopilotSlot, Video | None]]:
    async with db() as session:
        rows = await session.execute(
            select(AutopilotSlot, Video)
            .outerjoin(Video, Video.id == AutopilotSlot.video_id)
            .where(AutopilotSlot.channel_id == channel_id)
            .order_by(AutopilotSlot.slot_at)
        )
        return [(s, v) for s, v in rows.tuples()]


async def channel_videos(
    db: async_sessionmaker[AsyncSession], channel_id: uuid.UUID
) -> list[Video]:
    async with db() as session:
        rows = await session.scalars(
            select(Video).where(Video.channel_id == channel_id).order_by(Video.publish_at)
        )
        return list(rows)


async def finish_video(
    db: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    cost_usd: str,
    at: datetime,
    status: VideoStatus = VideoStatus.ready,
) -> None:
    """Production of the video ended (ready or failed) having cost ``cost_usd`` at ``at``."""
    async with unit_of_work(db) as session:
        video = await session.get(Video, video_id)
        assert video is not None
        await record_cost(
            session,
            None,
            channel_id=video.channel_id,
            video_id=video.id,
            amount_usd=Decimal(cost_usd),
            kind="text",
            provider="test:model",
            occurred_at=at,
        )
        video.status = status
        if status == VideoStatus.ready:
            video.completed_at = at
        else:
            video.failed_at = at


async def seed_finished(
    db: async_sessionmaker[AsyncSession], channel: Channel, costs: list[str], at: datetime
) -> None:
    """Published videos of the channel that finished production at ``at`` for these costs."""
    async with unit_of_work(db) as session:
        for i, cost in enumerate(costs):
            video = Video(
                id=uuid.uuid4(),
                channel_id=channel.id,
                topic=f"past topic {i}",
                status=VideoStatus.published,
                completed_at=at + timedelta(minutes=i),
                youtube_video_id=f"yt{i:09d}",
            )
            session.add(video)
            await session.flush()
            await record_cost(
                session,
                None,
                channel_id=channel.id,
                video_id=video.id,
                amount_usd=Decimal(cost),
                kind="text",
                provider="test:model",
                occurred_at=at,
            )
