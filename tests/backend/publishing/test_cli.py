"""The publishing CLI against the fake Google: `youtube client set|show|quota`, `channel
connect [--code]|disconnect` (and the `youtube connect|disconnect` aliases), `channel
create|update` with the publishing fields, and `video publish [--at] [--wait]`."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
from rq import Queue
from typer.testing import CliRunner

from backend.cli.main import app
from backend.db import migrate
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.models import (
    Channel,
    UploadSession,
    UploadStatus,
    User,
    UserRole,
    Video,
    VideoStatus,
)
from backend.publishing import repository
from backend.publishing.quota import pacific_day
from backend.settings import Settings, use_settings
from backend.videos import repository as videos_repository
from tests.backend.conftest import SECRET
from tests.backend.videos.states import finish_production
from tests.fakes.youtube_server import CLIENT_ID, CLIENT_SECRET, PROJECT_ID, FakeYouTube

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


# -- the installed command on PostgreSQL and SQLite, with Redis and the fake Google ----------
CLI = str(Path(sys.executable).with_name("ytempire"))


@pytest.fixture
def env(
    database_url: str,
    redis_url: str,
    fake: FakeYouTube,
    tmp_path: Path,
) -> dict[str, str]:
    return {
        **os.environ,
        "YTE_DATABASE_URL": database_url,
        "YTE_REDIS_URL": redis_url,
        "YTE_SECRET_KEY": SECRET,
        "YTE_DATA_DIR": str(tmp_path / "data"),
        "YTE_LOG_LEVEL": "WARNING",
        "COLUMNS": "160",
        **fake.env(),
    }


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        environment="test",
        database_url=env["YTE_DATABASE_URL"],
        redis_url=env["YTE_REDIS_URL"],
        secret_key=SECRET,
        data_dir=Path(env["YTE_DATA_DIR"]),
        **fake_settings(env),
    )


def fake_settings(env: dict[str, str]) -> dict[str, str]:
    keys = ("youtube_api_url", "youtube_analytics_api_url", "google_ca_certs")
    keys += ("google_oauth_auth_url", "google_oauth_token_url", "google_oauth_revoke_url")
    return {key: env[f"YTE_{key.upper()}"] for key in keys}


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def ytempire(env: dict[str, str], *args: str, stdin: str | None = None) -> Ran:
    """The CLI in this process (CliRunner, in a thread: it runs its own event loop) with
    the settings of ``env``; a subprocess per command would cost seconds each."""
    use_settings(settings_of(env))
    try:
        result = await asyncio.to_thread(CliRunner().invoke, app, list(args), input=stdin)
    finally:
        use_settings(None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def ok(result: Ran) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return flat(result.stdout)


async def seed(env: dict[str, str], fake: FakeYouTube, tmp_path: Path) -> uuid.UUID:
    """An admin with a channel (made_for_kids said), and the OAuth client set."""
    good = tmp_path / "client_secret.json"
    good.write_text(fake.client_json())
    ok(await ytempire(env, "youtube", "client", "set", "--file", str(good)))
    engine = create_engine(settings_of(env), pooled=False)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            user = User(email="cli@example.com", password_hash="x", role=UserRole.admin)
            session.add(user)
            await session.flush()
            channel = Channel(
                owner_id=user.id, name="Space", niche="astronomy", made_for_kids=False
            )
            session.add(channel)
            await session.flush()
            return channel.id
    finally:
        await engine.dispose()


async def consent_started_and_abandoned(env: dict[str, str], channel: str) -> str:
    """`channel connect` prints the consent address and waits at the prompt; the owner
    closes it (no answer): the address stays valid for a later `--code`."""
    result = await ytempire(env, "channel", "connect", channel, stdin="")
    assert result.returncode != 0  # the prompt got end-of-input
    return next(line for line in result.stdout.splitlines() if line.startswith("https://"))


def redirect_of(fake: FakeYouTube, url: str) -> str:
    answer = requests.get(url, allow_redirects=False, verify=str(fake.ca_path), timeout=10)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


async def test_channel_connect_with_code_and_disconnect_revokes_at_google(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    channel_id = await seed(env, fake, tmp_path)
    url = await consent_started_and_abandoned(env, str(channel_id))
    assert url.startswith(fake.url + "o/oauth2/auth?") and "code_challenge=" in url
    location = await asyncio.to_thread(redirect_of, fake, url)
    out = ok(await ytempire(env, "channel", "connect", channel_id.hex[:8], "--code", location))
    assert f"connected to YouTube channel {fake.channel['title']} ({fake.channel['id']})" in out
    shown = ok(await ytempire(env, "channel", "show", str(channel_id)))
    assert f"connected to {fake.channel['title']} ({fake.channel['id']})" in shown
    reused = await ytempire(env, "channel", "connect", str(channel_id), "--code", location)
    assert reused.returncode == 1 and "state mismatch" in flat(reused.stderr)

    assert "revoked at Google" in ok(await ytempire(env, "channel", "disconnect", "Space"))
    assert len(fake.revoked) == 1
    assert "not connected" in ok(await ytempire(env, "channel", "show", "Space"))
    assert "was not connected" in ok(await ytempire(env, "youtube", "disconnect", str(channel_id)))


async def test_channel_connect_takes_the_pasted_address_at_its_prompt(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    channel_id = await seed(env, fake, tmp_path)
    process = await asyncio.create_subprocess_exec(
        CLI,
        "channel",
        "connect",
        str(channel_id),
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    url = ""
    while not url:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert line, "the consent address was never printed"
        url = line.strip() if line.startswith("https://") else ""
    location = await asyncio.to_thread(redirect_of, fake, url)
    out, err = await asyncio.wait_for(process.communicate((location + "\n").encode()), 60)
    assert process.returncode == 0, (out, err)
    assert f"connected to YouTube channel {fake.channel['title']}" in flat(out.decode())


async def ready_video(env: dict[str, str], channel_id: uuid.UUID, connected: bool) -> uuid.UUID:
    settings = settings_of(env)
    engine = create_engine(settings, pooled=False)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            video = Video(
                channel_id=channel_id,
                topic="Why Mars is red",
                status=VideoStatus.queued,
                tags=[],
                quality_reasons=[],
            )
            session.add(video)
            await session.flush()
            await finish_production(session, video.id)
            video_id = video.id
    finally:
        await engine.dispose()
    mp4 = settings.media_dir / str(video_id) / "render" / "video.mp4"
    mp4.parent.mkdir(parents=True, exist_ok=True)
    mp4.write_bytes(b"\x00" * 8192)
    return video_id


async def connect_by_cli(env: dict[str, str], fake: FakeYouTube, channel_id: uuid.UUID) -> None:
    url = await consent_started_and_abandoned(env, str(channel_id))
    location = await asyncio.to_thread(redirect_of, fake, url)
    ok(await ytempire(env, "channel", "connect", str(channel_id), "--code", location))


def upload_jobs(env: dict[str, str], video_id: uuid.UUID, *, take: bool = False) -> list[str]:
    """The video's upload jobs on the publishing queue (``take``: then empty it)."""
    connection = redis.Redis.from_url(env["YTE_REDIS_URL"])
    try:
        queue = Queue("publishing", connection=connection)
        jobs = [j for j in queue.job_ids if j.startswith(f"stage-{video_id}-upload-")]
        if take:
            queue.empty()
        return jobs
    finally:
        connection.close()


