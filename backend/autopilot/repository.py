"""The autopilot's queries: its channels, their slots, ledger totals, videos in flight."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import AutopilotSlot, AutopilotTick, Channel, CostEvent, Video, VideoStatus

IN_FLIGHT = (VideoStatus.queued, VideoStatus.running, VideoStatus.needs_review)
# Made (or being made) and not on YouTube yet: each of these will need an upload.
AWAITING_UPLOAD = (*IN_FLIGHT, VideoStatus.ready, VideoStatus.publishing)
# A namespace for the autopilot's advisory locks (xor-ed with the channel's id).
LOCK_NAMESPACE = 0x59544150  # "YTAP"


async def autopilot_channels(session: AsyncSession) -> list[uuid.UUID]:
    """Channels with autopilot on that are not deleted (paused ones too: their tick says so)."""
    query = (
        select(Channel.id)
        .where(Channel.autopilot.is_(True), Channel.deleted_at.is_(None))
        .order_by(Channel.created_at, Channel.id)
    )
    return list(await session.scalars(query))


async def try_channel_lock(session: AsyncSession, channel_id: uuid.UUID) -> bool:
    """PostgreSQL: a transaction-scoped advisory lock on the channel (False: another tick
    holds it). SQLite has none; there the tick's Redis lock and the unique slots serve."""
    if (await session.connection()).dialect.name != "postgresql":
        return True
    key = int.from_bytes(channel_id.bytes[:8], "big", signed=True) ^ LOCK_NAMESPACE
    held = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
    return bool(held)


async def slots_between(
    session: AsyncSession, channel_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[AutopilotSlot, Video | None]]:
    """The channel's slot rows in ``(start, end]`` with their current video."""
    query = (
        select(AutopilotSlot, Video)
        .outerjoin(Video, Video.id == AutopilotSlot.video_id)
        .where(
            AutopilotSlot.channel_id == channel_id,
            AutopilotSlot.slot_at > start,
            AutopilotSlot.slot_at <= end,
        )
        .order_by(AutopilotSlot.slot_at)
    )
    return [(slot, video) for slot, video in (await session.execute(query)).tuples()]


async def claim_slot(session: AsyncSession, slot: AutopilotSlot, video_id: uuid.UUID) -> bool:
    """Give an existing slot a new video, unless another tick did first (compare-and-set on
    ``videos_made``); the row in the session is refreshed either way."""
    result = await session.execute(
        update(AutopilotSlot)
        .where(AutopilotSlot.id == slot.id, AutopilotSlot.videos_made == slot.videos_made)
        .values(video_id=video_id, videos_made=slot.videos_made + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(slot)
    return bool(getattr(result, "rowcount", 0))


async def finished_video_costs(
    session: AsyncSession, channel_id: uuid.UUID | None, limit: int
) -> list[Decimal]:
    """Ledger totals of the last ``limit`` videos that finished production (of one channel,
    or of every channel with None)."""
    recent = select(Video.id).where(Video.completed_at.is_not(None))
    if channel_id is not None:
        recent = recent.where(Video.channel_id == channel_id)
    latest = recent.order_by(Video.completed_at.desc()).limit(limit).subquery()
    query = (
        select(latest.c.id, func.coalesce(func.sum(CostEvent.amount_usd), 0))
        .select_from(latest)
        .outerjoin(CostEvent, CostEvent.video_id == latest.c.id)
        .group_by(latest.c.id)
    )
    return [Decimal(str(total)) for _id, total in await session.execute(query)]


async def in_flight_spend(
    session: AsyncSession, channel_id: uuid.UUID | None = None
) -> list[tuple[uuid.UUID, uuid.UUID, Decimal]]:
    """(channel, video, spent so far) for every video in production (of one channel or all)."""
    query = (
        select(Video.channel_id, Video.id, func.coalesce(func.sum(CostEvent.amount_usd), 0))
        .outerjoin(CostEvent, CostEvent.video_id == Video.id)
        .where(Video.status.in_(IN_FLIGHT))
        .group_by(Video.channel_id, Video.id)
    )
    if channel_id is not None:
        query = query.where(Video.channel_id == channel_id)
    return [(c, v, Decimal(str(s))) for c, v, s in await session.execute(query)]


async def spend_since(session: AsyncSession, since: datetime) -> Decimal:
    """Every channel's ledger since ``since`` (the appliance-wide spend)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(CostEvent.amount_usd), 0)).where(
            CostEvent.occurred_at >= since
        )
    )
    return Decimal(str(total or 0))


async def awaiting_upload(session: AsyncSession) -> int:
    """Videos that will need an upload: in production or made with a publish slot, or
    uploading now, and not on YouTube yet."""
    query = select(func.count(Video.id)).where(
        Video.status.in_(AWAITING_UPLOAD),
        Video.youtube_video_id.is_(None),
        (Video.publish_at.is_not(None)) | (Video.status == VideoStatus.publishing),
    )
    return int(await session.scalar(query) or 0)


async def last_ticks(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AutopilotTick]:
    if not channel_ids:
        return {}
    rows = await session.scalars(
        select(AutopilotTick).where(AutopilotTick.channel_id.in_(channel_ids))
    )
    return {row.channel_id: row for row in rows}


async def save_tick(session: AsyncSession, tick: AutopilotTick) -> None:
    """Replace the channel's last tick record (one row per channel)."""
    existing = await session.get(AutopilotTick, tick.channel_id)
    if existing is None:
        session.add(tick)
    else:
        for field in ("ticked_at", "wanted", "buffered", "made", "skip_code", "skip_reason"):
            setattr(existing, field, getattr(tick, field))
        existing.details = dict(tick.details)
    await session.flush()
