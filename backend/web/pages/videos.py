"""The video queue (live stage progress over the WebSocket), video detail, retry and cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request, Response

from backend.channels import repository as channel_repository
from backend.deps import SessionDep, parse_uuid
from backend.media import service as media_service
from backend.models import Video, VideoStatus
from backend.models.video import STAGE_ORDER
from backend.pipeline.stages import PRODUCTION_STAGES
from backend.videos import repository, service, state
from backend.web.charts import bar_list, fmt_money
from backend.web.deps import Csrf, PageUser, safe_next
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
    ("published", "Published"),
    ("cancelled", "Cancelled"),
)
RETRYABLE = frozenset({VideoStatus.failed, VideoStatus.needs_review})


def can_retry(video: Video) -> bool:
    return video.status in RETRYABLE


def can_cancel(video: Video) -> bool:
    return VideoStatus.cancelled in state.TRANSITIONS[video.status]


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
            "can_retry": can_retry,
            "can_cancel": can_cancel,
            "notice": notice_for(request),
        },
        user=user,
        section="queue",
    )


@router.get("/videos/{video_id}")
async def video_page(
    request: Request, video_id: str, user: PageUser, session: SessionDep
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
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
            "can_retry": can_retry(video),
            "can_cancel": can_cancel(video),
            "notice": notice_for(request),
        },
        user=user,
        section="queue",
    )


def _back(back: str, default: str) -> str:
    """Return to the page the form was on (a path on this site only)."""
    return (safe_next(back) if back else default).split("?", 1)[0]


@router.post("/videos/{video_id}/retry", dependencies=[Csrf])
async def retry_video(
    video_id: str,
    user: PageUser,
    session: SessionDep,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.retry(session, video)
    return redirect(_back(back, f"/videos/{video.id}") + "?notice=video_retried")


@router.post("/videos/{video_id}/cancel", dependencies=[Csrf])
async def cancel_video(
    video_id: str,
    user: PageUser,
    session: SessionDep,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    video = await service.get_owned(session, user.id, parse_uuid(video_id, "video"))
    await service.cancel(session, video)
    return redirect(_back(back, f"/videos/{video.id}") + "?notice=video_cancelled")
