from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.errors import BadRequest
from backend.models import (
    Channel,
    CostEvent,
    StageRun,
    StageStatus,
    UploadSession,
    Video,
    VideoStage,
    VideoStatus,
)
from backend.models.video import PRODUCTION_STAGES


def encode_cursor(video: Video) -> str:
    raw = f"{video.created_at.isoformat()}|{video.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, ident = raw.split("|", 1)
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("cursor is malformed", code="invalid_cursor") from exc


def owned_videos(owner_id: uuid.UUID) -> Select[Video]:
    return (
        select(Video)
        .join(Channel, Channel.id == Video.channel_id)
        .where(Channel.owner_id == owner_id, Channel.deleted_at.is_(None))
    )


async def get_owned(
    session: AsyncSession, owner_id: uuid.UUID, video_id: uuid.UUID
) -> Video | None:
    result = await session.scalar(owned_videos(owner_id).where(Video.id == video_id))
    return result


async def get(session: AsyncSession, video_id: uuid.UUID) -> Video | None:
    return await session.get(Video, video_id)


async def with_id_prefix(session: AsyncSession, prefix: str, limit: int = 5) -> list[Video]:
    """Videos whose id (as 32 hex digits) starts with ``prefix`` (the CLI's short ids)."""
    hex_id = func.replace(func.lower(cast(Video.id, String)), "-", "")
    query = select(Video).where(hex_id.like(f"{prefix}%")).limit(limit)
    return list(await session.scalars(query))


async def recent(
    session: AsyncSession,
    *,
    channel_id: uuid.UUID | None = None,
    status: VideoStatus | None = None,
    limit: int = 50,
) -> list[tuple[Video, Channel]]:
    """Newest videos of every owner with their channel (the admin CLI)."""
    query = select(Video, Channel).join(Channel, Channel.id == Video.channel_id)
    if channel_id is not None:
        query = query.where(Video.channel_id == channel_id)
    if status is not None:
        query = query.where(Video.status == status)
    query = query.order_by(Video.created_at.desc(), Video.id.desc()).limit(limit)
    return [(video, channel) for video, channel in await session.execute(query)]


async def page(
    session: AsyncSession,
    owner_id: uuid.UUID,
    *,
    channel_id: uuid.UUID | None,
    status: VideoStatus | None,
    stage: VideoStage | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Video], str | None]:
    filters = []
    if status is not None:
        filters.append(Video.status == status)
    if stage is not None:
        filters.append(Video.stage == stage)
    if cursor:
        created, ident = decode_cursor(cursor)
        filters.append(tuple_(Video.created_at, Video.id) < tuple_(created, ident))
    if session.get_bind().dialect.name == "postgresql":
        query = _lateral_page(owner_id, channel_id, filters, limit + 1)
    else:
        query = owned_videos(owner_id).where(*filters)
        if channel_id is not None:
            query = query.where(Video.channel_id == channel_id)
        query = query.order_by(Video.created_at.desc(), Video.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _lateral_page(
    owner_id: uuid.UUID, channel_id: uuid.UUID | None, filters: list[Any], n: int
) -> Select[Video]:
    """Newest n of each owned channel via its (channel_id, created_at, id) index, merged.

    ORDER BY created_at over a join cannot use the per-channel index, so PostgreSQL would
    sort every video of the owner for each page; this reads at most n rows per channel.
    """
    channels = select(Channel.id).where(Channel.owner_id == owner_id, Channel.deleted_at.is_(None))
    if channel_id is not None:
        channels = channels.where(Channel.id == channel_id)
    owned = channels.subquery("owned")
    newest = (
        select(Video)
        .where(Video.channel_id == owned.c.id, *filters)
        .order_by(Video.created_at.desc(), Video.id.desc())
        .limit(n)
        .lateral("newest")
    )
    video = aliased(Video, newest)
    return (
        select(video)
        .select_from(owned)
        .join(newest, true())
        .order_by(video.created_at.desc(), video.id.desc())
        .limit(n)
    )


async def stage_runs(session: AsyncSession, video_id: uuid.UUID) -> list[StageRun]:
    return list(await session.scalars(select(StageRun).where(StageRun.video_id == video_id)))


async def stage_runs_by_stage(
    session: AsyncSession, video_id: uuid.UUID
) -> dict[VideoStage, StageRun]:
    return {run.stage: run for run in await stage_runs(session, video_id)}


async def first_unfinished(
    session: AsyncSession, video_id: uuid.UUID
) -> tuple[VideoStage, int] | None:
    """The first production stage not yet done, and the attempts it has used."""
    runs = await stage_runs_by_stage(session, video_id)
    for stage in PRODUCTION_STAGES:
        run = runs.get(stage)
        if run is None or run.status not in (StageStatus.succeeded, StageStatus.skipped):
            return stage, run.attempts if run else 0
    return None


async def cost_lines(
    session: AsyncSession, video_id: uuid.UUID, column: str
) -> list[tuple[str | None, float, float, int]]:
    key = getattr(CostEvent, column)
    query = (
        select(
            key,
            func.coalesce(func.sum(CostEvent.amount_usd), 0),
            func.coalesce(func.sum(CostEvent.device_seconds), 0),
            func.count(),
        )
        .where(CostEvent.video_id == video_id)
        .group_by(key)
        .order_by(key)
    )
    return [(k, float(a), float(d), int(n)) for k, a, d, n in await session.execute(query)]


async def upload_session(session: AsyncSession, video_id: uuid.UUID) -> UploadSession | None:
    return (
        await session.execute(select(UploadSession).where(UploadSession.video_id == video_id))
    ).scalar_one_or_none()
