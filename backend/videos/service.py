"""The video queue: create, list, detail, and what the owner can do with a video.

Every status change goes through the status machine (``state.transition``):

- ``cancel``: work in flight (queued, running, needs_review) stops at the next boundary.
- ``discard``: a ready video is thrown away (its files stay until it is made again).
- ``retry``: a failed, cancelled or discarded video is queued again and resumes at its first
  unfinished stage, keeping finished artifacts. A discarded video has every production
  stage finished, so "make again" re-runs it from the script stage, keeping the topic: a
  new script, a new quality check, a new voice, images, render and thumbnail.
- ``approve`` / ``regenerate`` / ``update_script``: the ways out of ``needs_review``.
- ``publish``: a ready video goes to YouTube now or at a slot (``ready -> publishing``; the
  upload stage takes it to ``scheduled`` or ``published``). ``cancel`` on a publishing
  video stops its upload (back to ``ready``; the recorded upload session is kept, so a
  later publish resumes it). A video that failed at the upload stage is retried into
  ``publishing`` again. A scheduled or published video cannot be cancelled.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.script import Script
from backend.analytics import service as analytics_service
from backend.db.base import utcnow
from backend.errors import BadRequest, Conflict, NotFound
from backend.models import Channel, ChannelStatus, StageRun, StageStatus, Video, VideoStage
from backend.models import VideoStatus as S
from backend.models.video import PRODUCTION_STAGES, STAGE_ORDER
from backend.publishing.guardrails import holds
from backend.settings import get_settings
from backend.videos import repository, state
from backend.videos.schemas import (
    CostBreakdown,
    CostLine,
    ScriptEdit,
    ScriptOut,
    StageRunOut,
    UploadOut,
    VideoCreate,
    VideoDetail,
)

IN_FLIGHT = frozenset({S.queued, S.running, S.needs_review})
# YouTube takes a publishAt in the future; further than this is almost surely a typo.
MAX_SCHEDULE_AHEAD = timedelta(days=366)
MIN_SCHEDULE_AHEAD = timedelta(minutes=2)
REMAKEABLE = frozenset({S.failed, S.cancelled, S.discarded})
# What "make again" re-runs for a video whose production had finished: all but the topic.
REMAKE_STAGES = PRODUCTION_STAGES[PRODUCTION_STAGES.index(VideoStage.script) :]

log = structlog.get_logger(__name__)


class Dispatcher(Protocol):
    """Told when a video becomes queued (created, retried, approved, sent back); the
    production pipeline's ``PipelineDispatcher`` enqueues its next stage after commit.

    Every function here that queues a video takes one: the app passes its own
    (``app.state.dispatcher``), the CLI builds one, so a forgotten one is a type error.
    """

    async def video_queued(self, session: AsyncSession, video: Video) -> None: ...

    async def video_publishing(self, session: AsyncSession, video: Video) -> None:
        """Told when a video becomes ``publishing``: its upload stage is enqueued."""
        ...


async def get_owned(session: AsyncSession, owner_id: uuid.UUID, video_id: uuid.UUID) -> Video:
    video = await repository.get_owned(session, owner_id, video_id)
    if video is None:
        raise NotFound("video", video_id)
    return video


async def get_any(session: AsyncSession, video_id: uuid.UUID) -> Video:
    """Any owner's video (the admin CLI); the API and pages use :func:`get_owned`."""
    video = await repository.get(session, video_id)
    if video is None:
        raise NotFound("video", video_id)
    return video


def actions(video: Video, channel_active: bool = True, publishable: bool = False) -> list[str]:
    """What the owner can do now; each one is allowed by the status machine.

    ``publishable``: nothing holds the video back from YouTube (``publish_blockers`` says
    what does otherwise, so a page can show why there is no Publish button).
    """
    out: list[str] = []
    status = video.status
    if status == S.needs_review:
        out.append("edit_script")
        if channel_active:
            out += ["approve", "regenerate"]
    if status == S.ready and channel_active and publishable:
        out += ["publish", "schedule"]
    if status in REMAKEABLE and channel_active and (publishable or not failed_upload(video)):
        out.append("retry")
    if status in IN_FLIGHT or status == S.publishing or failed_upload(video):
        out.append("cancel")
    if S.discarded in state.TRANSITIONS[status]:
        out.append("discard")
    return out


def failed_upload(video: Video) -> bool:
    """Failed at the upload stage: production is done, only publishing went wrong."""
    return video.status == S.failed and video.stage == VideoStage.upload


