"""Job paths RQ stores in Redis: the new ones, and the old ones of jobs queued before the move."""

from __future__ import annotations

from rq.utils import import_attribute

from backend.jobs.worker import recurring_jobs
from backend.niches.discovery import tasks
from backend.settings import Settings


def test_old_and_new_job_paths_name_the_same_jobs() -> None:
    for name in ("analyze_niche", "run_daily_discovery"):
        job = getattr(tasks, name)
        assert import_attribute(f"backend.niches.discovery.tasks.{name}") is job
        assert import_attribute(f"backend.discovery.tasks.{name}") is job  # queued earlier


def test_the_daily_discovery_is_scheduled_at_its_new_path() -> None:
    [daily] = [
        j for j in recurring_jobs(Settings(environment="test")) if j.name == "niche-discovery"
    ]
    assert daily.func == "backend.niches.discovery.tasks.run_daily_discovery"
    assert import_attribute(daily.func) is tasks.run_daily_discovery
