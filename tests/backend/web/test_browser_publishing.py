"""Playwright on Debian's Chromium: the owner sets the Google OAuth client on Settings >
YouTube, connects a channel against the fake Google (Connect YouTube, the consent redirect,
back at /oauth/youtube/callback), says the channel is not made for kids, publishes a ready
video and sees its YouTube link; a second video is scheduled in the browser's time zone.

Google and YouTube are tests/fakes/youtube_server.py, a real HTTPS server in the test
process (Chromium accepts its throwaway certificate). The app runs under uvicorn with its
in-process worker, so the Publish button's RQ job (``backend.pipeline.tasks.run_upload`` on
the publishing queue) really runs the upload stage against the fake. The test writes only
what production left behind (a finished video, its MP4, thumbnail and captions: helpers).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from backend.db.engine import create_engine, create_sessionmaker
from backend.db.session import unit_of_work
from backend.events.bus import record_event
from backend.models import Channel, Video, VideoStage, VideoStatus
from backend.publishing import service as publishing_service
from backend.settings import Settings
from tests.backend.conftest import MODELS_DIR, PASSWORD, SECRET, sqlite_template
from tests.backend.web.conftest import LiveServer, build_app, free_port, needs_chromium
from tests.backend.web.helpers import finish_video
from tests.backend.web.test_browser import sign_up_and_log_in
from tests.fakes.youtube_server import FakeYouTube

SHOTS = Path(os.environ.get("YTE_SHOTS_DIR", "/tmp/shots"))
UPLOAD_TIMEOUT_MS = 90_000

pytestmark = needs_chromium


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")  # else the sticky bar lands mid-page
    await page.screenshot(path=str(SHOTS / f"publishing-{name}.png"), full_page=True)


async def card_shot(page: Page, selector: str, name: str) -> None:
    """One card alone (a full-page shot puts the sticky top bar over it)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    unstick = "s => { document.querySelector('.topbar').style.position = s; }"
    await page.evaluate(unstick, "static")
    await page.locator(selector).screenshot(path=str(SHOTS / f"publishing-{name}.png"))
    await page.evaluate(unstick, "")


