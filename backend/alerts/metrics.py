"""Prometheus metrics of the alerts domain (default registry, served on ``/metrics``).

Counters count what this process did (the watcher runs in a worker, or in ``serve
--embedded``). The gauges are refreshed from the database and the disk when the API's
``/metrics`` is scraped (:mod:`backend.alerts.scrape`), so the Prometheus rules in
``docker/prometheus/alerts.yml`` see what the app's watcher checks. (Budget use, the
quota's limit and stage outcomes are the costs, publishing and pipeline metrics.)
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ALERTS_RAISED = Counter("ytempire_alerts_raised_total", "system.alert raised", ["code"])
ALERTS_RESOLVED = Counter("ytempire_alerts_resolved_total", "system.alert resolved", ["code"])
DELIVERIES = Counter(
    "ytempire_alert_deliveries_total",
    "Alert deliveries by channel (webhook, email) and outcome (sent, failed)",
    ["channel", "outcome"],
)
DISK_FREE_RATIO = Gauge(
    "ytempire_disk_free_ratio", "Free fraction of the filesystem holding the path", ["path"]
)
DISK_FREE_BYTES = Gauge("ytempire_disk_free_bytes", "Free bytes on the filesystem", ["path"])
VIDEOS_STUCK = Gauge(
    "ytempire_videos_stuck", "Running videos whose stage is past its time limit and grace"
)
DATABASE_UP = Gauge("ytempire_database_up", "1 when the API reached its database at the scrape")
ALERTS_OPEN = Gauge("ytempire_alerts_open", "Open system alerts (all recipients)", ["code"])
