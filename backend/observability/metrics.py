"""Prometheus metrics, defined in one place.

HTTP metrics are labelled by route template (``/api/v1/videos/{video_id}``), never by
raw path, so cardinality stays bounded. Queue metrics are read from RQ at scrape time.
Gauges whose truth is in the database (YouTube quota left) are refreshed when ``/metrics``
is scraped, by the :class:`ScrapeRefresher` s the app registers: at most once per interval,
each cut off after a timeout, a failure keeping the last values.

Work done in jobs (stages, discovery, uploads, the budget watcher) is counted in the
process that runs the job: in ``ytempire serve`` for its embedded worker (the API's own
``/metrics``), in a ``ytempire worker``'s work horses otherwise, which write to the
worker's multiprocess files (``backend/jobs/worker_metrics.py``) and are served
on the worker's own port.
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
from backend.models.video import VideoStage

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

# --- the stage pipeline (counted where a stage job runs: a work horse or the embedded worker)
STAGE_OUTCOMES = (
    "succeeded",  # the stage's outputs are recorded; the next stage (or ready) follows
    "regenerate",  # the quality gate sent the script back
    "needs_review",  # held for the owner (quality or render QA)
    "retry",  # this try failed (timeout, a service that stayed down); another is queued
    "failed",  # the video failed at this stage
    "stopped",  # the video was cancelled or paused while the stage ran
    "superseded",  # another runner took the stage over; this one recorded nothing
    "held",  # not started: the channel may not spend (paused, over budget)
    "skipped",  # not started: not the video's next stage, the video gone or not open
)
STAGE_DURATION = Histogram(
    "ytempire_stage_duration_seconds",
    "Wall time of one stage job that ran its step, whatever its outcome",
    ["stage"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)
STAGE_RUNS = Counter(
    "ytempire_stage_runs_total",
    "Stage jobs by outcome (" + ", ".join(STAGE_OUTCOMES) + ")",
    ["stage", "outcome"],
)
STAGE_ATTEMPTS = Counter(
    "ytempire_stage_attempts_total",
    "Tries of a stage started (a retry inside a job counts as one more)",
    ["stage"],
)
VIDEOS = Counter(
    "ytempire_videos_total",
    "Videos whose production ended, by outcome (ready, failed), counted after commit",
    ["outcome"],
)

# --- niche discovery runs (the source calls and scores are in backend/niches/metrics.py)
DISCOVERY_RUNS = Counter(
    "ytempire_discovery_runs_total", "Daily discovery runs by outcome (ok, failed)", ["outcome"]
)
DISCOVERY_RUN_SECONDS = Histogram(
    "ytempire_discovery_run_seconds",
    "Wall time of one discovery run",
    buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600),
)
DISCOVERY_NEW_NICHES = Counter(
    "ytempire_discovery_new_niches_total", "Niches added to the catalogue by discovery runs"
)
DISCOVERY_TOPICS = Counter("ytempire_discovery_topics_total", "Topics found by discovery runs")

# Every series an alert divides or takes increase() of shows in /metrics from the start, at
# 0: a series born at 1 would hide its first event from increase().
for _outcome in ("ok", "failed"):
    DISCOVERY_RUNS.labels(outcome=_outcome)
for _outcome in ("ready", "failed"):
    VIDEOS.labels(outcome=_outcome)
for _period in ("daily", "monthly"):
    for _level in ("80", "100"):
        BUDGET_ALERTS.labels(period=_period, level=_level)
for _stage in VideoStage:
    STAGE_ATTEMPTS.labels(stage=_stage.value)
    for _outcome in STAGE_OUTCOMES:
        STAGE_RUNS.labels(stage=_stage.value, outcome=_outcome)


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
