"""thumbnails.set and captions.insert: each its own idempotent step after the upload.

A step whose outcome is recorded is not repeated. captions.insert first looks for our track
(captions.list) so that a crash between YouTube's answer and our record does not add a second
one. A thumbnail refused because the account may not use custom thumbnails (an unverified
channel) is a recorded outcome, ``not_allowed``, not a failure.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from googleapiclient.http import MediaFileUpload
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.publishing import repository
from backend.publishing.clients import YouTubeApi
from backend.publishing.errors import PublishingError, YouTubeRejected
from backend.publishing.policy import CallPolicy
from backend.publishing.quota import QuotaLedger

CAPTION_TRACK_NAME = "YTEMPIRE narration"
DONE = frozenset({"set", "not_allowed", "inserted"})


@dataclass(frozen=True)
class StepOutcome:
    status: str  # set | not_allowed | failed | inserted | skipped
    detail: str | None = None
    caption_id: str | None = None


def _thumbnail_not_allowed(exc: YouTubeRejected) -> bool:
    text = f"{exc.reason} {exc.message}".lower()
    return exc.status == 403 and ("custom" in text or "permission" in text)


async def _record(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, **fields: object
) -> None:
    async with unit_of_work(sessions) as session:
        await repository.update_upload(session, video_id, **fields)


async def _uploaded(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID
) -> tuple[str, str, str, str | None]:
    async with sessions() as session:
        row = await repository.get_upload(session, video_id)
    if row is None or not row.youtube_video_id:
        raise PublishingError("The video is not on YouTube yet; upload it first")
    return row.youtube_video_id, row.thumbnail_status, row.caption_status, row.caption_id


async def set_thumbnail(
    api: YouTubeApi,
    policy: CallPolicy,
    quota: QuotaLedger,
    sessions: async_sessionmaker[AsyncSession],
    *,
    video_id: uuid.UUID,
    image: Path,
) -> StepOutcome:
    youtube_id, status, _, _ = await _uploaded(sessions, video_id)
    if status in DONE:
        return StepOutcome("skipped", status)
    mimetype = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
    media = MediaFileUpload(str(image), mimetype=mimetype, resumable=False)
    await quota.spend("thumbnails.set")
    try:
        await policy.run(
            lambda: api.resource.thumbnails().set(videoId=youtube_id, media_body=media).execute(),
            what="thumbnails.set",
        )
    except YouTubeRejected as exc:
        outcome = "not_allowed" if _thumbnail_not_allowed(exc) else "failed"
        await _record(
            sessions, video_id, thumbnail_status=outcome, thumbnail_detail=exc.message[:500]
        )
        return StepOutcome(outcome, exc.message)
    await _record(sessions, video_id, thumbnail_status="set", thumbnail_detail=None)
    return StepOutcome("set")


async def insert_captions(
    api: YouTubeApi,
    policy: CallPolicy,
    quota: QuotaLedger,
    sessions: async_sessionmaker[AsyncSession],
    *,
    video_id: uuid.UUID,
    srt: Path,
    language: str,
) -> StepOutcome:
    youtube_id, _, status, caption_id = await _uploaded(sessions, video_id)
    if status in DONE:
        return StepOutcome("skipped", status, caption_id)
    await quota.spend("captions.list")
    existing = await policy.run(
        lambda: api.resource.captions().list(part="snippet", videoId=youtube_id).execute(),
        what="captions.list",
    )
    for item in existing.get("items") or []:
        snippet = item.get("snippet") or {}
        if snippet.get("name") == CAPTION_TRACK_NAME and snippet.get("language") == language:
            await _record(sessions, video_id, caption_status="inserted", caption_id=item["id"])
            return StepOutcome("inserted", "already on YouTube", item["id"])
    body = {
        "snippet": {
            "videoId": youtube_id,
            "language": language,
            "name": CAPTION_TRACK_NAME,
            "isDraft": False,
        }
    }
    media = MediaFileUpload(str(srt), mimetype="application/octet-stream", resumable=False)
    await quota.spend("captions.insert")
    try:
        answer = await policy.run(
            lambda: (
                api.resource.captions()
                .insert(part="snippet", body=body, media_body=media)
                .execute()
            ),
            what="captions.insert",
        )
    except YouTubeRejected as exc:
        await _record(sessions, video_id, caption_status="failed", caption_detail=exc.message[:500])
        return StepOutcome("failed", exc.message)
    await _record(sessions, video_id, caption_status="inserted", caption_id=answer["id"])
    return StepOutcome("inserted", None, answer["id"])
