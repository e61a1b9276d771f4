"""The loop, topic choice: each past video's revenue over its first days (``loop.video_revenues``
on real PostgreSQL and SQLite), and the topic stage through the real runner choosing the
candidate near the channel's past winner over an equally rising one near its past loser."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics.loop import video_revenues
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import Niche, StageStatus, Trend, Video, VideoDailyMetric, VideoStage
from backend.models import VideoStatus as S
from backend.pipeline.tasks import _run_stage
from backend.settings import Settings, use_settings
from tests.backend.agents.test_topic_revenue import LOSER, NEAR_LOSER, NEAR_WINNER, WINNER
from tests.backend.pipeline.conftest import make_channel, runs_of

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime.fromisoformat("2026-11-30T12:00:00+00:00")


async def past_video(
    db: Sessions,
    channel_id: uuid.UUID,
    topic: str,
    published_at: datetime,
    days: list[tuple[int, str | None]],
) -> uuid.UUID:
    """A published video with one analytics row per (views, revenue) from its first day."""
    async with unit_of_work(db) as session:
        video = Video(
            channel_id=channel_id,
            topic=topic,
            title=topic,
            status=S.published,
            youtube_video_id=uuid.uuid4().hex[:11],
            published_at=published_at,
        )
        session.add(video)
        await session.flush()
        for k, (views, revenue) in enumerate(days):
            session.add(
                VideoDailyMetric(
                    video_id=video.id,
                    channel_id=channel_id,
                    day=published_at.date() + timedelta(days=k),
                    views=views,
                    revenue_usd=None if revenue is None else Decimal(revenue),
                )
            )
        return video.id


async def test_a_videos_revenue_is_its_first_days_with_unknown_days_at_its_rpm(
    db: Sessions, settings: Settings
) -> None:
    channel = await make_channel(db, settings, niche="personal finance")
    old = NOW - timedelta(days=40)
    # 14-day window: 10 days of 100 views at $0.50, then 4 days unknown, then more days
    plain = await past_video(
        db, channel.id, "plain", old, [(100, "0.50")] * 10 + [(100, None)] * 4 + [(999, "9")] * 5
    )
    never = await past_video(db, channel.id, "unknown", old, [(500, None)] * 14)
    young = await past_video(db, channel.id, "young", NOW - timedelta(days=5), [(10, "1")] * 5)
    # a second channel's videos are not this one's
    other = await make_channel(db, settings, niche="personal finance")
    await past_video(db, other.id, "theirs", old, [(100, "5")] * 14)

    async with db() as session:
        found = await video_revenues(session, channel.id, 14, NOW)
    by_id = {v.video_id: v for v in found}
    assert set(by_id) == {plain}  # revenue never known: out; window not over: out
    assert never not in by_id and young not in by_id
    # $5 on 1,000 known views, 1,400 views in the window: 5 * 1400 / 1000
    assert by_id[plain].revenue_usd == pytest.approx(7.0)
    assert by_id[plain].views == 1400 and by_id[plain].topic == "plain"

    # a window the sync has not reached yet is not judged (last synced day < window end)
    lagging = await make_channel(db, settings, niche="personal finance")
    await past_video(db, lagging.id, "lagging", old, [(100, "0.50")] * 10)
    async with db() as session:
        assert await video_revenues(session, lagging.id, 14, NOW) == []
        assert [v.topic for v in await video_revenues(session, lagging.id, 10, NOW)] == ["lagging"]


@pytest.fixture
def production(settings: Settings) -> Iterator[Settings]:
    """The in-process gateway (real CPU MiniLM embeddings), as the embedded mode runs it."""
    assert not settings.ai_base_url
    use_settings(settings)
    yield settings
    use_settings(None)


async def test_the_topic_stage_picks_the_candidate_near_the_past_winner(
    production: Settings, db: Sessions
) -> None:
    channel = await make_channel(db, production, niche="personal finance")
    async with unit_of_work(db) as session:
        niche = Niche(
            id=uuid.uuid4(),
            name="personal finance",
            category="personal_finance",
            score=60.0,
            keywords=["personal finance"],
        )
        session.add(niche)
        await session.flush()
        for topic in (NEAR_LOSER, NEAR_WINNER):  # equally rising
            session.add(
                Trend(
                    id=uuid.uuid4(),
                    niche_id=niche.id,
                    topic=topic,
                    source="google_trends",
                    series=[],
                    forecast=[],
                    growth=0.2,
                    fetched_at=utcnow(),
                )
            )
    published = utcnow() - timedelta(days=30)
    await past_video(db, channel.id, WINNER, published, [(2000, "4.00")] * 14)  # $56
    await past_video(db, channel.id, LOSER, published, [(2000, "0.20")] * 14)  # $2.80
    async with unit_of_work(db) as session:
        video = Video(id=uuid.uuid4(), channel_id=channel.id, status=S.queued)
        session.add(video)
    await _run_stage(video.id, VideoStage.topic)

    run = (await runs_of(db, video.id))[VideoStage.topic]
    assert run.status == StageStatus.succeeded, run.error
    assert run.output["topic"] == NEAR_WINNER
    assert run.output["past_revenues"] == 2 and run.output["revenue_factor"] > 1
    assert run.output["expected_revenue_usd"] > (56 + 2.8) / 2
