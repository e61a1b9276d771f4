"""Old job path: RQ stores a job's function as a dotted path, so budget-watch jobs queued
before the watcher moved to ``backend.costs.tasks`` still name this one. Nothing new uses it."""

from backend.costs.tasks import watch_budgets

__all__ = ["watch_budgets"]
