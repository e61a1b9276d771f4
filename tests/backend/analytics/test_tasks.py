"""The analytics jobs: the recurring ones are registered, the daily job queues one sync per
connected channel (once), and the backfill is queued only when the connection commits and
then runs as an RQ job against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from rq import Queue
from rq.utils import import_attribute

from backend.analytics import tasks
from backend.db.session import unit_of_work
from backend.jobs.queues import QueueName
from backend.jobs.worker import recurring_jobs
from backend.models import ChannelDailyMetric, VideoDailyMetric
from backend.settings import Settings, use_settings
from tests.backend.analytics.conftest import Owner, count, noon
from tests.fakes.youtube_analytics import pacific_today

pytestmark = pytest.mark.timeout(120)


def test_the_recurring_jobs_name_the_analytics_tasks() -> None:
    settings = Settings(
        analytics_sync_interval_seconds=3600, analytics_stats_poll_interval_seconds=600
    )
    jobs = {job.name: job for job in recurring_jobs(settings)}
    assert jobs["analytics-sync"].func == "backend.analytics.tasks.sync_daily"
    assert jobs["analytics-sync"].interval_s == 3600
    assert jobs["analytics-stats-poll"].func == "backend.analytics.tasks.poll_fresh_statistics"
    assert jobs["analytics-stats-poll"].interval_s == 600
    for name in ("analytics-sync", "analytics-stats-poll"):
        assert jobs[name].queue is QueueName.publishing
        assert callable(import_attribute(jobs[name].func))
    assert callable(import_attribute(tasks.BACKFILL_CHANNEL))
    assert callable(import_attribute(tasks.SYNC_CHANNEL))


@pytest.fixture
def job_settings(
    owner: Owner,
    redis_url: str,
) -> Iterator[Settings]:
    settings = owner.settings.model_copy(update={"redis_url": redis_url})
    use_settings(settings)
    yield settings
    use_settings(None)


def publishing_queue(url: str) -> Queue:
    return Queue(QueueName.publishing.value, connection=redis.Redis.from_url(url))


async def test_the_backfill_is_queued_after_the_connection_commits_and_runs(
    owner: Owner, job_settings: Settings
) -> None:
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    today = pacific_today()
    await owner.video(channel, "vidOld00001", noon(today - timedelta(days=100)))
    queue = publishing_queue(job_settings.redis_url)
    connection = redis.Redis.from_url(job_settings.redis_url)
    async with unit_of_work(owner.sessions) as session:
        tasks.enqueue_backfill(session, connection, job_settings, channel.channel_id)
        assert queue.count == 0  # not before the commit
    job = queue.fetch_job(f"analytics-backfill-{channel.channel_id}")
    assert job is not None and job.func_name == tasks.BACKFILL_CHANNEL
    assert job.args == (str(channel.channel_id),)
    assert job.timeout == job_settings.analytics_job_timeout_seconds
    with pytest.raises(RuntimeError):  # a rolled-back connection queues nothing
        async with unit_of_work(owner.sessions) as session:
            tasks.enqueue_backfill(session, connection, job_settings, owner.user_id)
            raise RuntimeError("connect failed")
    assert queue.count == 1

    # The job itself (what the worker runs), on its own event loop.
    result = await asyncio.to_thread(tasks.backfill_channel, str(channel.channel_id))
    assert result["outcome"] == "synced" and result["channel_days"] == 89
    assert await count(owner.sessions, ChannelDailyMetric) == 89
    assert await count(owner.sessions, VideoDailyMetric) == 89


async def test_the_daily_job_queues_one_sync_per_connected_channel(
    owner: Owner, job_settings: Settings
) -> None:
    first = await owner.channel("One", "UCone0000000000000000001")
    second = await owner.channel("Two", "UCtwo0000000000000000001")
    assert await asyncio.to_thread(tasks.sync_daily) == {"queued": 2}
    assert await asyncio.to_thread(tasks.sync_daily) == {"queued": 2}  # ids: not twice
    queue = publishing_queue(job_settings.redis_url)
    assert sorted(queue.job_ids) == sorted(
        f"analytics-sync-{c.channel_id}" for c in (first, second)
    )
    result = await asyncio.to_thread(tasks.sync_channel, str(first.channel_id), 5)
    assert result["outcome"] == "synced" and result["channel_days"] == 4
