"""The conditions the watcher checks, each a small function returning what fires now.

An :class:`Alert` names its condition (``code``) and what it is about (``subject``), so one
condition can fire for several things (one per stuck video). A check that could not run
(Redis away, say) is reported in :attr:`Evaluation.errors` and its open alerts stay open:
only a check that ran can clear its alerts.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis
import structlog
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.alerts.backups import BackupState, backup_state
from backend.jobs.queues import ALL_QUEUES
from backend.media.disk import usage
from backend.models import Channel, StageRun, StageStatus, User, Video, VideoStatus
from backend.pipeline.dispatch import timeout_for
from backend.publishing.quota import quota_status
from backend.settings import Settings

log = structlog.get_logger(__name__)

GB = 1024**3


@dataclass(frozen=True, slots=True)
class Alert:
    code: str
    subject: str
    severity: str  # warning | critical
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    owner_id: uuid.UUID | None = None  # None: the appliance's admins
    channel_id: uuid.UUID | None = None
    video_id: uuid.UUID | None = None


@dataclass
class Evaluation:
    firing: list[Alert] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Probe:
    session: AsyncSession
    connection: redis.Redis
    settings: Settings
    now: datetime


Check = Callable[[Probe], Awaitable[list[Alert]]]


async def disk_low(probe: Probe) -> list[Alert]:
    disk = usage(probe.settings.media_dir)
    floor = probe.settings.disk_free_alert_fraction
    if disk.free_fraction >= floor:
        return []
    return [
        Alert(
            "disk_low",
            "media",
            "critical",
            f"Disk almost full: {disk.free_bytes / GB:.1f} GB free ({disk.free_fraction:.1%}) "
            f"on the media disk, below {floor:.0%}. Free space with `ytempire media prune` "
            "or set channels' media retention; renders that would not fit are refused.",
            {
                "free_bytes": disk.free_bytes,
                "total_bytes": disk.total_bytes,
                "path": str(disk.path),
            },
        )
    ]


def stale_backup(
    state: BackupState, max_age_h: float, now: datetime, installed_at: datetime | None = None
) -> list[Alert]:
    """No archive made in the last ``max_age_h`` hours (a failed run makes none; the backup
    job raises its own ``backup.failed`` for each failure). A new appliance without any
    backup yet gets the same grace, counted from its first account (``installed_at``)."""
    since = state.last_success_at or installed_at
    if since is not None and now - since <= timedelta(hours=max_age_h):
        return []
    when = state.last_success_at
    return [
        Alert(
            "backup_stale",
            "backup",
            "critical",
            (f"No successful backup since {when:%Y-%m-%d %H:%M} UTC" if when else "No backup yet")
            + f" (older than {max_age_h:g} h). Run `ytempire backup create` and check the "
            "scheduled backup's errors.",
            {"last_success_at": when.isoformat() if when else None},
        )
    ]


def failed_backup(state: BackupState) -> list[Alert]:
    """The scheduled backup's last run failed (open until a later run works), so the
    failure reaches the webhook and e-mail too, not only the dashboard's ``backup.failed``."""
    if state.last_run_error is None:
        return []
    return [
        Alert(
            "backup_failed",
            "backup",
            "critical",
            f"The scheduled backup failed: {state.last_run_error[:300]}. Run `ytempire backup "
            "create` to see it, fix the cause (disk space, database access, YTE_BACKUP_DIR).",
            {"error": state.last_run_error[:300]},
        )
    ]


async def backup_stale(probe: Probe) -> list[Alert]:
    state = backup_state(probe.settings)
    installed = await probe.session.scalar(select(func.min(User.created_at)))
    stale = stale_backup(state, probe.settings.alert_backup_max_age_hours, probe.now, installed)
    return stale + failed_backup(state)


async def quota_low(probe: Probe) -> list[Alert]:
    quota = await quota_status(probe.session, probe.settings.youtube_upload_quota, probe.now)
    if quota.project_id is None or quota.limit <= 0:
        return []
    left = quota.left / quota.limit
    if left >= probe.settings.alert_quota_left_fraction:
        return []
    return [
        Alert(
            "quota_low",
            quota.project_id[:80],
            "warning",
            f"YouTube quota low: {quota.left} of {quota.limit} units left today "
            f"({left:.0%}); it resets at {quota.resets_at:%H:%M} UTC. Uploads wait for it.",
            {"left": quota.left, "limit": quota.limit, "resets_at": quota.resets_at.isoformat()},
        )
    ]


def queue_depth(connection: redis.Redis) -> dict[str, int]:
    return {n.value: Queue(n.value, connection=connection).count for n in ALL_QUEUES}


