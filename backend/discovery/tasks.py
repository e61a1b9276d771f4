"""Old job paths: RQ stores a job's function as a dotted path, so jobs queued before niche
discovery moved to ``backend.niches.discovery.tasks`` still name these. Nothing new uses them."""

from backend.niches.discovery.tasks import analyze_niche, run_daily_discovery

__all__ = ["analyze_niche", "run_daily_discovery"]
