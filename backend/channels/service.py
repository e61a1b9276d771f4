"""Channels: create within the owner's limit, update, pause/resume, soft delete."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import repository
from backend.channels.schemas import ChannelCreate, ChannelOut, ChannelUpdate
from backend.db.base import utcnow
from backend.errors import Conflict, NotFound
from backend.models import Channel, ChannelStatus, User, Video, VideoStatus

log = structlog.get_logger(__name__)

OPEN_VIDEO_STATUSES = (VideoStatus.queued, VideoStatus.running, VideoStatus.needs_review)


def to_out(channel: Channel) -> ChannelOut:
    out = ChannelOut.model_validate(channel)
    out.youtube_connected = channel.youtube_credentials_encrypted is not None
    return out


async def get_owned(session: AsyncSession, owner: User, channel_id: uuid.UUID) -> Channel:
    """The owner's channel; anyone else's answers 404, exactly as a missing one does."""
    channel = await repository.get_for_owner(session, owner.id, channel_id)
    if channel is None:
        raise NotFound("channel", channel_id)
    return channel


async def create(session: AsyncSession, owner: User, data: ChannelCreate) -> Channel:
    await repository.lock_owner(session, owner.id)
    used = await repository.count_alive(session, owner.id)
    if used >= owner.channel_limit:
        raise Conflict(
            f"Channel limit reached: {used} of {owner.channel_limit} channels in use",
            code="channel_limit_reached",
            details={"limit": owner.channel_limit, "used": used},
        )
    values = data.model_dump()
    channel = Channel(id=uuid.uuid4(), owner_id=owner.id, status=ChannelStatus.active, **values)
    session.add(channel)
    await session.flush()
    log.info("channel.created", channel_id=str(channel.id), owner_id=str(owner.id))
    return channel


async def update_channel(session: AsyncSession, channel: Channel, data: ChannelUpdate) -> Channel:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    for key in ("name", "niche", "language", "format", "cadence_per_day", "quality_threshold"):
        if key in changes and changes[key] is None:
            raise_blank(key)
    daily = changes.get("daily_budget_usd", channel.daily_budget_usd)
    monthly = changes.get("monthly_budget_usd", channel.monthly_budget_usd)
    if daily is not None and monthly is not None and daily > monthly:
        raise Conflict(
            "daily_budget_usd cannot exceed monthly_budget_usd", code="budget_inconsistent"
        )
    status = changes.pop("status", None)
    for key, value in changes.items():
        setattr(channel, key, value)
    if status is not None and status != channel.status:
        set_status(channel, status, reason="owner" if status == ChannelStatus.paused else None)
    await session.flush()
    return channel


def raise_blank(field: str) -> None:
    from backend.errors import BadRequest

    raise BadRequest(f"{field} cannot be null", code="invalid_field", details={"field": field})


def set_status(channel: Channel, status: ChannelStatus, reason: str | None) -> None:
    channel.status = status
    channel.pause_reason = reason if status == ChannelStatus.paused else None
    if status == ChannelStatus.active:
        channel.consecutive_failures = 0
    log.info("channel.status", channel_id=str(channel.id), status=status.value, reason=reason)


async def delete(session: AsyncSession, channel: Channel) -> None:
    """Soft delete: the cost ledger and analytics stay; open videos are cancelled."""
    now = utcnow()
    channel.deleted_at = now
    channel.status = ChannelStatus.paused
    channel.pause_reason = "deleted"
    await session.execute(
        update(Video)
        .where(Video.channel_id == channel.id, Video.status.in_(OPEN_VIDEO_STATUSES))
        .values(status=VideoStatus.cancelled, updated_at=now)
    )
    await session.flush()
