from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.models import Channel, User, Video, VideoStatus, YouTubeCredential


def alive() -> list[ColumnElement[bool]]:
    return [Channel.deleted_at.is_(None)]


async def lock_owner(session: AsyncSession, owner_id: uuid.UUID) -> None:
    """Serialise channel creation per owner.

    An UPDATE takes the owner's row lock on PostgreSQL and the database write lock on
    SQLite before anything is counted, so concurrent creates see each other's rows.
    """
    await session.execute(update(User).where(User.id == owner_id).values(updated_at=utcnow()))


async def count_alive(session: AsyncSession, owner_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Channel).where(Channel.owner_id == owner_id, *alive())
    return int(await session.scalar(query) or 0)


async def list_for_owner(session: AsyncSession, owner_id: uuid.UUID) -> list[Channel]:
    query = (
        select(Channel).where(Channel.owner_id == owner_id, *alive()).order_by(Channel.created_at)
    )
    return list(await session.scalars(query))


async def get_for_owner(
    session: AsyncSession, owner_id: uuid.UUID, channel_id: uuid.UUID
) -> Channel | None:
    query = select(Channel).where(Channel.id == channel_id, Channel.owner_id == owner_id, *alive())
    result = await session.scalar(query)
    return result


async def list_all(session: AsyncSession) -> list[Channel]:
    return list(await session.scalars(select(Channel).where(*alive()).order_by(Channel.created_at)))


async def video_counts(session: AsyncSession, channel_id: uuid.UUID) -> dict[VideoStatus, int]:
    """How many of the channel's videos are in each status."""
    query = (
        select(Video.status, func.count())
        .where(Video.channel_id == channel_id)
        .group_by(Video.status)
    )
    return {VideoStatus(status): int(count) for status, count in await session.execute(query)}


async def get_alive(session: AsyncSession, channel_id: uuid.UUID) -> Channel | None:
    result = await session.scalar(select(Channel).where(Channel.id == channel_id, *alive()))
    return result


async def cancel_videos(
    session: AsyncSession,
    channel_id: uuid.UUID,
    statuses: Sequence[VideoStatus],
    when: datetime,
) -> None:
    await session.execute(
        update(Video)
        .where(Video.channel_id == channel_id, Video.status.in_(statuses))
        .values(status=VideoStatus.cancelled, updated_at=when)
    )


async def youtube_connections(
    session: AsyncSession, channel_ids: list[uuid.UUID]
) -> dict[uuid.UUID, YouTubeCredential]:
    """The YouTube grant of each channel that has one (its tokens stay encrypted)."""
    if not channel_ids:
        return {}
    rows = await session.execute(
        select(YouTubeCredential).where(YouTubeCredential.channel_id.in_(channel_ids))
    )
    return {row.channel_id: row for row in rows.scalars()}