async def queue_backlog(probe: Probe) -> list[Alert]:
    depth = queue_depth(probe.connection)
    total = sum(depth.values())
    if total <= probe.settings.alert_queue_backlog:
        return []
    busiest = max(depth, key=lambda name: depth[name])
    return [
        Alert(
            "queue_backlog",
            "queues",
            "warning",
            f"Queue backlog: {total} jobs waiting (more than "
            f"{probe.settings.alert_queue_backlog}), most in {busiest}. Are workers running?",
            {"waiting": depth},
        )
    ]


async def stuck_runs(
    session: AsyncSession, settings: Settings, now: datetime
) -> list[tuple[Video, Channel, StageRun, float]]:
    """Running videos whose current stage started longer ago than its time limit + grace."""
    rows = await session.execute(
        select(Video, Channel, StageRun)
        .join(Channel, Channel.id == Video.channel_id)
        .join(StageRun, (StageRun.video_id == Video.id) & (StageRun.stage == Video.stage))
        .where(Video.status == VideoStatus.running, StageRun.status == StageStatus.running)
    )
    stuck = []
    for video, channel, run in rows.tuples():
        limit = timeout_for(settings, channel, run.stage)
        if run.started_at is None:
            continue
        age = (now - run.started_at).total_seconds()
        if age > limit + settings.alert_stuck_grace_seconds:
            stuck.append((video, channel, run, limit))
    return stuck


async def video_stuck(probe: Probe) -> list[Alert]:
    alerts = []
    for video, channel, run, limit in await stuck_runs(probe.session, probe.settings, probe.now):
        assert run.started_at is not None
        minutes = (probe.now - run.started_at).total_seconds() / 60
        alerts.append(
            Alert(
                "video_stuck",
                str(video.id),
                "warning",
                f"{video.title or video.topic or 'A video'} has been at {run.stage.value} for "
                f"{minutes:.0f} min, past its {limit / 60:.0f} min limit: is a worker running?",
                {"stage": run.stage.value, "started_at": run.started_at.isoformat()},
                owner_id=channel.owner_id,
                channel_id=channel.id,
                video_id=video.id,
            )
        )
    return alerts


async def ended_since(session: AsyncSession, since: datetime) -> tuple[int, Counter[str]]:
    """Productions completed since ``since``, and those failed by the stage they failed at."""
    completed = await session.scalar(
        select(func.count()).select_from(Video).where(Video.completed_at >= since)
    )
    failed = await session.execute(
        select(Video.stage, func.count())
        .where(Video.status == VideoStatus.failed, Video.failed_at >= since)
        .group_by(Video.stage)
    )
    by_stage: Counter[str] = Counter()
    for stage, count in failed.tuples():
        by_stage[stage.value if stage is not None else "unknown"] += int(count)
    return int(completed or 0), by_stage


async def failure_rate(probe: Probe) -> list[Alert]:
    window = probe.settings.alert_failure_window_minutes
    completed, failed = await ended_since(probe.session, probe.now - timedelta(minutes=window))
    ended = completed + sum(failed.values())
    if ended < probe.settings.alert_failure_min_videos:
        return []
    rate = sum(failed.values()) / ended
    if rate < probe.settings.alert_failure_rate:
        return []
    stages = ", ".join(f"{stage} {count}" for stage, count in failed.most_common(3))
    return [
        Alert(
            "failure_rate",
            "pipeline",
            "critical",
            f"{rate:.0%} of the {ended} productions that ended in the last {window} min failed "
            f"({stages}). See the failed videos' errors.",
            {"rate": round(rate, 3), "ended": ended, "failed_by_stage": dict(failed)},
        )
    ]


CHECKS: dict[str, Check] = {
    "disk_low": disk_low,
    "backup": backup_stale,
    "quota_low": quota_low,
    "queue_backlog": queue_backlog,
    "video_stuck": video_stuck,
    "failure_rate": failure_rate,
}
# the codes each check owns (a check clears only its own)
CODES: dict[str, tuple[str, ...]] = {
    "disk_low": ("disk_low",),
    "backup": ("backup_stale", "backup_failed"),
    "quota_low": ("quota_low",),
    "queue_backlog": ("queue_backlog",),
    "video_stuck": ("video_stuck",),
    "failure_rate": ("failure_rate",),
}


async def evaluate(
    session: AsyncSession,
    connection: redis.Redis,
    settings: Settings,
    now: datetime,
    checks: dict[str, Check] | None = None,
) -> Evaluation:
    probe = Probe(session, connection, settings, now)
    result = Evaluation()
    for name, check in (checks or CHECKS).items():
        try:
            alerts = await check(probe)
        except (redis.RedisError, OSError) as exc:  # the others still run
            result.errors[name] = f"{type(exc).__name__}: {exc}"
            log.warning("alerts.check_failed", check=name, error=type(exc).__name__)
            continue
        result.checked.update(CODES.get(name, (name,)))
        result.firing.extend(alerts)
    return result
