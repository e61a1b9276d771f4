"""Publishing fixtures: the fake YouTube over real HTTPS, a test database with a channel,
a video and its file, and the appliance's settings pointed at the fake."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.models import Channel, User, UserRole, Video, VideoStatus
from backend.publishing import service
from backend.publishing.metadata import VideoMetadata
from backend.settings import Settings
from tests.backend.conftest import SECRET, database_url  # noqa: F401 - fixture re-export
from tests.fakes.youtube_server import FakeYouTube

KIB = 1024
CHUNK = 256 * KIB  # the smallest chunk YouTube takes; tests use it to get many chunks


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeYouTube]:
    with FakeYouTube(tmp_path / "fake-youtube") as server:
        yield server


@pytest.fixture
def pub_settings(database_url: str, fake: FakeYouTube, tmp_path: Path) -> Settings:  # noqa: F811
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        youtube_upload_backoff_seconds=0.01,
        youtube_upload_max_backoff_seconds=0.05,
        google_http_timeout_seconds=10,
        **fake.settings(),
    )


@pytest.fixture
async def sessions(pub_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(pub_settings, pooled=False)
    yield create_sessionmaker(engine)
    await engine.dispose()


@dataclass
class World:
    owner_id: uuid.UUID
    channel_id: uuid.UUID
    video_id: uuid.UUID
    video_file: Path


def write_file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


async def add_video(sessions: async_sessionmaker[AsyncSession], channel_id: uuid.UUID) -> uuid.UUID:
    async with unit_of_work(sessions) as session:
        video = Video(
            channel_id=channel_id,
            topic="Why Mars is red",
            title="Why Mars is red",
            status=VideoStatus.ready,
        )
        session.add(video)
        await session.flush()
        return video.id


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession], tmp_path: Path) -> World:
    async with unit_of_work(sessions) as session:
        user = User(
            email=f"o{uuid.uuid4().hex[:6]}@example.com", password_hash="x", role=UserRole.admin
        )
        session.add(user)
        await session.flush()
        channel = Channel(owner_id=user.id, name="Space Facts", niche="astronomy")
        session.add(channel)
        await session.flush()
        owner_id, channel_id = user.id, channel.id
    video_id = await add_video(sessions, channel_id)
    return World(owner_id, channel_id, video_id, write_file(tmp_path / "video.mp4", 1_300_000))


@pytest.fixture
async def client_set(
    sessions: async_sessionmaker[AsyncSession], pub_settings: Settings, fake: FakeYouTube
) -> None:
    async with unit_of_work(sessions) as session:
        await service.set_client(session, pub_settings, fake.client_json())


async def connect(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, channel_id: uuid.UUID
) -> None:
    """The whole consent flow against the fake: URL, consent redirect, code exchange."""
    import requests

    async with unit_of_work(sessions) as session:
        start = await service.begin_connect(session, settings, channel_id)
    answer = requests.get(
        start.url, allow_redirects=False, verify=str(settings.google_ca_certs), timeout=10
    )
    assert answer.status_code == 302, answer.text
    async with unit_of_work(sessions) as session:
        from backend.publishing.oauth import parse_pasted

        code, state = parse_pasted(answer.headers["Location"])
        await service.complete_connect(session, settings, code=code, state=state)


@pytest.fixture
async def connected(
    sessions: async_sessionmaker[AsyncSession],
    pub_settings: Settings,
    world: World,
    client_set: None,
) -> World:
    await connect(sessions, pub_settings, world.channel_id)
    return world


def metadata(**overrides: object) -> VideoMetadata:
    fields: dict[str, object] = {
        "title": "Why Mars is red",
        "description": "Iron oxide, dust storms and a thin atmosphere.",
        "made_for_kids": False,
        "tags": ["mars", "space facts", "astronomy"],
        "category": "science_education",
        "language": "en",
        "privacy": "public",
    }
    fields.update(overrides)
    return VideoMetadata(**fields)  # type: ignore[arg-type]
