"""The pipeline's queries: stage runs, the videos the reconciler looks at, a channel's past work.

The dispatcher, the runner and the reconciler read and write through here; steps never
open a session: the runner loads what a step needs (past topics, past scripts) and hands
it over in the :class:`~backend.pipeline.context.StageContext`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.models import Channel, ChannelStatus, StageRun, StageStatus, Video, VideoStage
from backend.models import VideoStatus as S
from backend.videos import repository as videos_repository

FINISHED = (S.ready, S.publishing, S.published)
PAST_SCRIPTS = 50  # the quality gate compares a script with this many of the channel's last


async def video_and_channel(
    session: AsyncSession, video_id: uuid.UUID
) -> tuple[Video | None, Channel | None]:
    video = await session.get(Video, video_id)
    channel = await session.get(Channel, video.channel_id) if video is not None else None
    return video, channel


# A video's stage runs are the videos domain's rows; the pipeline reads them through it.
stage_runs = videos_repository.stage_runs_by_stage
first_unfinished = videos_repository.first_unfinished


async def open_videos(session: AsyncSession) -> list[tuple[Video, Channel]]:
    """Queued and running videos of active channels, oldest first (the reconciler's list)."""
    query = (
        select(Video, Channel)
        .join(Channel, Channel.id == Video.channel_id)
        .where(
            Video.status.in_((S.queued, S.running)),
            Channel.status == ChannelStatus.active,
            Channel.deleted_at.is_(None),
        )
        .order_by(Video.created_at)
    )
    return list((await session.execute(query)).tuples().all())


async def publishing_videos(session: AsyncSession) -> list[tuple[Video, Channel]]:
    """Videos waiting for (or in) their upload, oldest first, whatever their channel's state:
    the upload stage itself holds those a paused or deleted channel may not upload."""
    query = (
        select(Video, Channel)
        .join(Channel, Channel.id == Video.channel_id)
        .where(Video.status == S.publishing)
        .order_by(Video.updated_at)
    )
    return list((await session.execute(query)).tuples().all())


async def due_scheduled(session: AsyncSession, now: datetime) -> list[tuple[Video, Channel]]:
    """Scheduled videos whose publish time has come (YouTube has made them public)."""
    query = (
        select(Video, Channel)
        .join(Channel, Channel.id == Video.channel_id)
        .where(Video.status == S.scheduled, Video.publish_at <= now)
        .order_by(Video.publish_at)
    )
    return list((await session.execute(query)).tuples().all())


async def note_upload_progress(session: AsyncSession, video_id: uuid.UUID, fraction: float) -> bool:
    """Record how far the upload is; False when the video is no longer publishing (its
    owner cancelled it), which stops the upload at this chunk."""
    result = await session.execute(
        update(Video)
        .where(Video.id == video_id, Video.status == S.publishing)
        .values(stage_progress=round(max(0.0, min(1.0, fraction)), 4))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def past_topics(
    session: AsyncSession, channel_id: uuid.UUID, video_id: uuid.UUID
) -> list[str]:
    """Every topic the channel's other videos had (the topic step does not repeat one)."""
    rows = await session.scalars(
        select(Video.topic).where(
            Video.channel_id == channel_id,
            Video.id != video_id,
            Video.topic.is_not(None),
        )
    )
    return [t for t in rows if t]


async def past_scripts(
    session: AsyncSession, channel_id: uuid.UUID, video_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The scripts of the channel's finished videos, newest first (for the originality check)."""
    rows = await session.scalars(
        select(Video.script)
        .where(
            Video.channel_id == channel_id,
            Video.id != video_id,
            Video.status.in_(FINISHED),
            Video.script.is_not(None),
        )
        .order_by(Video.created_at.desc())
        .limit(PAST_SCRIPTS)
    )
    return [s for s in rows if s]


# --- the runner's fence (see backend/pipeline/lease.py) -------------------------------
def _attempt_is(video_id: uuid.UUID, stage: VideoStage, attempt: int) -> ColumnElement[bool]:
    return (
        (StageRun.video_id == video_id) & (StageRun.stage == stage) & (StageRun.attempts == attempt)
    )


async def claim_attempt(session: AsyncSession, run: StageRun, *, tries: int) -> int | None:
    """Take the stage's next attempt: ``attempts`` from the value read in ``run`` to one
    more, only if no one changed it since (compare-and-set), and mark the run started.
    Returns the attempt (the runner's fencing token); None when another runner took it."""
    seen = run.attempts
    result = await session.execute(
        update(StageRun)
        .where(_attempt_is(run.video_id, run.stage, seen))
        .values(
            attempts=seen + 1,
            tries=tries,
            status=StageStatus.running,
            started_at=utcnow(),
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await session.refresh(run)
    return seen + 1


async def fence(
    session: AsyncSession, video_id: uuid.UUID, stage: VideoStage, attempt: int, **values: Any
) -> bool:
    """Write ``values`` to the stage's run only while ``attempt`` is its current attempt
    (the attempt in the UPDATE's WHERE). False, with nothing written, once another runner
    has claimed the stage. The row stays locked to the end of the transaction."""
    result = await session.execute(
        update(StageRun)
        .where(_attempt_is(video_id, stage, attempt))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
