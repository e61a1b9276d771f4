from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from backend.analytics import export, service
from backend.analytics.schemas import ChannelAnalytics, VideoAnalytics
from backend.channels import repository as channel_repository
from backend.channels import service as channel_service
from backend.db.base import utcnow
from backend.deps import CurrentUser, SessionDep, parse_uuid
from backend.errors import ERROR_RESPONSES

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/channels/{channel_id}")
async def channel_analytics(
    channel_id: str,
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> ChannelAnalytics:
    channel = await channel_service.get_owned(session, user, parse_uuid(channel_id, "channel"))
    first, last = service.resolve_range(start, end, utcnow().date())
    return await service.channel_analytics(session, channel, first, last)


@router.get("/videos/{video_id}")
async def video_analytics(video_id: str, user: CurrentUser, session: SessionDep) -> VideoAnalytics:
    """A video's YouTube numbers per day and its profit to date (revenue minus its costs)."""
    video = await service.owned_video(session, user.id, parse_uuid(video_id, "video"))
    return await service.video_analytics(session, video)


class CSVResponse(StreamingResponse):
    media_type = "text/csv"


CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV (RFC 4180, UTF-8), one row per day with data; unknown is an "
        "empty cell, never 0",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
    # Errors are JSON in the error shape: written out, or FastAPI would file them under
    # this route's text/csv.
    **{
        status: {
            "description": entry["description"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for status, entry in ERROR_RESPONSES.items()
    },
}


@router.get("/export", response_class=CSVResponse, responses=CSV_DOC)
async def export_csv(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    export_format: Annotated[Literal["csv"], Query(alias="format")] = "csv",
    scope: Annotated[Literal["channels", "videos"], Query()] = "channels",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
) -> CSVResponse:
    """Your channels' YouTube numbers, cost and profit as CSV: per channel per day
    (``scope=channels``) or per video per day (``scope=videos``), over ``from``..``to``
    (default: the last 30 days; at most 366), for one channel of yours or all of them.

    Columns: views, watch time, subscribers, revenue, ad revenue, CPM, playback CPM, RPM,
    cost (the ledger by UTC day) and profit. Revenue YouTube did not give, and profit
    then, are empty cells. Text cells that a spreadsheet would run as a formula start
    with an apostrophe."""
    first, last = service.resolve_range(start, end, utcnow().date())
    if channel:
        owned = [await channel_service.get_owned(session, user, parse_uuid(channel, "channel"))]
    else:
        owned = await channel_repository.list_for_owner(session, user.id)
    body = export.stream_csv(
        request.app.state.sessionmaker, scope, [c.id for c in owned], first, last
    )
    name = export.filename(scope, first, last)
    return CSVResponse(
        body,
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )
