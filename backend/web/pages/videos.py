"""The video queue (live stage progress over the WebSocket), video detail, and the owner's
actions on a video: retry / make again, cancel, discard (confirmed on its own page), and
the review of a held script (edit, approve, regenerate)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Form, Query, Request, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from backend.channels import repository as channel_repository
from backend.channels import service as channel_service
from backend.deps import SessionDep, parse_uuid
from backend.errors import AppError, BadRequest, Conflict
from backend.media import service as media_service
from backend.models import ChannelStatus, User, Video, VideoStatus
from backend.models.video import STAGE_ORDER
from backend.pipeline.stages import PRODUCTION_STAGES
from backend.publishing.guardrails import MADE_FOR_KIDS_UNSET, NOT_CONNECTED
from backend.videos import repository, service, thumbnails
from backend.videos.dependencies import DispatcherDep
from backend.videos.schemas import ScriptEdit, VideoDetail
from backend.web.charts import bar_list, fmt_money
from backend.web.deps import Csrf, PageUser, safe_next
from backend.web.pages.analytics import video_analytics_context
from backend.web.pages.common import notice_for
from backend.web.routing import page_router, redirect
from backend.web.templating import render

router = page_router()

FILTERS = (
    ("", "All"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("needs_review", "Needs review"),
    ("failed", "Failed"),
    ("ready", "Ready"),
    ("publishing", "Publishing"),
    ("scheduled", "Scheduled"),
    ("published", "Published"),
    ("cancelled", "Cancelled"),
    ("discarded", "Discarded"),
)
VIDEO_NOTICES = {
    "video_discarded": "Video discarded. Make it again at any time: a new script, same topic.",
    "video_remade": "Video queued again: a new script, voice, images and render on the same topic.",
    "video_approved": "Script approved: production continues with the voice.",
    "video_regenerating": "A new script is being written; the quality check runs again on it.",
    "script_saved": "Script saved. Approve it to produce the video from it.",
    "video_publishing": "Publishing: the upload to YouTube has started. Its progress shows here.",
    "video_scheduled": "Scheduled: the video is uploaded now, private, and YouTube makes it "
    "public at the time you chose.",
    "upload_cancelled": "Upload stopped; the video is ready again. Publishing it later resumes "
    "the upload where it stopped.",
    "thumbnail_picked": "Thumbnail picked: the upload sends this one.",
}
LABELS = {
    "title": "Title",
    "hook": "Hook",
    "narration": "Narration",
    "image_prompt": "Image prompt",
}


# A notice about publishing is shown only while it is still true (the page is reloaded
# after the upload ended: "has started" would be stale then).
NOTICE_WHILE = {
    "video_publishing": {VideoStatus.publishing},
    "video_scheduled": {VideoStatus.publishing, VideoStatus.scheduled},
}


def _notice(request: Request, status: VideoStatus | None = None) -> str | None:
    key = request.query_params.get("notice", "")
    if status is not None and key in NOTICE_WHILE and status not in NOTICE_WHILE[key]:
        return None
    return notice_for(request) or VIDEO_NOTICES.get(key)


@router.get("/queue")
async def queue_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    status: Annotated[VideoStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    videos, next_cursor = await repository.page(
        session, user.id, channel_id=None, status=status, stage=None, cursor=cursor, limit=50
    )
    channels = {c.id: c for c in await channel_repository.list_for_owner(session, user.id)}

    def actions_of(video: Video) -> list[str]:
        channel = channels.get(video.channel_id)
        return service.actions(
            video, channel is not None and channel.status == ChannelStatus.active
        )

    return render(
        request,
        "queue.html",
        {
            "videos": videos,
            "channels": channels,
            "status": status.value if status else "",
            "filters": FILTERS,
            "next_cursor": next_cursor,
            "stages": PRODUCTION_STAGES,
            "actions_of": actions_of,
            "notice": _notice(request),
        },
        user=user,
        section="queue",
    )


@dataclass
class ScriptForm:
    """The review form: title, hook, and each scene's narration and image prompt."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def of(cls, script: dict[str, Any] | None) -> ScriptForm:
        script = script or {}
        scenes = [
            {"narration": s.get("narration", ""), "image_prompt": s.get("image_prompt", "")}
            for s in script.get("scenes", [])
        ]
        return cls(
            values={
                "title": script.get("title", ""),
                "hook": script.get("hook", ""),
                "scenes": scenes,
            }
        )

    @classmethod
    def read(cls, form: FormData, scenes: int) -> ScriptForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            values={
                "title": text("title"),
                "hook": text("hook"),
                "scenes": [
                    {"narration": text(f"narration_{i}"), "image_prompt": text(f"image_prompt_{i}")}
                    for i in range(1, scenes + 1)
                ],
            }
        )

    def validate(self) -> ScriptEdit | None:
        try:
            return ScriptEdit.model_validate(self.values)
        except ValidationError as exc:
            for error in exc.errors():
                self._collect(error)
            return None

    def _collect(self, error: Any) -> None:
        loc = [str(p) for p in error.get("loc", ())]
        ctx = error.get("ctx") or {}
        kind = error.get("type", "")
        if loc[:1] == ["scenes"] and len(loc) == 3:
            name, label = (
                f"{loc[2]}_{int(loc[1]) + 1}",
                f"{LABELS[loc[2]]} of scene {int(loc[1]) + 1}",
            )
        elif loc and loc[0] in LABELS:
            name, label = loc[0], LABELS[loc[0]]
        else:
            self.error = _sentence(str(error.get("msg", "")).removeprefix("Value error, "))
            return
        if kind == "string_too_short":
            message = f"{label} needs at least {ctx.get('min_length')} characters"
        elif kind == "string_too_long":
            message = f"{label} can have at most {ctx.get('max_length')} characters"
        else:
            message = (
                f"{label} {str(error.get('msg', 'is not valid')).removeprefix('Value error, ')}"
            )
        self.errors.setdefault(name, _sentence(message))


