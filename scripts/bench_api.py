#!/usr/bin/env python
"""API benchmark: the dashboard metrics and the video list under concurrent clients.

Creates a fresh PostgreSQL database, migrates it, seeds one owner with 5 channels x
N videos (a realistic mix of statuses and stages over the last 60 days), cost events
and daily channel metrics, starts the real app under uvicorn (one worker process, on
loopback), logs in, and then drives each endpoint with many concurrent clients for a
fixed time: back to back (closed loop: the server's saturation point) and paced (each
client one request per --paced seconds: latency at a fixed offered load; the dashboard
itself polls once a minute). A sequential single-client baseline runs first, so the
tables show what concurrency costs. Everything stays on 127.0.0.1; the database is
dropped at the end unless --keep.

    .venv/bin/python scripts/bench_api.py               # 5 x 10,000 videos, 50 clients
    .venv/bin/python scripts/bench_api.py --seconds 5 --videos-per-channel 2000

Latencies are measured by the client (one asyncio process), so under saturation they
include the time a request waits for a free server slot; the server-side mean from
the app's own Prometheus histogram is printed beside them ("srv mean"), and so is the CPU
each request cost the app process and PostgreSQL ("app cpu", "pg cpu", ms per request,
from /proc): on a busy or small machine those say more than wall-clock latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.db import migrate  # noqa: E402
from backend.models import (  # noqa: E402
    Channel,
    ChannelDailyMetric,
    CostEvent,
    User,
    Video,
    VideoStage,
    VideoStatus,
)
from backend.security.passwords import hash_password  # noqa: E402

OWNER_EMAIL = "bench-owner@example.com"
OWNER_PASSWORD = "bench-password-123"
SECRET_KEY = "bench-secret-" + "k" * 40  # 53 chars; loopback-only throwaway server
DAYS = 60
BATCH = 5_000

# (status, weight, stages it may sit at)
STATUS_MIX: list[tuple[VideoStatus, float, tuple[VideoStage | None, ...]]] = [
    (VideoStatus.published, 0.55, (VideoStage.upload,)),
    (VideoStatus.ready, 0.06, (VideoStage.thumbnail,)),
    (VideoStatus.publishing, 0.02, (VideoStage.upload,)),
    (VideoStatus.failed, 0.09, tuple(VideoStage)),
    (VideoStatus.cancelled, 0.03, (None, VideoStage.topic, VideoStage.script)),
    (VideoStatus.needs_review, 0.03, (VideoStage.quality,)),
    (VideoStatus.running, 0.05, tuple(VideoStage)[:7]),
    (VideoStatus.queued, 0.17, (None, VideoStage.topic)),
]
COST_KINDS = [
    ("text", "llama-3.1-8b-instruct", "script"),
    ("image", "sdxl-lightning-4step", "images"),
    ("speech", "mms-tts-eng", "voice"),
    ("render", "ffmpeg-nvenc", "render"),
    ("text", "openai:gpt-4o-mini", "quality"),
]


# --------------------------------------------------------------------------- database


def server_url(base: str, database: str) -> str:
    return f"{base.rstrip('/')}/{database}"


async def recreate_database(base: str, name: str) -> None:
    admin = create_async_engine(
        server_url(base, "postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def drop_database(base: str, name: str) -> None:
    admin = create_async_engine(
        server_url(base, "postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def _video_rows(
    rng: random.Random, channel_id: uuid.UUID, count: int, now: datetime
) -> list[dict[str, Any]]:
    statuses = [s for s, _, _ in STATUS_MIX]
    weights = [w for _, w, _ in STATUS_MIX]
    stages = {s: st for s, _, st in STATUS_MIX}
    span = DAYS * 86_400
    rows: list[dict[str, Any]] = []
    for i in range(count):
        status = rng.choices(statuses, weights)[0]
        created = now - timedelta(seconds=rng.uniform(0, span))
        # Work that is still in flight is recent.
        if status in (VideoStatus.queued, VideoStatus.running, VideoStatus.needs_review):
            created = now - timedelta(seconds=rng.uniform(0, 2 * 86_400))
        finished = min(now, created + timedelta(minutes=rng.uniform(15, 240)))
        done = status in (VideoStatus.ready, VideoStatus.publishing, VideoStatus.published)
        stage = rng.choice(stages[status])
        rows.append(
            {
                "id": uuid.uuid4(),
                "channel_id": channel_id,
                "topic": f"Topic {i} for bench channel",
                "title": f"Video {i}: ten things about the topic" if done else None,
                "description": None,
                "tags": ["bench", "ytempire"] if done else [],
                "status": status.value,
                "stage": stage.value if stage else None,
                "stage_progress": 1.0 if done else round(rng.random(), 2),
                "script": None,
                "quality_score": round(rng.uniform(0.7, 0.98), 3) if done else None,
                "quality_reasons": [],
                "error": "render: ffmpeg exited with 1" if status is VideoStatus.failed else None,
                "youtube_video_id": f"yt{i:09d}" if status is VideoStatus.published else None,
                "completed_at": finished if done else None,
                "failed_at": finished if status is VideoStatus.failed else None,
                "published_at": finished if status is VideoStatus.published else None,
                "created_at": created,
                "updated_at": finished,
            }
        )
    return rows


def _cost_rows(
    rng: random.Random,
    channel_id: uuid.UUID,
    video_ids: list[uuid.UUID],
    per_day: int,
    now: datetime,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(DAYS):
        start = today - timedelta(days=day)
        limit = (now - start).total_seconds() if day == 0 else 86_400
        for _ in range(per_day):
            kind, provider, stage = rng.choice(COST_KINDS)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "channel_id": channel_id,
                    "video_id": rng.choice(video_ids),
                    "stage": stage,
                    "kind": kind,
                    "provider": provider,
                    "units": float(rng.randint(1, 2_000)),
                    "unit": "call",
                    "device_seconds": round(rng.uniform(0.5, 40), 3),
                    "amount_usd": Decimal(str(round(rng.uniform(0.001, 0.08), 6))),
                    "occurred_at": start + timedelta(seconds=rng.uniform(0, limit)),
                }
            )
    return rows


def _metric_rows(rng: random.Random, channel_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for day in range(DAYS):
        views = rng.randint(500, 20_000)
        rows.append(
            {
                "id": uuid.uuid4(),
                "channel_id": channel_id,
                "day": (now - timedelta(days=day)).date(),
                "views": views,
                "watch_time_minutes": round(views * rng.uniform(1.5, 4.0), 1),
                "subscribers_gained": rng.randint(0, 80),
                "revenue_usd": Decimal(str(round(views / 1000 * rng.uniform(1.5, 6.0), 6))),
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def _insert(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        async with engine.begin() as conn:
            await conn.execute(insert(table), rows[start : start + BATCH])


async def seed(engine: AsyncEngine, videos_per_channel: int, costs_per_day: int) -> None:
    rng = random.Random(20240601)
    now = datetime.now(UTC)
    owner_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(cast(Table, User.__table__)),
            [
                {
                    "id": owner_id,
                    "email": OWNER_EMAIL,
                    "full_name": "Bench Owner",
                    "password_hash": hash_password(OWNER_PASSWORD),
                    "role": "admin",
                    "is_active": True,
                    "channel_limit": 5,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
    channel_ids = [uuid.uuid4() for _ in range(5)]
    async with engine.begin() as conn:
        await conn.execute(
            insert(cast(Table, Channel.__table__)),
            [
                {
                    "id": cid,
                    "owner_id": owner_id,
                    "name": f"Bench channel {n + 1}",
                    "niche": ["tech", "finance", "history", "cooking", "travel"][n],
                    "language": "en",
                    "status": "active",
                    "format": "long" if n % 2 == 0 else "short",
                    "cadence_per_day": 3.0,
                    "daily_budget_usd": Decimal("25"),
                    "monthly_budget_usd": Decimal("600"),
                    "quality_threshold": 0.75,
                    "voice_settings": {},
                    "style_settings": {},
                    "consecutive_failures": 0,
                    "created_at": now - timedelta(days=DAYS + 1),
                    "updated_at": now,
                }
                for n, cid in enumerate(channel_ids)
            ],
        )
    for n, cid in enumerate(channel_ids, start=1):
        started = time.perf_counter()
        videos = _video_rows(rng, cid, videos_per_channel, now)
        await _insert(engine, Video.__table__, videos)
        costs = _cost_rows(rng, cid, [v["id"] for v in videos], costs_per_day, now)
        await _insert(engine, CostEvent.__table__, costs)
        await _insert(engine, ChannelDailyMetric.__table__, _metric_rows(rng, cid, now))
        print(
            f"  channel {n}/5: {len(videos):,} videos, {len(costs):,} cost events, "
            f"{DAYS} daily metrics ({time.perf_counter() - started:.1f} s)",
            flush=True,
        )
    # What autovacuum does soon after a bulk load: statistics, and the visibility map
    # that lets count queries use index-only scans.
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM ANALYZE"))


# --------------------------------------------------------------------------- server

SERVER = """
import json, sys
import uvicorn
from backend.app import create_app
from backend.settings import Settings
cfg = json.loads(sys.argv[1])
app = create_app(Settings(_env_file=None, **cfg["settings"]), run_worker=False)
uvicorn.run(app, host="127.0.0.1", port=cfg["port"], workers=1, log_level="warning",
            access_log=False, timeout_keep_alive=120)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database_url: str, redis_url: str, data_dir: Path, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cfg = {
        "port": port,
        "settings": {
            "environment": "production",
            "database_url": database_url,
            "redis_url": redis_url,
            "secret_key": SECRET_KEY,
            "data_dir": str(data_dir),
        },
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTE_")}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, json.dumps(cfg)],
            cwd=data_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, f"http://127.0.0.1:{port}"


def _read(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


async def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base, timeout=3) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}:\n{_read(log)}")
            try:
                if (await client.get("/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)
    raise SystemExit(f"server not ready after 60 s:\n{_read(log)}")


# --------------------------------------------------------------------------- load


@dataclass
class Result:
    name: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    server_mean_ms: float | None = None
    server_cpu_ms: float | None = None  # app process CPU per request
    postgres_cpu_ms: float | None = None  # all postgres processes' CPU per request

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def drive(
    client: httpx.AsyncClient,
    name: str,
    path: str,
    clients: int,
    seconds: float,
    interval: float = 0.0,
) -> Result:
    """``clients`` tasks send requests until the deadline: back to back (a closed loop,
    ``interval`` 0), or each one request per ``interval`` seconds at a random phase."""
    result = Result(name, clients)
    deadline = time.monotonic() + seconds

    async def one_client() -> None:
        next_at = time.monotonic() + random.uniform(0, interval)
        while time.monotonic() < deadline:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                if time.monotonic() >= deadline:
                    break
            started = time.perf_counter()
            try:
                response = await client.get(path)
            except httpx.HTTPError as exc:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                result.latencies.append(elapsed)
            else:
                result.errors += 1
                if len(result.error_samples) < 3:
                    result.error_samples.append(f"{response.status_code} {response.text[:120]}")

    began = time.monotonic()
    tasks = [asyncio.create_task(one_client()) for _ in range(clients)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        result.error_samples.append("stopped: requests outlived the run by 60 s")
    result.seconds = time.monotonic() - began
    return result


def process_cpu_s(pid: int | str, *, reaped: bool = False) -> float | None:
    """User + system CPU seconds of one process (Linux /proc); None elsewhere.

    ``reaped`` adds the CPU of its children that have exited and been waited for.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float | None:
    """CPU seconds of the local PostgreSQL server: live processes plus exited backends.

    A backend that exits (a pool connection closed under load) is reaped by the
    postmaster, which then carries its CPU time as "children" time.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0.0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0", 1)[0]
            if not (command.startswith(b"postgres") or command.endswith(b"/bin/postgres")):
                continue
        except OSError:
            continue
        total += process_cpu_s(entry.name, reaped=True) or 0.0
    return total


def cpu_snapshot(server_pid: int) -> tuple[float | None, float | None]:
    return process_cpu_s(server_pid), postgres_cpu_s()


def cpu_per_request(
    before: tuple[float | None, float | None],
    after: tuple[float | None, float | None],
    requests: int,
) -> tuple[float | None, float | None]:
    out: list[float | None] = []
    for b, a in zip(before, after, strict=True):
        out.append(
            (a - b) / requests * 1000 if a is not None and b is not None and requests else None
        )
    return out[0], out[1]


_HIST = re.compile(
    r'^ytempire_http_request_duration_seconds_(sum|count)\{method="GET",route="([^"]+)"\} (\S+)$',
    re.MULTILINE,
)


async def server_histogram(client: httpx.AsyncClient) -> dict[tuple[str, str], float]:
    body = (await client.get("/metrics")).text
    return {(route, kind): float(value) for kind, route, value in _HIST.findall(body)}


def server_mean_ms(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float], route: str
) -> float | None:
    count = after.get((route, "count"), 0) - before.get((route, "count"), 0)
    total = after.get((route, "sum"), 0) - before.get((route, "sum"), 0)
    return total / count * 1000 if count else None


# --------------------------------------------------------------------------- report


def table(title: str, results: list[Result]) -> None:
    print(f"\n{title}")
    header = (
        f"{'endpoint':<34}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>9}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'srv mean':>10}{'app cpu':>9}{'pg cpu':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        srv, app, pg = (
            f"{v:.1f}" if v is not None else "-"
            for v in (r.server_mean_ms, r.server_cpu_ms, r.postgres_cpu_ms)
        )
        print(
            f"{r.name:<34}{r.clients:>8}{r.requests:>10,}{r.errors:>8}{r.rps:>9.1f}"
            f"{r.pct(0.50):>9.1f}{r.pct(0.95):>9.1f}{r.pct(0.99):>9.1f}{srv:>10}{app:>9}{pg:>8}"
        )
        for sample in r.error_samples:
            print(f"    error: {sample}")


def ratios(baseline: list[Result], loaded: list[Result]) -> None:
    print("\nconcurrent / sequential")
    print(f"{'endpoint':<34}{'p50 x':>8}{'p95 x':>8}{'req/s x':>9}")
    for b, c in zip(baseline, loaded, strict=True):
        print(
            f"{b.name:<34}{c.pct(0.5) / b.pct(0.5):>8.1f}{c.pct(0.95) / b.pct(0.95):>8.1f}"
            f"{c.rps / b.rps if b.rps else float('nan'):>9.1f}"
        )


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    database_url = server_url(args.postgres, args.database)
    print(f"database {args.database} on {args.postgres.split('@')[-1]} (dropped and recreated)")
    await recreate_database(args.postgres, args.database)
    engine = create_async_engine(database_url, poolclass=NullPool)
    proc: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        await migrate.upgrade(engine)
        print(f"migrated to {migrate.head_revision()} ({time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
        await seed(engine, args.videos_per_channel, args.cost_events_per_day)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        await engine.dispose()

        with tempfile.TemporaryDirectory(prefix="yte-bench-") as tmp:
            log = Path(tmp) / "server.log"
            proc, base = start_server(database_url, args.redis_url, Path(tmp), log)
            await wait_ready(base, proc, log)
            print(f"app on {base} (uvicorn, 1 worker process, pid {proc.pid})")
            return await measure(base, proc.pid, args)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        await engine.dispose()
        if args.keep:
            print(f"kept database {database_url}")
        else:
            await drop_database(args.postgres, args.database)


async def measure(base: str, server_pid: int, args: argparse.Namespace) -> int:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        first = await client.get("/api/v1/videos", params={"limit": 50})
        first.raise_for_status()
        cursor = first.json()["next_cursor"]
        assert cursor, "the first page has no next_cursor; seed more videos"
        targets = [
            ("GET /dashboard/metrics", "/api/v1/dashboard/metrics", "/api/v1/dashboard/metrics"),
            ("GET /videos?limit=50", "/api/v1/videos?limit=50", "/api/v1/videos"),
            (
                "GET /videos?limit=50&cursor= (p2)",
                f"/api/v1/videos?limit=50&cursor={cursor}",
                "/api/v1/videos",
            ),
        ]
        for _, path, _ in targets:  # warm caches, pools and code paths
            for _ in range(20):
                (await client.get(path)).raise_for_status()

        baseline: list[Result] = []
        loaded: list[Result] = []
        paced: list[Result] = []
        for name, path, route in targets:
            runs = [
                (1, args.baseline_seconds, 0.0, baseline),
                (args.clients, args.seconds, 0.0, loaded),
            ]
            if args.paced:
                runs.append((args.clients, args.seconds, args.paced, paced))
            for clients, seconds, interval, results in runs:
                before, cpu_before = await server_histogram(client), cpu_snapshot(server_pid)
                result = await drive(client, name, path, clients, seconds, interval)
                cpu_after, after = cpu_snapshot(server_pid), await server_histogram(client)
                result.server_mean_ms = server_mean_ms(before, after, route)
                result.server_cpu_ms, result.postgres_cpu_ms = cpu_per_request(
                    cpu_before, cpu_after, result.requests
                )
                results.append(result)
            con = loaded[-1]
            print(f"  {name}: {con.requests:,} requests in {con.seconds:.1f} s", flush=True)

    print(
        f"\n{args.videos_per_channel * 5:,} videos, {args.cost_events_per_day * 5 * DAYS:,} "
        f"cost events, {5 * DAYS} daily metrics; {os.cpu_count()} CPUs; "
        f"{date.today().isoformat()}"
    )
    table(f"sequential baseline (1 client, {args.baseline_seconds:g} s)", baseline)
    table(
        f"concurrent, closed loop ({args.clients} clients back to back, {args.seconds:g} s each)",
        loaded,
    )
    if paced:
        table(
            f"concurrent, paced ({args.clients} clients, each 1 request per {args.paced:g} s, "
            f"{args.seconds:g} s each)",
            paced,
        )
    ratios(baseline, loaded)
    for label, results in (("closed loop", loaded), ("paced", paced)):
        if results:
            p95 = results[0].pct(0.95)
            goal = "met" if p95 < args.goal_ms else "NOT met"
            print(
                f"goal: dashboard metrics p95 < {args.goal_ms:g} ms with {args.clients} clients, "
                f"{label}: {goal} ({p95:.1f} ms)"
            )
    return 0 if all(r.errors == 0 for r in baseline + loaded + paced) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per endpoint, concurrent")
    parser.add_argument(
        "--baseline-seconds", type=float, default=5.0, help="per endpoint, 1 client"
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--paced",
        type=float,
        default=1.0,
        help="also run the clients paced, each one request per PACED s (0: skip)",
    )
    parser.add_argument("--videos-per-channel", type=int, default=10_000)
    parser.add_argument("--cost-events-per-day", type=int, default=20, help="per channel")
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="yte_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--goal-ms", type=float, default=50.0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.videos_per_channel < 101:
        parser.error("--videos-per-channel must be above 100 (two full pages of 50)")
    if not (1 <= args.clients <= 500) or args.seconds <= 0 or args.baseline_seconds <= 0:
        parser.error("--clients must be 1..500 and the durations positive")
    if args.paced < 0:
        parser.error("--paced must be 0 (off) or a positive interval")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database must be a plain lower-case identifier")
    host = args.postgres.split("@")[-1].split("/")[0].split(":")[0]
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--postgres must be on loopback: this drops and recreates a database")
    return args


def main() -> int:
    return asyncio.run(run(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
