"""`ytempire analytics sync [--channel ID] [--days N]` against the fake YouTube Analytics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from backend.cli.main import app
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.models import Channel, ChannelDailyMetric, User, UserRole
from backend.publishing import service
from backend.settings import Settings, use_settings
from tests.backend.analytics.conftest import connect
from tests.backend.conftest import SECRET
from tests.fakes.youtube_analytics import FakeAnalytics
from tests.fakes.youtube_server import FakeYouTube

pytestmark = pytest.mark.timeout(120)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def cli_settings(tmp_path: Path, fake: FakeYouTube) -> Iterator[Settings]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        secret_key=SECRET,
        youtube_upload_backoff_seconds=0.01,
        **fake.settings(),
    )
    use_settings(settings)
    yield settings
    use_settings(None)


def prepare(settings: Settings, fake: FakeYouTube, names: list[str]) -> list[uuid.UUID]:
    """A migrated database with the OAuth client and ``names`` channels, each connected."""

    async def run() -> list[uuid.UUID]:
        engine = create_engine(settings, pooled=False)
        await migrate.upgrade(engine)
        sessions = create_sessionmaker(engine)
        ids = []
        try:
            async with unit_of_work(sessions) as session:
                await service.set_client(session, settings, fake.client_json())
                user = User(email="cli@example.com", password_hash="x", role=UserRole.admin)
                session.add(user)
                await session.flush()
                for name in names:
                    channel = Channel(owner_id=user.id, name=name, niche="astronomy")
                    session.add(channel)
                    await session.flush()
                    ids.append(channel.id)
            for n, channel_id in enumerate(ids):
                fake.channel = {"id": f"UCcli{n:019d}", "title": names[n]}
                await connect(sessions, settings, channel_id)
        finally:
            await engine.dispose()
        return ids

    return asyncio.run(run())


def rows(settings: Settings, channel_id: uuid.UUID) -> int:
    async def run() -> int:
        engine = create_engine(settings, pooled=False)
        try:
            async with create_sessionmaker(engine)() as session:
                query = select(func.count()).where(ChannelDailyMetric.channel_id == channel_id)
                return int(await session.scalar(query) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_sync_one_channel_for_some_days_then_all(cli_settings: Settings, fake: FakeYouTube) -> None:
    FakeAnalytics(fake)
    first, second = prepare(cli_settings, fake, ["One", "Two"])
    runner = CliRunner()
    result = runner.invoke(app, ["analytics", "sync", "--channel", str(first), "--days", "5"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 channels synced, 4 rows written" in flat(result.output)
    assert "known" in result.output
    assert rows(cli_settings, first) == 4 and rows(cli_settings, second) == 0

    everything = runner.invoke(app, ["analytics", "sync"])
    assert everything.exit_code == 0, everything.output
    assert "2 of 2 channels synced" in flat(everything.output)
    assert rows(cli_settings, second) == 89  # never synced: the 90-day backfill


def test_bad_input_and_unsynced_channels_are_told(
    cli_settings: Settings, fake: FakeYouTube
) -> None:
    FakeAnalytics(fake)
    (channel_id,) = prepare(cli_settings, fake, ["One"])
    runner = CliRunner()
    assert runner.invoke(app, ["analytics", "sync", "--channel", "nope"]).exit_code == 2
    assert runner.invoke(app, ["analytics", "sync", "--days", "0"]).exit_code == 2
    missing = runner.invoke(app, ["analytics", "sync", "--channel", str(uuid.uuid4())])
    assert missing.exit_code == 1 and "channel not found" in flat(missing.output)

    fake.revoke_grant()
    revoked = runner.invoke(app, ["analytics", "sync", "--channel", str(channel_id)])
    assert revoked.exit_code == 1
    assert "needs_reconnect" in flat(revoked.output) and "0 of 1 channels synced" in flat(
        revoked.output
    )
