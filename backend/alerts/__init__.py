"""Owner-facing alerts: conditions the app checks itself (disk, backups, quota, queue, stuck
videos, the failure rate), raised once as ``system.alert`` events until they clear, and
optionally delivered by webhook or e-mail. Budget alerts stay ``cost.alert`` (costs)."""