def _sentence(message: str) -> str:
    message = message.strip().rstrip(".")
    return (message[:1].upper() + message[1:]) if message else "Not valid"


async def _video_page(
    request: Request,
    user: User,
    session: SessionDep,
    video: Video,
    form: ScriptForm | None = None,
    status_code: int = 200,
    *,
    publish_error: str | None = None,
    publish_reasons: list[str] | None = None,
    slot: dict[str, str] | None = None,
) -> Response:
    detail = await service.detail(session, video)
    channel = await channel_repository.get_for_owner(session, user.id, video.channel_id)
    artifacts = await media_service.artifacts(session, video.id)
    cost_chart = None
    if detail.cost and detail.cost.by_stage:
        order = {s.value: i for i, s in enumerate(STAGE_ORDER)}
        lines = sorted(detail.cost.by_stage, key=lambda line: order.get(line.key, 99))
        cost_chart = bar_list(
            "Cost by stage", [(line.key, line.amount_usd) for line in lines], fmt=fmt_money
        )
    runs = {run.stage: run for run in detail.stages}
    return render(
        request,
        "video.html",
        {
            "video": detail,
            "channel": channel,
            "artifacts": sorted(artifacts),
            "media_base": f"/api/v1/videos/{video.id}/media",
            "cost_chart": cost_chart,
            "stages": [(stage, runs.get(stage)) for stage in PRODUCTION_STAGES],
            "actions": detail.actions,
            "form": form or ScriptForm.of(detail.script),
            "notice": _notice(request, video.status),
            "youtube": await channel_service.to_out(session, channel) if channel else None,
            "blockers": [
                (reason, blocker_fix(reason, detail)) for reason in detail.publish_blockers
            ],
            "failed_upload": service.failed_upload(video),
            "publish_error": publish_error,
            "publish_reasons": publish_reasons or [],
            "slot": slot or {"at": "", "tz": "UTC"},
            "thumbs": await thumbnails.variants(session, video),
            "thumb_locked": video.status in thumbnails.UPLOADED,
            **await video_analytics_context(session, video),
        },
        user=user,
        section="queue",
        status_code=status_code,
    )


