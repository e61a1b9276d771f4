"""Prometheus metrics of the analytics sync (default registry, served on ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ROWS_UPSERTED = Counter(
    "ytempire_analytics_rows_upserted_total",
    "Daily metric rows inserted or changed by the sync (an unchanged row is not counted)",
    ["table"],
)
CHANNELS_SYNCED = Counter(
    "ytempire_analytics_channels_total",
    "Channel syncs by outcome (synced, needs_reconnect, not_connected, quota, failed)",
    ["outcome"],
)
SYNC_SECONDS = Histogram(
    "ytempire_analytics_channel_sync_seconds",
    "Wall time of one channel's analytics sync",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
API_CALLS = Counter(
    "ytempire_analytics_api_calls_total",
    "YouTube Analytics reports.query calls by report and outcome (ok, retry, auth, quota, reject)",
    ["report", "outcome"],
)
STAT_SNAPSHOTS = Counter(
    "ytempire_analytics_stat_snapshots_total",
    "videos.list(part=statistics) snapshots stored for fresh uploads",
)
STAT_POLLS_SKIPPED = Counter(
    "ytempire_analytics_stat_polls_skipped_total",
    "Fresh-upload statistics polls not made, by reason (quota_reserve, needs_reconnect, "
    "not_connected, failed)",
    ["reason"],
)