async def channel_active(session: AsyncSession, video: Video) -> bool:
    channel = await session.get(Channel, video.channel_id)
    return channel is not None and channel.status == ChannelStatus.active


async def _require_active_channel(session: AsyncSession, video: Video, doing: str) -> None:
    channel = await session.get(Channel, video.channel_id)
    if channel is not None and channel.status != ChannelStatus.active:
        raise Conflict(
            f"Channel is paused; resume it before {doing}",
            code="channel_paused",
            details={"reason": channel.pause_reason},
        )


def _require_review(video: Video, doing: str) -> None:
    if video.status != S.needs_review:
        raise Conflict(
            f"Only a video waiting for review can be {doing}; this one is "
            f"{video.status.value.replace('_', ' ')}",
            code="invalid_transition",
            details={"from": video.status.value, "to": S.queued.value},
        )


async def create(
    session: AsyncSession, channel: Channel, data: VideoCreate, *, dispatcher: Dispatcher
) -> Video:
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
        status=S.queued,
        tags=[],
        quality_reasons=[],
    )
    session.add(video)
    await session.flush()
    await dispatcher.video_queued(session, video)
    log.info("video.queued", video_id=str(video.id), channel_id=str(channel.id))
    return video


async def retry(session: AsyncSession, video: Video, *, dispatcher: Dispatcher) -> Video:
    """Queue a failed, cancelled or discarded video again (a held one: regenerate).

    The pipeline resumes at the first unfinished stage, keeping finished artifacts. When
    nothing is unfinished, a discarded video is made again from the script stage (keeping
    the topic); a cancelled one re-runs its last stage so that the pipeline finishes it.
    """
    if video.status == S.needs_review:
        return await regenerate(session, video, dispatcher=dispatcher)
    await _require_active_channel(session, video, "retrying")
    if failed_upload(video):
        return await publish(session, video, at=video.publish_at, dispatcher=dispatcher)
    state.check(video.status, S.queued)
    if await repository.first_unfinished(session, video.id) is None:
        runs = await repository.stage_runs_by_stage(session, video.id)
        if video.status == S.discarded:
            _reset_for_remake(video, runs)
        else:
            runs[PRODUCTION_STAGES[-1]].status = StageStatus.pending
    await state.transition(session, video, S.queued, error=None)
    await dispatcher.video_queued(session, video)
    log.info("video.retried", video_id=str(video.id))
    return video


def _reset_for_remake(video: Video, runs: dict[VideoStage, StageRun]) -> None:
    for stage in REMAKE_STAGES:
        run = runs.get(stage)
        if run is None:
            continue
        run.status = StageStatus.pending
        run.attempts = 0
        run.output = {}
        run.artifacts = {}
        run.error = None
        run.started_at = run.finished_at = None
        run.duration_s = None
        run.device_seconds = 0.0
        run.cost_usd = Decimal("0")
    video.script = None
    video.title = None
    video.description = None
    video.tags = []
    video.quality_score = None
    video.quality_reasons = []
    video.approved_by = video.approved_at = video.approved_score = None
    video.stage = None
    video.stage_progress = 0.0
    video.completed_at = None


async def cancel(session: AsyncSession, video: Video) -> Video:
    """Cancel; a stage in flight finishes, and the pipeline stops at the next boundary.

    A publishing video (or one whose upload failed) goes back to ready: the upload stops at
    its next chunk, and its session is kept for a later publish.
    """
    if video.status == S.publishing or failed_upload(video):
        await state.transition(session, video, S.ready, sources=(S.publishing, S.failed))
        log.info("video.publish_cancelled", video_id=str(video.id))
        return video
    if video.status in (S.scheduled, S.published):
        raise Conflict(
            "This video is on YouTube already; change or delete it in YouTube Studio",
            code="already_published",
            details={"youtube_video_id": video.youtube_video_id},
        )
    await state.transition(session, video, S.cancelled)
    return video


