"""Prometheus metrics of RQ jobs, counted on the worker that runs each job (a work horse
of ``ytempire worker``, or the embedded worker of ``ytempire serve``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from backend.jobs.queues import ALL_QUEUES

QUEUE_WAIT = Histogram(
    "ytempire_queue_wait_seconds",
    "Time from a job's enqueue to its start on a worker, by queue",
    ["queue"],
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600),
)
JOBS = Counter(
    "ytempire_worker_jobs_total",
    "RQ jobs run by outcome (finished, failed, killed: the work horse died)",
    ["queue", "outcome"],
)
JOB_DURATION = Histogram(
    "ytempire_worker_job_duration_seconds",
    "Wall time of one RQ job, by queue",
    ["queue"],
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600),
)

for _queue in ALL_QUEUES:  # at 0 from the start (an alert's increase() sees the first one)
    for _outcome in ("finished", "failed", "killed"):
        JOBS.labels(queue=_queue.value, outcome=_outcome)
