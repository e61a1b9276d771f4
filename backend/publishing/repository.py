"""Queries for the publishing tables (and nothing else)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.models import (
    Channel,
    ConnectionStatus,
    QuotaUsage,
    UploadSession,
    YouTubeAuthorization,
    YouTubeCredential,
    YouTubeOAuthClient,
)

DEFAULT_CLIENT = "default"


# -- OAuth client ----------------------------------------------------------------------------
async def get_client(session: AsyncSession) -> YouTubeOAuthClient | None:
    result = await session.execute(
        select(YouTubeOAuthClient).where(YouTubeOAuthClient.name == DEFAULT_CLIENT)
    )
    return result.scalar_one_or_none()


async def put_client(session: AsyncSession, **fields: Any) -> YouTubeOAuthClient:
    row = await get_client(session)
    if row is None:
        row = YouTubeOAuthClient(name=DEFAULT_CLIENT, **fields)
        session.add(row)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
    await session.flush()
    return row


# -- channel grants --------------------------------------------------------------------------
async def get_channel(session: AsyncSession, channel_id: uuid.UUID) -> Channel | None:
    return await session.get(Channel, channel_id)


async def get_credential(session: AsyncSession, channel_id: uuid.UUID) -> YouTubeCredential | None:
    result = await session.execute(
        select(YouTubeCredential).where(YouTubeCredential.channel_id == channel_id)
    )
    return result.scalar_one_or_none()


async def put_credential(
    session: AsyncSession, channel_id: uuid.UUID, **fields: Any
) -> YouTubeCredential:
    row = await get_credential(session, channel_id)
    if row is None:
        row = YouTubeCredential(channel_id=channel_id, **fields)
        session.add(row)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
    await session.flush()
    return row


async def set_channel_youtube_id(
    session: AsyncSession, channel_id: uuid.UUID, youtube_channel_id: str | None
) -> None:
    await session.execute(
        update(Channel)
        .where(Channel.id == channel_id)
        .values(youtube_channel_id=youtube_channel_id)
    )


async def delete_credential(session: AsyncSession, channel_id: uuid.UUID) -> None:
    await session.execute(
        delete(YouTubeCredential).where(YouTubeCredential.channel_id == channel_id)
    )


async def mark_needs_reconnect(session: AsyncSession, channel_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        update(YouTubeCredential)
        .where(YouTubeCredential.channel_id == channel_id)
        .values(status=ConnectionStatus.needs_reconnect, status_reason=reason[:300])
    )


async def save_tokens(
    session: AsyncSession, channel_id: uuid.UUID, tokens_encrypted: str, refreshed_at: datetime
) -> None:
    await session.execute(
        update(YouTubeCredential)
        .where(YouTubeCredential.channel_id == channel_id)
        .values(tokens_encrypted=tokens_encrypted, refreshed_at=refreshed_at)
    )


# -- consents in progress --------------------------------------------------------------------
async def add_authorization(session: AsyncSession, row: YouTubeAuthorization) -> None:
    session.add(row)
    await session.flush()


async def take_authorization(session: AsyncSession, state_hash: str) -> YouTubeAuthorization | None:
    """The pending consent for this state, removed so that it cannot be used twice."""
    result = await session.execute(
        select(YouTubeAuthorization).where(YouTubeAuthorization.state_hash == state_hash)
    )
    row = result.scalar_one_or_none()
    if row is not None:
        await session.execute(delete(YouTubeAuthorization).where(YouTubeAuthorization.id == row.id))
    return row


async def take_latest_authorization(
    session: AsyncSession, channel_id: uuid.UUID
) -> YouTubeAuthorization | None:
    """The channel's most recent pending consent (for a bare code pasted on the console)."""
    result = await session.execute(
        select(YouTubeAuthorization)
        .where(YouTubeAuthorization.channel_id == channel_id)
        .order_by(YouTubeAuthorization.created_at.desc())
        .limit(1)
    )
    row = result.scalar_one_or_none()
    if row is not None:
        await session.execute(delete(YouTubeAuthorization).where(YouTubeAuthorization.id == row.id))
    return row


async def purge_authorizations(session: AsyncSession, before: datetime) -> None:
    await session.execute(
        delete(YouTubeAuthorization).where(YouTubeAuthorization.expires_at < before)
    )


# -- upload sessions -------------------------------------------------------------------------
async def get_upload(session: AsyncSession, video_id: uuid.UUID) -> UploadSession | None:
    result = await session.execute(select(UploadSession).where(UploadSession.video_id == video_id))
    return result.scalar_one_or_none()


async def add_upload(session: AsyncSession, row: UploadSession) -> None:
    session.add(row)
    await session.flush()


async def update_upload(session: AsyncSession, video_id: uuid.UUID, **fields: Any) -> None:
    await session.execute(
        update(UploadSession)
        .where(UploadSession.video_id == video_id)
        .values(updated_at=utcnow(), **fields)
    )


# -- quota -----------------------------------------------------------------------------------
async def ensure_quota_day(
    session: AsyncSession, project_id: str, day: date, limit_units: int
) -> None:
    values = {
        "id": uuid.uuid4(),
        "project_id": project_id,
        "day": day,
        "units": 0,
        "limit_units": limit_units,
        "exhausted": False,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(QuotaUsage).values(**values)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["project_id", "day"]))


async def spend_quota(
    session: AsyncSession, project_id: str, day: date, units: int, limit_units: int
) -> bool:
    """Add ``units`` in one conditional UPDATE: true only if they fit under the limit."""
    result = await session.execute(
        update(QuotaUsage)
        .where(
            QuotaUsage.project_id == project_id,
            QuotaUsage.day == day,
            QuotaUsage.exhausted.is_(False),
            QuotaUsage.units + units <= limit_units,
        )
        .values(units=QuotaUsage.units + units, limit_units=limit_units, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_quota_exhausted(session: AsyncSession, project_id: str, day: date) -> None:
    await session.execute(
        update(QuotaUsage)
        .where(QuotaUsage.project_id == project_id, QuotaUsage.day == day)
        .values(exhausted=True, updated_at=utcnow())
    )


async def get_quota_day(session: AsyncSession, project_id: str, day: date) -> QuotaUsage | None:
    result = await session.execute(
        select(QuotaUsage).where(QuotaUsage.project_id == project_id, QuotaUsage.day == day)
    )
    return result.scalar_one_or_none()