async def publish(
    session: AsyncSession,
    video: Video,
    *,
    at: datetime | None = None,
    dispatcher: Dispatcher,
    now: datetime | None = None,
) -> Video:
    """Send a ready video to YouTube: now (``at`` None) or scheduled at ``at``.

    Refused at once with every reason it would be held (not connected, made-for-kids
    unset, paused, over budget, render or quality check): the owner hears them here, not
    later. The upload stage runs on the publishing queue after commit.
    """
    if video.status != S.ready and not failed_upload(video):
        raise Conflict(
            f"Only a ready video can be published; this one is {video.status.value}",
            code="invalid_transition",
            details={"from": video.status.value, "to": S.publishing.value},
        )
    now = now or utcnow()
    if at is not None:
        if at.tzinfo is None:
            raise BadRequest(
                "The publish time needs a time zone (e.g. 2026-12-24T18:00:00+01:00)",
                code="naive_publish_time",
            )
        if at < now + MIN_SCHEDULE_AHEAD or at > now + MAX_SCHEDULE_AHEAD:
            raise BadRequest(
                "The publish time must be between 2 minutes and a year from now",
                code="publish_time_out_of_range",
                details={"at": at.isoformat(), "now": now.isoformat()},
            )
    channel = await session.get(Channel, video.channel_id)
    assert channel is not None
    reasons = await holds(session, video, channel, media_dir=get_settings().media_dir)
    if reasons:
        raise Conflict(
            "This video cannot be published yet: " + "; ".join(reasons),
            code="publish_held",
            details={"reasons": reasons},
        )
    await state.transition(
        session,
        video,
        S.publishing,
        sources=(S.ready, S.failed),
        error=None,
        publish_at=at,
        publish_holds=[],
        publish_warning=None,
    )
    await dispatcher.video_publishing(session, video)
    log.info(
        "video.publish_requested",
        video_id=str(video.id),
        at=at.isoformat() if at else None,
    )
    return video


async def discard(session: AsyncSession, video: Video) -> Video:
    """Throw a ready video away; ``retry`` makes it again from the script stage."""
    await state.transition(session, video, S.discarded)
    log.info("video.discarded", video_id=str(video.id))
    return video


def render_qa_holds(video: Video) -> list[str]:
    """Why render QA holds the video (none: it passed, or was approved as rendered)."""
    from backend.render.qa import holds  # the renderer loads only where it is used

    return holds(video.render_qa)


async def _held_runs(session: AsyncSession, video: Video) -> tuple[StageRun, StageRun]:
    runs = await repository.stage_runs_by_stage(session, video.id)
    script_run = runs.get(VideoStage.script)
    if script_run is None or video.script is None:
        raise Conflict("This video has no script yet", code="no_script")
    quality_run = runs.get(VideoStage.quality)
    if quality_run is None:
        quality_run = StageRun(
            id=uuid.uuid4(), video_id=video.id, stage=VideoStage.quality, attempts=0, output={}
        )
        session.add(quality_run)
    return script_run, quality_run


async def approve(
    session: AsyncSession, video: Video, user_id: uuid.UUID, *, dispatcher: Dispatcher
) -> Video:
    """Accept a held script as it is now (edited or not): the quality stage is marked done,
    its output records the approval, and the pipeline continues at the voice."""
    _require_review(video, "approved")
    await _require_active_channel(session, video, "approving")
    script_run, quality_run = await _held_runs(session, video)
    now = utcnow()
    if render_qa_holds(video):  # held by render QA: the render is accepted as is
        video.render_qa = {
            **(video.render_qa or {}),
            "approved": {"by": str(user_id), "at": now.isoformat()},
        }
        # the last stage runs again, so the video becomes ready the pipeline's way
        runs = await repository.stage_runs_by_stage(session, video.id)
        runs[PRODUCTION_STAGES[-1]].status = StageStatus.pending
    score = video.quality_score
    approval: dict[str, Any] = {
        "by": str(user_id),
        "at": now.isoformat(),
        "score": score,
        "reasons": list(video.quality_reasons or []),
        "edited": bool((script_run.output or {}).get("edited")),
    }
    # The voice, images and thumbnail read the script stage's output: it must be this one.
    script_run.output = {**(script_run.output or {}), "script": video.script}
    script_run.status = StageStatus.succeeded
    quality_run.output = {**(quality_run.output or {}), "score": score, "approved": approval}
    quality_run.status = StageStatus.succeeded
    script_run.tries = quality_run.tries = 0  # done: a later round starts afresh
    quality_run.error = None
    quality_run.finished_at = now
    await state.transition(
        session,
        video,
        S.queued,
        sources=(S.needs_review,),
        error=None,
        approved_by=user_id,
        approved_at=now,
        approved_score=score,
    )
    await dispatcher.video_queued(session, video)
    log.info("video.approved", video_id=str(video.id), score=score, by=str(user_id))
    return video


