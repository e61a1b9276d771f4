"""The budget watcher is the costs domain's job; the old dotted path still resolves."""

from __future__ import annotations

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


def test_jobs_queued_under_the_old_path_run_the_same_function() -> None:
    assert import_attribute("backend.jobs.tasks.watch_budgets") is tasks.watch_budgets
