"""Analytics sync benchmark: a 90-day sync of 25 channels with 200 videos each.

The fake YouTube with its Analytics API (tests/fakes/youtube_server.py,
tests/fakes/youtube_analytics.py: HTTPS on loopback, the real googleapiclient) runs in a
child process, so its JSON and TLS work does not share this process's interpreter lock.
Every channel is connected through the consent flow; its videos went public 120 days ago,
so every day of the window has a row for the channel and for each video.

1. the 90-day sync (``sync_all(days=90)``, ``analytics_sync_concurrency`` channels at
   once): seconds, rows written per second, calls, per-channel seconds;
2. the same again: nothing changes (rows written 0), and how long asking costs;
3. the daily run (the window from 3 days before the last day stored).

The database (PostgreSQL by default, or a SQLite file) is made for the run and dropped.

    .venv/bin/python scripts/bench_analytics_sync.py [--channels 25] [--videos 200]
        [--days 90] [--concurrency 4] [--database postgres|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from backend.analytics.sync import SyncReport, sync_all  # noqa: E402
from backend.db import migrate  # noqa: E402
from backend.db.engine import create_engine, create_sessionmaker  # noqa: E402
from backend.db.session import unit_of_work  # noqa: E402
from backend.models import (  # noqa: E402
    Channel,
    ChannelDailyMetric,
    User,
    UserRole,
    Video,
    VideoDailyMetric,
    VideoStatus,
)
from backend.observability.logging import configure_logging  # noqa: E402
from backend.publishing import service  # noqa: E402
from backend.publishing.oauth import parse_pasted  # noqa: E402
from backend.settings import Settings  # noqa: E402

SECRET = "bench-secret-" + "b" * 40
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _fake_process(conn: Connection, directory: str) -> None:
    """The fake YouTube and Analytics, answering commands from the benchmark."""
    from tests.fakes.youtube_analytics import FakeAnalytics
    from tests.fakes.youtube_server import FakeYouTube

    with FakeYouTube(Path(directory)) as fake:
        analytics = FakeAnalytics(fake)
        conn.send((fake.settings(), fake.client_json()))
        while True:
            command, *args = conn.recv()
            if command == "stop":
                break
            if command == "channel":  # the next consent connects this YouTube channel
                fake.channel = {"id": args[0], "title": args[1]}
            elif command == "videos":
                channel, ids, first_day = args
                for video_id in ids:
                    analytics.add_video(channel, video_id, first_day)
            elif command == "queries":
                conn.send(len(analytics.queries))
                continue
            conn.send("ok")


def _ask(conn: Connection, *command: Any) -> Any:
    conn.send(command)
    return conn.recv()


async def _connect(settings: Settings, sessions: Any, channel_id: uuid.UUID) -> None:
    async with unit_of_work(sessions) as session:
        start = await service.begin_connect(session, settings, channel_id)
    answer = await asyncio.to_thread(
        requests.get,
        start.url,
        allow_redirects=False,
        verify=str(settings.google_ca_certs),
        timeout=10,
    )
    code, state = parse_pasted(answer.headers["Location"])
    async with unit_of_work(sessions) as session:
        await service.complete_connect(session, settings, code=code, state=state)


async def _seed(
    settings: Settings,
    sessions: Any,
    conn: Connection,
    client_json: str,
    channels: int,
    videos: int,
) -> None:
    public_at = datetime.now(UTC) - timedelta(days=120)
    async with unit_of_work(sessions) as session:
        await service.set_client(session, settings, client_json)
    async with unit_of_work(sessions) as session:
        user = User(email="bench@example.com", password_hash="x", role=UserRole.admin)
        session.add(user)
        await session.flush()
        owner = user.id
    for n in range(channels):
        youtube_channel = f"UCbench{n:017d}"
        async with unit_of_work(sessions) as session:
            channel = Channel(owner_id=owner, name=f"Bench {n}", niche="astronomy")
            session.add(channel)
            await session.flush()
            channel_id = channel.id
        _ask(conn, "channel", youtube_channel, f"Bench {n}")
        await _connect(settings, sessions, channel_id)
        ids = [f"v{n:03d}{m:07d}" for m in range(videos)]
        rows = [
            {
                "id": uuid.uuid4(),
                "channel_id": channel_id,
                "topic": f"Topic {i}",
                "title": f"Title {i}",
                "status": VideoStatus.published,
                "youtube_video_id": i,
                "published_at": public_at,
                "tags": [],
                "quality_reasons": [],
                "publish_holds": [],
                "stage_progress": 1.0,
                "created_at": public_at,
                "updated_at": public_at,
            }
            for i in ids
        ]
        async with unit_of_work(sessions) as session:
            await session.execute(insert(Video), rows)
        _ask(conn, "videos", youtube_channel, ids, (public_at - timedelta(hours=8)).date())


async def _rows(sessions: Any) -> tuple[int, int]:
    async with sessions() as session:
        channel = await session.scalar(select(func.count()).select_from(ChannelDailyMetric))
        video = await session.scalar(select(func.count()).select_from(VideoDailyMetric))
    return int(channel or 0), int(video or 0)


def _line(name: str, report: SyncReport, calls: int) -> str:
    per = [c.seconds for c in report.channels]
    summary = report.as_dict()
    fetched = sum(c.channel_days + c.video_days for c in report.channels)
    seconds = report.seconds or 1e-9
    return (
        f"{name:<16} {report.seconds:7.2f} s  {fetched:>8,} rows fetched "
        f"({fetched / seconds:>7,.0f}/s)  {report.rows_written:>8,} written "
        f"({report.rows_written / seconds:>7,.0f}/s)  {calls:>5,} calls "
        f"({calls / seconds:>4,.0f}/s)  channel p50 {statistics.median(per):5.2f} s "
        f"max {max(per):5.2f} s  synced {summary['synced']}/{summary['channels']}"
    )


async def _bench(
    args: argparse.Namespace, conn: Connection, fake_settings: dict[str, Any], client_json: str
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    name = f"yte_bench_analytics_{uuid.uuid4().hex[:8]}"
    if args.database == "postgres":
        admin = await asyncpg.connect(POSTGRES_DSN)
        await admin.execute(f"CREATE DATABASE {name}")
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key=SECRET,
        data_dir=tmp,
        analytics_sync_concurrency=args.concurrency,
        **fake_settings,
    )
    engine = create_engine(settings, pooled=False)
    try:
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        started = time.perf_counter()
        await _seed(settings, sessions, conn, client_json, args.channels, args.videos)
        print(
            f"seeded {args.channels} connected channels x {args.videos} videos on "
            f"{args.database} in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        before = _ask(conn, "queries")
        full = await sync_all(sessions, settings, days=args.days)
        after_full = _ask(conn, "queries")
        rows = await _rows(sessions)
        again = await sync_all(sessions, settings, days=args.days)
        after_again = _ask(conn, "queries")
        daily = await sync_all(sessions, settings)
        after_daily = _ask(conn, "queries")
        print(f"rows stored: {rows[0]:,} channel days, {rows[1]:,} video days")
        print(_line(f"{args.days}-day sync", full, after_full - before))
        print(_line(f"{args.days}-day re-sync", again, after_again - after_full))
        print(_line("daily run", daily, after_daily - after_again))
        if again.rows_written:
            print("WARNING: the re-sync wrote rows; it should change nothing")
    finally:
        await engine.dispose()
        if args.database == "postgres":
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=25)
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    configure_logging("WARNING")
    ours, theirs = mp.Pipe()
    with tempfile.TemporaryDirectory(prefix="fake-youtube-") as directory:
        child = mp.get_context("spawn").Process(
            target=_fake_process, args=(theirs, directory), daemon=True
        )
        child.start()
        fake_settings, client_json = ours.recv()
        try:
            asyncio.run(_bench(args, ours, fake_settings, client_json))
        finally:
            ours.send(("stop",))
            child.join(10)


if __name__ == "__main__":
    main()
