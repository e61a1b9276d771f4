"""A long video that becomes ready enqueues its Short's job (by its dotted path, once),
only for a channel that asks for Shorts, and never for a Short itself."""

from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.jobs.queues import QueueName, get_queue
from backend.models import Channel, Video, VideoFormat, VideoStatus
from backend.pipeline.runner import MAKE_SHORT, _enqueue_short
from backend.settings import Settings
from tests.backend.pipeline.conftest import connection, make_channel

__all__ = ["connection"]
POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def _ready_video(
    db: async_sessionmaker[AsyncSession], channel: Channel, **fields: object
) -> uuid.UUID:
    video_id = uuid.uuid4()
    async with unit_of_work(db) as session:
        session.add(Video(id=video_id, channel_id=channel.id, status=VideoStatus.ready, **fields))
    return video_id


async def _enqueue(
    db: async_sessionmaker[AsyncSession], connection: redis.Redis, video_id: uuid.UUID
) -> None:
    async with unit_of_work(db) as session:
        video = await session.get(Video, video_id)
        assert video is not None
        channel = await session.get(Channel, video.channel_id)
        assert channel is not None
        _enqueue_short(session, connection, video, channel)


@POSTGRES
async def test_ready_long_video_enqueues_one_short_job(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, settings, style_settings={"shorts": True})
    long_id = await _ready_video(db, channel)
    await _enqueue(db, connection, long_id)
    await _enqueue(db, connection, long_id)  # the same job id: not enqueued twice
    queue = get_queue(QueueName.production, connection)
    jobs = [j for j in queue.get_jobs() if j.id == f"short-{long_id}"]
    assert len(jobs) == 1 and queue.count == 1
    assert jobs[0].func_name == MAKE_SHORT and jobs[0].args == (str(long_id),)

    # a Short of it, and a channel that does not ask, enqueue nothing
    short_id = await _ready_video(db, channel, format=VideoFormat.short, parent_video_id=long_id)
    await _enqueue(db, connection, short_id)
    plain = await make_channel(db, settings)
    await _enqueue(db, connection, await _ready_video(db, plain))
    assert queue.count == 1