@router.get("/videos/{video_id}")
async def video_page(
    request: Request, video_id: str, user: PageUser, session: SessionDep
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return await _video_page(request, user, session, video)


def _back(back: str, default: str) -> str:
    """Return to the page the form was on (a path on this site only)."""
    return (safe_next(back) if back else default).split("?", 1)[0]


@router.post("/videos/{video_id}/retry", dependencies=[Csrf])
async def retry_video(
    video_id: str,
    user: PageUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    remake = video.status == VideoStatus.discarded
    await service.retry(session, video, dispatcher=dispatcher)
    notice = "video_remade" if remake else "video_retried"
    return redirect(_back(back, f"/videos/{video.id}") + f"?notice={notice}")


@router.post("/videos/{video_id}/cancel", dependencies=[Csrf])
async def cancel_video(
    video_id: str,
    user: PageUser,
    session: SessionDep,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    upload = video.status == VideoStatus.publishing or service.failed_upload(video)
    await service.cancel(session, video)
    notice = "upload_cancelled" if upload else "video_cancelled"
    return redirect(_back(back, f"/videos/{video.id}") + f"?notice={notice}")


@router.get("/videos/{video_id}/discard")
async def discard_confirm_page(
    request: Request,
    video_id: str,
    user: PageUser,
    session: SessionDep,
    back: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """The confirmation step: what discarding means, with the button that does it."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    channel = await channel_repository.get_for_owner(session, user.id, video.channel_id)
    return render(
        request,
        "video_discard.html",
        {
            "video": video,
            "channel": channel,
            "allowed": "discard" in service.actions(video),
            "back": _back(back, f"/videos/{video.id}"),
        },
        user=user,
        section="queue",
    )


@router.post("/videos/{video_id}/discard", dependencies=[Csrf])
async def discard_video(
    video_id: str,
    user: PageUser,
    session: SessionDep,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.discard(session, video)
    return redirect(_back(back, f"/videos/{video.id}") + "?notice=video_discarded")


@router.post("/videos/{video_id}/approve", dependencies=[Csrf])
async def approve_video(
    video_id: str, user: PageUser, session: SessionDep, dispatcher: DispatcherDep
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.approve(session, video, user.id, dispatcher=dispatcher)
    return redirect(f"/videos/{video.id}?notice=video_approved")


@router.post("/videos/{video_id}/thumbnail", dependencies=[Csrf])
async def pick_thumbnail(
    video_id: str,
    user: PageUser,
    session: SessionDep,
    variant: Annotated[int, Form(ge=0, le=len(thumbnails.VARIANT_ARTIFACTS) - 1)],
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await thumbnails.pick(session, video, variant)
    return redirect(f"/videos/{video.id}?notice=thumbnail_picked")


@router.post("/videos/{video_id}/regenerate", dependencies=[Csrf])
async def regenerate_video(
    video_id: str, user: PageUser, session: SessionDep, dispatcher: DispatcherDep
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.regenerate(session, video, dispatcher=dispatcher)
    return redirect(f"/videos/{video.id}?notice=video_regenerating")


@router.post("/videos/{video_id}/script", dependencies=[Csrf])
async def save_script(
    request: Request,
    video_id: str,
    user: PageUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
) -> Response:
    """Save the edited script; with ``then=approve``, approve it in the same step."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    raw = await request.form()
    scenes = len((video.script or {}).get("scenes", []))
    form = ScriptForm.read(raw, scenes)
    data = form.validate()
    if data is None:
        form.error = form.error or "Check the highlighted fields; nothing was saved."
        return await _video_page(request, user, session, video, form, 400)
    try:
        await service.update_script(session, video, data, user.id)
        if raw.get("then") == "approve":
            await service.approve(session, video, user.id, dispatcher=dispatcher)
            return redirect(f"/videos/{video.id}?notice=video_approved")
    except AppError as exc:
        await session.rollback()
        video = await service.get_owned(session, user.id, video.id)
        form.error = f"{exc.message.rstrip('.')}. Nothing was saved."
        return await _video_page(request, user, session, video, form, exc.status_code)
    return redirect(f"/videos/{video.id}?notice=script_saved#review")


# -- publishing ----------------------------------------------------------------------------
def blocker_fix(reason: str, video: VideoDetail) -> tuple[str, str] | None:
    """The button next to a reason that holds a video back from YouTube: where to fix it."""
    channel = f"/channels/{video.channel_id}"
    if reason == NOT_CONNECTED or "must be reconnected" in reason:
        return ("Connect YouTube" if reason == NOT_CONNECTED else "Reconnect", f"{channel}#youtube")
    if reason == MADE_FOR_KIDS_UNSET:
        return ("Set made for kids", f"{channel}#publishing")
    if "channel is paused" in reason:
        return ("Open the channel to resume it", channel)
    if "budget" in reason:
        return ("Change the budget", f"{channel}/edit")
    if "render check" in reason:
        return ("Discard, then make it again", f"/videos/{video.id}/discard")
    return None


def parse_slot(at: str, tz: str) -> datetime:
    """The datetime-local value of the Schedule form in the browser's time zone (``tz``,
    an IANA name the page fills in; UTC without JavaScript), or with its own offset."""
    at = at.strip()
    if not at:
        raise BadRequest("Pick the date and time to publish at", code="publish_time_missing")
    try:
        value = datetime.fromisoformat(at)
    except ValueError as exc:
        raise BadRequest(
            "The publish time must be a date and time such as 2026-12-24 18:00",
            code="publish_time_invalid",
        ) from exc
    if value.tzinfo is not None:
        return value
    try:
        zone = ZoneInfo(tz.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest(
            f"Unknown time zone {tz!r}; reload the page and schedule again",
            code="publish_time_zone_invalid",
        ) from exc
    return value.replace(tzinfo=zone)


async def _publish(
    request: Request,
    user: User,
    session: SessionDep,
    dispatcher: DispatcherDep,
    video: Video,
    at: datetime | None,
    slot: dict[str, str] | None = None,
) -> Response:
    try:
        await service.publish(session, video, at=at, dispatcher=dispatcher)
    except (Conflict, BadRequest) as exc:  # refused before anything is written
        reasons = [str(r) for r in exc.details.get("reasons", [])]
        message = (
            "This video cannot be published yet. Fix these first:"
            if reasons
            else exc.message.rstrip(".") + "."
        )
        return await _video_page(
            request,
            user,
            session,
            video,
            status_code=exc.status_code,
            publish_error=message,
            publish_reasons=reasons,
            slot=slot,
        )
    notice = "video_scheduled" if at is not None else "video_publishing"
    return redirect(f"/videos/{video.id}?notice={notice}#youtube")


@router.post("/videos/{video_id}/publish", dependencies=[Csrf])
async def publish_video(
    request: Request,
    video_id: str,
    user: PageUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
) -> Response:
    """Publish now: the upload stage starts on the publishing queue."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    return await _publish(request, user, session, dispatcher, video, None)


@router.post("/videos/{video_id}/schedule", dependencies=[Csrf])
async def schedule_video(
    request: Request,
    video_id: str,
    user: PageUser,
    session: SessionDep,
    dispatcher: DispatcherDep,
    at: Annotated[str, Form(max_length=64)] = "",
    tz: Annotated[str, Form(max_length=64)] = "UTC",
) -> Response:
    """Schedule: uploaded now as private, made public by YouTube at ``at`` (publishAt)."""
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    slot = {"at": at, "tz": tz}
    try:
        when = parse_slot(at, tz)
    except BadRequest as exc:
        return await _video_page(
            request,
            user,
            session,
            video,
            status_code=400,
            publish_error=exc.message + ".",
            slot=slot,
        )
    return await _publish(request, user, session, dispatcher, video, when, slot)
