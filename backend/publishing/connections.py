"""A channel's YouTube connection as the API and the CLI drive it: start, finish, state, stop.

One flow for both: the API's ``/channels/{id}/youtube`` routes and ``ytempire channel
connect|disconnect`` (and its ``youtube connect|disconnect`` aliases) call these, so a
pasted answer is read, and a failure at Google is worded, the same way everywhere.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httplib2
import redis
from googleapiclient.errors import HttpError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.jobs.queues import QueueName, enqueue_after_commit
from backend.models import ConnectionStatus, YouTubeCredential
from backend.publishing import oauth, service
from backend.publishing.errors import PublishingError
from backend.settings import Settings

NOT_CONNECTED = "not_connected"


@dataclass(frozen=True)
class Consent:
    """Where the owner gives consent, until when, and where Google sends them back."""

    url: str
    expires_at: datetime
    redirect_uri: str


@dataclass(frozen=True)
class ConnectionState:
    channel_id: uuid.UUID
    state: str  # not_connected | connected | needs_reconnect
    youtube_channel_id: str | None = None
    youtube_channel_title: str | None = None
    reason: str | None = None  # why it needs reconnecting
    scopes: list[str] = field(default_factory=list)
    connected_at: datetime | None = None
    refreshed_at: datetime | None = None


@contextmanager
def google_errors(doing: str) -> Iterator[None]:
    """A failure talking to Google (HTTP error, timeout, refused connection, TLS) as a
    :class:`PublishingError` (502) that says what was being done, never a bare traceback."""
    try:
        yield
    except HttpError as exc:
        status = getattr(exc.resp, "status", "?")
        raise PublishingError(f"YouTube answered HTTP {status} while {doing}") from exc
    except (httplib2.HttpLib2Error, TimeoutError, ConnectionError, ssl.SSLError) as exc:
        raise PublishingError(
            f"Google could not be reached while {doing} ({type(exc).__name__}); try again"
        ) from exc


async def start(session: AsyncSession, settings: Settings, channel_id: uuid.UUID) -> Consent:
    """A consent URL for the channel (valid :data:`service.CONSENT_MINUTES`, single use)."""
    # Taken before the consent row is written, so this is never later than its expiry.
    expires_at = utcnow() + timedelta(minutes=service.CONSENT_MINUTES)
    begun = await service.begin_connect(session, settings, channel_id)
    return Consent(url=begun.url, expires_at=expires_at, redirect_uri=begun.redirect_uri)


async def finish(
    session: AsyncSession, settings: Settings, channel_id: uuid.UUID, pasted: str
) -> YouTubeCredential:
    """Complete the channel's consent from what the owner pasted: the whole address Google
    redirected to (its ``state`` is checked) or the bare code (it answers the channel's
    latest consent). Callers are the signed-in owner (bearer API) or the box's console."""
    code, state = oauth.parse_pasted(pasted)
    with google_errors("exchanging the code and reading the YouTube channel"):
        return await service.complete_connect(
            session, settings, code=code, state=state, channel_id=channel_id, console_code=True
        )


# The analytics domain's job, by path: publishing does not import analytics (it imports us).
BACKFILL_JOB = "backend.analytics.tasks.backfill_channel"


def backfill_after_commit(
    session: AsyncSession,
    connection: redis.Redis | None,
    settings: Settings,
    channel_id: uuid.UUID,
) -> None:
    """Queue the channel's 90-day analytics backfill once the connection commits. Without a
    queue connection (a console next to an embedded server) the daily sync does it: a
    channel never synced starts with 90 days."""
    if connection is None:
        return
    enqueue_after_commit(
        session,
        connection,
        QueueName.publishing,
        BACKFILL_JOB,
        str(channel_id),
        job_id=f"analytics-backfill-{channel_id}",
        job_timeout=settings.analytics_job_timeout_seconds,
    )


async def stop(session: AsyncSession, settings: Settings, channel_id: uuid.UUID) -> bool:
    """Revoke the grant at Google and wipe it here; False when it was not connected."""
    with google_errors("revoking the grant"):
        return await service.disconnect(session, settings, channel_id)


def state_of(channel_id: uuid.UUID, row: YouTubeCredential | None) -> ConnectionState:
    if row is None:
        return ConnectionState(channel_id=channel_id, state=NOT_CONNECTED)
    return ConnectionState(
        channel_id=channel_id,
        state=row.status.value,
        youtube_channel_id=row.youtube_channel_id,
        youtube_channel_title=row.youtube_channel_title,
        reason=row.status_reason if row.status is ConnectionStatus.needs_reconnect else None,
        scopes=list(row.scopes or []),
        connected_at=row.connected_at,
        refreshed_at=row.refreshed_at,
    )


async def state(session: AsyncSession, channel_id: uuid.UUID) -> ConnectionState:
    return state_of(channel_id, await service.connection_status(session, channel_id))
