"""Prometheus metrics of the publishing domain (registered on import, served by /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

QUOTA_LEFT = Gauge(
    "ytempire_youtube_quota_units_left",
    "YouTube Data API units left today (Pacific time) for the Google Cloud project",
    ["project"],
)
QUOTA_WAITS = Counter(
    "ytempire_youtube_quota_waits_total",
    "Calls that waited for the Pacific-midnight reset",
    ["project"],
)
UPLOAD_BYTES = Counter("ytempire_youtube_upload_bytes_total", "Bytes YouTube confirmed")
UPLOAD_RETRIES = Counter(
    "ytempire_youtube_upload_retries_total", "Retried YouTube calls by cause", ["cause"]
)
