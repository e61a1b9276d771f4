"""What a source call can end in besides data. Each one is recorded in the source's health."""

from __future__ import annotations


class SourceError(Exception):
    """A source call failed; ``status`` is what the health record shows."""

    status = "error"

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class SourceSkipped(SourceError):
    """The source is not configured (no key or endpoint): skipped, not an error."""

    status = "skipped"


class QuotaExhausted(SourceError):
    """The call would cross the daily quota (or the API said the quota is spent)."""

    status = "quota_exhausted"


class RateLimited(SourceError):
    """The source answered 429 and asked for a wait longer than the backoff limit."""

    status = "rate_limited"

    def __init__(self, source: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after


class MalformedResponse(SourceError):
    """The source answered, but not with what its API documents."""

    status = "malformed"


class Retryable(SourceError):
    """A transient failure (429, 5xx, network): retried with backoff by the runtime."""

    def __init__(self, source: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after
