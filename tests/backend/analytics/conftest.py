"""Analytics fixtures: the fake YouTube with the fake Analytics API on it, channels
connected through the whole consent flow, and our videos on YouTube."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import Base
from backend.db.session import unit_of_work
from backend.models import Channel, User, UserRole, Video, VideoStatus
from backend.settings import Settings
from tests.backend.publishing.conftest import (  # noqa: F401 - fixture re-export
    client_set,
    connect,
    database_url,
    fake,
    pub_settings,
    sessions,
)
from tests.fakes.youtube_analytics import MONETARY_SCOPE, FakeAnalytics, pacific_today
from tests.fakes.youtube_server import FakeYouTube
from tests.fakes.youtube_server import Video as FakeVideo

Sessions = async_sessionmaker[AsyncSession]


def noon(day: date) -> datetime:
    """Midday in Pacific time (20:00 UTC): the same date on both clocks."""
    return datetime.combine(day, time(20), UTC)


@pytest.fixture
def analytics(fake: FakeYouTube) -> FakeAnalytics:  # noqa: F811
    return FakeAnalytics(fake)


@pytest.fixture
def today() -> date:
    return pacific_today()


@dataclass
class Connected:
    channel_id: uuid.UUID
    youtube_id: str


@dataclass
class Owner:
    sessions: Sessions
    settings: Settings
    fake: FakeYouTube
    analytics: FakeAnalytics
    user_id: uuid.UUID
    tmp: Path

    async def channel(self, name: str, youtube_id: str, *, monetary: bool = True) -> Connected:
        """A channel connected through the consent flow, as YouTube channel ``youtube_id``;
        ``monetary=False``: the owner unticked the revenue scope on the consent screen."""
        async with unit_of_work(self.sessions) as session:
            channel = Channel(owner_id=self.user_id, name=name, niche="astronomy")
            session.add(channel)
            await session.flush()
            channel_id = channel.id
        self.fake.channel = {"id": youtube_id, "title": name}
        self.fake.withheld_scopes = set() if monetary else {MONETARY_SCOPE}
        try:
            await connect(self.sessions, self.settings, channel_id)
        finally:
            self.fake.withheld_scopes = set()
        return Connected(channel_id, youtube_id)

    async def video(
        self,
        channel: Connected,
        youtube_id: str,
        published_at: datetime,
        *,
        first_day: date | None = None,
        views: int = 0,
    ) -> uuid.UUID:
        """One of our videos on YouTube (in the database, the fake Analytics and Data API)."""
        async with unit_of_work(self.sessions) as session:
            video = Video(
                channel_id=channel.channel_id,
                topic=f"Topic {youtube_id}",
                title=f"Title {youtube_id}",
                status=VideoStatus.published,
                youtube_video_id=youtube_id,
                published_at=published_at,
            )
            session.add(video)
            await session.flush()
            video_id = video.id
        self.analytics.add_video(channel.youtube_id, youtube_id, first_day or published_at.date())
        path = self.tmp / f"{youtube_id}.bin"
        path.write_bytes(b"")
        resource = {
            "kind": "youtube#video",
            "id": youtube_id,
            "statistics": {"viewCount": str(views), "likeCount": "3", "commentCount": "1"},
        }
        self.fake.videos[youtube_id] = FakeVideo(resource, path, 0)
        return video_id


@pytest.fixture
async def owner(
    sessions: Sessions,  # noqa: F811
    pub_settings: Settings,  # noqa: F811
    fake: FakeYouTube,  # noqa: F811
    analytics: FakeAnalytics,
    client_set: None,  # noqa: F811
    tmp_path: Path,
) -> Owner:
    async with unit_of_work(sessions) as session:
        user = User(
            email=f"o{uuid.uuid4().hex[:6]}@example.com", password_hash="x", role=UserRole.admin
        )
        session.add(user)
        await session.flush()
        user_id = user.id
    return Owner(sessions, pub_settings, fake, analytics, user_id, tmp_path)


async def count(factory: Sessions, model: type[Base], **where: object) -> int:
    async with factory() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await session.scalar(query) or 0)
