"""Prometheus metrics of the publishing domain (registered on import, served by /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Set by the API when /metrics is scraped (from the database) and by a worker after each
# spend: "mostrecent" keeps the last value a worker's horse set once the horse is gone.
QUOTA_LEFT = Gauge(
    "ytempire_youtube_quota_units_left",
    "YouTube Data API units left today (Pacific time) for the Google Cloud project",
    ["project"],
    multiprocess_mode="mostrecent",
)
QUOTA_USED = Gauge(
    "ytempire_youtube_quota_units_used",
    "YouTube Data API units used today (Pacific time) for the Google Cloud project",
    ["project"],
    multiprocess_mode="mostrecent",
)
QUOTA_LIMIT = Gauge(
    "ytempire_youtube_quota_units_limit",
    "YouTube Data API units per Pacific day for the Google Cloud project (the setting)",
    ["project"],
    multiprocess_mode="mostrecent",
)
QUOTA_SPENT = Counter(
    "ytempire_youtube_quota_units_spent_total",
    "YouTube Data API units counted before calls by uploads and analytics, by method",
    ["method"],
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
# The upload stage (backend/pipeline/upload.py): one per try, by how it ended.
UPLOAD_OUTCOMES = (
    "published",
    "scheduled",
    "held",
    "needs_reconnect",
    "quota_wait",
    "retry",
    "failed",
    "cancelled",
)
UPLOADS = Counter(
    "ytempire_youtube_uploads_total",
    "Upload stage tries by outcome (published, scheduled, held, needs_reconnect, quota_wait, "
    "retry, failed, cancelled)",
    ["outcome"],
)
UPLOAD_SECONDS = Histogram(
    "ytempire_youtube_upload_seconds",
    "Seconds one upload stage try took (upload, thumbnail and captions), by outcome",
    ["outcome"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600),
)
for _outcome in UPLOAD_OUTCOMES:  # every outcome shows in /metrics from the start, at 0
    UPLOADS.labels(outcome=_outcome)
