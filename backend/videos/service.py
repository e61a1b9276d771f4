"""The video queue: create, list, detail, retry and cancel, through the status machine."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import Conflict, NotFound
from backend.models import Channel, ChannelStatus, Video, VideoStatus
from backend.models.video import STAGE_ORDER
from backend.videos import repository, state
from backend.videos.schemas import (
    CostBreakdown,
    CostLine,
    StageRunOut,
    VideoCreate,
    VideoDetail,
)

log = structlog.get_logger(__name__)

# Called after a video becomes queued (created or retried); the production pipeline
# registers its dispatcher here so this module does not import it.
QueueHook = Callable[[AsyncSession, Video], Awaitable[None]]
_queue_hooks: list[QueueHook] = []


def on_queued(hook: QueueHook) -> QueueHook:
    if hook not in _queue_hooks:
        _queue_hooks.append(hook)
    return hook


async def _queued(session: AsyncSession, video: Video) -> None:
    for hook in _queue_hooks:
        await hook(session, video)


async def get_owned(session: AsyncSession, owner_id: uuid.UUID, video_id: uuid.UUID) -> Video:
    video = await repository.get_owned(session, owner_id, video_id)
    if video is None:
        raise NotFound("video", video_id)
    return video


async def create(session: AsyncSession, channel: Channel, data: VideoCreate) -> Video:
    if channel.status != ChannelStatus.active:
        raise Conflict(
            f"Channel is paused ({channel.pause_reason or 'by owner'}); resume it to queue videos",
            code="channel_paused",
            details={"reason": channel.pause_reason},
        )
    video = Video(
        id=uuid.uuid4(),
        channel_id=channel.id,
        topic=data.topic,
        status=VideoStatus.queued,
        tags=[],
        quality_reasons=[],
    )
    session.add(video)
    await session.flush()
    await _queued(session, video)
    log.info("video.queued", video_id=str(video.id), channel_id=str(channel.id))
    return video


async def retry(session: AsyncSession, video: Video) -> Video:
    """Queue a failed or held video again; the pipeline resumes at its first unfinished stage."""
    channel = await session.get(Channel, video.channel_id)
    if channel is not None and channel.status != ChannelStatus.active:
        raise Conflict(
            "Channel is paused; resume it before retrying",
            code="channel_paused",
            details={"reason": channel.pause_reason},
        )
    await state.transition(session, video, VideoStatus.queued, error=None)
    await _queued(session, video)
    return video


async def cancel(session: AsyncSession, video: Video) -> Video:
    """Cancel; a stage in flight finishes, and the pipeline stops at the next boundary."""
    await state.transition(session, video, VideoStatus.cancelled)
    return video


async def detail(session: AsyncSession, video: Video) -> VideoDetail:
    runs = await repository.stage_runs(session, video.id)
    runs.sort(key=lambda r: STAGE_ORDER.index(r.stage))
    by_stage = await repository.cost_lines(session, video.id, "stage")
    by_kind = await repository.cost_lines(session, video.id, "kind")
    out = VideoDetail.model_validate(video)
    out.stages = [StageRunOut.model_validate(r) for r in runs]
    out.cost = CostBreakdown(
        total_usd=round(sum(line[1] for line in by_kind), 6),
        device_seconds=round(sum(line[2] for line in by_kind), 3),
        by_stage=[_line(line) for line in by_stage],
        by_kind=[_line(line) for line in by_kind],
    )
    return out


def _line(line: tuple[str | None, float, float, int]) -> CostLine:
    key, amount, seconds, events = line
    return CostLine(
        key=key or "other",
        amount_usd=round(amount, 6),
        device_seconds=round(seconds, 3),
        events=events,
    )