class ServerOn(LiveServer):
    """The live server on a port chosen before the app: its own address is a setting
    (``oauth_redirect_base_url``, where Google sends the browser back)."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.port = port
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeYouTube]:
    with FakeYouTube(tmp_path / "fake-youtube") as server:
        yield server


@pytest.fixture
async def pub_live(
    redis_url: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    fake: FakeYouTube,
) -> AsyncIterator[tuple[LiveServer, Settings]]:
    """SQLite, the real Redis, the in-process worker, Google at the fake."""
    template = await sqlite_template(tmp_path_factory.mktemp("sqlite-template"))
    path = tmp_path / "live.db"
    shutil.copy(template, path)
    port = free_port()
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{path}",
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        dashboard_cache_seconds=0,
        oauth_redirect_base_url=f"http://127.0.0.1:{port}",
        google_http_timeout_seconds=10,
        youtube_upload_chunk_mb=1,
        **fake.settings(),
    )
    server = ServerOn(build_app(settings, run_worker=True), port)
    server.start()
    yield server, settings
    server.stop()


@pytest.fixture
async def db(
    pub_live: tuple[LiveServer, Settings],
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(pub_live[1], pooled=False)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def api_channel(server: LiveServer) -> uuid.UUID:
    async with httpx.AsyncClient(base_url=server.url) as api:
        body = {"email": "owner@example.com", "password": PASSWORD}
        token = (await api.post("/api/v1/auth/login", json=body)).json()["access_token"]
        made = await api.post(
            "/api/v1/channels",
            json={"name": "Space Facts", "niche": "astronomy"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, made.text
        return uuid.UUID(made.json()["id"])


async def ready_video(
    db: async_sessionmaker[AsyncSession], settings: Settings, channel_id: uuid.UUID, topic: str
) -> uuid.UUID:
    """A video as production leaves it: ready, every stage done, MP4/thumbnail/SRT on disk."""
    async with unit_of_work(db) as session:
        video = Video(id=uuid.uuid4(), channel_id=channel_id, topic=topic, status=VideoStatus.ready)
        session.add(video)
        await session.flush()
        await finish_video(session, video, settings.media_dir)
        video.stage = VideoStage.thumbnail
        video.stage_progress = 1.0
        video.completed_at = utcnow()
        return video.id


async def status_of(db: async_sessionmaker[AsyncSession], video_id: uuid.UUID) -> Video:
    async with db() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        session.expunge(video)
        return video


async def test_owner_connects_youtube_and_publishes_a_video(
    pub_live: tuple[LiveServer, Settings],
    db: async_sessionmaker[AsyncSession],
    fake: FakeYouTube,
    browser: Browser,
    tmp_path: Path,
) -> None:
    server, settings = pub_live
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        ignore_https_errors=True,  # the fake Google's throwaway certificate
        timezone_id="Europe/Berlin",
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await sign_up_and_log_in(server, page)
    channel_id = await api_channel(server)

    # 1. No client yet: the channel's Connect explains what to do and links to Settings.
    await page.goto(f"{server.url}/channels/{channel_id}")
    youtube = page.locator("#youtube")
    await expect(youtube).to_contain_text("No Google OAuth client is set")
    await expect(youtube.get_by_role("button", name="Connect YouTube")).to_be_disabled()
    await expect(page.locator("#publishing")).to_contain_text("uploads are held until you say")
    await shot(page, "01-channel-no-client")
    await youtube.get_by_role("link", name=re.compile("^Open Settings")).click()

    # 2. Settings > YouTube: the redirect URI to register, then the client file.
    await expect(page.get_by_role("heading", name="YouTube", exact=True)).to_be_visible()
    redirect_uri = f"{server.url}/oauth/youtube/callback"
    await expect(page.locator(".js-redirect-uri")).to_have_text(redirect_uri)
    await shot(page, "02-settings-empty")
    client_file = tmp_path / "client_secret.json"
    client_file.write_text(fake.client_json(redirect_uri))
    await page.get_by_label("client_secret.json file").set_input_files(str(client_file))
    await page.get_by_role("button", name="Save client").click()
    await expect(page.get_by_text("Google OAuth client saved")).to_be_visible()
    await expect(page.locator(".js-client-state")).to_have_text("set")
    assert "fake-client-secret" not in await page.content()
    await shot(page, "03-settings-client-set")

    # 3. Connect: the form posts, the browser follows Google's consent and comes back.
    await page.goto(f"{server.url}/channels/{channel_id}")
    await page.locator("#youtube").get_by_role("button", name="Connect YouTube").click()
    await expect(page).to_have_url(
        f"{server.url}/channels/{channel_id}?notice=youtube_connected#youtube"
    )
    title, youtube_id = fake.channel["title"], fake.channel["id"]
    await expect(
        page.get_by_text(f"Connected to YouTube as {title} ({youtube_id})")
    ).to_be_visible()
    await expect(page.locator(".js-yt-state")).to_have_text("connected")
    assert fake.token_requests and fake.token_requests[-1]["code_verifier"]
    await shot(page, "04-channel-connected")
    await card_shot(page, "#youtube", "04b-card-connected")

    # 4. Made for kids = no, public uploads.
    publishing = page.locator("#publishing")
    await publishing.get_by_label("No, not made for kids").check()
    await publishing.get_by_label("Privacy of new uploads").select_option("public")
    await publishing.get_by_role("button", name="Save publishing settings").click()
    await expect(page.get_by_text("Publishing settings saved.")).to_be_visible()
    await expect(page.locator("#publishing")).not_to_contain_text("uploads are held")
    async with db() as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None and channel.made_for_kids is False
    await shot(page, "05-publishing-saved")

    # 5. A ready video: Publish now; the upload stage runs; the YouTube link appears.
    video_id = await ready_video(db, settings, channel_id, "Why black holes glow")
    await page.goto(f"{server.url}/videos/{video_id}")
    card = page.locator("#youtube")
    await expect(card.get_by_role("button", name="Publish now")).to_be_visible()
    await expect(card.get_by_role("button", name="Schedule")).to_be_visible()
    await expect(card.locator(".js-youtube-link")).to_be_hidden()  # not on YouTube yet
    await expect(card.locator("input[name=tz]")).to_have_value("Europe/Berlin")
    await expect(card).to_contain_text("your time, Europe/Berlin")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    await shot(page, "06-video-ready")
    hold = fake.hold()  # the fake stops at the first chunk: the page while uploading
    await card.get_by_role("button", name="Publish now").click()
    assert await asyncio.to_thread(hold.reached.wait, 30), "the upload did not start"
    await expect(page).to_have_url(
        f"{server.url}/videos/{video_id}?notice=video_publishing#youtube"
    )
    await expect(page.get_by_text("Publishing: the upload to YouTube has started")).to_be_visible()
    card = page.locator("#youtube")
    await expect(card.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    await expect(card.get_by_role("button", name="Cancel upload")).to_be_visible()
    await expect(page.locator(".page-head .js-status")).to_have_text("publishing")
    await shot(page, "07-video-publishing")
    await card_shot(page, "#youtube", "07b-card-publishing")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    hold.release.set()

    toast = page.locator(".toast", has_text="Published on YouTube")
    await expect(toast).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    video = await status_of(db, video_id)
    assert video.status == VideoStatus.published, (video.status, video.error)
    assert video.youtube_video_id in fake.videos and len(fake.videos) == 1
    url = f"https://www.youtube.com/watch?v={video.youtube_video_id}"
    await expect(page.locator(".page-head .js-status")).to_have_text("published")
    live_link = page.locator("#youtube .js-youtube-link")
    await expect(live_link).to_be_visible()
    await expect(live_link).to_have_attribute("href", url)
    # the card is rendered again in place: no upload progress, no Cancel, the link
    await expect(page.locator("body")).to_have_attribute("data-card-refreshed", re.compile("."))
    card = page.locator("#youtube")
    await expect(card.get_by_role("link", name=url)).to_have_attribute("href", url)
    await expect(card.get_by_role("button", name="Cancel upload")).to_have_count(0)
    await expect(card).not_to_contain_text("Uploading to YouTube")
    await shot(page, "08-published-live")
    await card_shot(page, "#youtube", "08b-card-published-live")
    await page.reload()
    card = page.locator("#youtube")
    await expect(card.get_by_role("link", name=url)).to_have_attribute("href", url)
    await expect(card).to_contain_text("as YouTube reported it")
    await expect(card).to_contain_text("Custom thumbnail set")
    await expect(card).to_contain_text("Captions uploaded")
    mp4 = settings.media_dir / str(video_id) / "render" / "video.mp4"
    assert fake.videos[str(video.youtube_video_id)].sha256() == _sha256(mp4)
    await shot(page, "09-published")
    await card_shot(page, "#youtube", "09b-card-published")

    # 6. A second video, scheduled for tomorrow 18:30 in the browser's zone (Berlin).
    second = await ready_video(db, settings, channel_id, "Comets up close")
    await page.goto(f"{server.url}/videos/{second}")
    card = page.locator("#youtube")
    slot = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    await card.get_by_label("Publish at").fill(slot.strftime("%Y-%m-%dT%H:%M"))
    hold = fake.hold()
    await card.get_by_role("button", name="Schedule").click()
    assert await asyncio.to_thread(hold.reached.wait, 30), "the upload did not start"
    await expect(page.get_by_text("Scheduled: the video is uploaded now, private")).to_be_visible()
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    hold.release.set()
    toast = page.locator(".toast", has_text="Scheduled on YouTube")
    await expect(toast).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    await expect(page.locator("body")).to_have_attribute("data-card-refreshed", re.compile("."))
    await expect(page.locator("#youtube .scheduled-for")).to_contain_text("Scheduled for")
    scheduled = await status_of(db, second)
    assert scheduled.status == VideoStatus.scheduled, (scheduled.status, scheduled.error)
    assert scheduled.publish_at is not None
    assert scheduled.publish_at.astimezone(UTC) == slot.astimezone(UTC)
    await page.reload()
    await expect(page.locator("#youtube .scheduled-for")).to_contain_text("Scheduled for")
    await shot(page, "10-scheduled")
    await card_shot(page, "#youtube", "10b-card-scheduled")

    # 7. The queue shows both with their badges and links; the overview, the quota spent.
    await page.goto(f"{server.url}/queue")
    await expect(page.locator(f'tr[data-video-id="{video_id}"] .js-status')).to_have_text(
        "published"
    )
    await expect(page.locator(f'tr[data-video-id="{second}"] .js-status')).to_have_text("scheduled")
    await shot(page, "11-queue")
    await page.goto(f"{server.url}/")
    quota = page.locator("#quota")
    await expect(quota).to_contain_text("units used today")
    used = int((await quota.locator(".js-quota-used").inner_text()).replace(",", ""))
    assert used >= 200  # two videos.insert at 100 each, at least
    await shot(page, "12-overview-quota")
    # 8. Google revoked the grant: the channel says so, a ready video shows why it is held
    #    and where to fix it; reconnecting from there lets it be published again.
    reason = "Token has been expired or revoked."
    await publishing_service.mark_needs_reconnect(db, channel_id, reason)
    third = await ready_video(db, settings, channel_id, "Saturn's rings")
    await page.goto(f"{server.url}/videos/{third}")
    card = page.locator("#youtube")
    await expect(card).to_contain_text("Not ready for YouTube yet.")
    await expect(card).to_contain_text(reason)
    await expect(card.get_by_role("button", name="Publish now")).to_have_count(0)
    await card_shot(page, "#youtube", "15-card-blocked")
    await card.get_by_role("link", name="Reconnect").click()
    youtube = page.locator("#youtube")
    await expect(page.locator(".js-yt-state")).to_have_text("needs reconnect")
    await expect(youtube).to_contain_text(f"YouTube access must be reconnected: {reason}")
    await card_shot(page, "#youtube", "16-card-needs-reconnect")
    await youtube.get_by_role("button", name="Reconnect YouTube").click()
    await expect(page.get_by_text(f"Connected to YouTube as {title}")).to_be_visible()
    await page.goto(f"{server.url}/videos/{third}")
    await expect(page.locator("#youtube").get_by_role("button", name="Publish now")).to_be_visible()

    await page.set_viewport_size({"width": 390, "height": 844})
    for path in (f"/videos/{video_id}", f"/channels/{channel_id}", "/settings/youtube", "/"):
        await page.goto(server.url + path)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390, path
    await shot(page, "13-overview-phone")
    assert not errors, errors
    await context.close()


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_publish_events_show_toasts_and_update_the_queue(
    live_server: LiveServer,
    live_db: async_sessionmaker[AsyncSession],
    browser: Browser,
    redis_url: str,
) -> None:
    """The upload stage's events, recorded as it records them (``record_event`` on the
    owner's pub/sub channel): held, failed and published each make their toast."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_up_and_log_in(live_server, page)
    channel_id = await api_channel(live_server)
    async with unit_of_work(live_db) as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None
        owner_id = channel.owner_id
        videos = []
        for topic, status in (
            ("Held one", VideoStatus.publishing),
            ("Failed one", VideoStatus.publishing),
            ("Good one", VideoStatus.publishing),
        ):
            video = Video(
                id=uuid.uuid4(),
                channel_id=channel_id,
                topic=topic,
                title=topic,
                status=status,
                stage=VideoStage.upload,
                stage_progress=0.4,
            )
            session.add(video)
            videos.append(video.id)
    held, failed, good = videos
    titles = dict(zip(videos, ("Held one", "Failed one", "Good one"), strict=True))
    await page.goto(f"{live_server.url}/queue")
    await expect(page.locator("body")).to_have_attribute("data-ws", "open")
    for vid in videos:
        await expect(page.locator(f'tr[data-video-id="{vid}"] .js-status')).to_have_text(
            "publishing"
        )
        await expect(
            page.locator(f'tr[data-video-id="{vid}"]').get_by_role("button", name="Cancel upload")
        ).to_be_visible()

    sync_redis = redis.Redis.from_url(redis_url)
    url = "https://www.youtube.com/watch?v=fakeVid0042"
    try:
        events = (
            (
                held,
                "video.publish_held",
                "Held one is held: set made for kids on the channel",
                {"reasons": ["made for kids is unset"]},
                "warning",
            ),
            (
                failed,
                "video.publish_failed",
                "Failed one: YouTube refused the request (400 invalidTitle)",
                {},
                "error",
            ),
            (
                good,
                "video.published",
                f"Good one is published on YouTube (public): {url}",
                {"url": url, "youtube_video_id": "fakeVid0042", "scheduled": False},
                "info",
            ),
        )
        for vid, kind, message, data, severity in events:
            async with unit_of_work(live_db) as session:
                await record_event(
                    session,
                    sync_redis,
                    user_id=owner_id,
                    type=kind,
                    message=message,
                    severity=severity,
                    channel_id=channel_id,
                    video_id=vid,
                    data={"title": titles[vid], **data},
                )
    finally:
        sync_redis.close()

    toast = page.locator(".toast-warning", has_text="Upload held")
    await expect(toast).to_contain_text("set made for kids on the channel")
    await expect(toast.get_by_role("link")).to_have_attribute("href", f"/videos/{held}")
    toast = page.locator(".toast-error", has_text="Upload failed")
    await expect(toast).to_contain_text("400 invalidTitle")
    await expect(toast.get_by_role("link")).to_have_attribute("href", f"/videos/{failed}")
    toast = page.locator(".toast-success", has_text="Published on YouTube")
    await expect(toast).to_contain_text(url)
    await expect(toast.get_by_role("link")).to_have_attribute("href", url)
    await expect(page.locator(f'tr[data-video-id="{held}"] .js-status')).to_have_text("ready")
    await expect(page.locator(f'tr[data-video-id="{failed}"] .js-status')).to_have_text("failed")
    await expect(page.locator(f'tr[data-video-id="{good}"] .js-status')).to_have_text("published")
    await expect(page.locator(f'tr[data-video-id="{good}"] .js-title')).to_have_text("Good one")
    for vid, buttons in ((held, 0), (good, 0), (failed, 1)):  # a failed upload may go back
        row = page.locator(f'tr[data-video-id="{vid}"]')
        await expect(row.get_by_role("button", name="Cancel upload")).to_have_count(buttons)
    await shot(page, "14-queue-toasts")
    await context.close()
