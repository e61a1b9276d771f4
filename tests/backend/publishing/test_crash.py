"""Crash safety with real processes: the uploader is SIGKILLed mid-upload, and again after
YouTube accepted the last chunk but before the id was recorded. A new process resumes the
same session; the fake holds exactly one video, whose bytes equal the file."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.publishing import repository
from backend.settings import Settings
from tests.backend.publishing.conftest import CHUNK, World
from tests.fakes.youtube_server import FakeYouTube

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(120)


def _env(settings: Settings, fake: FakeYouTube) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YTE_")}
    env.update(fake.env())
    env.update(
        {
            "YTE_DATABASE_URL": settings.resolved_database_url,
            "YTE_SECRET_KEY": str(settings.secret_key),
            "YTE_DATA_DIR": str(settings.data_dir),
            "YTE_ENVIRONMENT": "test",
            "YTE_YOUTUBE_UPLOAD_BACKOFF_SECONDS": "0.01",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _start(world: World, settings: Settings, fake: FakeYouTube) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.backend.publishing.upload_worker",
            str(world.video_id),
            str(world.channel_id),
            str(world.video_file),
            str(CHUNK),
        ],
        cwd=ROOT,
        env=_env(settings, fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen[str], reached: object) -> None:
    deadline = time.monotonic() + 60
    while not reached.is_set():  # type: ignore[attr-defined]
        if process.poll() is not None:
            raise AssertionError(f"the uploader ended early: {process.stderr.read()}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the upload never reached the hold"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


def _finish(world: World, settings: Settings, fake: FakeYouTube) -> dict[str, object]:
    process = _start(world, settings, fake)
    out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


async def _row(sessions: async_sessionmaker[AsyncSession], world: World):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await repository.get_upload(session, world.video_id)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_killed_mid_upload_resumes_the_same_session_from_the_recorded_byte(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    size = connected.video_file.stat().st_size
    hold = fake.hold(at_byte=size // 2)
    process = _start(connected, pub_settings, fake)
    _kill_when(process, hold.reached)
    hold.release.set()

    row = await _row(sessions, connected)
    assert row is not None and row.session_uri and row.youtube_video_id is None
    recorded = row.confirmed_bytes
    assert 0 < recorded < size and recorded % CHUNK == 0
    puts_before = len(fake.requests("PUT"))

    result = _finish(connected, pub_settings, fake)

    assert result["resumed"] is True and result["sessions_started"] == 1
    # The new process asked the recorded session where it stood before sending anything.
    first_put = fake.requests("PUT")[puts_before]
    assert row.session_uri.endswith(first_put[1].split("?", 1)[1])
    assert first_put[2]["content-range"] == f"bytes */{size}"
    # ...and YouTube had kept the chunk that was in flight, so it went on after it.
    second_put = fake.requests("PUT")[puts_before + 1]
    resumed_at = int(second_put[2]["content-range"].split(" ")[1].split("-")[0])
    assert resumed_at >= recorded
    assert len(fake.sessions) == 1 and len(fake.videos) == 1
    (video,) = fake.videos.values()
    assert video.sha256() == _sha(connected.video_file)
    assert result["youtube_video_id"] == video.resource["id"]
    # bytes sent twice: none beyond the chunk in flight when the process died
    assert fake.wire_bytes - size <= CHUNK
    row = await _row(sessions, connected)
    assert row is not None and row.youtube_video_id == video.resource["id"]


async def test_killed_after_the_last_chunk_was_accepted_recovers_the_id_and_one_video(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    hold = fake.hold(final=True)
    process = _start(connected, pub_settings, fake)
    _kill_when(process, hold.reached)
    hold.release.set()
    assert len(fake.videos) == 1  # YouTube has the video...
    row = await _row(sessions, connected)
    assert row is not None and row.youtube_video_id is None and row.final_chunk_sent  # ...we not
    wire_before = fake.wire_bytes

    result = _finish(connected, pub_settings, fake)

    (video,) = fake.videos.values()
    assert result["youtube_video_id"] == video.resource["id"]
    assert len(fake.videos) == 1 and len(fake.sessions) == 1
    assert fake.wire_bytes == wire_before  # the status query returned the video: no bytes sent
    assert video.sha256() == _sha(connected.video_file)
    row = await _row(sessions, connected)
    assert row is not None and row.youtube_video_id == video.resource["id"]
    assert row.status.value == "uploaded"
