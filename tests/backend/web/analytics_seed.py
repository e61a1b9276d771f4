"""YouTube numbers written the way the analytics sync writes them (``channel_daily_metrics``
and ``video_daily_metrics`` rows, revenue NULL when unknown) and a cost ledger, for two
owners: the analytics page, the CSV export, the video API and the overview read them.

The range is 2026-03-01..2026-03-07 (7 days). The owner's figures, worked out by hand:

* "Known Money": views 1000 + 100 i on day i (9,100), revenue 2.00 + 0.25 i except day 3,
  whose revenue is unknown (16.50 known); cost 4.60 in the range (0.30 for the channel,
  0.50 + 2.00 + 1.00 + 0.80 for videos); profit 11.90; RPM 16.50 / 7,800 views.
* "@No Money" (a name a spreadsheet would run): 500 views a day, revenue unknown every
  day; cost 0.25 (its video). Its revenue, profit and ROI are unknown, not 0.
* Videos by profit in the range: Winner 5.50 (one unknown day), Middling 2.50, Old hit
  2.10 (its 3.00 cost is before the range), the formula-titled one 0.40, Fresh -0.80 (cost
  only, no YouTube day), Loser -1.30; Mystery (on "@No Money") is unknown: not ranked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import (
    Channel,
    ChannelDailyMetric,
    CostEvent,
    User,
    Video,
    VideoDailyMetric,
    VideoStatus,
)

START, END = date(2026, 3, 1), date(2026, 3, 7)
DAYS = [START + timedelta(days=i) for i in range(7)]
UNKNOWN_DAY = 3  # the day Known Money's revenue (and Winner's) is unknown
FORMULA_TITLE = '=HYPERLINK("http://evil.example/","click")'

KNOWN_VIEWS = sum(1000 + 100 * i for i in range(7))  # 9,100
KNOWN_REVENUE = Decimal("16.50")
KNOWN_COST = Decimal("4.60")
KNOWN_RPM = float(KNOWN_REVENUE) / (KNOWN_VIEWS - 1300) * 1000
UNKNOWN_COST = Decimal("0.25")
TOP = ["Winner", "Middling", "Old hit"]
BOTTOM = ["Loser", "Fresh", FORMULA_TITLE]  # worst first
PROFITS = {
    "Winner": 5.50,
    "Middling": 2.50,
    "Old hit": 2.10,
    FORMULA_TITLE: 0.40,
    "Fresh": -0.80,
    "Loser": -1.30,
}


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


@dataclass
class Seeded:
    owner_id: uuid.UUID
    known: uuid.UUID
    unknown: uuid.UUID
    others: uuid.UUID  # another owner's channel
    videos: dict[str, uuid.UUID] = field(default_factory=dict)
    other_video: uuid.UUID | None = None


async def user_id(session: AsyncSession, email: str) -> uuid.UUID:
    found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None, email
    return found


def _channel(owner: uuid.UUID, name: str, created: datetime) -> Channel:
    return Channel(
        id=uuid.uuid4(), owner_id=owner, name=name, niche="astronomy", created_at=created
    )


def _cost(channel: uuid.UUID, video: uuid.UUID | None, usd: str, day: date) -> CostEvent:
    return CostEvent(
        id=uuid.uuid4(),
        channel_id=channel,
        video_id=video,
        stage="script" if video else None,
        kind="text",
        provider="cpu",
        amount_usd=Decimal(usd),
        occurred_at=at_noon(day),
    )


def _video(channel: uuid.UUID, title: str, youtube_id: str | None, published: date) -> Video:
    return Video(
        id=uuid.uuid4(),
        channel_id=channel,
        topic=f"Topic of {title}"[:300],
        title=title,
        status=VideoStatus.published if youtube_id else VideoStatus.ready,
        youtube_video_id=youtube_id,
        published_at=at_noon(published) if youtube_id else None,
    )


def _video_day(
    video: Video, day: date, views: int, revenue: str | None, minutes: float = 40.0
) -> VideoDailyMetric:
    return VideoDailyMetric(
        id=uuid.uuid4(),
        video_id=video.id,
        channel_id=video.channel_id,
        day=day,
        views=views,
        watch_time_minutes=minutes,
        average_view_duration_seconds=95.0,
        revenue_usd=None if revenue is None else Decimal(revenue),
        ad_revenue_usd=None if revenue is None else Decimal(revenue) * Decimal("0.8"),
        cpm_usd=None if revenue is None else 4.5,
    )


async def seed(
    factory: async_sessionmaker[AsyncSession], owner_email: str, other_email: str
) -> Seeded:
    async with unit_of_work(factory) as session:
        owner = await user_id(session, owner_email)
        other = await user_id(session, other_email)
        first = datetime(2026, 1, 1, tzinfo=UTC)
        known = _channel(owner, "Known Money", first)
        unknown = _channel(owner, "@No Money", first + timedelta(hours=1))
        others = _channel(other, "Someone Else", first)
        session.add_all([known, unknown, others])
        await session.flush()
        for i, day in enumerate(DAYS):
            revenue = None if i == UNKNOWN_DAY else Decimal("2.00") + Decimal("0.25") * i
            session.add_all(
                [
                    ChannelDailyMetric(
                        id=uuid.uuid4(),
                        channel_id=known.id,
                        day=day,
                        views=1000 + 100 * i,
                        watch_time_minutes=300.0 + 10 * i,
                        subscribers_gained=i,
                        revenue_usd=revenue,
                    ),
                    ChannelDailyMetric(
                        id=uuid.uuid4(),
                        channel_id=unknown.id,
                        day=day,
                        views=500,
                        watch_time_minutes=120.0,
                        revenue_usd=None,
                    ),
                    ChannelDailyMetric(
                        id=uuid.uuid4(),
                        channel_id=others.id,
                        day=day,
                        views=99_999,
                        watch_time_minutes=1.0,
                        revenue_usd=Decimal("9.99"),
                    ),
                ]
            )
        published = date(2026, 2, 28)
        videos = {
            "Winner": _video(known.id, "Winner", "ytWinner001", published),
            "Loser": _video(known.id, "Loser", "ytLoser0001", published),
            "Middling": _video(known.id, "Middling", "ytMiddle001", published),
            "Fresh": _video(known.id, "Fresh", None, published),
            FORMULA_TITLE: _video(known.id, FORMULA_TITLE, "ytFormula01", date(2026, 3, 5)),
            "Old hit": _video(known.id, "Old hit", "ytOldHit001", date(2026, 1, 15)),
            "Mystery": _video(unknown.id, "Mystery", "ytMystery01", published),
        }
        other_video = _video(others.id, "Not yours", "ytNotYours1", published)
        session.add_all([*videos.values(), other_video])
        await session.flush()
        for i, day in enumerate(DAYS):
            winner = None if i == UNKNOWN_DAY else "1.00"
            session.add_all(
                [
                    _video_day(videos["Winner"], day, 400, winner),
                    _video_day(videos["Loser"], day, 50, "0.10"),
                    _video_day(videos["Middling"], day, 200, "0.50"),
                    _video_day(videos["Old hit"], day, 150, "0.30"),
                    _video_day(videos["Mystery"], day, 300, None),
                    _video_day(other_video, day, 5000, "3.00"),
                ]
            )
            if i >= 5:  # published on day 4; YouTube reports days 5 and 6
                session.add(_video_day(videos[FORMULA_TITLE], day, 25, "0.20"))
        session.add_all(
            [
                _cost(known.id, None, "0.30", DAYS[2]),
                _cost(known.id, videos["Winner"].id, "0.50", DAYS[0]),
                _cost(known.id, videos["Loser"].id, "2.00", DAYS[1]),
                _cost(known.id, videos["Middling"].id, "1.00", DAYS[0]),
                _cost(known.id, videos["Fresh"].id, "0.80", DAYS[5]),
                _cost(known.id, videos["Old hit"].id, "3.00", date(2026, 1, 14)),
                _cost(unknown.id, videos["Mystery"].id, "0.25", DAYS[0]),
                _cost(others.id, other_video.id, "0.10", DAYS[0]),
            ]
        )
        return Seeded(
            owner_id=owner,
            known=known.id,
            unknown=unknown.id,
            others=others.id,
            videos={name: v.id for name, v in videos.items()},
            other_video=other_video.id,
        )


async def seed_last_30_days(
    factory: async_sessionmaker[AsyncSession], owner_email: str, today: date
) -> tuple[uuid.UUID, uuid.UUID]:
    """For the overview's 30 days: "Earning" makes 9.00 of 10 days (one day unknown) and
    costs 2.00 (ROI +350 %); "Unmonetised" has 5 days of unknown revenue and costs 0.40
    (ROI unknown). Revenue is unknown on 5 distinct days; the totals: revenue 9.00, cost
    2.40, ROI +275 %."""
    async with unit_of_work(factory) as session:
        owner = await user_id(session, owner_email)
        first = datetime(2026, 1, 1, tzinfo=UTC)
        earning = _channel(owner, "Earning", first)
        unmonetised = _channel(owner, "Unmonetised", first + timedelta(hours=1))
        session.add_all([earning, unmonetised])
        await session.flush()
        for back in range(1, 11):
            day = today - timedelta(days=back)
            session.add(
                ChannelDailyMetric(
                    id=uuid.uuid4(),
                    channel_id=earning.id,
                    day=day,
                    views=1000,
                    watch_time_minutes=60.0,
                    revenue_usd=None if back == 2 else Decimal("1.00"),
                )
            )
            if back <= 5:
                session.add(
                    ChannelDailyMetric(
                        id=uuid.uuid4(),
                        channel_id=unmonetised.id,
                        day=day,
                        views=300,
                        watch_time_minutes=20.0,
                        revenue_usd=None,
                    )
                )
        now = datetime.now(UTC)
        for channel, usd, when in (
            (earning.id, "0.50", now),
            (earning.id, "1.50", now - timedelta(days=5)),
            (unmonetised.id, "0.40", now - timedelta(days=1)),
        ):
            cost = _cost(channel, None, usd, today)
            cost.occurred_at = when
            session.add(cost)
        return earning.id, unmonetised.id
