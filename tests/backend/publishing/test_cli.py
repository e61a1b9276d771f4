"""`ytempire youtube client set|show` and `youtube connect --code` against the fake."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from backend.cli.main import app
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.models import Channel, User, UserRole
from backend.publishing import repository
from backend.settings import Settings, use_settings
from tests.backend.conftest import SECRET
from tests.fakes.youtube_server import CLIENT_ID, CLIENT_SECRET, FakeYouTube

pytestmark = pytest.mark.timeout(60)


def flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines


@pytest.fixture
def cli_settings(tmp_path: Path, fake: FakeYouTube) -> Iterator[Settings]:
    settings = Settings(
        environment="test", data_dir=tmp_path / "data", secret_key=SECRET, **fake.settings()
    )

    async def prepare() -> None:
        engine = create_engine(settings, pooled=False)
        await migrate.upgrade(engine)
        await engine.dispose()

    asyncio.run(prepare())
    use_settings(settings)
    yield settings
    use_settings(None)


def _channel(settings: Settings) -> uuid.UUID:
    async def add() -> uuid.UUID:
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as session:
                user = User(email="cli@example.com", password_hash="x", role=UserRole.admin)
                session.add(user)
                await session.flush()
                channel = Channel(owner_id=user.id, name="Space", niche="astronomy")
                session.add(channel)
                await session.flush()
                return channel.id
        finally:
            await engine.dispose()

    return asyncio.run(add())


def test_client_set_and_show_keep_the_secret_encrypted(
    cli_settings: Settings, fake: FakeYouTube, tmp_path: Path
) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["youtube", "client", "show"])
    assert shown.exit_code == 1 and "ytempire youtube client set" in flat(shown.output)

    bad = tmp_path / "bad.json"
    bad.write_text('{"other": {}}')
    result = runner.invoke(app, ["youtube", "client", "set", "--file", str(bad)])
    assert result.exit_code == 1 and '"web" or "installed"' in flat(result.output)

    good = tmp_path / "client_secret.json"
    good.write_text(fake.client_json())
    result = runner.invoke(app, ["youtube", "client", "set", "--file", str(good)])
    assert result.exit_code == 0, result.output
    assert CLIENT_ID in flat(result.output) and CLIENT_SECRET not in result.output
    shown = runner.invoke(app, ["youtube", "client", "show"])
    assert shown.exit_code == 0 and CLIENT_ID in flat(shown.output)
    assert CLIENT_SECRET not in shown.output and "encrypted" in shown.output
    raw = (cli_settings.data_dir / "ytempire.db").read_bytes()
    assert CLIENT_SECRET.encode() not in raw


def test_headless_connect_prints_the_url_and_takes_the_pasted_redirect(
    cli_settings: Settings, fake: FakeYouTube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "client_secret.json"
    good.write_text(fake.client_json())
    runner = CliRunner()
    assert runner.invoke(app, ["youtube", "client", "set", "--file", str(good)]).exit_code == 0
    channel_id = _channel(cli_settings)

    def consent_and_paste(prompt: str, **_: object) -> str:
        # the owner opens the printed URL; Google redirects; they paste where they landed
        url = next(line for line in printed if line.startswith("https://"))
        answer = requests.get(url, allow_redirects=False, verify=str(fake.ca_path), timeout=10)
        return str(answer.headers["Location"])

    printed: list[str] = []
    import backend.cli.youtube as cli

    monkeypatch.setattr(cli.console, "print", lambda *a, **k: printed.append(" ".join(map(str, a))))
    monkeypatch.setattr(cli.typer, "prompt", consent_and_paste)
    result = runner.invoke(app, ["youtube", "connect", str(channel_id)])
    assert result.exit_code == 0, result.output
    assert any("connected to YouTube channel" in line for line in printed)

    async def check() -> None:
        engine = create_engine(cli_settings, pooled=False)
        try:
            async with create_sessionmaker(engine)() as session:
                row = await repository.get_credential(session, channel_id)
                assert row is not None and row.youtube_channel_id == fake.channel["id"]
        finally:
            await engine.dispose()

    asyncio.run(check())
    result = runner.invoke(app, ["youtube", "disconnect", str(channel_id)])
    assert result.exit_code == 0 and fake.revoked


def test_connect_later_with_a_bare_code_answers_the_latest_consent(
    cli_settings: Settings, fake: FakeYouTube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "client_secret.json"
    good.write_text(fake.client_json())
    runner = CliRunner()
    assert runner.invoke(app, ["youtube", "client", "set", "--file", str(good)]).exit_code == 0
    channel_id = _channel(cli_settings)
    result = runner.invoke(app, ["youtube", "connect", str(channel_id), "--code", "4/none"])
    assert result.exit_code == 1 and "No consent is waiting" in flat(result.output)

    import backend.cli.youtube as cli

    printed: list[str] = []
    monkeypatch.setattr(cli.console, "print", lambda *a, **k: printed.append(" ".join(map(str, a))))

    def give_up(prompt: str, **_: object) -> str:
        raise KeyboardInterrupt  # the owner stops at the prompt and comes back later

    monkeypatch.setattr(cli.typer, "prompt", give_up)
    runner.invoke(app, ["youtube", "connect", str(channel_id)])
    url = next(line for line in printed if line.startswith("https://"))
    location = requests.get(url, allow_redirects=False, verify=str(fake.ca_path), timeout=10)
    bare = location.headers["Location"].split("code=")[1].split("&")[0]
    code = requests.utils.unquote(bare)
    result = runner.invoke(app, ["youtube", "connect", str(channel_id), "--code", code])
    assert result.exit_code == 0, result.output
    assert any("connected to YouTube channel" in line for line in printed)
