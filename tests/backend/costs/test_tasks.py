"""The budget watcher is the costs domain's job, and the jobs package imports no domain."""

from __future__ import annotations

import pytest
from rq.utils import import_attribute

from backend.costs import tasks
from backend.jobs.worker import recurring_jobs
from backend.settings import Settings


def test_recurring_jobs_name_their_domains_task_modules() -> None:
    jobs = {job.name: job.func for job in recurring_jobs(Settings())}
    assert jobs["budget-watch"] == "backend.costs.tasks.watch_budgets"
    for path in jobs.values():
        assert not path.startswith("backend.jobs."), path
        assert callable(import_attribute(path))


def test_the_old_job_path_is_gone_so_jobs_does_not_import_costs() -> None:
    # A budget-watch job still queued under backend.jobs.tasks fails once on import; the
    # watcher is periodic and idempotent, so the next tick (new path) does its work.
    with pytest.raises(ValueError):
        import_attribute("backend.jobs.tasks.watch_budgets")
    assert callable(tasks.watch_budgets)
