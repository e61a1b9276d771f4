"""The analytics sync against the fake YouTube Analytics API (real googleapiclient over
HTTPS), on PostgreSQL and SQLite: the 90-day backfill, idempotent re-runs, lagging days,
unknown revenue, per-video rows, revoked grants and bounded retries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from backend.analytics import service
from backend.analytics.sync import backfill, sync_all, sync_channel, sync_window
from backend.db.session import unit_of_work
from backend.models import (
    Channel,
    ChannelDailyMetric,
    ConnectionStatus,
    Video,
    VideoDailyMetric,
    VideoStatus,
    YouTubeCredential,
)
from tests.backend.analytics.conftest import Connected, Owner, Sessions, count, noon
from tests.fakes.youtube_analytics import FakeAnalytics

pytestmark = pytest.mark.timeout(120)


def expected(analytics: FakeAnalytics, key: str, day: date) -> dict[str, Any]:
    v = analytics.day_values(key, day)
    return {
        "views": v["views"],
        "watch_time_minutes": float(v["estimatedMinutesWatched"]),
        "average_view_duration_seconds": float(v["averageViewDuration"]),
        "subscribers_gained": v["subscribersGained"],
        "subscribers_lost": v["subscribersLost"],
        "revenue_usd": Decimal(str(v["estimatedRevenue"])),
        "ad_revenue_usd": Decimal(str(v["estimatedAdRevenue"])),
        "cpm_usd": v["cpm"],
        "playback_cpm_usd": v["playbackBasedCpm"],
    }


FIELDS = (
    "views",
    "watch_time_minutes",
    "average_view_duration_seconds",
    "subscribers_gained",
    "subscribers_lost",
    "revenue_usd",
    "ad_revenue_usd",
    "cpm_usd",
    "playback_cpm_usd",
)


def values(row: ChannelDailyMetric | VideoDailyMetric) -> dict[str, Any]:
    out = {name: getattr(row, name) for name in FIELDS}
    for money in ("revenue_usd", "ad_revenue_usd"):
        if out[money] is not None:
            out[money] = Decimal(out[money]).normalize()
    return out


def normal(want: dict[str, Any]) -> dict[str, Any]:
    for money in ("revenue_usd", "ad_revenue_usd"):
        if want[money] is not None:
            want[money] = want[money].normalize()
    return want


async def channel_rows(sessions: Sessions, channel: Connected) -> dict[date, ChannelDailyMetric]:
    async with sessions() as session:
        rows = await session.scalars(
            select(ChannelDailyMetric).where(ChannelDailyMetric.channel_id == channel.channel_id)
        )
        return {r.day: r for r in rows}


async def video_rows(sessions: Sessions, video_id: Any) -> dict[date, VideoDailyMetric]:
    async with sessions() as session:
        rows = await session.scalars(
            select(VideoDailyMetric).where(VideoDailyMetric.video_id == video_id)
        )
        return {r.day: r for r in rows}


def test_the_window_backfills_new_channels_and_fetches_the_last_days_again() -> None:
    today = date(2026, 12, 1)
    assert sync_window(today, None, backfill_days=90, refetch_days=3) == sync_window(
        today, None, backfill_days=90, refetch_days=3, days=90
    )
    window = sync_window(today, today - timedelta(days=1), backfill_days=90, refetch_days=3)
    assert (window.start, window.end) == (today - timedelta(days=3), today)
    # A worker down for a week: the gap is filled, from 3 days before the last one stored.
    window = sync_window(today, today - timedelta(days=8), backfill_days=90, refetch_days=3)
    assert window.start == today - timedelta(days=10)
    # ... but never further back than the backfill.
    window = sync_window(today, today - timedelta(days=400), backfill_days=90, refetch_days=3)
    assert window.start == today - timedelta(days=89) and window.days == 90


async def test_backfill_stores_90_days_per_channel_and_per_video(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    old = await owner.video(channel, "vidOld00001", noon(today - timedelta(days=200)))
    new = await owner.video(channel, "vidNew00001", noon(today - timedelta(days=10)))
    result = await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)

    assert result.outcome == "synced", result.error
    assert result.window is not None and result.window.days == 90
    assert result.revenue_known and result.videos == 2
    rows = await channel_rows(owner.sessions, channel)
    first, last = today - timedelta(days=89), today - timedelta(days=1)  # today: no data yet
    assert sorted(rows) == [first + timedelta(days=i) for i in range(89)]
    for day in (first, today - timedelta(days=45), last):
        assert values(rows[day]) == normal(expected(analytics, channel.youtube_id, day))
    old_rows = await video_rows(owner.sessions, old)
    new_rows = await video_rows(owner.sessions, new)
    assert len(old_rows) == 89
    assert sorted(new_rows) == [today - timedelta(days=10 - i) for i in range(10)]
    assert values(new_rows[last]) == normal(expected(analytics, "vidNew00001", last))
    # Two videos over 90 days: one call per video beats one per day.
    per_video = analytics.requests_for(dimensions="day", filters="video==vidOld00001")
    assert len(per_video) == 1 and per_video[0]["startDate"] == first.isoformat()
    assert result.calls == 3
    assert result.rows_written == 89 + 89 + 10


async def test_a_re_sync_changes_nothing(owner: Owner, today: date) -> None:
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    video = await owner.video(channel, "vidOld00001", noon(today - timedelta(days=30)))
    await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)
    before = {
        d: (values(r), r.updated_at)
        for d, r in (await channel_rows(owner.sessions, channel)).items()
    }
    before_video = {
        d: (values(r), r.updated_at) for d, r in (await video_rows(owner.sessions, video)).items()
    }

    again = await sync_channel(owner.sessions, owner.settings, channel.channel_id, today=today)
    assert again.outcome == "synced" and again.rows_written == 0
    assert again.window is not None and again.window.start == today - timedelta(days=3)
    assert again.channel_days == 3  # the last three days, asked again
    refill = await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)
    assert refill.rows_written == 0 and refill.channel_days == 89

    after = {
        d: (values(r), r.updated_at)
        for d, r in (await channel_rows(owner.sessions, channel)).items()
    }
    after_video = {
        d: (values(r), r.updated_at) for d, r in (await video_rows(owner.sessions, video)).items()
    }
    assert after == before and after_video == before_video  # not even updated_at moved
    assert await count(owner.sessions, ChannelDailyMetric) == 89
    assert await count(owner.sessions, VideoDailyMetric) == 30


async def test_lagging_days_are_fetched_again_and_updated(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("Space Facts", "UCspace00000000000000001")
    video = await owner.video(channel, "vidOld00001", noon(today - timedelta(days=30)))
    yesterday, old_day = today - timedelta(days=1), today - timedelta(days=10)
    analytics.set(channel.youtube_id, yesterday, views=40, estimatedRevenue=0.05)  # partial
    analytics.set("vidOld00001", yesterday, views=7)
    await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)
    assert (await channel_rows(owner.sessions, channel))[yesterday].views == 40

    # A day later: yesterday's numbers grew, today has data, and a day outside the
    # refetch window changed too (it is not asked again).
    analytics.set(channel.youtube_id, yesterday, views=1234, estimatedRevenue=2.5)
    analytics.set("vidOld00001", yesterday, views=321)
    analytics.set(channel.youtube_id, old_day, views=99_999)
    analytics.available_through = today
    result = await sync_channel(owner.sessions, owner.settings, channel.channel_id, today=today)

    rows = await channel_rows(owner.sessions, channel)
    assert rows[yesterday].views == 1234 and rows[yesterday].revenue_usd == Decimal("2.5")
    assert today in rows and rows[old_day].views != 99_999
    assert (await video_rows(owner.sessions, video))[yesterday].views == 321
    # Changed: the channel's and the video's yesterday; new: both their today.
    assert result.rows_written == 4


async def test_without_the_monetary_scope_revenue_is_unknown_not_zero(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("No Money", "UCnomoney000000000000001", monetary=False)
    video = await owner.video(channel, "vidNoMoney1", noon(today - timedelta(days=20)))
    result = await backfill(owner.sessions, owner.settings, channel.channel_id, today=today)

    assert result.outcome == "synced" and not result.revenue_known
    assert result.revenue_note and "monetary" in result.revenue_note
    assert not any("estimatedRevenue" in q["metrics"] for q in analytics.queries)
    rows = await channel_rows(owner.sessions, channel)
    assert len(rows) == 89 and all(r.views > 0 for r in rows.values())
    assert all(r.revenue_usd is None and r.cpm_usd is None for r in rows.values())
    assert all(r.revenue_usd is None for r in (await video_rows(owner.sessions, video)).values())

    # The analytics page's numbers: views are real, revenue is unknown (not summed as 0).
    async with owner.sessions() as session:
        row = await session.get(Channel, channel.channel_id)
        assert row is not None
        page = await service.channel_analytics(
            session, row, today - timedelta(days=29), today - timedelta(days=1)
        )
    assert page.totals is not None
    assert page.totals.views == sum(
        r.views for d, r in rows.items() if d >= today - timedelta(days=29)
    )
    assert page.totals.revenue_usd is None and page.totals.profit_usd is None
    assert page.revenue_unknown_days == 29
    assert all(d.revenue_usd is None for d in page.days)


async def test_monetary_metrics_refused_with_403_leave_revenue_unknown(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("Refused", "UCrefused000000000000001")
    await owner.video(channel, "vidRefused1", noon(today - timedelta(days=5)))
    analytics.refuse_monetary.add(channel.youtube_id)
    result = await sync_channel(owner.sessions, owner.settings, channel.channel_id, today=today)

    assert result.outcome == "synced" and not result.revenue_known
    assert result.revenue_note == "YouTube refused the monetary metrics (403 forbidden)"
    monetary = [q for q in analytics.queries if "estimatedRevenue" in q["metrics"]]
    assert len(monetary) == 1  # asked once, then not again in this run
    rows = await channel_rows(owner.sessions, channel)
    assert len(rows) == 89 and all(r.revenue_usd is None for r in rows.values())
    assert all(r.views > 0 for r in rows.values())


async def test_a_revenue_once_known_is_not_erased_by_an_unknown_one(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("Known", "UCknown00000000000000001")
    await sync_channel(owner.sessions, owner.settings, channel.channel_id, days=5, today=today)
    known = {d: r.revenue_usd for d, r in (await channel_rows(owner.sessions, channel)).items()}
    assert all(v is not None for v in known.values())
    analytics.refuse_monetary.add(channel.youtube_id)
    result = await sync_channel(
        owner.sessions, owner.settings, channel.channel_id, days=5, today=today
    )
    assert not result.revenue_known and result.rows_written == 0
    after = {d: r.revenue_usd for d, r in (await channel_rows(owner.sessions, channel)).items()}
    assert after == known


async def test_many_videos_are_asked_per_day_up_to_200_a_query(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    channel = await owner.channel("Busy", "UCbusy000000000000000001")
    ids = {}
    for n in range(5):
        yt = f"vidBusy{n:04d}"
        ids[yt] = await owner.video(channel, yt, noon(today - timedelta(days=40 + n)))
    fresh = await owner.video(channel, "vidBusyNew1", noon(today - timedelta(days=1)))
    result = await sync_channel(
        owner.sessions, owner.settings, channel.channel_id, days=3, today=today
    )
    assert result.outcome == "synced" and result.videos == 6
    # Six videos over three days: one query per day beats one per video.
    per_day = analytics.requests_for(dimensions="video")
    assert sorted(q["startDate"] for q in per_day) == [
        (today - timedelta(days=i)).isoformat() for i in (2, 1, 0)
    ]
    assert all(q["startDate"] == q["endDate"] and q["sort"] == "-views" for q in per_day)
    assert "vidBusyNew1" not in per_day[0]["filters"]  # not public yet on the first day
    for yt, video_id in ids.items():
        rows = await video_rows(owner.sessions, video_id)
        assert sorted(rows) == [today - timedelta(days=2), today - timedelta(days=1)]
        for day, row in rows.items():
            assert values(row) == normal(expected(analytics, yt, day))
    assert list(await video_rows(owner.sessions, fresh)) == [today - timedelta(days=1)]


async def test_a_revoked_grant_is_skipped_and_the_channel_marked(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    good = await owner.channel("Good", "UCgood000000000000000001")
    gone = await owner.channel("Gone", "UCgone000000000000000001")
    refresh = next(
        t for t, i in owner.fake.refresh_tokens.items() if i["channel"] == gone.youtube_id
    )
    owner.fake.revoke_grant(refresh)  # the owner removed the app in their Google account

    report = await sync_all(owner.sessions, owner.settings, days=7, today=today)
    outcomes = {c.channel_id: c for c in report.channels}
    assert outcomes[good.channel_id].outcome == "synced"
    assert outcomes[gone.channel_id].outcome == "needs_reconnect"
    assert "invalid_grant" in (outcomes[gone.channel_id].error or "")
    async with owner.sessions() as session:
        credential = await session.scalar(
            select(YouTubeCredential).where(YouTubeCredential.channel_id == gone.channel_id)
        )
    assert credential is not None and credential.status is ConnectionStatus.needs_reconnect
    assert await count(owner.sessions, ChannelDailyMetric, channel_id=gone.channel_id) == 0
    assert await count(owner.sessions, ChannelDailyMetric, channel_id=good.channel_id) == 6

    # The next run skips it without a call or a refresh.
    refreshes = len(owner.fake.token_requests)
    queries = len(analytics.queries)
    again = await sync_all(owner.sessions, owner.settings, days=7, today=today)
    assert {c.channel_id: c.outcome for c in again.channels}[gone.channel_id] == "needs_reconnect"
    assert len(owner.fake.token_requests) == refreshes
    assert len(analytics.queries) == queries + 1  # the good channel's only


async def test_transient_failures_are_retried_a_bounded_number_of_times(
    owner: Owner, today: date
) -> None:
    channel = await owner.channel("Flaky", "UCflaky00000000000000001")
    owner.fake.fail_next("analytics", 503)
    owner.fake.fail_next("analytics", 429, "rateLimitExceeded")
    result = await sync_channel(
        owner.sessions, owner.settings, channel.channel_id, days=3, today=today
    )
    assert result.outcome == "synced" and result.calls == 3
    retries = owner.settings.analytics_max_retries
    for _ in range(retries + 1):
        owner.fake.fail_next("analytics", 500)
    failed = await sync_channel(
        owner.sessions, owner.settings, channel.channel_id, days=3, today=today
    )
    assert failed.outcome == "failed" and failed.calls == retries + 1
    assert failed.error and "kept failing" in failed.error


async def test_an_analytics_quota_answer_stops_the_run(owner: Owner, today: date) -> None:
    first = await owner.channel("One", "UCone0000000000000000001")
    second = await owner.channel("Two", "UCtwo0000000000000000001")
    owner.fake.fail_next("analytics", 403, "quotaExceeded")
    settings = owner.settings.model_copy(update={"analytics_sync_concurrency": 1})
    report = await sync_all(
        owner.sessions,
        settings,
        channel_ids=[first.channel_id, second.channel_id],
        days=2,
        today=today,
    )
    assert [c.outcome for c in report.channels] == ["quota", "quota"]
    assert report.channels[1].calls == 0
    # The Data API's units are not touched: the Analytics quota is its own.
    async with owner.sessions() as session:
        from backend.models import QuotaUsage

        assert (await session.scalars(select(QuotaUsage))).all() == []


async def test_two_hundred_videos_a_query_and_a_long_query_still_gets_through(
    owner: Owner, analytics: FakeAnalytics, today: date
) -> None:
    """201 videos: two queries a day (200 ids, then 1). The 200-id query's URL is over
    googleapiclient's 2,000 characters, so it goes as a POST with the GET override."""
    channel = await owner.channel("Big", "UCbig0000000000000000001")
    published = noon(today - timedelta(days=30))
    ids = [f"vidBig{n:05d}" for n in range(201)]
    async with unit_of_work(owner.sessions) as session:
        for yt in ids:
            session.add(
                Video(
                    channel_id=channel.channel_id,
                    title=yt,
                    status=VideoStatus.published,
                    youtube_video_id=yt,
                    published_at=published,
                )
            )
            analytics.add_video(channel.youtube_id, yt, published.date())
    result = await sync_channel(
        owner.sessions, owner.settings, channel.channel_id, days=2, today=today
    )
    assert result.outcome == "synced", result.error
    per_day = analytics.requests_for(dimensions="video")
    assert sorted(len(q["filters"].split(",")) for q in per_day) == [1, 1, 200, 200]
    assert owner.fake.requests("POST", "/v2/reports")  # the long ones
    assert result.video_days == 201 and result.calls == 5  # today has no data yet
    assert await count(owner.sessions, VideoDailyMetric) == 201
