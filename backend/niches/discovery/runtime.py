"""What every source call goes through: Redis cache, a shared rate limit, retries with
backoff (a 429's Retry-After honoured), metrics and the source's health record."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
import structlog

from backend.niches.discovery.errors import RateLimited, Retryable, SourceError, SourceSkipped
from backend.niches.metrics import SOURCE_CALLS, SOURCE_LATENCY

log = structlog.get_logger(__name__)

PREFIX = "ytempire:discovery"
SOURCES = ("youtube", "google_trends", "reddit", "rss")


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    per_minute: int
    max_retries: int = 3
    backoff_s: float = 2.0
    max_backoff_s: float = 120.0
    cache_s: int = 6 * 3600


def health_key(source: str) -> str:
    return f"{PREFIX}:health:{source}"


def _now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat()


class SourceRuntime:
    """One per source; adapters call :meth:`call` with a cache key and a fetch function."""

    def __init__(
        self,
        source: str,
        connection: redis.Redis,
        policy: SourcePolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.redis = connection
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        # Circuit breaker: a source that stayed down through its retries (or asked us to
        # wait longer than we may) is not called again by this runtime, i.e. this run.
        self.tripped: SourceError | None = None

    def call(self, op: str, key: Any, fetch: Callable[[], Any], *, cache: bool = True) -> Any:
        """The cached answer for (op, key), else ``fetch()`` under the limit, with retries.

        ``fetch`` returns JSON-serialisable data and raises :class:`Retryable` for
        transient failures; any other :class:`SourceError` ends the call at once.
        """
        cache_key = self._cache_key(op, key)
        if self.tripped is not None:
            SOURCE_CALLS.labels(self.source, "tripped").inc()
            message = f"not called: {self.tripped.message} earlier this run"
            if isinstance(self.tripped, RateLimited):
                raise RateLimited(self.source, message, self.tripped.retry_after)
            raise SourceError(self.source, message)
        if cache and self.policy.cache_s > 0:
            hit = self.redis.get(cache_key)
            if hit is not None:
                SOURCE_CALLS.labels(self.source, "cached").inc()
                return json.loads(hit)
        started = time.perf_counter()
        try:
            data = self._with_retries(op, fetch)
        except SourceError as exc:
            self.record_failure(exc)
            raise
        finally:
            SOURCE_LATENCY.labels(self.source).observe(time.perf_counter() - started)
        self.record_success()
        if cache and self.policy.cache_s > 0:
            self.redis.set(cache_key, json.dumps(data, default=str), ex=self.policy.cache_s)
        return data

    def _with_retries(self, op: str, fetch: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            self.acquire()
            try:
                return fetch()
            except Retryable as exc:
                if attempt >= self.policy.max_retries:
                    if exc.retry_after is not None:
                        self.tripped = RateLimited(self.source, exc.message, exc.retry_after)
                    else:
                        self.tripped = SourceError(
                            self.source, f"{exc.message} (after {attempt} retries)"
                        )
                    raise self.tripped from exc
                delay = self._delay(attempt, exc.retry_after)
                if delay > self.policy.max_backoff_s:
                    self.tripped = RateLimited(
                        self.source, f"{exc.message}; asked to wait {delay:.0f}s", delay
                    )
                    raise self.tripped from exc
                SOURCE_CALLS.labels(self.source, "retry").inc()
                log.warning(
                    "discovery.source.retry",
                    source=self.source,
                    op=op,
                    attempt=attempt + 1,
                    delay_s=round(delay, 2),
                    error=exc.message,
                )
                self.sleep(delay)
                attempt += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(retry_after, 0.0)
        base = self.policy.backoff_s * (2**attempt)
        return base + random.uniform(0, base * 0.1)

    def acquire(self) -> None:
        """A slot in this minute's window, shared by every worker through Redis."""
        while True:
            now = self.clock()
            window = int(now // 60)
            key = f"{PREFIX}:rate:{self.source}:{window}"
            count = int(self.redis.incr(key))
            if count == 1:
                self.redis.expire(key, 120)
            if count <= self.policy.per_minute:
                return
            wait = (window + 1) * 60 - now
            if wait > self.policy.max_backoff_s:
                raise RateLimited(self.source, "local rate limit reached", wait)
            self.sleep(wait)

    def _cache_key(self, op: str, key: Any) -> str:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
        return f"{PREFIX}:cache:{self.source}:{op}:{digest[:32]}"

    def record_success(self) -> None:
        SOURCE_CALLS.labels(self.source, "ok").inc()
        now = _now_iso(self.clock)
        pipe = self.redis.pipeline()
        pipe.hset(
            health_key(self.source),
            mapping={"status": "ok", "last_success_at": now, "updated_at": now},
        )
        pipe.hincrby(health_key(self.source), "calls_ok", 1)
        pipe.execute()

    def record_failure(self, exc: SourceError) -> None:
        SOURCE_CALLS.labels(self.source, exc.status).inc()
        now = _now_iso(self.clock)
        mapping: dict[str | bytes | bytearray | memoryview[int] | int | float, str] = {
            "status": exc.status,
            "updated_at": now,
        }
        if not isinstance(exc, SourceSkipped):
            mapping |= {"last_error": exc.message[:500], "last_error_at": now}
            log.warning(
                "discovery.source.failed", source=self.source, status=exc.status, error=exc.message
            )
        pipe = self.redis.pipeline()
        pipe.hset(health_key(self.source), mapping=mapping)
        if not isinstance(exc, SourceSkipped):
            pipe.hincrby(health_key(self.source), "calls_failed", 1)
        pipe.execute()

    def skip(self, reason: str) -> SourceSkipped:
        """Record that the source is not configured and return the exception to raise."""
        exc = SourceSkipped(self.source, reason)
        self.record_failure(exc)
        return exc


def read_health(connection: redis.Redis, source: str) -> dict[str, Any]:
    raw = connection.hgetall(health_key(source))
    record: dict[str, Any] = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }
    for field in ("calls_ok", "calls_failed"):
        record[field] = int(record.get(field, 0))
    record.setdefault("status", "unknown")
    return {"source": source, **record}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
