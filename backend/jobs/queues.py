"""Named RQ queues, one per kind of work, and enqueueing that waits for the commit."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, cast

import redis
import structlog
from rq import Queue, Retry
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.session import after_commit

log = structlog.get_logger(__name__)


class QueueName(enum.StrEnum):
    discovery = "discovery"  # niche and trend discovery
    production = "production"  # CPU stages: topic, script, quality, render, thumbnail
    gpu = "gpu"  # stages that hold the GPU: voice, images
    publishing = "publishing"  # uploads and analytics sync
    maintenance = "maintenance"  # budget watcher and other housekeeping


ALL_QUEUES: tuple[QueueName, ...] = tuple(QueueName)


def get_queue(name: QueueName, connection: redis.Redis) -> Queue:
    return Queue(name.value, connection=connection)


def enqueue(
    connection: redis.Redis,
    name: QueueName,
    func: Callable[..., Any] | str,
    *args: Any,
    job_id: str | None = None,
    retry: Retry | None = None,
    job_timeout: int | None = None,
    **kwargs: Any,
) -> str:
    """Enqueue now; a job with a fixed id that is already waiting is not enqueued twice.

    ``job_timeout`` (seconds) replaces RQ's default of 180 s for this job.
    """
    queue = get_queue(name, connection)
    if job_id is not None:
        existing = queue.fetch_job(job_id)
        if existing is not None and existing.get_status(refresh=True) in {"queued", "started"}:
            return job_id
    job = queue.enqueue_call(
        cast(Any, func),
        args=args,
        kwargs=kwargs or None,
        job_id=job_id,
        retry=retry,
        timeout=job_timeout,
    )
    log.info(
        "job.enqueued", queue=name.value, job_id=job.id, func=job.func_name, timeout=job.timeout
    )
    return str(job.id)


def enqueue_after_commit(
    session: AsyncSession,
    connection: redis.Redis,
    name: QueueName,
    func: Callable[..., Any] | str,
    *args: Any,
    job_id: str | None = None,
    job_timeout: int | None = None,
    **kwargs: Any,
) -> None:
    """Enqueue once the session's transaction commits; nothing is enqueued on rollback."""

    def _enqueue() -> None:
        enqueue(connection, name, func, *args, job_id=job_id, job_timeout=job_timeout, **kwargs)

    after_commit(session, _enqueue)
