"""The hourly statistics of fresh uploads: videos.list(part=statistics) for the videos that
went public in the last 48 hours, one snapshot per video and hour, each call counted in the
Data API quota ledger, and the uploads' reserve left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.analytics.stats import poll_fresh_statistics
from backend.models import QuotaUsage, VideoStatSnapshot
from backend.publishing.quota import pacific_day
from tests.backend.analytics.conftest import Owner, Sessions, count
from tests.fakes.youtube_server import PROJECT_ID

pytestmark = pytest.mark.timeout(120)


async def units(sessions: Sessions, now: datetime) -> int:
    async with sessions() as session:
        row = await session.scalar(
            select(QuotaUsage).where(
                QuotaUsage.project_id == PROJECT_ID, QuotaUsage.day == pacific_day(now)
            )
        )
    return row.units if row else 0


async def snapshots(sessions: Sessions) -> list[VideoStatSnapshot]:
    async with sessions() as session:
        query = select(VideoStatSnapshot).order_by(VideoStatSnapshot.taken_at)
        return list(await session.scalars(query))


async def test_fresh_uploads_are_polled_hourly_for_48_hours(owner: Owner) -> None:
    now = datetime.now(UTC).replace(minute=10, second=0, microsecond=0)
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    fresh = await owner.video(channel, "vidFresh001", now - timedelta(hours=2), views=120)
    older = await owner.video(channel, "vidFresh002", now - timedelta(hours=30), views=4000)
    await owner.video(channel, "vidStale001", now - timedelta(hours=50), views=9000)

    poll = await poll_fresh_statistics(owner.sessions, owner.settings, now=now)
    assert (poll.videos, poll.snapshots, poll.calls) == (2, 2, 1)  # both in one call
    assert await units(owner.sessions, now) == 1
    calls = owner.fake.requests("GET", "/youtube/v3/videos")
    assert len(calls) == 1 and "part=statistics" in calls[0][1]
    rows = {s.video_id: s for s in await snapshots(owner.sessions)}
    assert set(rows) == {fresh, older}
    assert rows[fresh].views == 120 and rows[fresh].likes == 3 and rows[fresh].comments == 1
    assert rows[fresh].hours_since_publish == 2.0
    assert rows[fresh].hour == now.replace(minute=0)

    # Later in the same hour: the hour's snapshot is updated, not doubled.
    owner.fake.videos["vidFresh001"].resource["statistics"]["viewCount"] = "150"
    await poll_fresh_statistics(owner.sessions, owner.settings, now=now + timedelta(minutes=20))
    assert await count(owner.sessions, VideoStatSnapshot) == 2
    assert {s.video_id: s.views for s in await snapshots(owner.sessions)}[fresh] == 150

    # Next hour: a new snapshot each; 19 hours on, the older video is past 48 hours.
    owner.fake.videos["vidFresh001"].resource["statistics"]["viewCount"] = "400"
    await poll_fresh_statistics(owner.sessions, owner.settings, now=now + timedelta(hours=1))
    assert await count(owner.sessions, VideoStatSnapshot, video_id=fresh) == 2
    late = await poll_fresh_statistics(
        owner.sessions, owner.settings, now=now + timedelta(hours=19)
    )
    assert late.videos == 1
    assert await count(owner.sessions, VideoStatSnapshot, video_id=older) == 2
    assert [s.views for s in await snapshots(owner.sessions) if s.video_id == fresh] == [
        150,
        400,
        400,
    ]
    assert await units(owner.sessions, now) == 4


async def test_the_poll_leaves_the_uploads_reserve_alone(owner: Owner) -> None:
    now = datetime.now(UTC)
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    await owner.video(channel, "vidFresh001", now - timedelta(hours=1))
    settings = owner.settings.model_copy(
        update={"youtube_upload_quota": 600, "analytics_stats_quota_reserve": 600}
    )
    poll = await poll_fresh_statistics(owner.sessions, settings, now=now)
    assert poll.calls == 0 and poll.skipped == {"quota_reserve": 1}
    assert owner.fake.requests("GET", "/youtube/v3/videos") == []
    assert await units(owner.sessions, now) == 0

    roomy = settings.model_copy(update={"analytics_stats_quota_reserve": 599})
    assert (await poll_fresh_statistics(owner.sessions, roomy, now=now)).calls == 1


async def test_a_revoked_grant_skips_its_channel_and_marks_it(owner: Owner) -> None:
    now = datetime.now(UTC)
    good = await owner.channel("Good", "UCgood000000000000000001")
    gone = await owner.channel("Gone", "UCgone000000000000000001")
    await owner.video(good, "vidGood0001", now - timedelta(hours=1), views=10)
    await owner.video(gone, "vidGone0001", now - timedelta(hours=1), views=10)
    refresh = next(
        t for t, i in owner.fake.refresh_tokens.items() if i["channel"] == gone.youtube_id
    )
    owner.fake.revoke_grant(refresh)

    poll = await poll_fresh_statistics(owner.sessions, owner.settings, now=now)
    assert poll.snapshots == 1 and poll.skipped == {"needs_reconnect": 1}
    async with owner.sessions() as session:
        from backend.models import ConnectionStatus, YouTubeCredential

        credential = await session.scalar(
            select(YouTubeCredential).where(YouTubeCredential.channel_id == gone.channel_id)
        )
    assert credential is not None and credential.status is ConnectionStatus.needs_reconnect
