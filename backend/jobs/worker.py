"""RQ workers: the ``ytempire worker`` process, and the in-process worker of embedded mode.

Both run the periodic scheduler, which enqueues recurring jobs (the budget watcher, the
pipeline reconciler) under a Redis lock so that several workers do not enqueue the same
run twice. Stage jobs carry their own RQ time limit (see backend/pipeline/limits.py).
The embedded worker is a daemon thread: a stage it is running never holds up exit.

The forking worker (:class:`ResilientWorker`) rides out a Redis outage: RQ's own worker
quits on the first ``ConnectionError`` outside its dequeue (a heartbeat while it watches
its work horse, the bookkeeping after the horse ends), leaving the horse behind. Here a
failed heartbeat or bookkeeping step is logged and the worker carries on; the dequeue
reconnects with bounded exponential backoff (``RECONNECT_MAX_S``), and a job whose
bookkeeping was lost is picked up by the pipeline's reconciler. And no work horse
outlives its worker: the horse asks the kernel for SIGKILL when its parent dies
(``PR_SET_PDEATHSIG``, Linux), and a worker on its way out kills a horse still running.

Several workers on one box share its cores: each horse gets an equal share of them for
the CPU models' thread pools (``OMP_NUM_THREADS``, unless the operator set it). Two
horses each spinning two OpenMP threads on two cores ran a text model 5-20x slower than
with one thread each.

Metrics: both workers count every job (queue wait, duration, outcome); the forking worker
serves what it and its horses counted on its own port (``YTE_WORKER_METRICS_PORT``, see
``backend/jobs/worker_metrics.py``), the embedded one counts into the API's
``/metrics``. Only the main thread of a forking worker records metrics: a lock another
thread held at the fork would stay locked in the horse.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
import structlog
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

from backend.jobs.metrics import JOB_DURATION, JOBS, QUEUE_WAIT
from backend.jobs.queues import ALL_QUEUES, QueueName, enqueue
from backend.jobs.worker_metrics import (
    WorkerMetrics,
    multiprocess_active,
    reexec_in_multiprocess_mode,
)
from backend.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Recurring:
    name: str
    queue: QueueName
    func: str
    interval_s: float


RECONCILE = "pipeline-reconcile"


def _lock(job: Recurring) -> str:
    return f"ytempire:schedule:{job.name}"


def _ttl(job: Recurring) -> int:
    return max(int(job.interval_s), 1)


def reconcile_job(settings: Settings) -> Recurring:
    return Recurring(
        RECONCILE,
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
            "autopilot",
            QueueName.maintenance,
            "backend.autopilot.tasks.run_tick",
            settings.autopilot_interval_seconds,
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
            "alert-watch",
            QueueName.maintenance,
            "backend.alerts.tasks.watch",
            settings.alert_watch_interval_seconds,
        ),
        Recurring(
            "media-prune",
            QueueName.maintenance,
            "backend.media.retention.prune_job",
            settings.media_prune_interval_seconds,
        ),
        Recurring(
            "backup",
            QueueName.maintenance,
            "backend.backup.tasks.scheduled_backup",
            # an hourly check: it backs up when the newest archive is older than the interval
            min(3600, settings.backup_interval_seconds),
        ),
    ]


class PeriodicScheduler(threading.Thread):
    """Enqueues each recurring job once per interval across all workers (Redis SET NX).

    Each scheduler also keeps its own next due time per job, so a lock that vanished with
    a Redis restart does not fire every recurring job at once (discovery reaches the
    network); the reconciler is due at once: after a restart it is the one that matters.
    """

    def __init__(
        self,
        connection: redis.Redis,
        jobs: Sequence[Recurring],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="ytempire-scheduler", daemon=True)
        self._redis = connection
        self._jobs = jobs
        self._halt = threading.Event()
        self._clock = clock
        now = clock()
        # first runs one interval after start (no network call at start), except the
        # reconciler, which runs at once, locally
        self._due = {j.name: now if j.name == RECONCILE else now + j.interval_s for j in jobs}
        for job in jobs:
            if job.name != RECONCILE:
                with contextlib.suppress(redis.RedisError):  # tick() takes it later
                    connection.set(_lock(job), b"1", nx=True, ex=_ttl(job))

    def tick(self) -> list[str]:
        fired = []
        now = self._clock()
        for job in self._jobs:
            if now < self._due[job.name]:
                continue
            if self._redis.set(_lock(job), b"1", nx=True, ex=_ttl(job)):
                enqueue(self._redis, job.queue, job.func)
                fired.append(job.name)
            self._due[job.name] = now + (job.interval_s if job.name != RECONCILE else 0.0)
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


RECONNECT_MAX_S = 5.0  # the longest wait between two tries to reach Redis again
THREAD_SETTINGS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> bool:
    """Have the kernel SIGKILL this process when its parent dies (Linux ``prctl``); exit at
    once if the parent is already gone. False where the call is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent_pid:  # it died before the call: no signal will come
        os._exit(1)
    return armed


