"""The autopilot tick on PostgreSQL and SQLite with a real Redis: the buffer, budgets, the
spend cap, the upload quota, paused channels, failed slots and the last-tick record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import redis
from rq import Queue
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.autopilot.service import MAX_VIDEOS_PER_SLOT, upcoming_slots
from backend.models import AutopilotTick, Channel, ChannelStatus, VideoStatus
from backend.settings import Settings
from tests.backend.autopilot.conftest import (
    NOW,
    channel_videos,
    finish_video,
    make_channel,
    make_owner,
    run_tick,
    seed_finished,
    slot_videos,
)


async def _tick_record(db: async_sessionmaker[AsyncSession], channel: Channel) -> AutopilotTick:
    async with db() as session:
        row = await session.get(AutopilotTick, channel.id)
        assert row is not None
        return row


async def test_ticks_keep_exactly_the_buffer_and_never_more(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, await make_owner(db, settings))
    report = await run_tick(db, connection, settings)
    # 2 a day for 2 days from Wed 06:00 UTC: Wed 11:30, 18:30, Thu 11:30, 18:30.
    [result] = report.channels
    assert (result.wanted, len(result.made), result.skip_code) == (4, 4, None)
    videos = await channel_videos(db, channel.id)
    assert [v.publish_at.strftime("%a %H:%M") for v in videos if v.publish_at] == [
        "Wed 11:30",
        "Wed 18:30",
        "Thu 11:30",
        "Thu 18:30",
    ]
    assert all(v.status == VideoStatus.queued and v.topic is None for v in videos)
    # each video's first stage is enqueued after the commit
    jobs = Queue("production", connection=connection).job_ids
    assert sorted(jobs) == sorted(f"stage-{v.id}-topic-0" for v in videos)

    for _ in range(3):  # the same moment again: nothing more
        again = await run_tick(db, connection, settings)
        assert [len(c.made) for c in again.channels] == [0]
    assert len(await channel_videos(db, channel.id)) == 4

    # 12 hours on, Wed 18:30 is inside the lead time and Fri 11:30 enters the window.
    later = await run_tick(db, connection, settings, NOW + timedelta(hours=12))
    assert [m.slot_at.strftime("%a %H:%M") for m in later.channels[0].made] == ["Fri 11:30"]
    rows = await slot_videos(db, channel.id)
    assert len(rows) == 5 == len({s.slot_at for s, _v in rows})
    assert all(v is not None and v.publish_at == s.slot_at for s, v in rows)
    record = await _tick_record(db, channel)
    assert (record.wanted, record.buffered, record.made, record.skip_code) == (3, 3, 1, None)


async def test_slots_are_in_the_channels_timezone(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(
        db, await make_owner(db, settings), timezone="Asia/Tokyo", cadence_per_day=1.0
    )
    await run_tick(db, connection, settings)
    tokyo = ZoneInfo("Asia/Tokyo")
    local = [v.publish_at.astimezone(tokyo) for v in await channel_videos(db, channel.id)]
    assert local and {t.strftime("%H:%M") for t in local} == {"15:00"}


async def test_budgets_bound_what_is_made_and_the_forecast_comes_from_the_ledger(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    owner = await make_owner(db, settings)
    channel = await make_channel(
        db, owner, daily_budget_usd=Decimal("2.50"), monthly_budget_usd=Decimal("100")
    )
    # Three finished videos cost 0.90, 1.00 and 4.00: the forecast is their median, 1.00.
    await seed_finished(db, channel, ["0.90", "1.00", "4.00"], NOW - timedelta(days=3))

    report = await run_tick(db, connection, settings)
    [result] = report.channels
    assert result.details["forecast_usd"] == 1.0
    assert "median of this channel's last 3 finished videos" in result.details["forecast"]
    # 2.50 a day at 1.00 a video: two are made, the third would not fit.
    assert len(result.made) == 2
    assert result.skip_code == "budget_daily"
    assert "does not fit today's $2.50 budget" in (result.skip_reason or "")
    record = await _tick_record(db, channel)
    assert record.skip_code == "budget_daily" and record.skip_reason == result.skip_reason

    # Later today the two in flight are done at 1.00 each: 0.50 left, still nothing.
    for made_now in result.made:
        await finish_video(db, made_now.video_id, "1.00", NOW + timedelta(hours=1))
    more = await run_tick(db, connection, settings, NOW + timedelta(hours=2))
    assert len(more.channels[0].made) == 0 and more.channels[0].skip_code == "budget_daily"
    # Never over: today's spend plus what is in flight stays within the daily budget.
    assert result.details["day_spend_usd"] + len(result.made) * 1.0 <= 2.5

    # A new UTC day: the budget is back, the rest of the buffer is made.
    next_day = await run_tick(db, connection, settings, NOW + timedelta(days=1))
    assert len(next_day.channels[0].made) == 2


async def test_the_monthly_budget_counts_the_month_and_videos_in_flight(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    settings = settings.model_copy(update={"autopilot_default_video_cost_usd": 1.0})
    channel = await make_channel(
        db,
        await make_owner(db, settings),
        daily_budget_usd=Decimal("10"),
        monthly_budget_usd=Decimal("12"),
    )
    async with db() as session:
        from backend.costs.service import record_cost
        from backend.db.session import commit

        await record_cost(
            session,
            None,
            channel_id=channel.id,
            amount_usd=Decimal("9.5"),
            kind="text",
            provider="test:model",
            occurred_at=NOW.replace(day=1),
        )
        await commit(session)
    report = await run_tick(db, connection, settings)
    [result] = report.channels
    assert result.details["forecast"].startswith("$1.0000 (default")
    assert len(result.made) == 2 and result.skip_code == "budget_monthly"
    assert "this month's $12.00 budget" in (result.skip_reason or "")


async def test_a_paused_channel_gets_nothing_and_says_why(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    owner = await make_owner(db, settings)
    paused = await make_channel(
        db, owner, status=ChannelStatus.paused, pause_reason="budget_exceeded:daily"
    )
    off = await make_channel(db, owner, autopilot=False)
    report = await run_tick(db, connection, settings)
    assert [c.channel_id for c in report.channels] == [paused.id]  # autopilot off: not visited
    assert report.channels[0].skip_code == "paused"
    assert "budget_exceeded:daily" in (report.channels[0].skip_reason or "")
    assert await channel_videos(db, paused.id) == [] == await channel_videos(db, off.id)
    assert (await _tick_record(db, paused)).skip_code == "paused"


async def test_the_appliance_spend_cap_holds_across_channels(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    settings = settings.model_copy(
        update={"autopilot_default_video_cost_usd": 1.0, "autopilot_daily_spend_cap_usd": 3.5}
    )
    owner = await make_owner(db, settings)
    first = await make_channel(db, owner)
    second = await make_channel(db, await make_owner(db, settings))
    report = await run_tick(db, connection, settings)
    made = {c.channel_id: len(c.made) for c in report.channels}
    assert made == {first.id: 3, second.id: 0}
    assert [c.skip_code for c in report.channels] == ["spend_cap", "spend_cap"]
    assert "YTE_AUTOPILOT_DAILY_SPEND_CAP_USD" in (report.channels[1].skip_reason or "")
    # the three in flight count against the cap on the next tick too
    again = await run_tick(db, connection, settings, NOW + timedelta(minutes=5))
    assert again.made == 0


async def test_the_upload_quota_holds_what_would_not_upload_today(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    # 1,700 units: three uploads of 550 (videos.insert 100 + thumbnails.set 50 + captions 400).
    settings = settings.model_copy(update={"youtube_upload_quota": 1700})
    channel = await make_channel(db, await make_owner(db, settings))
    report = await run_tick(db, connection, settings)
    [result] = report.channels
    assert len(result.made) == 3 and result.skip_code == "quota"
    assert "1700 units left today" in (result.skip_reason or "")
    assert len(await channel_videos(db, channel.id)) == 3


async def test_a_failed_slot_is_made_again_a_bounded_number_of_times(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, await make_owner(db, settings), cadence_per_day=1.0)
    first = await run_tick(db, connection, settings)
    slot = first.channels[0].made[0]
    await finish_video(db, slot.video_id, "0.10", NOW, status=VideoStatus.failed)
    second = await run_tick(db, connection, settings, NOW + timedelta(minutes=1))
    [again] = second.channels[0].made
    assert again.slot_at == slot.slot_at and again.video_id != slot.video_id
    videos = {v.id: v for v in await channel_videos(db, channel.id)}
    assert videos[slot.video_id].publish_at is None  # the slot is the new video's now
    assert videos[again.video_id].publish_at == slot.slot_at

    await finish_video(db, again.video_id, "0.10", NOW, status=VideoStatus.failed)
    third = await run_tick(db, connection, settings, NOW + timedelta(minutes=2))
    assert third.channels[0].made == []
    assert third.channels[0].skip_code == "slots_spent"
    assert str(MAX_VIDEOS_PER_SLOT) in (third.channels[0].skip_reason or "")


async def test_upcoming_slots_show_videos_open_slots_and_the_lead_time(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    channel = await make_channel(db, await make_owner(db, settings), cadence_per_day=2.0)
    wed_1110 = NOW + timedelta(hours=5, minutes=10)
    async with db() as session:
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        before = await upcoming_slots(session, fresh, wed_1110, settings)
    # Wed 11:30 is inside the 30-minute lead: no video will be made for it.
    assert [s.status for s in before] == ["too_soon", "open", "open", "open"]
    await run_tick(db, connection, settings)
    async with db() as session:
        fresh = await session.get(Channel, channel.id)
        assert fresh is not None
        after = await upcoming_slots(session, fresh, wed_1110 + timedelta(days=1), settings)
        fresh.autopilot = False
        off = await upcoming_slots(session, fresh, NOW + timedelta(days=3), settings)
    assert [s.status for s in after] == ["queued", "queued", "open", "open"]
    assert [s.video_id is not None for s in after] == [True, True, False, False]
    assert {s.status for s in off} == {"off"}


async def test_a_channel_that_breaks_is_recorded_and_the_others_still_fill(
    settings: Settings, db: async_sessionmaker[AsyncSession], connection: redis.Redis
) -> None:
    owner = await make_owner(db, settings)
    broken = await make_channel(db, owner, timezone="Mars/Olympus_Mons")  # not via the API
    fine = await make_channel(db, owner)
    report = await run_tick(db, connection, settings)
    by_id = {c.channel_id: c for c in report.channels}
    assert by_id[broken.id].skip_code == "error"
    assert "not an IANA timezone" in (by_id[broken.id].skip_reason or "")
    assert (await _tick_record(db, broken)).skip_code == "error"
    assert len(by_id[fine.id].made) == 4
