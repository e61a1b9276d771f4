"""How a YouTube call that failed is handled, per Google's guidance.

* 5xx, 429, rate-limit 403s and dropped connections: retried with exponential backoff and
  full jitter (sleep ``random() * min(cap, base * 2**n)``), at most ``max_retries`` times in a
  row.
* 401: the token is refreshed once and the step retried; a second 401 (or a refresh that
  Google answers ``invalid_grant``) is :class:`NeedsReconnect`.
* 403 ``quotaExceeded``/``dailyLimitExceeded``/``uploadLimitExceeded``: the day is marked
  spent and the step waits for the Pacific-midnight reset (or raises :class:`QuotaWait`).
* any other 4xx: not retried; :class:`YouTubeRejected` keeps YouTube's reason.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import google.auth.exceptions
import google.auth.transport.requests
import httplib2
import structlog
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from backend.publishing import oauth
from backend.publishing.clock import Clock
from backend.publishing.errors import NeedsReconnect, RetriesExhausted, YouTubeRejected
from backend.publishing.metrics import UPLOAD_RETRIES
from backend.publishing.quota import QuotaLedger

log = structlog.get_logger(__name__)
T = TypeVar("T")

QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "backendError"})
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
    http.client.HTTPException,
    httplib2.HttpLib2Error,
    google.auth.exceptions.TransportError,
    OSError,
)

Kind = Literal["retry", "auth", "quota", "reject"]


@dataclass(frozen=True)
class Failure:
    kind: Kind
    status: int | None
    reason: str
    message: str


def error_details(content: bytes | str | None) -> tuple[str, str]:
    """(reason, message) from a Google JSON error body."""
    if not content:
        return "", ""
    try:
        data = json.loads(content.decode() if isinstance(content, bytes) else content)
    except (ValueError, UnicodeDecodeError):
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        return "", text[:300]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        errors = error.get("errors") or []
        reason = errors[0].get("reason", "") if errors and isinstance(errors[0], dict) else ""
        return str(reason or error.get("status") or ""), str(error.get("message", ""))
    if isinstance(error, str):  # OAuth style
        return error, str(data.get("error_description", ""))
    return "", ""


def classify(exc: BaseException) -> Failure | None:
    """What kind of failure ``exc`` is, or None when it is not a YouTube call failing."""
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reason, message = error_details(exc.content)
        message = message or str(exc.reason or "")
        if status >= 500 or status == 429:
            return Failure("retry", status, reason or f"http{status}", message)
        if status == 401:
            return Failure("auth", status, reason or "unauthorized", message)
        if status == 403 and reason in QUOTA_REASONS:
            return Failure("quota", status, reason, message)
        if status == 403 and reason in RATE_REASONS:
            return Failure("retry", status, reason, message)
        return Failure("reject", status, reason or f"http{status}", message)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        if oauth.is_invalid_grant(exc):
            return Failure("auth", None, "invalid_grant", str(exc))
        return Failure("retry", None, "refresh_failed", str(exc))
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return None  # our own files, not the network: retrying will not help
    if isinstance(exc, TRANSPORT_ERRORS):
        return Failure("retry", None, type(exc).__name__, str(exc) or type(exc).__name__)
    return None


class CallPolicy:
    """Runs one blocking step (in a thread) under the rules above."""

    def __init__(
        self,
        *,
        clock: Clock,
        quota: QuotaLedger,
        credentials: Credentials,
        token_transport: google.auth.transport.requests.Request,
        max_retries: int = 8,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 64.0,
        rand: Callable[[], float] = random.random,
        on_token_refresh: Callable[[Credentials], Awaitable[None]] | None = None,
    ) -> None:
        self.clock = clock
        self.quota = quota
        self.credentials = credentials
        self.token_transport = token_transport
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.rand = rand
        self.on_token_refresh = on_token_refresh
        self.retries = 0  # all retries so far, for the record
        self.consecutive = 0  # transient failures since the last progress
        self.sleeps: list[float] = []
        self.failures: list[Failure] = []

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt))."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * (2**attempt))
        return self.rand() * ceiling

    def progressed(self) -> None:
        self.consecutive = 0

    async def refresh_token(self) -> None:
        token_before = self.credentials.token
        await asyncio.to_thread(oauth.refresh, self.credentials, self.token_transport)
        if self.on_token_refresh is not None and self.credentials.token != token_before:
            await self.on_token_refresh(self.credentials)

    async def run(
        self,
        step: Callable[[], T],
        *,
        what: str,
        before_retry: Callable[[Failure], None] | None = None,
        fresh: bool = True,
    ) -> T:
        """Run ``step`` until it succeeds or fails for good.

        ``fresh=False`` keeps counting the failures of earlier steps (an upload's status query
        succeeding is not progress); the caller says :meth:`progressed` when it is.
        """
        if fresh:
            self.consecutive = 0
        refreshed_for_401 = False
        while True:
            try:
                return await asyncio.to_thread(step)
            except NeedsReconnect:
                raise
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
            self.failures.append(failure)
            log.warning(
                "youtube.call.failed",
                what=what,
                kind=failure.kind,
                status=failure.status,
                reason=failure.reason,
                message=failure.message[:200],
                attempt=self.consecutive,
            )
            if failure.kind == "reject":
                raise YouTubeRejected(failure.status or 0, failure.reason, failure.message)
            if failure.kind == "auth":
                if failure.reason == "invalid_grant" or refreshed_for_401:
                    raise NeedsReconnect(f"{failure.reason}: {failure.message}".strip(": "))
                refreshed_for_401 = True
                UPLOAD_RETRIES.labels(cause="auth").inc()
                await self.refresh_token()
            elif failure.kind == "quota":
                UPLOAD_RETRIES.labels(cause="quota").inc()
                await self.quota.mark_exhausted()
                await self.quota.wait_for_reset(f"YouTube answered {failure.reason}")
            else:
                if self.consecutive >= self.max_retries:
                    raise RetriesExhausted(
                        self.consecutive + 1, f"{failure.reason} {failure.message}"
                    )
                delay = self.backoff(self.consecutive)
                self.consecutive += 1
                self.retries += 1
                UPLOAD_RETRIES.labels(cause="transient").inc()
                self.sleeps.append(delay)
                await self.clock.sleep(delay)
            if before_retry is not None:
                before_retry(failure)
