"""Quota: units per Google Cloud project per Pacific day; at the limit an upload waits for the
Pacific-midnight reset (a controlled clock) and nothing is lost."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.publishing.clock import ManualClock
from backend.publishing.errors import QuotaWait
from backend.publishing.publish import publish
from backend.publishing.quota import COSTS, QuotaLedger, next_reset, pacific_day
from backend.settings import Settings
from tests.backend.publishing.conftest import CHUNK, World, metadata
from tests.fakes.youtube_server import PROJECT_ID, FakeYouTube

pytestmark = pytest.mark.timeout(60)
# 23:00 in Los Angeles on 1 December (UTC-8): the reset is an hour (and 5 s) away.
LATE_EVENING = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


def test_the_day_and_its_reset_follow_pacific_time_through_dst() -> None:
    assert pacific_day(LATE_EVENING) == date(2026, 12, 1)
    assert next_reset(LATE_EVENING) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # PST
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_reset(summer) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # PDT
    # the night the clocks go back (1 Nov 2026): still midnight local, 08:00 UTC
    assert next_reset(datetime(2026, 10, 31, 20, 0, tzinfo=UTC)) == datetime(
        2026, 11, 1, 7, 0, tzinfo=UTC
    )
    assert next_reset(datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 2, 8, 0, tzinfo=UTC
    )


def test_the_cost_table_has_the_documented_units() -> None:
    assert COSTS["videos.insert"] == 100 and COSTS["thumbnails.set"] == 50
    assert COSTS["captions.insert"] == 400 and COSTS["channels.list"] == 1


async def test_spending_is_counted_and_refused_past_the_limit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(LATE_EVENING)
    ledger = QuotaLedger(sessions, project_id="p1", daily_units=250, clock=clock, mode="raise")
    other = QuotaLedger(sessions, project_id="p2", daily_units=250, clock=clock, mode="raise")
    await ledger.spend("videos.insert")
    await ledger.spend("videos.insert")
    with pytest.raises(QuotaWait) as caught:
        await ledger.spend("videos.insert")
    assert caught.value.resume_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert await ledger.remaining() == 50
    await other.spend("videos.insert")  # another project has its own quota
    clock.advance(3601)
    assert await ledger.remaining() == 250  # a new Pacific day


async def test_an_upload_at_the_limit_waits_for_the_reset_and_completes(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    clock = ManualClock(LATE_EVENING)
    ledger = QuotaLedger(sessions, project_id=PROJECT_ID, daily_units=10_000, clock=clock)
    assert await ledger.try_spend(9_950)  # 50 left: videos.insert (100) does not fit
    outcome = await publish(
        sessions,
        pub_settings,
        video_id=connected.video_id,
        channel_id=connected.channel_id,
        video_file=connected.video_file,
        metadata=metadata(),
        clock=clock,
        chunk_bytes=CHUNK,
    )
    assert clock.slept and clock.slept[0] == pytest.approx(3605)
    assert clock.now() >= datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    data = connected.video_file.read_bytes()
    assert fake.videos[outcome.youtube_video_id].sha256() == hashlib.sha256(data).hexdigest()
    assert await ledger.used_today() == (100, False)  # counted on the new day


async def test_quota_exceeded_from_youtube_waits_the_same_way(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    clock = ManualClock(LATE_EVENING)
    fake.fail_next(
        "initiate",
        403,
        "quotaExceeded",
        message="The request cannot be completed because you have exceeded your quota.",
    )
    outcome = await publish(
        sessions,
        pub_settings,
        video_id=connected.video_id,
        channel_id=connected.channel_id,
        video_file=connected.video_file,
        metadata=metadata(),
        clock=clock,
        chunk_bytes=CHUNK,
    )
    assert fake.injected == ["initiate:403"]
    assert clock.slept[0] == pytest.approx(3605)
    assert len(fake.videos) == 1 and outcome.youtube_video_id in fake.videos
    ledger = QuotaLedger(
        sessions, project_id=PROJECT_ID, daily_units=10_000, clock=ManualClock(LATE_EVENING)
    )
    assert await ledger.used_today() == (100, True)  # the old day stays marked spent


async def test_upload_limit_exceeded_mid_upload_resumes_the_same_session_after_the_reset(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    clock = ManualClock(LATE_EVENING)
    fake.fail_next("chunk", 403, "uploadLimitExceeded", skip=2)
    outcome = await publish(
        sessions,
        pub_settings,
        video_id=connected.video_id,
        channel_id=connected.channel_id,
        video_file=connected.video_file,
        metadata=metadata(),
        clock=clock,
        chunk_bytes=CHUNK,
    )
    assert clock.slept[0] == pytest.approx(3605)
    assert outcome.sessions_started == 1 and len(fake.sessions) == 1
    data = connected.video_file.read_bytes()
    assert fake.videos[outcome.youtube_video_id].sha256() == hashlib.sha256(data).hexdigest()


async def test_raise_mode_hands_the_stage_the_reset_time(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    fake: FakeYouTube,
    connected: World,
) -> None:
    clock = ManualClock(LATE_EVENING)
    ledger = QuotaLedger(sessions, project_id=PROJECT_ID, daily_units=10_000, clock=clock)
    await ledger.mark_exhausted()
    with pytest.raises(QuotaWait) as caught:
        await publish(
            sessions,
            pub_settings,
            video_id=connected.video_id,
            channel_id=connected.channel_id,
            video_file=connected.video_file,
            metadata=metadata(),
            clock=clock,
            quota_mode="raise",
            chunk_bytes=CHUNK,
        )
    assert caught.value.resume_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert not fake.sessions  # nothing was sent
