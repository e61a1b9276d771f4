"""Upload benchmark: a 500 MB file through the fake YouTube on loopback, 8 MB chunks.

The fake (tests/fakes/youtube_server.py: HTTPS, the resumable protocol) runs in this
process; every upload runs in a child process that calls ``backend.publishing.publish``
exactly as a worker would, so its CPU time (from ``wait4``) is the uploader's alone.

1. a whole upload: MB/s and the uploader's CPU-seconds per GB (the fake's CPU apart);
2. an upload SIGKILLed at 50 % and resumed by a new process: bytes sent twice (the fake
   counts every body byte it reads) and the resume's own time.

The file is made in /tmp and deleted afterwards. Prints a table.

    .venv/bin/python scripts/bench_upload.py [--mb 500] [--chunk-mb 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.db import migrate  # noqa: E402
from backend.db.base import utcnow  # noqa: E402
from backend.db.engine import create_engine, create_sessionmaker  # noqa: E402
from backend.db.session import unit_of_work  # noqa: E402
from backend.models import Channel, User, UserRole, Video, VideoStatus  # noqa: E402
from backend.publishing import repository, service  # noqa: E402
from backend.publishing.credentials import TokenSet  # noqa: E402
from backend.settings import Settings  # noqa: E402
from tests.fakes.youtube_server import FakeYouTube  # noqa: E402

SECRET = "bench-secret-" + "b" * 40
MB = 1024 * 1024


def _worker(video_id: str, channel_id: str, file: str, chunk: int) -> None:
    from backend.publishing.metadata import VideoMetadata
    from backend.publishing.publish import publish

    async def go() -> None:
        settings = Settings()
        engine = create_engine(settings, pooled=False)
        try:
            outcome = await publish(
                create_sessionmaker(engine),
                settings,
                video_id=uuid.UUID(video_id),
                channel_id=uuid.UUID(channel_id),
                video_file=Path(file),
                metadata=VideoMetadata(
                    title="Benchmark upload",
                    description="bench",
                    made_for_kids=False,
                    privacy="private",
                ),
                chunk_bytes=chunk,
            )
        finally:
            await engine.dispose()
        print(
            json.dumps(
                {
                    "id": outcome.youtube_video_id,
                    "resumed": outcome.resumed,
                    "sent": outcome.bytes_sent,
                }
            ),
            flush=True,
        )

    asyncio.run(go())


async def _setup(settings: Settings, fake: FakeYouTube) -> tuple[uuid.UUID, list[uuid.UUID]]:
    engine = create_engine(settings, pooled=False)
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    refresh, access = fake.grant()
    async with unit_of_work(sessions) as session:
        await service.set_client(session, settings, fake.client_json())
        user = User(email="bench@example.com", password_hash="x", role=UserRole.admin)
        session.add(user)
        await session.flush()
        channel = Channel(owner_id=user.id, name="Bench", niche="astronomy")
        session.add(channel)
        await session.flush()
        tokens = TokenSet(access, refresh, utcnow().replace(year=utcnow().year + 1), [])
        await repository.put_credential(
            session,
            channel.id,
            youtube_channel_id=fake.channel["id"],
            youtube_channel_title="Bench",
            scopes=[],
            connected_at=utcnow(),
            tokens_encrypted=service.secret_box(settings).encrypt(tokens.to_json()),
        )
        videos = [
            Video(channel_id=channel.id, title=f"bench {i}", status=VideoStatus.ready)
            for i in range(2)
        ]
        session.add_all(videos)
        await session.flush()
        ids = (channel.id, [v.id for v in videos])
    await engine.dispose()
    return ids


def _start(
    env: dict[str, str], video: uuid.UUID, channel: uuid.UUID, file: Path, chunk: int
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", str(video), str(channel), str(file), str(chunk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )


def _reap(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for the child; its exit status and CPU seconds (user + system)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--chunk-mb", type=int, default=8)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], args.worker[1], args.worker[2], int(args.worker[3]))
        return

    work = Path(tempfile.mkdtemp(prefix="yte-bench-upload-", dir="/tmp"))
    media = work / "bench.mp4"
    size = args.mb * MB
    chunk = args.chunk_mb * MB
    try:
        with media.open("wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(MB))
        with FakeYouTube(work / "fake") as fake:
            settings = Settings(
                environment="test", data_dir=work / "data", secret_key=SECRET, **fake.settings()
            )
            channel, videos = asyncio.run(_setup(settings, fake))
            env = {k: v for k, v in os.environ.items() if not k.startswith("YTE_")}
            env.update(fake.env())
            env.update(
                {
                    "YTE_DATABASE_URL": settings.resolved_database_url,
                    "YTE_SECRET_KEY": SECRET,
                    "YTE_DATA_DIR": str(settings.data_dir),
                    "YTE_ENVIRONMENT": "test",
                    "YTE_LOG_LEVEL": "WARNING",
                    "PYTHONPATH": str(ROOT),
                }
            )

            # 1. one whole upload
            server_cpu0, t0 = _self_cpu(), time.perf_counter()
            code, cpu_full = _reap(_start(env, videos[0], channel, media, chunk))
            wall_full = time.perf_counter() - t0
            server_cpu_full = _self_cpu() - server_cpu0
            assert code == 0, "the upload failed"
            (first,) = fake.videos.values()
            assert first.size == size
            wire_full = fake.wire_bytes

            # 2. killed at 50 %, resumed by a new process
            process = _start(env, videos[1], channel, media, chunk)
            t1 = time.perf_counter()
            # killed in the middle of the chunk that crosses 50 %: the worst place, since
            # the part of the chunk YouTube got but never confirmed is sent again
            target = wire_full + size // 2 + chunk // 2
            while True:
                sessions = [s for s in fake.sessions.values() if s.video_id is None]
                if sessions and fake.wire_bytes >= target:
                    break
                if process.poll() is not None:
                    raise SystemExit("the upload ended before 50 %")
                time.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            _, cpu_killed = _reap(process)
            killed_at = sessions[0].received
            wall_killed = time.perf_counter() - t1
            log_mark = len(fake.log)
            t2 = time.perf_counter()
            code, cpu_resume = _reap(_start(env, videos[1], channel, media, chunk))
            wall_resume = time.perf_counter() - t2
            assert code == 0, "the resumed upload failed"
            assert len(fake.videos) == 2 and len(fake.sessions) == 2
            second = next(v for v in fake.videos.values() if v is not first)
            same = second.sha256() == first.sha256()
            twice = fake.wire_bytes - wire_full - size
            ranges = [h.get("content-range", "") for m, _, h in fake.log[log_mark:] if m == "PUT"]
            first_chunk = next(r for r in ranges if "*" not in r)
            resumed_from = int(first_chunk[6:].split("-")[0])

        gb = size / 1e9
        rows = [
            (
                "file",
                f"{args.mb} MB ({size:,} bytes), chunks of {args.chunk_mb} MB, HTTPS loopback",
            ),
            ("whole upload: wall", f"{wall_full:.2f} s"),
            ("whole upload: throughput", f"{size / MB / wall_full:.1f} MB/s"),
            ("uploader CPU per GB", f"{cpu_full / gb:.2f} CPU-s/GB ({cpu_full:.2f} s)"),
            ("fake server CPU per GB", f"{server_cpu_full / gb:.2f} CPU-s/GB"),
            (
                "bytes on the wire (whole)",
                f"{wire_full:,} ({wire_full - size:,} more than the file)",
            ),
            (
                "killed (SIGKILL) mid-chunk at",
                f"{killed_at:,} bytes confirmed ({killed_at / size:.0%}) after {wall_killed:.2f} s",
            ),
            (
                "resumed from byte",
                f"{resumed_from:,} (after a status query on the same "
                "session; the chunk in flight had reached the fake)",
            ),
            ("resume: wall", f"{wall_resume:.2f} s, CPU {cpu_resume:.2f} s"),
            (
                "bytes sent twice",
                f"{twice:,} ({twice / MB:.1f} MB, {twice / size:.2%} of the file)",
            ),
            ("one video, bytes equal", str(same and len(fake.videos) == 2)),
        ]
        width = max(len(k) for k, _ in rows)
        print(f"{'measure'.ljust(width)}  value")
        print(f"{'-' * width}  {'-' * 40}")
        for key, value in rows:
            print(f"{key.ljust(width)}  {value}")
        del cpu_killed
    finally:
        for path in sorted(work.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        work.rmdir()


if __name__ == "__main__":
    main()
