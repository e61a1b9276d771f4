"""RQ workers: the ``ytempire worker`` process, and the in-process worker of embedded mode.

Both run the periodic scheduler, which enqueues recurring jobs (the budget watcher, the
pipeline reconciler) under a Redis lock so that several workers do not enqueue the same
run twice. Stage jobs carry their own RQ time limit (see backend/pipeline/limits.py).
The embedded worker is a daemon thread: a stage it is running never holds up exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis
import structlog
from rq import Queue, SimpleWorker, Worker
from rq.timeouts import TimerDeathPenalty

from backend.jobs.queues import ALL_QUEUES, QueueName, enqueue
from backend.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Recurring:
    name: str
    queue: QueueName
    func: str
    interval_s: float


def reconcile_job(settings: Settings) -> Recurring:
    return Recurring(
        "pipeline-reconcile",
        QueueName.maintenance,
        "backend.pipeline.tasks.reconcile",
        settings.reconcile_interval_seconds,
    )


def recurring_jobs(settings: Settings) -> list[Recurring]:
    return [
        Recurring(
            "budget-watch",
            QueueName.maintenance,
            "backend.costs.tasks.watch_budgets",
            settings.budget_watch_interval_seconds,
        ),
        reconcile_job(settings),
        Recurring(
            "niche-discovery",
            QueueName.discovery,
            "backend.niches.discovery.tasks.run_daily_discovery",
            settings.discovery_interval_seconds,
        ),
        Recurring(
            "analytics-sync",
            QueueName.publishing,
            "backend.analytics.tasks.sync_daily",
            settings.analytics_sync_interval_seconds,
        ),
        Recurring(
            "analytics-stats-poll",
            QueueName.publishing,
            "backend.analytics.tasks.poll_fresh_statistics",
            settings.analytics_stats_poll_interval_seconds,
        ),
        Recurring(
            "autopilot",
            QueueName.maintenance,
            "backend.autopilot.tasks.run_tick",
            settings.autopilot_interval_seconds,
        ),
    ]


class PeriodicScheduler(threading.Thread):
    """Enqueues each recurring job once per interval across all workers (Redis SET NX)."""

    def __init__(self, connection: redis.Redis, jobs: Sequence[Recurring]) -> None:
        super().__init__(name="ytempire-scheduler", daemon=True)
        self._redis = connection
        self._jobs = jobs
        self._halt = threading.Event()
        for job in jobs:  # first runs one interval after start (no network call at start)
            if job.name != "pipeline-reconcile":  # the reconciler runs at once, locally
                lock, ttl = f"ytempire:schedule:{job.name}", max(int(job.interval_s), 1)
                connection.set(lock, b"1", nx=True, ex=ttl)

    def tick(self) -> list[str]:
        fired = []
        for job in self._jobs:
            lock = f"ytempire:schedule:{job.name}"
            if self._redis.set(lock, b"1", nx=True, ex=max(int(job.interval_s), 1)):
                enqueue(self._redis, job.queue, job.func)
                fired.append(job.name)
        return fired

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.tick()
            except redis.RedisError:
                log.exception("scheduler.tick_failed")
            self._halt.wait(5.0)

    def stop(self) -> None:
        self._halt.set()


# A worker serving several queues takes from the first non-empty one: videos in flight
# come before housekeeping, and long discovery runs never starve production.
PRIORITY: tuple[QueueName, ...] = (
    QueueName.production,
    QueueName.gpu,
    QueueName.publishing,
    QueueName.maintenance,
    QueueName.discovery,
)


def queues_for(connection: redis.Redis, names: Sequence[str] | None) -> list[Queue]:
    chosen = {QueueName(n) for n in names} if names else set(ALL_QUEUES)
    return [Queue(name.value, connection=connection) for name in PRIORITY if name in chosen]


def run_worker(
    connection: redis.Redis, settings: Settings, names: Sequence[str] | None, burst: bool
) -> bool:
    """A forking RQ worker: a job killed mid-way takes only its work horse with it."""
    scheduler = PeriodicScheduler(connection, recurring_jobs(settings))
    if not burst:
        scheduler.start()
    worker = Worker(queues_for(connection, names), connection=connection)
    try:
        return worker.work(burst=burst, logging_level="INFO")
    finally:
        scheduler.stop()


class _ThreadWorker(SimpleWorker):
    """SimpleWorker that can live in a non-main thread (no signals; timer-based timeouts)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        return None


class EmbeddedWorker(threading.Thread):
    """Runs queued jobs inside the API process (embedded mode), polling the stand-in Redis."""

    def __init__(
        self,
        connection: redis.Redis,
        settings: Settings,
        poll_s: float = 0.25,
        on_idle: Callable[[], None] | None = None,
        recurring: Sequence[Recurring] | None = None,
    ) -> None:
        super().__init__(name="ytempire-embedded-worker", daemon=True)
        self._redis = connection
        self._poll = poll_s
        self._halt = threading.Event()
        jobs = recurring_jobs(settings) if recurring is None else recurring
        self._scheduler = PeriodicScheduler(connection, jobs)
        self._on_idle = on_idle

    def run(self) -> None:
        worker = _ThreadWorker(queues_for(self._redis, None), connection=self._redis)
        while not self._halt.is_set():
            try:
                self._scheduler.tick()
                worked = worker.work(burst=True, logging_level="WARNING")
            except Exception:
                log.exception("embedded_worker.failed")
                worked = False
            if not worked:
                if self._on_idle:
                    self._on_idle()
                self._halt.wait(self._poll)

    def drain(self, timeout_s: float = 60.0) -> None:
        """Wait until every queue is empty and no job is running (tests and the demo)."""
        deadline = time.monotonic() + timeout_s
        queues = queues_for(self._redis, None)
        while time.monotonic() < deadline:
            if all(q.count == 0 and q.started_job_registry.count == 0 for q in queues):
                return
            time.sleep(0.05)
        raise TimeoutError("embedded queues did not drain in time")

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop taking jobs; a job still running is left to its daemon thread (its stage
        stays `running` without a lease, and the reconciler picks it up next start)."""
        self._halt.set()
        self.join(timeout_s)
        if self.is_alive():
            log.warning("embedded_worker.abandoned_job", waited_s=timeout_s)
