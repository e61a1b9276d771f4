"""Backup fixtures: a seeded appliance (database rows, media, an encrypted OAuth token) and
a fresh machine (empty database, empty data dir) to restore onto.

PostgreSQL runs with YTE_SECRET_KEY set (the key is not in the archive); SQLite in
embedded mode, whose generated ``secret.key`` in the data dir the archive carries.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from backend.cli.main import app as cli_app
from backend.db.base import Base, utcnow
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.models import (
    Channel,
    CostEvent,
    StageRun,
    User,
    UserRole,
    Video,
    VideoStage,
    VideoStatus,
    YouTubeCredential,
)
from backend.models.stage_run import StageStatus
from backend.security.crypto import SecretBox
from backend.settings import Settings, use_settings
from tests.backend.conftest import SECRET, _admin, pg_url

TOKENS = {"access_token": "ya29.test-access", "refresh_token": "1//test-refresh", "expiry": 1}


def settings_for(database_url: str, data_dir: Path) -> Settings:
    postgres = database_url.startswith("postgresql")
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url="embedded",
        secret_key=SECRET if postgres else None,  # SQLite: a key file in the data dir
        data_dir=data_dir,
        backup_dir=data_dir.parent / f"{data_dir.name}-backups",
    )


@dataclass
class Machine:
    settings: Settings

    def cli(self, *args: str) -> Result:
        """``ytempire ...`` in this process, with this machine's settings."""
        use_settings(self.settings)
        try:
            return CliRunner().invoke(cli_app, list(args), catch_exceptions=False)
        finally:
            use_settings(None)

    async def acli(self, *args: str) -> Result:
        return await asyncio.to_thread(self.cli, *args)


@pytest.fixture
async def source(database_url: str, tmp_path: Path) -> Machine:
    """The appliance to back up, seeded with rows, media files and a token."""
    machine = Machine(settings_for(database_url, tmp_path / "source-data"))
    await seed(machine.settings)
    return machine


@pytest.fixture
async def fresh(database_url: str, tmp_path: Path) -> AsyncIterator[Machine]:
    """Another machine: a database without tables and an empty data dir."""
    if database_url.startswith("postgresql"):
        name = f"yte_t_{uuid.uuid4().hex[:12]}"
        await _admin(f"CREATE DATABASE {name}")
        yield Machine(settings_for(pg_url(name), tmp_path / "fresh-data"))
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = tmp_path / "fresh-data" / "ytempire.db"
        yield Machine(settings_for(f"sqlite+aiosqlite:///{path}", tmp_path / "fresh-data"))


@pytest.fixture
def no_env_passphrase() -> Iterator[None]:
    saved = os.environ.pop("YTE_BACKUP_PASSPHRASE", None)
    yield
    if saved is not None:
        os.environ["YTE_BACKUP_PASSPHRASE"] = saved


async def seed(settings: Settings, videos: int = 4) -> None:
    box = SecretBox(settings.resolved_secret_key())  # SQLite: writes data/secret.key
    engine = create_engine(settings, pooled=False)
    sessions = create_sessionmaker(engine)
    media = settings.media_dir
    try:
        async with unit_of_work(sessions) as session:
            user = User(email="owner@example.com", password_hash="x", role=UserRole.admin)
            session.add(user)
            await session.flush()
            channel = Channel(owner_id=user.id, name="Space Facts", niche="astronomy")
            session.add(channel)
            await session.flush()
            session.add(
                YouTubeCredential(
                    channel_id=channel.id,
                    youtube_channel_id="UC123",
                    tokens_encrypted=box.encrypt(json.dumps(TOKENS)),
                    scopes=["https://www.googleapis.com/auth/youtube.upload"],
                    connected_at=utcnow(),
                )
            )
            for n in range(videos):
                video = Video(
                    channel_id=channel.id,
                    topic=f"Topic {n}",
                    title=f"Video {n} ünïcode",
                    tags=["a", "b"],
                    status=VideoStatus.ready,
                    script={"scenes": [{"narration": "x" * 50}]},
                )
                session.add(video)
                await session.flush()
                session.add(
                    StageRun(
                        video_id=video.id,
                        stage=VideoStage.render,
                        status=StageStatus.succeeded,
                        attempts=1,
                        tries=1,
                        duration_s=1.5,
                        cost_usd=Decimal("0.012345"),
                        artifacts={"video": "video.mp4"},
                        output={"ok": True},
                    )
                )
                session.add(
                    CostEvent(
                        channel_id=channel.id,
                        video_id=video.id,
                        stage="render",
                        kind="render",
                        provider="ffmpeg",
                        units=2.0,
                        amount_usd=Decimal("0.010000"),
                    )
                )
                folder = media / str(video.id)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "video.mp4").write_bytes(os.urandom(40_000 + n))
                (folder / "voice.wav").write_bytes(bytes(range(256)) * 64)
        (settings.data_dir / "music").mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "music" / "track.mp3").write_bytes(os.urandom(5000))
    finally:
        await engine.dispose()


async def all_rows(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema revision), in primary-key order."""
    from sqlalchemy import text

    engine = create_engine(settings, pooled=False)
    try:
        async with engine.connect() as conn:
            out: dict[str, list[tuple[Any, ...]]] = {}
            for table in Base.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                out[table.name] = [tuple(r) for r in (await conn.execute(query)).all()]
            out["alembic_version"] = [
                tuple(r) for r in (await conn.execute(text("SELECT * FROM alembic_version")))
            ]
            return out
    finally:
        await engine.dispose()


def all_files(settings: Settings) -> dict[str, bytes]:
    root = settings.data_dir
    skip = {"ytempire.db", "ytempire.db-wal", "ytempire.db-shm"}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip
    }


async def decrypted_token(settings: Settings) -> dict[str, Any]:
    engine = create_engine(settings, pooled=False)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            cred = (await session.scalars(select(YouTubeCredential))).one()
            box = SecretBox(settings.resolved_secret_key())
            return dict(json.loads(box.decrypt(cred.tokens_encrypted)))
    finally:
        await engine.dispose()
