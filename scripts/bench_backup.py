"""Backup, verify and restore times and archive size for a loaded appliance on PostgreSQL.

    .venv/bin/python scripts/bench_backup.py [--videos 50000] [--media-gb 2] [--encrypted]

Seeds a scratch PostgreSQL database (migrated to head) and a data dir under /tmp with
25 channels, N videos, 8 stage runs and 4 cost events per video (bulk COPY), and media
files in per-video folders: a realistic mix of sizes (an MP4 of ~3.2 MB, a voice WAV of
~0.6 MB, four ~50 KB images per video) filled with random bytes, so incompressible like
real H.264/AAC/PNG (the archive is not compressed; the database dump is). Then times
``backup create``, ``backup verify`` (checksums + restore into a scratch database) and
``backup restore`` onto a second, empty database and an empty data dir, checks the
restored row counts and bytes, prints a table and removes everything it made.

Peak extra disk: media + archive + restored media (about 3x the media size).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from backend.backup import service
from backend.db import migrate
from backend.db.engine import create_engine
from backend.settings import Settings

ADMIN_DSN = os.environ.get("YTE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
CHANNELS = 25
STAGES = ("topic", "script", "quality", "voice", "images", "render", "thumbnail", "upload")
COSTS = (("text", "llm"), ("speech", "tts"), ("image", "sdxl"), ("render", "ffmpeg"))
MEDIA_FILES = (
    ("video.mp4", 3_200_000),
    ("voice.wav", 600_000),
    *((f"image_{i}.png", 50_000) for i in range(4)),
)


def sa_url(name: str) -> str:
    base = ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    return f"{base}/{name}"


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed_rows(name: str, videos: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}")
    now = datetime.now(UTC)
    try:
        user = uuid.uuid4()
        await conn.execute(
            "INSERT INTO users (id, email, password_hash, role, is_active, channel_limit, "
            "created_at, updated_at) VALUES ($1, 'bench@example.com', 'x', 'admin', true, 25, "
            "$2, $2)",
            user,
            now,
        )
        channels = [uuid.uuid4() for _ in range(CHANNELS)]
        await conn.copy_records_to_table(
            "channels",
            columns=[
                "id", "owner_id", "name", "niche", "language", "status", "format",
                "cadence_per_day", "daily_budget_usd", "monthly_budget_usd",
                "quality_threshold", "voice_settings", "style_settings",
                "consecutive_failures", "created_at", "updated_at",
            ],
            records=[
                (c, user, f"Channel {i}", "astronomy", "en", "active", "long", 1.0,
                 Decimal("5"), Decimal("100"), 0.75, "{}", "{}", 0, now, now)
                for i, c in enumerate(channels)
            ],
        )  # fmt: skip
        video_ids = [uuid.uuid4() for _ in range(videos)]
        await conn.copy_records_to_table(
            "videos",
            columns=[
                "id", "channel_id", "topic", "title", "description", "tags", "status",
                "stage_progress", "quality_reasons", "script", "created_at", "updated_at",
            ],
            records=[
                (v, channels[i % CHANNELS], f"Topic {i}", f"Why fact {i} matters",
                 "A description of a video. " * 8, '["space","facts"]', "published", 1.0,
                 "[]", '{"scenes": [{"narration": "' + "words " * 60 + '"}]}', now, now)
                for i, v in enumerate(video_ids)
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "stage_runs",
            columns=[
                "id", "video_id", "stage", "status", "attempts", "tries", "duration_s",
                "device_seconds", "cost_usd", "artifacts", "output", "created_at",
                "updated_at", "started_at", "finished_at",
            ],
            records=[
                (uuid.uuid4(), v, stage, "succeeded", 1, 1, 4.2, 3.1, Decimal("0.0021"),
                 f'{{"file": "{stage}.bin"}}', '{"ok": true}', now, now, now, now)
                for v in video_ids
                for stage in STAGES
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "cost_events",
            columns=[
                "id", "channel_id", "video_id", "stage", "kind", "provider", "units", "unit",
                "device_seconds", "amount_usd", "occurred_at",
            ],
            records=[
                (uuid.uuid4(), channels[i % CHANNELS], v, kind, kind, provider, 10.0, "call",
                 2.0, Decimal("0.0040"), now)
                for i, v in enumerate(video_ids)
                for kind, provider in COSTS
            ],
        )  # fmt: skip
        await conn.execute("ANALYZE")
        return video_ids
    finally:
        await conn.close()


def seed_media(media: Path, video_ids: list[uuid.UUID], total_bytes: int) -> int:
    written = 0
    for video_id in video_ids:
        if written >= total_bytes:
            break
        folder = media / str(video_id)
        folder.mkdir(parents=True)
        for name, size in MEDIA_FILES:
            (folder / name).write_bytes(os.urandom(size))
            written += size
    return written


def tree_bytes(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


async def main(videos: int, media_gb: float, encrypted: bool) -> None:
    _, _, free = shutil.disk_usage(tempfile.gettempdir())
    need = int(media_gb * 1e9 * 3.3)
    if free < need + 2e9:
        raise SystemExit(f"needs about {need / 1e9:.1f} GB free in /tmp, has {free / 1e9:.1f}")
    token = uuid.uuid4().hex[:8]
    source_db, target_db = f"yte_bench_src_{token}", f"yte_bench_dst_{token}"
    root = Path(tempfile.mkdtemp(prefix="yte-bench-backup-"))
    passphrase = "bench passphrase, long enough" if encrypted else None
    secret = "bench-secret-" + "x" * 40
    source = Settings(
        environment="test", database_url=sa_url(source_db), secret_key=secret,
        data_dir=root / "source", backup_dir=root / "backups",
    )  # fmt: skip
    target = Settings(
        environment="test", database_url=sa_url(target_db), secret_key=secret,
        data_dir=root / "target", backup_dir=root / "backups",
    )  # fmt: skip
    try:
        await admin(f"CREATE DATABASE {source_db}")
        await admin(f"CREATE DATABASE {target_db}")
        engine = create_engine(source, pooled=False)
        await migrate.upgrade(engine)
        await engine.dispose()
        t0 = time.monotonic()
        video_ids = await seed_rows(source_db, videos)
        t_rows = time.monotonic() - t0
        t0 = time.monotonic()
        media_bytes = seed_media(source.media_dir, video_ids, int(media_gb * 1e9))
        t_media = time.monotonic() - t0
        print(f"seeded rows in {t_rows:.1f} s, {media_bytes / 1e9:.2f} GB media in {t_media:.1f} s")

        made = await service.create_backup(source, passphrase=passphrase)
        verified = await service.verify_backup(source, made.archive, passphrase=passphrase)
        restored = await service.restore_backup(target, made.archive, passphrase=passphrase)

        rows = sum(made.manifest["row_counts"].values())
        src_files, src_bytes = tree_bytes(source.media_dir)
        dst_files, dst_bytes = tree_bytes(target.media_dir)
        assert (src_files, src_bytes) == (dst_files, dst_bytes), "restored media differ"
        assert restored.rows == rows
        counts = made.manifest["row_counts"]
        print()
        print(f"PostgreSQL, {CHANNELS} channels, {counts['videos']:,} videos, "
              f"{counts['stage_runs']:,} stage runs, {counts['cost_events']:,} cost events; "
              f"{rows:,} rows in all")  # fmt: skip
        print(f"media: {src_files:,} files, {src_bytes / 1e9:.2f} GB random bytes (incompressible)")
        dump_s = service.read_sidecar(made.archive)["dump_seconds"]
        print(f"database dump (pg_dump, within create): {dump_s:.1f} s")
        print(f"archive: {made.archive.name}, {made.size / 1e9:.3f} GB"
              f"{' (encrypted)' if encrypted else ''}")  # fmt: skip
        print()
        print(f"{'step':<10} {'seconds':>9} {'MB/s':>9}")
        for step, seconds in (
            ("create", made.seconds),
            ("verify", verified.seconds),
            ("restore", restored.seconds),
        ):
            print(f"{step:<10} {seconds:>9.1f} {made.size / 1e6 / seconds:>9.0f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        await admin(f"DROP DATABASE IF EXISTS {source_db} WITH (FORCE)")
        await admin(f"DROP DATABASE IF EXISTS {target_db} WITH (FORCE)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=50_000)
    parser.add_argument("--media-gb", type=float, default=2.0)
    parser.add_argument("--encrypted", action="store_true", help="with a passphrase")
    args = parser.parse_args()
    asyncio.run(main(args.videos, args.media_gb, args.encrypted))
