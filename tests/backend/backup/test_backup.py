"""``ytempire backup``: round trips on PostgreSQL and SQLite, refusals, damage, passphrases,
retention and the scheduled job."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from backend.backup import metrics, service, tasks
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.jobs.worker import recurring_jobs
from backend.models import Event, User, Video
from tests.backend.backup.conftest import (
    TOKENS,
    Machine,
    all_files,
    all_rows,
    decrypted_token,
    settings_for,
)


def archives(machine: Machine) -> list[Path]:
    return [b.path for b in service.list_backups(machine.settings.resolved_backup_dir)]


async def test_round_trip_restores_every_row_file_and_token(
    source: Machine, fresh: Machine
) -> None:
    created = await source.acli("backup", "create")
    assert created.exit_code == 0, created.output
    postgres = source.settings.database_url.startswith("postgresql")
    if postgres:
        assert "NOT in the archive" in created.output  # YTE_SECRET_KEY: kept by the owner
    else:
        assert "secret key (data dir secret.key) is in the archive" in created.output
    (archive,) = archives(source)
    rows, files = await all_rows(source.settings), all_files(source.settings)
    assert len(rows["videos"]) == 4 and len(rows["stage_runs"]) == 4
    assert len(rows["cost_events"]) == 4 and len(rows["youtube_credentials"]) == 1
    assert sum(1 for name in files if name.startswith("media/")) == 8
    assert "secret.key" in files or postgres

    verified = await fresh.acli("backup", "verify", str(archive))  # scratch db on fresh's server
    assert verified.exit_code == 0, verified.output
    assert "the database restores with" in verified.output
    assert service.read_sidecar(archive)["verified"] is True

    assert not (fresh.settings.data_dir / "secret.key").exists()
    restored = await fresh.acli("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert await all_rows(fresh.settings) == rows
    assert all_files(fresh.settings) == files
    assert await decrypted_token(fresh.settings) == TOKENS

    # The restored machine is now in use: a second restore is refused without --force ...
    engine = create_engine(fresh.settings, pooled=False)
    async with unit_of_work(create_sessionmaker(engine)) as session:
        channel_id = (await session.scalars(select(Video.channel_id))).first()
        session.add(Video(channel_id=channel_id, topic="made after the backup"))
    await engine.dispose()
    stray = fresh.settings.media_dir / "stray.bin"
    stray.write_bytes(b"new")
    refused = await fresh.acli("backup", "restore", str(archive))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert len((await all_rows(fresh.settings))["videos"]) == 5 and stray.exists()
    # ... and with --force it replaces everything.
    forced = await fresh.acli("backup", "restore", str(archive), "--force")
    assert forced.exit_code == 0, forced.output
    assert await all_rows(fresh.settings) == rows
    assert all_files(fresh.settings) == files


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_corrupted_archive_fails_verify_naming_the_file(source: Machine) -> None:
    assert (await source.acli("backup", "create")).exit_code == 0
    (archive,) = archives(source)
    victim = next(p for p in sorted(source.settings.media_dir.rglob("video.mp4")))
    content = victim.read_bytes()
    data = bytearray(archive.read_bytes())
    at = data.index(content[:64]) + 1000
    data[at] ^= 0xFF
    archive.write_bytes(bytes(data))

    result = await source.acli("backup", "verify", str(archive))
    assert result.exit_code == 1
    name = "data/" + victim.relative_to(source.settings.data_dir).as_posix()
    assert f"{name}: checksum mismatch" in result.output.replace("\n", "")
    assert service.read_sidecar(archive)["verified"] is False
    listing = await source.acli("backup", "list")
    assert archive.name in listing.output and "FAILED" in listing.output

    archive.write_bytes(bytes(data[: len(data) // 2]))  # cut off: the manifest is gone
    cut = await source.acli("backup", "verify", str(archive))
    assert cut.exit_code == 1 and "damaged" in cut.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_passphrase_encrypts_and_a_wrong_one_is_told_apart(
    source: Machine, fresh: Machine, tmp_path: Path, no_env_passphrase: None
) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("correct horse battery staple\n")
    bad.write_text("incorrect horse\n")
    made = await source.acli("backup", "create", "--passphrase-file", str(good))
    assert made.exit_code == 0 and "encrypted" in made.output, made.output
    (archive,) = archives(source)
    assert archive.name.endswith(".tar.ytenc")
    secret = (source.settings.data_dir / "secret.key").read_bytes()
    assert secret not in archive.read_bytes()  # nothing readable without the passphrase

    wrong = await source.acli("backup", "verify", str(archive), "--passphrase-file", str(bad))
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.output
    missing = await source.acli("backup", "verify", str(archive))
    assert missing.exit_code == 1 and "archive is encrypted" in missing.output
    ok = await source.acli("backup", "verify", str(archive), "--passphrase-file", str(good))
    assert ok.exit_code == 0, ok.output

    restored = await fresh.acli("backup", "restore", str(archive), "--passphrase-file", str(good))
    assert restored.exit_code == 0, restored.output
    assert all_files(fresh.settings) == all_files(source.settings)
    assert await decrypted_token(fresh.settings) == TOKENS

    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    damaged = await source.acli("backup", "verify", str(archive), "--passphrase-file", str(good))
    assert damaged.exit_code == 1 and "fails authentication" in damaged.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_scheduled_backup_verifies_keeps_n_and_sets_gauges(source: Machine) -> None:
    settings = source.settings.model_copy(update={"backup_keep": 2})
    made = [await tasks.backup_once(settings) for _ in range(3)]
    kept = archives(source)
    assert [p.name for p in kept] == [made[2]["archive"], made[1]["archive"]]
    assert made[2]["removed"] == [made[0]["archive"]]
    assert all(service.read_sidecar(p)["verified"] is True for p in kept)
    state = tasks.read_state(settings.resolved_backup_dir)
    assert state is not None and state["ok"] is True and state["archive"] == kept[0].name

    metrics.refresh_gauges(settings.resolved_backup_dir)
    assert metrics.LAST_SIZE._value.get() == kept[0].stat().st_size
    assert metrics.LAST_VERIFIED._value.get() == 1
    created = service.read_sidecar(kept[0])["created_at"]
    assert metrics.LAST_SUCCESS._value.get() == pytest.approx(
        datetime.fromisoformat(created).timestamp()
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_failed_scheduled_backup_alerts_the_admins(source: Machine, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the backup dir should be")
    settings = source.settings.model_copy(update={"backup_dir": blocker})
    with pytest.raises(OSError):
        await tasks.backup_once(settings)
    engine = create_engine(settings, pooled=False)
    async with unit_of_work(create_sessionmaker(engine)) as session:
        events = (await session.scalars(select(Event).where(Event.type == "backup.failed"))).all()
        admin = (await session.scalars(select(User))).one()
    await engine.dispose()
    assert len(events) == 1 and events[0].user_id == admin.id
    assert events[0].severity == "error" and "scheduled backup failed" in events[0].message


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_older_archive_is_migrated_to_head_on_restore(
    fresh: Machine, tmp_path: Path
) -> None:
    old_db = tmp_path / "old" / "y.db"
    old = Machine(settings_for(f"sqlite+aiosqlite:///{old_db}", tmp_path / "old"))
    engine = create_engine(old.settings, pooled=False)
    await migrate.upgrade(engine, "0008")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, role, is_active, channel_limit, "
                "created_at, updated_at) VALUES (:id, 'old@example.com', 'x', 'admin', 1, 5, "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"id": uuid.uuid4().hex},
        )
    await engine.dispose()
    assert (await old.acli("backup", "create")).exit_code == 0
    (archive,) = archives(old)
    manifest_revision = service.read_sidecar(archive)["schema_revision"]
    assert manifest_revision == "0008"

    restored = await fresh.acli("backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert f"migrated the database from 0008 to {migrate.head_revision()}" in restored.output
    rows = await all_rows(fresh.settings)
    assert len(rows["users"]) == 1 and "old@example.com" in rows["users"][0]


def test_an_unknown_archive_is_refused(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path / "d")
    bogus = tmp_path / "ytempire-backup-20260101T000000Z.tar"
    bogus.write_bytes(json.dumps({"not": "a tar"}).encode() * 100)
    result = Machine(settings).cli("backup", "verify", str(bogus))
    assert result.exit_code == 1 and "not a readable backup archive" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_hourly_check_backs_up_only_when_the_newest_archive_is_old(
    source: Machine,
) -> None:
    settings = source.settings
    assert tasks.due(settings)  # no archive yet
    await tasks.backup_once(settings)
    assert not tasks.due(settings)
    later = datetime.now(UTC) + timedelta(seconds=settings.backup_interval_seconds)
    assert tasks.due(settings, now=later)
    assert tasks.check_interval(settings) == 3600


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_recurring_entry_hands_the_backup_to_a_long_job(
    source: Machine, redis_url: str
) -> None:
    from rq import Queue

    from backend.redis_client import sync_redis
    from backend.settings import use_settings

    settings = source.settings.model_copy(update={"redis_url": redis_url})
    jobs = {j.name: j for j in recurring_jobs(settings)}
    assert jobs["backup"].func == "backend.backup.tasks.scheduled_backup"
    assert jobs["backup"].interval_s == 3600
    queue = Queue("maintenance", connection=sync_redis(settings))
    use_settings(settings)
    try:
        assert await asyncio.to_thread(tasks.scheduled_backup) == tasks.JOB_ID
        queued = queue.fetch_job(tasks.JOB_ID)
        assert queued is not None and queued.timeout == 3 * settings.backup_timeout_seconds
        summary = await asyncio.to_thread(tasks.run_scheduled_backup)  # what the worker runs
        assert summary["ok"] and archives(source)[0].name == summary["archive"]
        assert await asyncio.to_thread(tasks.scheduled_backup) is None  # not due for a day
    finally:
        use_settings(None)
        queue.empty()
