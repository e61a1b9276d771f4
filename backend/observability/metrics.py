"""Prometheus metrics, defined in one place.

HTTP metrics are labelled by route template (``/api/v1/videos/{video_id}``), never by
raw path, so cardinality stays bounded. Queue metrics are read from RQ at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Queue

from backend.jobs.queues import ALL_QUEUES

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