async def video_row(env: dict[str, str], video_id: uuid.UUID) -> Video:
    engine = create_engine(settings_of(env), pooled=False)
    try:
        async with create_sessionmaker(engine)() as session:
            video = await session.get(Video, video_id)
            assert video is not None
            return video
    finally:
        await engine.dispose()


async def test_video_publish_now_or_at_a_time_enqueues_the_upload(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    channel_id = await seed(env, fake, tmp_path)
    video_id = await ready_video(env, channel_id, connected=False)
    held = await ytempire(env, "video", "publish", str(video_id))
    assert held.returncode == 1 and "not connected to YouTube" in flat(held.stderr)
    assert upload_jobs(env, video_id) == []

    await connect_by_cli(env, fake, channel_id)
    naive = await ytempire(env, "video", "publish", str(video_id), "--at", "2030-01-01T10:00")
    assert naive.returncode == 1 and "needs a time zone" in flat(naive.stderr)
    junk = await ytempire(env, "video", "publish", str(video_id), "--at", "next tuesday")
    assert junk.returncode == 2 and "not an ISO time" in flat(junk.stderr)

    out = ok(await ytempire(env, "video", "publish", video_id.hex[:8]))
    assert f"video {video_id.hex[:8]} publishing" in out and "queued" in out
    assert (await video_row(env, video_id)).status == VideoStatus.publishing
    assert len(upload_jobs(env, video_id, take=True)) == 1
    again = await ytempire(env, "video", "publish", str(video_id))
    assert again.returncode == 1 and "Only a ready video" in flat(again.stderr)

    ok(await ytempire(env, "video", "cancel", str(video_id)))
    at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    out = ok(await ytempire(env, "video", "publish", str(video_id), "--at", at.isoformat()))
    assert f"scheduled for {at.isoformat()}" in out
    row = await video_row(env, video_id)
    assert row.status == VideoStatus.publishing and row.publish_at == at
    assert len(upload_jobs(env, video_id)) == 1


async def test_video_publish_wait_follows_the_upload_until_it_is_published(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    channel_id = await seed(env, fake, tmp_path)
    await connect_by_cli(env, fake, channel_id)
    video_id = await ready_video(env, channel_id, connected=True)
    process = await asyncio.create_subprocess_exec(
        CLI,
        *("video", "publish", str(video_id), "--wait", "--timeout", "60"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # The worker's part, as the upload stage records it: the session, bytes, the result.
    for _ in range(600):
        if upload_jobs(env, video_id):
            break
        await asyncio.sleep(0.1)
    assert upload_jobs(env, video_id), "the upload was never enqueued"
    engine = create_engine(settings_of(env), pooled=False)
    sessions = create_sessionmaker(engine)
    try:
        async with unit_of_work(sessions) as session:
            session.add(
                UploadSession(
                    video_id=video_id,
                    channel_id=channel_id,
                    status=UploadStatus.uploading,
                    file_path="render/video.mp4",
                    file_size=8192,
                    file_mtime_ns=1,
                    confirmed_bytes=4096,
                )
            )
        await asyncio.sleep(1.5)
        assert process.returncode is None  # still following: half the bytes are confirmed
        async with unit_of_work(sessions) as session:
            video = await session.get(Video, video_id)
            row = await videos_repository.upload_session(session, video_id)
            assert video is not None and row is not None
            assert video.status == VideoStatus.publishing
            row.status, row.confirmed_bytes = UploadStatus.uploaded, 8192
            video.status = VideoStatus.published
            video.youtube_video_id = "fakeVid0001"
            video.published_at = datetime.now(UTC)
    finally:
        await engine.dispose()
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, (out, err)
    text = flat(out.decode())
    assert f"video {video_id.hex[:8]} publishing" in text
    assert "8.2/8.2 kB" in text  # the bar's last state: every byte confirmed
    assert "published: https://www.youtube.com/watch?v=fakeVid0001" in text


async def test_video_publish_wait_gives_up_after_its_timeout(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    channel_id = await seed(env, fake, tmp_path)
    await connect_by_cli(env, fake, channel_id)
    video_id = await ready_video(env, channel_id, connected=True)
    started = time.monotonic()
    result = await ytempire(env, "video", "publish", str(video_id), "--wait", "--timeout", "2")
    assert result.returncode == 1
    assert "still publishing after 2 s" in flat(result.stderr)
    assert time.monotonic() - started < 30
    assert (await video_row(env, video_id)).status == VideoStatus.publishing  # it goes on


async def test_youtube_quota_reads_todays_units(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    missing = await ytempire(env, "youtube", "quota")
    assert missing.returncode == 1 and "ytempire youtube client set" in flat(missing.stderr)
    await seed(env, fake, tmp_path)
    engine = create_engine(settings_of(env), pooled=False)
    day = pacific_day(datetime.now(UTC))
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            await repository.ensure_quota_day(session, PROJECT_ID, day, 10_000)
            assert await repository.spend_quota(session, PROJECT_ID, day, 650, 10_000)
    finally:
        await engine.dispose()
    out = ok(await ytempire(env, "youtube", "quota"))
    assert f"project {PROJECT_ID}, {day} (Pacific): 650 of 10000 units used, 9350 left" in out
    assert "resets at" in out and "midnight Pacific" in out


async def test_channel_create_and_update_set_the_publishing_fields(
    env: dict[str, str], fake: FakeYouTube, tmp_path: Path
) -> None:
    await seed(env, fake, tmp_path)
    created = await ytempire(
        env,
        *("channel", "create", "Kids Science", "--owner", "cli@example.com", "--niche", "science"),
        *("--made-for-kids", "--privacy", "unlisted", "--auto-publish"),
    )
    out = ok(created)
    channel_id = uuid.UUID(out.split("id=")[1].split()[0])
    shown = ok(await ytempire(env, "channel", "show", str(channel_id)))
    assert "made for kids yes" in shown and "privacy unlisted" in shown
    assert "auto publish on" in shown
    bare = ok(
        await ytempire(
            env, "channel", "create", "Plain", "--owner", "cli@example.com", "--niche", "space"
        )
    )
    plain_id = bare.split("id=")[1].split()[0]
    assert "made for kids not set (uploads are held)" in ok(
        await ytempire(env, "channel", "show", plain_id)
    )

    updated = ok(
        await ytempire(
            env,
            *("channel", "update", str(channel_id), "--not-made-for-kids"),
            *("--privacy", "public", "--no-auto-publish", "--per-day", "2"),
        )
    )
    assert "updated" in updated and "made for kids no" in updated
    assert "privacy public" in updated and "auto publish off" in updated
    assert "videos per day 2" in updated
    autopilot = ok(
        await ytempire(
            env,
            *("channel", "update", str(channel_id), "--autopilot"),
            *("--buffer-days", "3", "--timezone", "Europe/Berlin"),
        )
    )
    assert "autopilot on, 3 days ahead (Europe/Berlin)" in autopilot
    zone = await ytempire(env, "channel", "update", str(channel_id), "--timezone", "Mars/X")
    assert zone.returncode == 1 and "not an IANA timezone name" in flat(zone.stderr)
    nothing = await ytempire(env, "channel", "update", str(channel_id))
    assert nothing.returncode == 1 and "nothing to change" in nothing.stderr
    bad = await ytempire(env, "channel", "update", str(channel_id), "--privacy", "secret")
    assert bad.returncode == 2
    too_many = await ytempire(env, "channel", "update", str(channel_id), "--per-day", "99")
    assert too_many.returncode == 1 and "--per-day must be at most 24" in flat(too_many.stderr)
