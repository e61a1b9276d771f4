"""The loop, publish time: revenue_optimizer learns a channel's best publish hours from the
first-48-hour views of its own videos (statistics snapshots, else the daily analytics rows)
once 10 have them, falls back to its table before, and the learnt hours drive the
autopilot's slots. Real PostgreSQL and SQLite."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.agents.revenue_optimizer import (
    RevenueOptimizer,
    channel_publish_hours,
    learn_publish_hours,
    table_hour,
)
from backend.analytics.loop import PACIFIC, early_views
from backend.autopilot.service import upcoming_slots
from backend.autopilot.slots import SlotGrid
from backend.db.session import unit_of_work
from backend.models import Channel, Video, VideoDailyMetric, VideoStatSnapshot
from backend.models import VideoStatus as S
from backend.settings import Settings
from tests.backend.agents.conftest import good_script
from tests.backend.autopilot.conftest import (  # noqa: F401 - fixture used by name
    NOW,
    connection,
    make_channel,
    make_owner,
    run_tick,
    slot_videos,
)

Sessions = async_sessionmaker[AsyncSession]
NY = ZoneInfo("America/New_York")
BEST = 18  # the local hour the seeded videos do best at (the spread's one slot is 15:00)


async def published(db: Sessions, channel: Channel, at: datetime) -> uuid.UUID:
    async with unit_of_work(db) as session:
        video = Video(
            channel_id=channel.id,
            topic=f"topic {uuid.uuid4().hex[:6]}",
            status=S.published,
            youtube_video_id=uuid.uuid4().hex[:11],
            published_at=at,
        )
        session.add(video)
        await session.flush()
        return video.id


async def snapshots(db: Sessions, video_id: uuid.UUID, at: datetime, views: list[int]) -> None:
    """Hourly statistics polls 1, 2, ... hours after ``at`` with these view counts."""
    async with unit_of_work(db) as session:
        for k, count in enumerate(views, start=1):
            taken = at + timedelta(hours=k, minutes=-10)
            session.add(
                VideoStatSnapshot(
                    video_id=video_id,
                    hour=taken.replace(minute=0, second=0, microsecond=0),
                    taken_at=taken,
                    hours_since_publish=(taken - at).total_seconds() / 3600,
                    views=count,
                )
            )


async def seed(db: Sessions, channel: Channel, plan: list[tuple[int, int]]) -> None:
    """One video per (local hour, views at 48 h), on successive days before NOW."""
    for i, (hour, views) in enumerate(plan):
        day = (NOW - timedelta(days=3 + i)).astimezone(NY).date()
        at = datetime(day.year, day.month, day.day, hour, 0, tzinfo=NY)
        video_id = await published(db, channel, at)
        # polls at 1 h and then 47 h 50 min: the last one stands for 48 h
        await snapshots(db, video_id, at, [views // 10] + [views // 2] * 46 + [views])


# ten or more videos: 4 at BEST did five times better than 8 elsewhere
LEARN = [(BEST, 5000)] * 4 + [(h, 1000) for h in (9, 10, 12, 13, 15, 16, 20, 21)]


def test_the_hour_score_is_the_documented_kernel_average_of_log_views() -> None:
    ranked = dict(learn_publish_hours([(18, 5000.0), (9, 1000.0), (10, 1000.0)]))
    logs = [math.log1p(5000), math.log1p(1000), math.log1p(1000)]
    base = sorted(logs)[1]
    k = [math.exp(-(d**2) / 2) for d in (0, 9, 8)]
    lifts = [min(max(y - base, -math.log(4)), math.log(4)) for y in logs]  # 5x counts as 4x
    assert lifts[0] == pytest.approx(math.log(4))
    score = sum(w * r for w, r in zip(k, lifts, strict=True)) / (sum(k) + 1)
    assert ranked[18] == pytest.approx(math.exp(score))
    assert ranked[3] == pytest.approx(1.0, abs=1e-6)  # nothing near 3 am: neutral
    assert max(ranked, key=lambda h: ranked[h]) == 18
    # one viral video (at 8, next to 9) does not outweigh four good ones: the clip
    many = [(12, 3000.0)] * 4 + [(h, 1000.0) for h in (14, 16, 18, 20) * 2] + [(8, 10**7)]
    assert learn_publish_hours(many, allowed=range(9, 22))[0][0] == 12


async def test_early_views_from_snapshots_else_the_pacific_days(
    db: Sessions, settings: Settings
) -> None:
    owner = await make_owner(db, settings)
    channel = await make_channel(db, owner, timezone="America/New_York")
    at = datetime(2026, 11, 20, 18, 0, tzinfo=PACIFIC)  # 18 h of its Pacific day gone
    polled = await published(db, channel, at)
    await snapshots(db, polled, at, [10 * k for k in range(1, 49)])  # last poll at 47.8 h
    # polled for 20 hours only (the poll stopped): falls back to the daily rows
    short = await published(db, channel, at)
    await snapshots(db, short, at, [10] * 20)
    async with unit_of_work(db) as session:
        for video_id in (polled, short):
            for k, views in enumerate((300, 1200, 800, 5000)):
                session.add(
                    VideoDailyMetric(
                        video_id=video_id,
                        channel_id=channel.id,
                        day=at.date() + timedelta(days=k),
                        views=views,
                    )
                )
    fresh = await published(db, channel, NOW - timedelta(hours=30))  # 48 h not over
    async with db() as session:
        found = {e.video_id: e for e in await early_views(session, channel.id, NOW)}
    assert fresh not in found
    assert found[polled].source == "snapshots" and found[polled].views == 480
    # d0 whole, d0+1 whole, 18/24 of d0+2, nothing of d0+3
    assert found[short].source == "daily"
    assert found[short].views == pytest.approx(300 + 1200 + 18 / 24 * 800)


async def test_learnt_hours_win_from_ten_videos_and_the_table_before(
    db: Sessions, settings: Settings
) -> None:
    owner = await make_owner(db, settings)
    channel = await make_channel(db, owner, timezone="America/New_York")
    await seed(db, channel, LEARN[:9])
    async with db() as session:
        before = await channel_publish_hours(session, channel, settings, NOW)
    # "budgeting for beginners" is personal finance: 16:00 UTC is 11:00 in New York in December
    assert before.source == "table" and before.videos == 9
    assert before.hours == (table_hour("personal_finance", "America/New_York", NOW),) == (11,)

    await seed(db, channel, LEARN[9:])  # the tenth (and more)
    async with db() as session:
        after = await channel_publish_hours(session, channel, settings, NOW)
    assert after.source == "learned" and after.videos == 12
    assert after.hours[0] == BEST and after.lift[BEST] > 1.5
    assert set(after.hours) == set(range(8, 22))  # the autopilot's window, ranked
    seo = RevenueOptimizer().optimize(
        good_script(),
        niche=channel.niche,
        fmt="long",
        language="en",
        now=NOW,
        publish_hours=after,
    )
    assert seo.publish_at.astimezone(NY).hour == BEST
    table = RevenueOptimizer().optimize(
        good_script(),
        niche=channel.niche,
        fmt="long",
        language="en",
        now=NOW,
        publish_hours=before,
    )
    assert table.publish_at.hour == 16  # the table's UTC hour


async def test_learnt_hours_drive_the_autopilot_slots(
    db: Sessions,
    settings: Settings,
    connection: redis.Redis,  # noqa: F811
) -> None:
    owner = await make_owner(db, settings)
    one = await make_channel(db, owner, timezone="America/New_York", cadence_per_day=1.0)
    two = await make_channel(db, owner, timezone="America/New_York", cadence_per_day=2.0)
    learning = await make_channel(db, owner, timezone="America/New_York", cadence_per_day=1.0)
    await seed(db, one, LEARN)
    await seed(db, two, LEARN)
    await seed(db, learning, LEARN[:9])
    await run_tick(db, connection, settings)

    def local(rows: list) -> list[str]:  # type: ignore[type-arg]
        return [s.slot_at.astimezone(NY).strftime("%H:%M") for s, _v in rows]

    assert local(await slot_videos(db, one.id)) == ["18:00", "18:00"]
    async with db() as session:
        ranked = (await channel_publish_hours(session, two, settings, NOW)).hours
    # two a day: the best hour and the best one at least (22 - 8) // 4 = 3 hours from it
    second = next(h for h in ranked if abs(h - BEST) >= 3)
    assert sorted(set(local(await slot_videos(db, two.id)))) == sorted(
        {f"{BEST}:00", f"{second:02d}:00"}
    )
    # under ten videos: the spread (one slot at the middle of 8-22)
    assert local(await slot_videos(db, learning.id)) == ["15:00", "15:00"]
    async with db() as session:
        schedule = await upcoming_slots(session, one, NOW, settings)
    assert {s.at.astimezone(NY).strftime("%H:%M") for s in schedule} == {"18:00"}


async def test_hours_learnt_mid_buffer_never_make_more_than_the_buffer(
    db: Sessions,
    settings: Settings,
    connection: redis.Redis,  # noqa: F811
) -> None:
    owner = await make_owner(db, settings)
    channel = await make_channel(db, owner, timezone="America/New_York", cadence_per_day=1.0)
    await seed(db, channel, LEARN[:9])
    first = await run_tick(db, connection, settings)
    assert len(first.channels[0].made) == 2  # two days, spread: 15:00
    await seed(db, channel, LEARN[9:])  # now the hours are learnt: 18:00
    again = await run_tick(db, connection, settings, NOW + timedelta(minutes=5))
    assert again.channels[0].made == [] and again.channels[0].buffered == 2
    later = await run_tick(db, connection, settings, NOW + timedelta(days=1))
    rows = await slot_videos(db, channel.id)
    times = sorted(s.slot_at for s, _v in rows)
    assert len(later.channels[0].made) == 1  # the day that came into the window: at 18:00
    assert [t.astimezone(NY).strftime("%d %H:%M") for t in times] == [
        "02 15:00",
        "03 15:00",
        "04 18:00",
    ]


def test_a_days_slots_take_the_best_spaced_hours_inside_the_window() -> None:
    day = datetime(2026, 12, 2).date()
    grid = SlotGrid(2, "America/New_York", 8, 22, hours=(23, 18, 19, 17, 12, 14))
    # 23 is outside the window; 19 and 17 are within (22 - 8) // 4 = 3 hours of 18
    assert [t.astimezone(NY).strftime("%H:%M") for t in grid.on(day)] == ["12:00", "18:00"]
    assert grid.best_hours(1) == (18,)
    # hours that cannot hold the day's slots: the day is spread as without them
    crowded = SlotGrid(3, "UTC", 8, 22, hours=(18, 19))
    assert crowded.on(day) == SlotGrid(3, "UTC", 8, 22).on(day)
