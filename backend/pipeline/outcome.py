"""How a video's production ends badly: failed with its reason, an event, the crisis count.

Shared by the runner (a stage gave up) and the reconciler (a stage ran out of tries
in workers that died), so both say the same thing the same way; and the same for the
upload stage: held back to ``ready`` with its reasons, or failed at ``upload``.
"""

from __future__ import annotations

from typing import Any

import redis
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.crisis_manager import CrisisManager
from backend.db.session import after_commit
from backend.events.bus import record_event
from backend.models import Channel, Video, VideoStage, VideoStatus
from backend.models.video import PRODUCTION_STAGES
from backend.observability.metrics import VIDEOS
from backend.render.qa import holds as render_qa_holds
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
    after_commit(session, VIDEOS.labels(outcome="failed").inc)
    log.error("video.failed", video_id=str(video.id), stage=stage.value, error=error)
    return True


def _name(video: Video) -> str:
    return video.title or video.topic or "video"


async def hold_upload(
    session: AsyncSession,
    connection: redis.Redis | None,
    video: Video,
    channel: Channel,
    reasons: list[str],
    *,
    severity: str = "warning",
) -> bool:
    """A publishing video goes back to ``ready`` with the reasons it may not be uploaded;
    False when it is no longer publishing. Not a failure: the owner fixes what is named and
    publishes again (the recorded upload session, if any, is resumed then)."""
    if video.status != VideoStatus.publishing:
        return False
    completed_at = video.completed_at  # production finished then, not now
    await state.transition(
        session,
        video,
        VideoStatus.ready,
        sources=(VideoStatus.publishing,),
        publish_holds=list(reasons),
        stage=PRODUCTION_STAGES[-1],
        stage_progress=1.0,
    )
    video.completed_at = completed_at
    await session.flush()
    await video_event(
        session,
        connection,
        video,
        channel,
        "video.publish_held",
        f"{_name(video)} was not uploaded: {'; '.join(reasons)}"[:500],
        {"title": video.title, "reasons": list(reasons)},
        severity=severity,
    )
    log.warning("video.publish_held", video_id=str(video.id), reasons=reasons)
    return True


async def fail_upload(
    session: AsyncSession,
    connection: redis.Redis | None,
    video: Video,
    channel: Channel,
    reason: str,
) -> bool:
    """A publishing video fails at the upload stage with ``reason`` (YouTube's, when it
    refused); False when it is no longer publishing. Retry publishes it again."""
    if video.status != VideoStatus.publishing:
        return False
    error = f"{VideoStage.upload.value} {reason}"[:2000]
    await state.transition(
        session,
        video,
        VideoStatus.failed,
        sources=(VideoStatus.publishing,),
        error=error,
        stage=VideoStage.upload,
        stage_progress=1.0,
    )
    await video_event(
        session,
        connection,
        video,
        channel,
        "video.publish_failed",
        f"{_name(video)} could not be uploaded to YouTube: {reason}"[:500],
        {"stage": VideoStage.upload.value, "error": error, "title": video.title},
        severity="error",
    )
    log.error("video.publish_failed", video_id=str(video.id), error=error)
    return True


async def hold_for_render_qa(
    session: AsyncSession, connection: redis.Redis | None, video: Video, channel: Channel
) -> bool:
    """A render that failed its QA (``video.render_qa``) waits for its owner in review,
    with the failed checks as its reasons; True when it was held."""
    reasons = render_qa_holds(video.render_qa)
    if not reasons:
        return False
    await state.transition(session, video, VideoStatus.needs_review, quality_reasons=reasons)
    await video_event(
        session,
        connection,
        video,
        channel,
        "video.needs_review",
        f"{video.title or video.topic or 'video'} needs review: render QA failed",
        {"title": video.title, "reasons": reasons, "render_qa": True},
        severity="warning",
    )
    return True
