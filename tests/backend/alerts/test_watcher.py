"""The alert watcher against the real database and Redis: each condition raises one
system.alert per recipient until it clears, then a system.alert_resolved; a check that could
not run keeps its alerts open; a recurrence is a new alert."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.alerts import conditions
from backend.alerts.service import ALERT, RESOLVED, apply, open_alerts
from backend.alerts.tasks import watch_once
from backend.auth.service import create_user
from backend.backup.service import archive_name
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.jobs.runtime import JobContext
from backend.models import (
    Channel,
    Event,
    StageRun,
    StageStatus,
    User,
    UserRole,
    Video,
    VideoStage,
    VideoStatus,
)
from backend.settings import Settings

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
QUIET = {  # thresholds nothing on this box crosses
    "disk_free_alert_fraction": 0.0,
    "alert_queue_backlog": 1_000_000,
}


@pytest.fixture
def connection(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
async def admin(db: async_sessionmaker[AsyncSession], settings: Settings) -> User:
    async with unit_of_work(db) as session:
        user = await create_user(
            session, settings, email="admin@example.com", password="long enough password"
        )
        user.role = UserRole.admin
    return user


def fresh_backup(settings: Settings) -> None:
    """An archive made now, so the backup check is quiet (its own tests are below)."""
    directory = settings.resolved_backup_dir
    directory.mkdir(parents=True, exist_ok=True)
    (directory / archive_name(utcnow(), encrypted=False)).write_bytes(b"archive")


def ctx(
    settings: Settings, db: async_sessionmaker[AsyncSession], conn: redis.Redis, **kw: Any
) -> JobContext:
    return JobContext(settings.model_copy(update={**QUIET, **kw}), db, conn)


async def system_events(db: async_sessionmaker[AsyncSession]) -> list[Event]:
    async with db() as session:
        rows = await session.scalars(
            select(Event).where(Event.type.in_((ALERT, RESOLVED))).order_by(Event.occurred_at)
        )
        return list(rows)


@POSTGRES
async def test_a_condition_alerts_once_until_it_clears_then_again(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, admin: User
) -> None:
    fresh_backup(settings)
    full = ctx(settings, db, connection, disk_free_alert_fraction=1.0)  # any disk is "full"
    first = await watch_once(full)
    assert first["opened"] == ["disk_low"] and first["resolved"] == []
    again = await watch_once(full)
    assert again["opened"] == [] and again["firing"] == 1  # still firing, not raised again
    events = await system_events(db)
    assert [(e.type, e.data["code"], e.user_id) for e in events] == [(ALERT, "disk_low", admin.id)]
    assert "Disk almost full" in events[0].message and events[0].severity == "critical"

    cleared = await watch_once(ctx(settings, db, connection))
    assert cleared["resolved"] == ["disk_low"]
    events = await system_events(db)
    assert [e.type for e in events] == [ALERT, RESOLVED]
    assert events[0].data["resolved_at"] and events[0].dedup_key == f"alert:closed:{events[0].id}"
    assert events[1].data["alert_id"] == str(events[0].id)
    assert (await watch_once(ctx(settings, db, connection)))["resolved"] == []  # once

    back = await watch_once(full)
    assert back["opened"] == ["disk_low"]  # a new episode is a new alert
    assert [e.type for e in await system_events(db)] == [ALERT, RESOLVED, ALERT]


@POSTGRES
async def test_queue_backlog_and_missing_backup_alert_every_admin(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, admin: User
) -> None:
    async with unit_of_work(db) as session:
        second = await create_user(
            session, settings, email="second@example.com", password="long enough password"
        )
        second.role = UserRole.admin
        member = await create_user(
            session, settings, email="member@example.com", password="long enough password"
        )
    async with unit_of_work(db) as session:  # installed long ago: no backup since is stale
        for user in await session.scalars(select(User)):
            user.created_at = utcnow() - timedelta(days=3)
    queue = Queue("maintenance", connection=connection)
    for _ in range(3):
        queue.enqueue("backend.costs.tasks.watch_budgets")
    result = await watch_once(ctx(settings, db, connection, alert_queue_backlog=2))
    assert sorted(result["opened"]) == ["backup_stale", "queue_backlog"]
    events = await system_events(db)
    assert {(e.data["code"], e.user_id) for e in events} == {
        (code, user) for code in ("backup_stale", "queue_backlog") for user in (admin.id, second.id)
    }
    assert member.id not in {e.user_id for e in events}
    backlog = next(e for e in events if e.data["code"] == "queue_backlog")
    assert "3 jobs waiting" in backlog.message and backlog.data["waiting"]["maintenance"] == 3
    stale = next(e for e in events if e.data["code"] == "backup_stale")
    assert stale.message.startswith("No backup yet")

    fresh_backup(settings)
    queue.empty()
    result = await watch_once(ctx(settings, db, connection, alert_queue_backlog=2))
    assert sorted(result["resolved"]) == ["backup_stale", "queue_backlog"]
    async with db() as session:
        assert await open_alerts(session) == []


def test_an_old_backup_is_stale() -> None:
    now = utcnow()
    state = conditions.BackupState(now - timedelta(hours=27), True)
    assert [a.code for a in conditions.stale_backup(state, 26, now)] == ["backup_stale"]
    fresh = conditions.BackupState(now - timedelta(hours=25), True)
    assert conditions.stale_backup(fresh, 26, now) == []
    never = conditions.BackupState(None, None)  # a new appliance gets the same grace
    assert conditions.stale_backup(never, 26, now, installed_at=now - timedelta(hours=2)) == []
    old = now - timedelta(hours=30)
    assert [a.code for a in conditions.stale_backup(never, 26, now, installed_at=old)] == [
        "backup_stale"
    ]


def test_a_failed_scheduled_backup_alerts_until_a_run_works(tmp_path: Path) -> None:
    from backend.alerts.backups import backup_state
    from backend.backup.tasks import write_state

    settings = Settings(data_dir=tmp_path, secret_key="x" * 40, redis_url="embedded")
    directory = settings.resolved_backup_dir
    assert conditions.failed_backup(backup_state(settings)) == []  # never ran
    write_state(directory, {"ok": False, "error": "BackupDatabaseError: pg_dump: no space"})
    (alert,) = conditions.failed_backup(backup_state(settings))
    assert alert.code == "backup_failed" and alert.severity == "critical"
    assert "pg_dump: no space" in alert.message
    write_state(directory, {"ok": True, "archive": "x.tar", "error": None})
    assert conditions.failed_backup(backup_state(settings)) == []
    assert "backup_failed" in conditions.CODES["backup"]


async def _video(
    db: async_sessionmaker[AsyncSession],
    owner: User,
    status: VideoStatus,
    *,
    stage: VideoStage = VideoStage.render,
    started_ago_s: float = 0,
    **fields: Any,
) -> uuid.UUID:
    async with unit_of_work(db) as session:
        channel = await session.scalar(select(Channel).where(Channel.owner_id == owner.id))
        if channel is None:
            channel = Channel(owner_id=owner.id, name="Science Bites", niche="science")
            session.add(channel)
            await session.flush()
        video = Video(
            channel_id=channel.id, topic="volcanoes", status=status, stage=stage, **fields
        )
        session.add(video)
        await session.flush()
        session.add(
            StageRun(
                video_id=video.id,
                stage=stage,
                status=StageStatus.running,
                attempts=1,
                tries=1,
                started_at=utcnow() - timedelta(seconds=started_ago_s),
            )
        )
        return video.id


@POSTGRES
async def test_a_video_past_its_stage_limit_alerts_its_owner_only(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, admin: User
) -> None:
    fresh_backup(settings)
    async with unit_of_work(db) as session:
        owner = await create_user(
            session, settings, email="owner2@example.com", password="long enough password"
        )
    stuck = await _video(db, owner, VideoStatus.running, started_ago_s=400)
    await _video(db, owner, VideoStatus.running, started_ago_s=100)  # within limit + grace
    limits = {"render_timeout_seconds": 60.0, "alert_stuck_grace_seconds": 120.0}
    result = await watch_once(ctx(settings, db, connection, **limits))
    assert result["opened"] == ["video_stuck"]
    [event] = await system_events(db)
    assert event.user_id == owner.id and event.video_id == stuck
    assert "at render for 7 min, past its 1 min limit" in event.message

    async with unit_of_work(db) as session:
        video = await session.get(Video, stuck)
        assert video is not None
        video.status = VideoStatus.failed
    result = await watch_once(ctx(settings, db, connection, **limits))
    assert result["resolved"] == ["video_stuck"]


@POSTGRES
async def test_the_failure_rate_needs_enough_productions(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, admin: User
) -> None:
    fresh_backup(settings)
    now = utcnow()
    for stage in (VideoStage.voice, VideoStage.voice, VideoStage.images):
        await _video(db, admin, VideoStatus.failed, stage=stage, failed_at=now)
    rate = {"alert_failure_rate": 0.5, "alert_failure_min_videos": 4}
    assert (await watch_once(ctx(settings, db, connection, **rate)))["opened"] == []  # 3 ended
    await _video(db, admin, VideoStatus.ready, completed_at=now)
    result = await watch_once(ctx(settings, db, connection, **rate))
    assert result["opened"] == ["failure_rate"]
    [event] = await system_events(db)
    assert event.message.startswith("75% of the 4 productions that ended in the last 60 min")
    assert "voice 2, images 1" in event.message
    for _ in range(4):
        await _video(db, admin, VideoStatus.ready, completed_at=now)
    assert (await watch_once(ctx(settings, db, connection, **rate)))["resolved"] == ["failure_rate"]


async def test_a_check_that_could_not_run_keeps_its_alerts_open(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis, admin: User
) -> None:
    async def full(probe: conditions.Probe) -> list[conditions.Alert]:
        return [conditions.Alert("disk_low", "media", "critical", "Disk almost full")]

    async def unreachable(probe: conditions.Probe) -> list[conditions.Alert]:
        raise redis.ConnectionError("redis is away")

    now = utcnow()
    async with unit_of_work(db) as session:
        evaluation = await conditions.evaluate(
            session, connection, settings, now, checks={"disk_low": full}
        )
        assert [a.code for a in (await apply(session, connection, evaluation, now)).opened] == [
            "disk_low"
        ]
    async with unit_of_work(db) as session:
        evaluation = await conditions.evaluate(
            session, connection, settings, now, checks={"disk_low": unreachable}
        )
        assert evaluation.errors == {"disk_low": "ConnectionError: redis is away"}
        changes = await apply(session, connection, evaluation, now)
        assert changes.resolved == [] and len(await open_alerts(session)) == 1