def usable_cpus() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def horse_threads(connection: redis.Redis, hostname: str | None) -> int:
    """Each horse's share of this box's cores: the cores over the workers registered from
    this host (a dead worker still registered makes the share smaller, never larger)."""
    try:
        here = sum(1 for w in Worker.all(connection=connection) if w.hostname == hostname)
    except redis.RedisError:
        here = 1
    return max(1, usable_cpus() // max(1, here))


def queue_wait_s(job: Job, started: datetime) -> float | None:
    """Seconds from the job's (last) enqueue to ``started``; None if it was never enqueued."""
    enqueued = job.enqueued_at
    if enqueued is None:
        return None
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return max(0.0, (started - enqueued).total_seconds())


class MeteredJobs:
    """Counts each job where it runs (a work horse, or the embedded worker's thread)."""

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        waited = queue_wait_s(job, datetime.now(UTC))
        if waited is not None:
            QUEUE_WAIT.labels(queue=queue.name).observe(waited)
        started = time.perf_counter()
        ok: bool = super().perform_job(job, queue, execution)  # type: ignore[misc]
        JOB_DURATION.labels(queue=queue.name).observe(time.perf_counter() - started)
        JOBS.labels(queue=queue.name, outcome="finished" if ok else "failed").inc()
        return ok


class ResilientWorker(MeteredJobs, Worker):
    """RQ's forking worker, made to survive Redis outages and never to orphan a horse."""

    max_connection_wait_time = RECONNECT_MAX_S

    def __init__(self, *args: Any, metrics: WorkerMetrics | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent_pid = os.getpid()
        self._redis_down_since: float | None = None
        self._horse_threads = 1
        self.metrics = metrics

    def _redis_failed(self, doing: str, exc: redis.RedisError) -> None:
        now = time.monotonic()
        if self._redis_down_since is None:
            self._redis_down_since = now
        log.warning(
            "worker.redis_unavailable",
            doing=doing,
            error=repr(exc)[:200],
            down_s=round(now - self._redis_down_since, 1),
        )

    def _redis_ok(self) -> None:
        if self._redis_down_since is not None:
            down_s = round(time.monotonic() - self._redis_down_since, 1)
            self._redis_down_since = None
            log.info("worker.redis_back", down_s=down_s)

    # --- the work horse ------------------------------------------------------
    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        # read by the child before it runs any job code
        self._parent_pid = os.getpid()
        self._horse_threads = horse_threads(self.connection, self.hostname)
        super().fork_work_horse(job, queue)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        die_with_parent(self._parent_pid)
        if not any(os.environ.get(name) for name in THREAD_SETTINGS):  # the operator's wins
            os.environ["OMP_NUM_THREADS"] = str(self._horse_threads)
        super().main_work_horse(job, queue)

    def end_horse(self) -> None:
        """Kill a horse that is still running (its process group) and reap it."""
        pid = self.horse_pid
        if not pid:
            return
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
        log.warning("worker.horse_killed", pid=pid)
        self._horse_pid = 0

    # --- Redis calls that must not end the worker ------------------------------
    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        """Register with Redis, waiting (capped backoff) while it is away at start-up."""
        wait_s = 1.0
        while True:
            try:
                super().bootstrap(*args, **kwargs)
            except redis.RedisError as exc:
                self._redis_failed("start", exc)
                with contextlib.suppress(Exception):  # a half-made subscription
                    self.unsubscribe()
                self.pubsub_thread = None
                time.sleep(wait_s)
                wait_s = min(wait_s * self.exponential_backoff_factor, RECONNECT_MAX_S)
                with contextlib.suppress(redis.RedisError):  # a half-made registration
                    self.connection.delete(self.key)
            else:
                self._redis_ok()
                return

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            super().execute_job(job, queue)
        except redis.RedisError as exc:
            # Preparing the job, or the bookkeeping once its horse ended, needed Redis. The
            # job stays "started" in RQ; the pipeline's reconciler enqueues its stage again.
            self.end_horse()
            self._redis_failed(f"bookkeeping of job {job.id}", exc)
        else:
            self._redis_ok()
        finally:
            self.fold_metrics()

    def fold_metrics(self) -> None:
        """Fold the metrics files of horses that have ended into the worker's own."""
        if self.metrics is None:
            return
        try:
            self.metrics.fold_dead()
        except (OSError, ValueError, RuntimeError) as exc:  # a scrape is worth less than work
            log.warning("worker.metrics.fold_failed", error=repr(exc)[:200])

    def handle_work_horse_killed(self, job: Job, retpid: Any, ret_val: Any, rusage: Any) -> None:
        JOBS.labels(queue=job.origin, outcome="killed").inc()
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        try:
            super().heartbeat(timeout, pipeline)
        except redis.RedisError as exc:
            self._redis_failed("heartbeat", exc)

    def maintain_heartbeats(self, job: Job, execution: Any) -> None:
        try:
            super().maintain_heartbeats(job, execution)
        except redis.RedisError as exc:  # the horse works on; the next beat tries again
            self._redis_failed("job heartbeat", exc)
        else:
            self._redis_ok()

    def set_state(self, state: str, pipeline: Any = None) -> None:
        try:  # the state is kept locally first; Redis is told when it is there
            super().set_state(state, pipeline)
        except redis.RedisError as exc:
            self._redis_failed(f"state {state}", exc)

    def set_shutdown_requested_date(self) -> None:
        try:
            super().set_shutdown_requested_date()
        except redis.RedisError as exc:  # the stop itself does not need Redis
            self._redis_failed("shutdown request", exc)

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except redis.RedisError as exc:  # the dequeue that follows waits for Redis
            self._redis_failed("suspension check", exc)

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except redis.RedisError as exc:  # not marked done: tried again next round
            self._redis_failed("maintenance", exc)

    def teardown(self) -> None:
        self.end_horse()
        try:
            super().teardown()
        except redis.RedisError as exc:
            self._redis_failed("teardown", exc)


def wait_for_redis(connection: redis.Redis) -> None:
    """Return once Redis answers, trying again with capped exponential backoff."""
    wait_s = 1.0
    while True:
        try:
            connection.ping()
        except redis.RedisError as exc:
            log.warning("worker.waiting_for_redis", error=repr(exc)[:200], retry_in_s=wait_s)
            time.sleep(wait_s)
            wait_s = min(wait_s * 2, RECONNECT_MAX_S)
        else:
            return


def worker_metrics(settings: Settings) -> WorkerMetrics | None:
    """The worker's metrics endpoint, serving (None when ``YTE_WORKER_METRICS_PORT`` is 0).

    Without prometheus_client's multiprocess mode this process executes itself again
    with it (same pid): the mode is chosen when prometheus_client is imported."""
    if settings.worker_metrics_port == 0:
        return None
    if not multiprocess_active():
        reexec_in_multiprocess_mode()
    metrics = WorkerMetrics.from_environment()
    assert metrics is not None  # multiprocess mode is on
    metrics.clear_stale()
    metrics.serve(settings.worker_metrics_host, settings.worker_metrics_port)
    return metrics


def run_worker(
    connection: redis.Redis, settings: Settings, names: Sequence[str] | None, burst: bool
) -> bool:
    """A forking RQ worker: a job killed mid-way takes only its work horse with it, a Redis
    outage is waited out, and its horse never outlives it."""
    metrics = worker_metrics(settings)
    wait_for_redis(connection)  # RQ's worker asks Redis for its address when it is made
    scheduler = PeriodicScheduler(connection, recurring_jobs(settings))
    if not burst:
        scheduler.start()
    worker = ResilientWorker(queues_for(connection, names), connection=connection, metrics=metrics)
    try:
        return worker.work(burst=burst, logging_level="INFO")
    finally:
        worker.end_horse()
        scheduler.stop()
        if metrics is not None:
            metrics.close()


class _ThreadWorker(MeteredJobs, SimpleWorker):
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
