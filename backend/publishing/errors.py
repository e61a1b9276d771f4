"""Publishing errors: each says what happened and what the owner (or the stage) should do."""

from __future__ import annotations

from datetime import datetime

from backend.errors import AppError, BadRequest, Conflict


class PublishingError(AppError):
    status_code = 502
    code = "publishing_error"


class NoOAuthClient(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            "No Google OAuth client is set. Create an OAuth client (type: Web application) in "
            "Google Cloud Console, download its JSON and run "
            "`ytempire youtube client set --file client_secret.json`.",
            code="youtube_client_missing",
        )


class InvalidClientFile(BadRequest):
    code = "youtube_client_invalid"


class AuthorizationRefused(BadRequest):
    """The consent answer does not belong to a consent we started (state), or Google refused."""

    code = "youtube_authorization_refused"


class NotConnected(Conflict):
    code = "youtube_not_connected"

    def __init__(self, channel_id: object) -> None:
        super().__init__(
            "This channel is not connected to YouTube; connect it first "
            "(`ytempire channel connect CHANNEL_ID` or the channel page).",
            details={"channel_id": str(channel_id)},
        )


class NeedsReconnect(PublishingError):
    """The grant was revoked or expired (invalid_grant, or 401 after a refresh).

    The stage holds the channel's uploads (the video stays ready) and raises an alert;
    reconnecting the channel lets them go on.
    """

    status_code = 409
    code = "youtube_needs_reconnect"

    def __init__(self, reason: str, *, channel_id: object | None = None) -> None:
        super().__init__(
            f"YouTube access for this channel must be reconnected: {reason}",
            details={"reason": reason, "channel_id": str(channel_id) if channel_id else None},
        )
        self.reason = reason


class QuotaWait(PublishingError):
    """Not enough Data API units today; they come back at Pacific midnight (`resume_at`)."""

    status_code = 429
    code = "youtube_quota_wait"

    def __init__(self, message: str, *, resume_at: datetime) -> None:
        super().__init__(message, details={"resume_at": resume_at.isoformat()})
        self.resume_at = resume_at


class YouTubeRejected(PublishingError):
    """A 4xx that a retry will not fix; YouTube's reason is kept."""

    code = "youtube_rejected"

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(
            f"YouTube refused the request ({status} {reason}): {message}",
            details={"status": status, "reason": reason},
        )
        self.status = status
        self.reason = reason


class RetriesExhausted(PublishingError):
    code = "youtube_retries_exhausted"

    def __init__(self, attempts: int, last: str) -> None:
        super().__init__(
            f"YouTube kept failing after {attempts} tries (last: {last}); the upload session "
            "is kept and the next try resumes it",
            details={"attempts": attempts, "last": last},
        )


class UploadOutcomeUnknown(PublishingError):
    """The last chunk went out but its session is gone: we cannot prove there is no video.

    Starting a new session could make a second video, so we stop and ask the owner.
    """

    status_code = 409
    code = "youtube_upload_outcome_unknown"


class MetadataInvalid(BadRequest):
    code = "youtube_metadata_invalid"
