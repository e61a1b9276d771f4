"""The one call the upload stage makes: upload a video, then its thumbnail and captions.

Every part is idempotent: calling :func:`publish` again after a crash (or a retry) resumes
the recorded upload session, returns the recorded video, and skips the steps already done.
Errors the stage acts on: :class:`NeedsReconnect` (hold the channel's uploads, alert),
:class:`QuotaWait` (with ``quota_mode="raise"``: run again at ``resume_at``),
:class:`YouTubeRejected` (fail with YouTube's reason), :class:`RetriesExhausted` (retry
later; the session is kept), :class:`MetadataInvalid` (fail with the reason).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from google.oauth2.credentials import Credentials
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.publishing import clients, service
from backend.publishing.clock import Clock, SystemClock
from backend.publishing.errors import NeedsReconnect
from backend.publishing.metadata import VideoMetadata
from backend.publishing.policy import CallPolicy
from backend.publishing.quota import QuotaLedger, QuotaMode
from backend.publishing.steps import StepOutcome, insert_captions, set_thumbnail
from backend.publishing.store import SqlUploadStore
from backend.publishing.uploader import Progress, Uploader
from backend.settings import Settings

UNVERIFIED_WARNING = (
    "YouTube made this video {reported} although {requested} was asked: uploads from an "
    "unverified Google Cloud project are locked private. Ask Google to audit the project "
    "(YouTube API Services audit form), or change the video's privacy in YouTube Studio."
)


@dataclass
class PublishOutcome:
    youtube_video_id: str
    url: str
    privacy_requested: str | None
    privacy_reported: str | None
    publish_at: datetime | None  # when YouTube makes it public (status.publishAt), if scheduled
    warning: str | None
    thumbnail: StepOutcome | None
    captions: StepOutcome | None
    resumed: bool
    sessions_started: int
    bytes_sent: int
    retries: int


@dataclass
class PublishTools:
    """What one publish run uses, built from the settings and the channel's grant."""

    api: clients.YouTubeApi
    policy: CallPolicy
    quota: QuotaLedger
    grant: service.ChannelGrant


async def tools(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: uuid.UUID,
    *,
    clock: Clock | None = None,
    rand: Callable[[], float] = random.random,
    quota_mode: QuotaMode = "wait",
) -> PublishTools:
    clock = clock or SystemClock()
    grant = await service.load_grant(sessions, settings, channel_id)
    quota = QuotaLedger(
        sessions,
        project_id=grant.client.project_id,
        daily_units=settings.youtube_upload_quota,
        clock=clock,
        mode=quota_mode,
    )

    async def keep_token(credentials: Credentials) -> None:
        await service.save_credentials(sessions, settings, channel_id, credentials)

    policy = CallPolicy(
        clock=clock,
        quota=quota,
        credentials=grant.credentials,
        token_transport=clients.token_transport(settings),
        max_retries=settings.youtube_upload_max_retries,
        backoff_seconds=settings.youtube_upload_backoff_seconds,
        max_backoff_seconds=settings.youtube_upload_max_backoff_seconds,
        rand=rand,
        on_token_refresh=keep_token,
    )
    api = clients.youtube(settings, grant.credentials)
    return PublishTools(api=api, policy=policy, quota=quota, grant=grant)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def publish(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    video_id: uuid.UUID,
    channel_id: uuid.UUID,
    video_file: Path,
    metadata: VideoMetadata,
    thumbnail: Path | None = None,
    captions: Path | None = None,
    clock: Clock | None = None,
    rand: Callable[[], float] = random.random,
    quota_mode: QuotaMode = "wait",
    on_progress: Progress | None = None,
    chunk_bytes: int | None = None,
) -> PublishOutcome:
    clock = clock or SystemClock()
    body = metadata.request_body(now=clock.now())
    try:
        run = await tools(
            sessions, settings, channel_id, clock=clock, rand=rand, quota_mode=quota_mode
        )
        token_before = run.grant.credentials.token
        uploader = Uploader(
            run.api,
            SqlUploadStore(sessions),
            run.policy,
            run.quota,
            chunk_bytes=chunk_bytes or settings.youtube_upload_chunk_mb * 1024 * 1024,
            on_progress=on_progress,
        )
        result = await uploader.upload(
            video_id=video_id, channel_id=channel_id, file_path=video_file, body=body
        )
        thumb = cap = None
        if thumbnail is not None:
            thumb = await set_thumbnail(
                run.api, run.policy, run.quota, sessions, video_id=video_id, image=thumbnail
            )
        if captions is not None:
            language = body["snippet"]["defaultAudioLanguage"]
            cap = await insert_captions(
                run.api,
                run.policy,
                run.quota,
                sessions,
                video_id=video_id,
                srt=captions,
                language=language,
            )
        if run.grant.credentials.token != token_before:  # google-auth refreshed it on the way
            await service.save_credentials(sessions, settings, channel_id, run.grant.credentials)
    except NeedsReconnect as exc:
        await service.mark_needs_reconnect(sessions, channel_id, exc.reason)
        raise NeedsReconnect(exc.reason, channel_id=channel_id) from exc
    requested, reported = result.privacy_requested, result.privacy_reported
    warning = None
    if requested and reported and requested != reported:
        warning = UNVERIFIED_WARNING.format(reported=reported, requested=requested)
    return PublishOutcome(
        youtube_video_id=result.youtube_video_id,
        url=result.url,
        privacy_requested=requested,
        privacy_reported=reported,
        publish_at=_parse_time(result.publish_at),
        warning=warning,
        thumbnail=thumb,
        captions=cap,
        resumed=result.resumed,
        sessions_started=result.sessions_started,
        bytes_sent=result.bytes_sent,
        retries=result.retries,
    )
