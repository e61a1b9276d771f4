"""Dispatch, reconcile and stage boundaries, without running any model."""

from __future__ import annotations

import uuid

import redis
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import commit
from backend.models import Channel, ChannelStatus, Video, VideoStage, VideoStatus
from backend.pipeline.dispatch import PipelineDispatcher, ReconcilerDispatcher, reconcile
from backend.pipeline.lease import StageLease
from backend.pipeline.tasks import _run_stage
from backend.settings import Settings, use_settings
from backend.videos import service as video_service
from backend.videos.schemas import VideoCreate
from tests.backend.pipeline.conftest import make_channel, runs_of


async def _queued_video(
    db: async_sessionmaker[AsyncSession], channel: Channel, connection: redis.Redis | None
) -> uuid.UUID:
    dispatcher = ReconcilerDispatcher() if connection is None else PipelineDispatcher(connection)
    async with db() as session:
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        video = await video_service.create(
            session, fresh, VideoCreate(topic="Tidal forces"), dispatcher=dispatcher
        )
        await commit(session)
        return video.id


async def _reconcile(db: async_sessionmaker[AsyncSession], connection: redis.Redis) -> list[str]:
    async with db() as session:
        jobs = await reconcile(session, connection)
        await commit(session)  # the jobs are enqueued after commit
        return jobs


async def test_queueing_a_video_enqueues_its_first_stage_after_commit(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, settings)
    video_id = await _queued_video(db, channel, connection)
    production = Queue("production", connection=connection)
    assert production.job_ids == [f"stage-{video_id}-topic-0"]


async def test_reconciler_recovers_lost_jobs_once(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, settings)
    video_id = await _queued_video(db, channel, None)  # left to the reconciler
    assert await _reconcile(db, connection) == [f"stage-{video_id}-topic-0"]
    assert await _reconcile(db, connection) == []  # already waiting: not enqueued twice
    Queue("production", connection=connection).empty()

    lease = StageLease(connection, video_id, VideoStage.topic, ttl_s=30)
    assert lease.acquire()
    assert await _reconcile(db, connection) == []  # someone is working on it
    lease.release()

    async with db() as session:
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        fresh.status = ChannelStatus.paused
        await session.commit()
    assert await _reconcile(db, connection) == []  # a paused channel gets no new work


async def test_stage_jobs_stop_at_boundaries(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    use_settings(settings)
    channel = await make_channel(db, settings)
    video_id = await _queued_video(db, channel, connection)

    # A stray job for a later stage does nothing but re-dispatch the right one.
    result = await _run_stage(video_id, VideoStage.render)
    assert result == {"skipped": "not the next stage"}
    assert await runs_of(db, video_id) == {}

    # A second runner of the same stage backs off while the lease is held.
    lease = StageLease(connection, video_id, VideoStage.topic, ttl_s=30)
    assert lease.acquire()
    assert (await _run_stage(video_id, VideoStage.topic))["skipped"].startswith("another runner")
    lease.release()

    # Cancelled: the next stage boundary stops it and nothing runs.
    async with db() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        await video_service.cancel(session, video)
        await session.commit()
    assert await _run_stage(video_id, VideoStage.topic) == {"skipped": "video is cancelled"}
    assert await runs_of(db, video_id) == {}
    async with db() as session:
        video = await session.get(Video, video_id)
        assert video is not None and video.status == VideoStatus.cancelled
