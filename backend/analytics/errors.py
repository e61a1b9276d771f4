"""Analytics sync errors: each says what happened and what happens next."""

from __future__ import annotations

from backend.publishing.errors import PublishingError


class AnalyticsQuotaExceeded(PublishingError):
    """YouTube Analytics answered with a quota error: this run stops; the next one goes on."""

    status_code = 429
    code = "youtube_analytics_quota"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(
            f"YouTube Analytics quota exhausted ({reason}): {message}; the next sync goes on",
            details={"reason": reason},
        )


class AnalyticsUnavailable(PublishingError):
    """YouTube Analytics kept failing after the bounded retries."""

    code = "youtube_analytics_unavailable"

    def __init__(self, attempts: int, last: str) -> None:
        super().__init__(
            f"YouTube Analytics kept failing after {attempts} tries (last: {last}); the next "
            "sync fetches the same days again",
            details={"attempts": attempts, "last": last},
        )
