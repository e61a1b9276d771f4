"""Uploads against the fake YouTube over real HTTPS: bytes, chunks, retries, refusals."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import Video, VideoStatus
from backend.publishing import repository
from backend.publishing.errors import (
    PublishingError,
    RetriesExhausted,
    UploadOutcomeUnknown,
    YouTubeRejected,
)
from backend.publishing.policy import CallPolicy
from backend.publishing.publish import PublishOutcome, publish
from backend.settings import Settings
from tests.backend.publishing.conftest import CHUNK, World, metadata, write_file
from tests.fakes.youtube_server import FakeYouTube

pytestmark = pytest.mark.timeout(60)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunk_ranges(fake: FakeYouTube) -> list[tuple[int, int]]:
    ranges = []
    for _, _, headers in fake.requests("PUT"):
        spec = headers.get("content-range", "")
        if spec.startswith("bytes ") and "*" not in spec:
            start, end = spec[6:].split("/")[0].split("-")
            ranges.append((int(start), int(end)))
    return ranges


async def run(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, world: World, **kw: Any
) -> PublishOutcome:
    kw.setdefault("metadata", metadata())
    kw.setdefault("chunk_bytes", CHUNK)
    return await publish(
        sessions,
        settings,
        video_id=world.video_id,
        channel_id=world.channel_id,
        video_file=world.video_file,
        **kw,
    )


async def test_end_to_end_bytes_chunks_metadata_thumbnail_and_captions(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
    tmp_path: Path,
) -> None:
    thumb = write_file(tmp_path / "thumb.jpg", 20_000)
    srt = tmp_path / "video.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nIron oxide.\n")
    long_title = (
        "Why the red planet Mars looks red from Earth and what its dust storms "
        "tell us about the past of the solar system"
    )
    assert len(long_title) > 100
    outcome = await run(
        sessions,
        pub_settings,
        connected,
        thumbnail=thumb,
        captions=srt,
        metadata=metadata(title=long_title, tags=[f"tag {i}" for i in range(90)]),
    )

    video = fake.videos[outcome.youtube_video_id]
    assert video.sha256() == sha(connected.video_file)
    size = connected.video_file.stat().st_size
    ranges = chunk_ranges(fake)
    assert [s for s, _ in ranges] == list(range(0, size, CHUNK))  # 256 KiB boundaries
    assert all(e - s + 1 == CHUNK for s, e in ranges[:-1]) and ranges[-1][1] == size - 1
    snippet, status = video.resource["snippet"], video.resource["status"]
    assert len(snippet["title"]) <= 100 and snippet["title"].endswith("…")
    assert status["selfDeclaredMadeForKids"] is False and status["containsSyntheticMedia"]
    assert status["privacyStatus"] == "public" and outcome.warning is None
    assert snippet["categoryId"] == "27"
    assert fake.thumbnails[outcome.youtube_video_id] == thumb.read_bytes()
    (caption,) = fake.captions[outcome.youtube_video_id]
    assert caption["snippet"]["language"] == "en" and "Iron oxide." in caption["_text"]
    assert outcome.thumbnail and outcome.thumbnail.status == "set"
    assert outcome.captions and outcome.captions.status == "inserted"
    assert outcome.url == f"https://www.youtube.com/watch?v={outcome.youtube_video_id}"

    # Running it again (a retried stage) changes nothing on YouTube.
    requests_before = len(fake.log)
    again = await run(sessions, pub_settings, connected, thumbnail=thumb, captions=srt)
    assert again.youtube_video_id == outcome.youtube_video_id
    assert len(fake.videos) == 1 and len(fake.captions[outcome.youtube_video_id]) == 1
    assert again.thumbnail and again.thumbnail.status == "skipped"
    assert not [r for r in fake.log[requests_before:] if "upload" in r[1]]


async def test_a_503_mid_chunk_is_retried_with_jittered_backoff_and_completes(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    fake.fail_next("chunk", 503, skip=2)
    fake.fail_next("chunk", 503, skip=2)
    outcome = await run(sessions, pub_settings, connected, rand=random.Random(7).random)
    assert fake.injected == ["chunk:503", "chunk:503"]
    assert outcome.retries >= 1  # (the dropped status query httplib2 may re-send itself)
    assert fake.videos[outcome.youtube_video_id].sha256() == sha(connected.video_file)
    # after each failure the session was asked where it stood (Content-Range: bytes */N)
    size = connected.video_file.stat().st_size
    queries = [h for _, _, h in fake.requests("PUT") if h.get("content-range") == f"bytes */{size}"]
    assert len(queries) == 2
    assert outcome.sessions_started == 1 and len(fake.sessions) == 1


async def test_a_dropped_connection_mid_chunk_is_resumed(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    # httplib2 re-sends a request once by itself when the connection drops before an
    # answer, so drop the chunk twice in a row for the failure to reach our retry loop.
    fake.drop_next("chunk", skip=1)
    fake.drop_next("chunk")
    fake.drop_next("status")  # and the first status query after it dies too
    outcome = await run(sessions, pub_settings, connected)
    assert fake.injected == ["chunk:drop", "chunk:drop", "status:drop"]
    assert outcome.retries >= 1  # (the dropped status query httplib2 may re-send itself)
    assert fake.videos[outcome.youtube_video_id].sha256() == sha(connected.video_file)
    assert len(fake.sessions) == 1 and len(fake.videos) == 1


def test_backoff_is_exponential_bounded_and_jittered() -> None:
    values = iter([1.0, 1.0, 1.0, 1.0, 0.5, 0.25])
    policy = CallPolicy(
        clock=None,  # type: ignore[arg-type]
        quota=None,  # type: ignore[arg-type]
        credentials=None,  # type: ignore[arg-type]
        token_transport=None,  # type: ignore[arg-type]
        backoff_seconds=1.0,
        max_backoff_seconds=8.0,
        rand=lambda: next(values),
    )
    assert [policy.backoff(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 4.0, 2.0]
    jittered = CallPolicy(
        clock=None,  # type: ignore[arg-type]
        quota=None,  # type: ignore[arg-type]
        credentials=None,  # type: ignore[arg-type]
        token_transport=None,  # type: ignore[arg-type]
        backoff_seconds=1.0,
        max_backoff_seconds=8.0,
        rand=random.Random(3).random,
    )
    samples = [jittered.backoff(3) for _ in range(20)]
    assert all(0 <= s < 8.0 for s in samples) and len(set(samples)) == 20


async def test_retries_are_bounded_and_the_session_is_kept_for_the_next_try(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    settings = pub_settings.model_copy(update={"youtube_upload_max_retries": 2})
    fake.fail_next("chunk", 503, skip=1)
    for _ in range(2):  # the same chunk fails three times in a row
        fake.fail_next("chunk", 503)
    with pytest.raises(RetriesExhausted, match="3 tries"):
        await run(sessions, settings, connected)
    async with sessions() as session:
        row = await repository.get_upload(session, connected.video_id)
    assert row is not None and row.session_uri and row.status.value == "uploading"
    # the stage's next try resumes the same session
    outcome = await run(sessions, settings, connected)
    assert outcome.resumed and outcome.sessions_started == 1 and len(fake.sessions) == 1
    assert fake.videos[outcome.youtube_video_id].sha256() == sha(connected.video_file)


async def test_a_400_is_not_retried_and_its_reason_is_kept(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    fake.fail_next("initiate", 400, "invalidCategoryId", message="The category is invalid.")
    with pytest.raises(YouTubeRejected) as caught:
        await run(sessions, pub_settings, connected)
    assert caught.value.reason == "invalidCategoryId" and caught.value.status == 400
    assert len(fake.requests("POST", "/upload/youtube/v3/videos")) == 1  # no retry
    async with sessions() as session:
        row = await repository.get_upload(session, connected.video_id)
        video = await session.get(Video, connected.video_id)
    assert row is not None and row.status.value == "failed"
    assert "invalidCategoryId" in (row.error or "") and "The category is invalid." in str(row.error)
    assert video is not None and video.status is VideoStatus.ready  # ours is untouched
    assert not fake.videos


async def test_a_401_mid_upload_refreshes_the_token_once_and_goes_on(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    fake.fail_next("chunk", 401, "authError", skip=1)
    refreshes_before = sum(r.get("grant_type") == "refresh_token" for r in fake.token_requests)
    outcome = await run(sessions, pub_settings, connected)
    refreshes = sum(r.get("grant_type") == "refresh_token" for r in fake.token_requests)
    assert refreshes == refreshes_before + 1
    assert fake.videos[outcome.youtube_video_id].sha256() == sha(connected.video_file)


async def test_an_unverified_project_forcing_private_gives_a_warning(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    fake.force_private = True
    outcome = await run(sessions, pub_settings, connected)
    assert outcome.privacy_requested == "public" and outcome.privacy_reported == "private"
    assert outcome.warning and "unverified" in outcome.warning


async def test_a_thumbnail_refused_for_the_account_is_recorded_not_failed(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
    tmp_path: Path,
) -> None:
    fake.custom_thumbnails_allowed = False
    thumb = write_file(tmp_path / "thumb.png", 5_000)
    outcome = await run(sessions, pub_settings, connected, thumbnail=thumb)
    assert outcome.thumbnail and outcome.thumbnail.status == "not_allowed"
    assert "custom" in (outcome.thumbnail.detail or "")
    async with sessions() as session:
        row = await repository.get_upload(session, connected.video_id)
    assert row is not None and row.thumbnail_status == "not_allowed" and row.youtube_video_id
    fake.custom_thumbnails_allowed = True  # a recorded outcome is not retried on its own
    again = await run(sessions, pub_settings, connected, thumbnail=thumb)
    assert again.thumbnail and again.thumbnail.status == "skipped"


async def _break_off(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
    world: World,
) -> None:
    """An upload that stops after its first chunk, its session kept."""
    stop = settings.model_copy(update={"youtube_upload_max_retries": 0})
    fake.fail_next("chunk", 503, skip=1)
    with pytest.raises(RetriesExhausted):
        await run(sessions, stop, world)


async def test_an_expired_session_before_the_last_chunk_starts_a_new_one(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    await _break_off(sessions, pub_settings, fake, connected)
    fake.sessions.clear()  # Google forgot the session (they live about a week)
    outcome = await run(sessions, pub_settings, connected)
    assert outcome.sessions_started == 2 and len(fake.videos) == 1
    assert fake.videos[outcome.youtube_video_id].sha256() == sha(connected.video_file)


async def test_a_lost_session_after_the_last_chunk_is_not_guessed_at(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    await _break_off(sessions, pub_settings, fake, connected)
    async with unit_of_work(sessions) as session:
        await repository.update_upload(session, connected.video_id, final_chunk_sent=True)
    fake.sessions.clear()
    with pytest.raises(UploadOutcomeUnknown, match="YouTube Studio"):
        await run(sessions, pub_settings, connected)
    assert not fake.videos and not fake.sessions  # no second session was started


async def test_captions_are_not_inserted_twice_when_the_record_was_lost(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
    tmp_path: Path,
) -> None:
    srt = tmp_path / "video.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nIron oxide.\n")
    outcome = await run(sessions, pub_settings, connected, captions=srt)
    caption_id = outcome.captions.caption_id if outcome.captions else None
    async with unit_of_work(sessions) as session:  # as if we died before recording it
        await repository.update_upload(
            session, connected.video_id, caption_status="pending", caption_id=None
        )
    again = await run(sessions, pub_settings, connected, captions=srt)
    assert again.captions and again.captions.caption_id == caption_id
    assert len(fake.captions[outcome.youtube_video_id]) == 1


async def test_a_missing_video_file_says_so(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    connected: World,
) -> None:
    connected.video_file.unlink()
    with pytest.raises(PublishingError, match="does not exist"):
        await run(sessions, pub_settings, connected)
