"""Channels: create within the owner's limit, update, pause/resume, soft delete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import repository
from backend.channels.schemas import ChannelCreate, ChannelOut, ChannelUpdate
from backend.db.base import utcnow
from backend.errors import Conflict, NotFound
from backend.models import Channel, ChannelStatus, ConnectionStatus, User, VideoStatus

log = structlog.get_logger(__name__)

OPEN_VIDEO_STATUSES = (VideoStatus.queued, VideoStatus.running, VideoStatus.needs_review)


async def to_out(session: AsyncSession, channel: Channel) -> ChannelOut:
    return (await to_outs(session, [channel]))[0]


async def to_outs(session: AsyncSession, channels: list[Channel]) -> list[ChannelOut]:
    """The channels as the API shows them, each with its YouTube connection state."""
    grants = await repository.youtube_connections(session, [c.id for c in channels])
    outs = []
    for channel in channels:
        out = ChannelOut.model_validate(channel)
        grant = grants.get(channel.id)
        if grant is not None:
            out.youtube_connected = grant.status == ConnectionStatus.connected
            out.youtube_connection = grant.status.value
            out.youtube_channel_title = grant.youtube_channel_title
            out.youtube_connection_reason = grant.status_reason
        outs.append(out)
    return outs


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
            f"Channel limit reached: {used} of {owner.channel_limit} channels in use. "
            "Delete a channel to free a slot, or ask an administrator to raise your limit",
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


@dataclass(frozen=True)
class DeletePreview:
    """What deleting a channel does to its videos, said before the owner confirms."""

    total: int  # every video the channel has
    cancelled: int  # queued, running or in review: cancelled by the delete
    running: int  # of those, running now: the stage in flight finishes, nothing follows
    kept: int  # the rest (ready, published, failed, ...): rows and files stay as they are

    def sentences(self) -> list[str]:
        if self.total == 0:
            return ["The channel has no videos."]
        lines = [f"The channel has {_videos(self.total)}."]
        if self.cancelled:
            running = f" ({self.running} running now: its stage in flight finishes first)"
            lines.append(
                f"{_videos(self.cancelled)} not finished yet (queued, running or waiting "
                f"for review) will be cancelled{running if self.running else ''}."
            )
        if self.kept:
            lines.append(f"{_videos(self.kept)} already finished or stopped stay as they are.")
        lines.append(
            "Nothing is erased: rendered media stays on disk under the data folder, and the "
            "cost ledger and analytics keep the channel's history. Published YouTube videos "
            "are not touched."
        )
        return lines


def _videos(count: int) -> str:
    return f"{count} video" + ("" if count == 1 else "s")


async def delete_preview(session: AsyncSession, channel: Channel) -> DeletePreview:
    counts = await repository.video_counts(session, channel.id)
    cancelled = sum(counts.get(s, 0) for s in OPEN_VIDEO_STATUSES)
    total = sum(counts.values())
    return DeletePreview(
        total=total,
        cancelled=cancelled,
        running=counts.get(VideoStatus.running, 0),
        kept=total - cancelled,
    )


async def set_paused(session: AsyncSession, channel: Channel, paused: bool) -> Channel:
    status = ChannelStatus.paused if paused else ChannelStatus.active
    return await update_channel(session, channel, ChannelUpdate(status=status))


async def delete(session: AsyncSession, channel: Channel) -> None:
    """Soft delete: the cost ledger, analytics and media stay; open videos are cancelled.

    The channel stops counting against the owner's limit at once.
    """
    now = utcnow()
    channel.deleted_at = now
    channel.status = ChannelStatus.paused
    channel.pause_reason = "deleted"
    await repository.cancel_videos(session, channel.id, OPEN_VIDEO_STATUSES, now)
    await session.flush()
    log.info("channel.deleted", channel_id=str(channel.id))