async def regenerate(session: AsyncSession, video: Video, *, dispatcher: Dispatcher) -> Video:
    """Write a new script for a held video; the quality gate runs again on it."""
    _require_review(video, "regenerated")
    await _require_active_channel(session, video, "regenerating")
    script_run, quality_run = await _held_runs(session, video)
    if render_qa_holds(video):  # held by render QA: render it again
        runs = await repository.stage_runs_by_stage(session, video.id)
        for stage in PRODUCTION_STAGES[PRODUCTION_STAGES.index(VideoStage.render) :]:
            if stage in runs:
                runs[stage].status = StageStatus.pending
        video.render_qa = None
    else:
        script_run.status = StageStatus.pending
        quality_run.status = StageStatus.pending
    await state.transition(session, video, S.queued, sources=(S.needs_review,), error=None)
    await dispatcher.video_queued(session, video)
    log.info("video.regenerating", video_id=str(video.id))
    return video


def script_out(video: Video) -> ScriptOut:
    if not video.script:
        raise NotFound("script", video.id)
    return ScriptOut.of(
        video.id,
        video.status,
        Script.model_validate(video.script),
        editable=video.status == S.needs_review,
        quality_score=video.quality_score,
        quality_reasons=list(video.quality_reasons or []),
    )


async def update_script(
    session: AsyncSession, video: Video, data: ScriptEdit, user_id: uuid.UUID
) -> Video:
    """Edit a held script (title, hook, each scene's narration and image prompt).

    The same number of scenes: each scene is one voice clip and one image. The edited
    script becomes the one the voice and images stages read once the video is approved.
    """
    if video.status != S.needs_review:
        raise Conflict(
            "The script can be edited only while the video waits for review; this one is "
            f"{video.status.value.replace('_', ' ')}",
            code="script_locked",
            details={"status": video.status.value},
        )
    script_run, _ = await _held_runs(session, video)
    current = Script.model_validate(video.script)
    if len(data.scenes) != len(current.scenes):
        raise BadRequest(
            f"The script has {len(current.scenes)} scenes; send exactly that many "
            "(regenerate for a different structure)",
            code="scene_count_mismatch",
            details={"expected": len(current.scenes), "got": len(data.scenes)},
        )
    try:
        edited = Script.model_validate(
            {**current.model_dump(), **data.model_dump(include={"title", "hook", "scenes"})}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadRequest(
            f"The script is not valid: {first.get('msg', 'invalid')}", code="invalid_script"
        ) from exc
    dump = edited.model_dump()
    video.script = dump
    video.title = edited.title
    script_run.output = {
        **(script_run.output or {}),
        "script": dump,
        "words": edited.word_count(),
        "edited": {"by": str(user_id), "at": utcnow().isoformat()},
    }
    await session.flush()
    log.info("video.script_edited", video_id=str(video.id), by=str(user_id))
    return video


async def detail(session: AsyncSession, video: Video) -> VideoDetail:
    runs = await repository.stage_runs(session, video.id)
    runs.sort(key=lambda r: STAGE_ORDER.index(r.stage))
    by_stage = await repository.cost_lines(session, video.id, "stage")
    by_kind = await repository.cost_lines(session, video.id, "kind")
    out = VideoDetail.model_validate(video)
    if video.status == S.ready or failed_upload(video):
        channel = await session.get(Channel, video.channel_id)
        assert channel is not None
        out.publish_blockers = await holds(
            session, video, channel, media_dir=get_settings().media_dir
        )
    out.actions = actions(
        video, await channel_active(session, video), publishable=not out.publish_blockers
    )
    out.stages = [StageRunOut.model_validate(r) for r in runs]
    out.cost = CostBreakdown(
        total_usd=round(sum(line[1] for line in by_kind), 6),
        device_seconds=round(sum(line[2] for line in by_kind), 3),
        by_stage=[_line(line) for line in by_stage],
        by_kind=[_line(line) for line in by_kind],
    )
    upload = await repository.upload_session(session, video.id)
    out.upload = UploadOut.model_validate(upload) if upload is not None else None
    money = (await analytics_service.video_profits(session, [video.id]))[video.id]
    out.revenue_usd, out.profit_usd = money.revenue_usd, money.profit_usd
    return out


def _line(line: tuple[str | None, float, float, int]) -> CostLine:
    key, amount, seconds, events = line
    return CostLine(
        key=key or "other",
        amount_usd=round(amount, 6),
        device_seconds=round(seconds, 3),
        events=events,
    )
