"""Prometheus metrics, defined in one place.

HTTP metrics are labelled by route template (``/api/v1/videos/{video_id}``), never by
raw path, so cardinality stays bounded. Queue metrics are read from RQ at scrape time.
Gauges whose truth is in the database (YouTube quota left) are refreshed when ``/metrics``
is scraped, by the :class:`ScrapeRefresher` s the app registers: at most once per interval,
each cut off after a timeout, a failure keeping the last values.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import redis
import structlog
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Queue

from backend.jobs.queues import ALL_QUEUES

log = structlog.get_logger(__name__)

HTTP_REQUESTS = Counter(
    "ytempire_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "ytempire_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOGIN_THROTTLED = Counter("ytempire_login_throttled_total", "Logins refused by throttling")
BUDGET_ALERTS = Counter("ytempire_budget_alerts_total", "cost.alert events", ["period", "level"])


class QueueCollector(Collector):
    """Jobs by queue and status, and queue depth, read from RQ's registries."""

    def __init__(self, connection: redis.Redis) -> None:
        self._connection = connection

    def collect(self) -> Iterable[GaugeMetricFamily]:
        depth = GaugeMetricFamily("ytempire_queue_depth", "Jobs waiting", labels=["queue"])
        jobs = GaugeMetricFamily("ytempire_jobs", "Jobs by status", labels=["queue", "status"])
        try:
            for name in ALL_QUEUES:
                queue = Queue(name.value, connection=self._connection)
                waiting = queue.count
                depth.add_metric([name.value], waiting)
                counts = {
                    "queued": waiting,
                    "started": queue.started_job_registry.count,
                    "finished": queue.finished_job_registry.count,
                    "failed": queue.failed_job_registry.count,
                    "deferred": queue.deferred_job_registry.count,
                    "scheduled": queue.scheduled_job_registry.count,
                }
                for status, count in counts.items():
                    jobs.add_metric([name.value, status], count)
        except redis.RedisError:
            return
        yield depth
        yield jobs


class ScrapeRefresher:
    """An async refresh of gauges, run when ``/metrics`` is scraped.

    Cheap and bounded: it runs at most once per ``min_interval_s`` (scrapes in between
    see the values it set last), never longer than ``timeout_s``, and a failure (database
    down, timeout) is logged and leaves the last values in place instead of failing the
    scrape. Concurrent scrapes wait for the one refresh in flight.
    """

    def __init__(
        self,
        name: str,
        refresh: Callable[[], Awaitable[None]],
        *,
        min_interval_s: float = 10.0,
        timeout_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._refresh = refresh
        self.min_interval_s = min_interval_s
        self.timeout_s = timeout_s
        self._clock = clock
        self._last: float | None = None
        self._lock = asyncio.Lock()
        self.failures = 0

    async def __call__(self) -> None:
        async with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.min_interval_s:
                return
            self._last = now
            try:
                await asyncio.wait_for(self._refresh(), self.timeout_s)
            except Exception as exc:  # a scrape must answer even when the database does not
                self.failures += 1
                log.warning("metrics.refresh_failed", refresher=self.name, error=type(exc).__name__)


async def refresh_before_scrape(state: Any) -> None:
    """Run the app's refreshers (``app.state.metrics_refreshers``) before rendering."""
    refreshers: Sequence[ScrapeRefresher] = getattr(state, "metrics_refreshers", ())
    for refresher in refreshers:
        await refresher()
