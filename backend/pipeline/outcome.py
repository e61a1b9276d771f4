"""How a video's production ends badly: failed with its reason, an event, the crisis count.

Shared by the runner (a stage gave up) and the reconciler (a stage ran out of tries
in workers that died), so both say the same thing the same way.
"""

from __future__ import annotations

from typing import Any

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.crisis_manager import CrisisManager
from backend.events.bus import record_event
from backend.models import Channel, Video, VideoStage, VideoStatus
from backend.videos import state

log = structlog.get_logger(__name__)
crisis = CrisisManager()


async def video_event(
    session: AsyncSession,
    connection: redis.Redis | None,
    video: Video,
    channel: Channel,
    type: str,
    message: str,
    data: dict[str, Any],
    severity: str = "info",
) -> None:
    await record_event(
        session,
        connection,
        user_id=channel.owner_id,
        channel_id=channel.id,
        video_id=video.id,
        type=type,
        severity=severity,
        message=message,
        data={"video_id": str(video.id), **data},
    )


async def fail_video(
    session: AsyncSession,
    connection: redis.Redis | None,
    video: Video,
    channel: Channel,
    stage: VideoStage,
    reason: str,
) -> bool:
    """Mark a running (or queued) video failed at ``stage``; False when it is no longer open."""
    if video.status not in (VideoStatus.running, VideoStatus.queued):
        return False
    error = f"{stage.value} {reason}"[:2000]
    if video.status == VideoStatus.queued:  # a queued video fails by way of running
        await state.transition(session, video, VideoStatus.running)
    await state.transition(session, video, VideoStatus.failed, error=error)
    await video_event(
        session,
        connection,
        video,
        channel,
        "video.failed",
        f"{video.title or video.topic or 'video'} failed at {stage.value}: {reason}"[:500],
        {"stage": stage.value, "error": error, "title": video.title},
        severity="error",
    )
    await crisis.on_failure(session, connection, channel, error)
    log.error("video.failed", video_id=str(video.id), stage=stage.value, error=error)
    return True
