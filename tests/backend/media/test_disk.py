"""The render's disk guard: a render whose estimate would not fit (with the disk's reserve)
is refused before any work, with the reason, as a retryable try; tested with a reserve and
an estimate that cannot fit, not by filling the disk."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.media.disk import (
    MB,
    InsufficientDiskSpace,
    ensure_room,
    render_estimate_bytes,
    usage,
    wav_seconds,
)
from backend.models import StageRun, Video, VideoStage
from backend.pipeline import runner
from backend.pipeline.tasks import _run_stage
from backend.render.samples import make_scenes
from backend.settings import Settings, use_settings
from tests.backend.pipeline.conftest import make_channel, runs_of
from tests.backend.pipeline.test_runner import _video_at

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def _settings_reset() -> Iterator[None]:
    yield
    use_settings(None)


def test_the_estimate_is_duration_times_bitrate_plus_working_space(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, render_estimate_mbps=8.0, render_workspace_mb=100)
    assert render_estimate_bytes(60.0, settings) == 60 * 1_000_000 + 100 * MB


def test_wav_lengths_come_from_their_headers(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(b"\0\0" * 22050 * 3)
    broken = tmp_path / "b.wav"
    broken.write_bytes(b"not a wav" * 3200)  # 28.8 kB: 0.9 s by size
    assert wav_seconds([path, broken]) == pytest.approx(3.9)


def test_room_is_checked_against_the_reserve(tmp_path: Path) -> None:
    disk = usage(tmp_path / "not" / "made" / "yet")  # the nearest existing parent's disk
    assert 0 < disk.free_fraction <= 1
    fits = Settings(data_dir=tmp_path, render_disk_reserve_fraction=0.0)
    assert ensure_room(tmp_path, 1 * MB, fits).free_bytes > MB
    full = Settings(data_dir=tmp_path, render_disk_reserve_fraction=1.0)
    with pytest.raises(InsufficientDiskSpace, match="not enough disk space to render"):
        ensure_room(tmp_path, 1 * MB, full)
    with pytest.raises(InsufficientDiskSpace, match="needs about"):
        ensure_room(tmp_path, disk.free_bytes + MB, fits)  # bigger than the free space


@POSTGRES
async def test_a_render_that_would_not_fit_is_refused_and_retried(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "BACKOFF_S", (0.01,))
    use_settings(settings.model_copy(update={"render_estimate_mbps": 1e9}))  # petabytes
    channel = await make_channel(db, settings)
    video_id = await _video_at(db, settings, channel, VideoStage.render)
    video_dir = settings.media_dir / str(video_id)
    make_scenes(video_dir / "inputs", 3, 2.0)
    async with db() as session:
        runs = {r.stage: r for r in (await session.scalars(select(StageRun))).all()}
        runs[VideoStage.images].artifacts = {
            f"image_{i:02d}": f"inputs/scene_{i - 1:02d}.png" for i in (1, 2, 3)
        }
        runs[VideoStage.voice].artifacts = {
            f"voice_{i:02d}": f"inputs/scene_{i - 1:02d}.wav" for i in (1, 2, 3)
        }
        await session.commit()
    result = await _run_stage(video_id, VideoStage.render)
    assert result["outcome"] == "failed", result  # every try refused: tries used up
    run = (await runs_of(db, video_id))[VideoStage.render]
    assert run.attempts == 3  # each refusal was one more try, not an immediate failure
    async with db() as session:
        video = await session.get(Video, video_id)
    assert video is not None and video.error is not None
    assert video.error.startswith(
        "render failed after 3 attempts: InsufficientDiskSpace: not enough disk space to render"
    )
    assert "free space (ytempire media prune) and retry" in video.error
    assert not (video_dir / "video.mp4").exists()
    assert not [p for p in video_dir.iterdir() if p.name.startswith(".video")]  # no work begun
