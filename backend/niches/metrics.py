"""Prometheus metrics of niche discovery (default registry, served on ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SOURCE_CALLS = Counter(
    "ytempire_discovery_source_calls_total",
    "Source calls by outcome (ok, cached, skipped, error, malformed, rate_limited, "
    "quota_exhausted, retry)",
    ["source", "outcome"],
)
SOURCE_LATENCY = Histogram(
    "ytempire_discovery_source_latency_seconds",
    "Latency of source calls that reached the network (retries included)",
    ["source"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
YOUTUBE_QUOTA_UNITS = Counter(
    "ytempire_discovery_youtube_quota_units_total",
    "YouTube Data API quota units spent by discovery",
    ["method"],
)
NICHES_SCORED = Counter("ytempire_discovery_niches_scored_total", "Niches scored")
NICHE_ALERTS = Counter("ytempire_discovery_niche_alerts_total", "niche.alert events recorded")
