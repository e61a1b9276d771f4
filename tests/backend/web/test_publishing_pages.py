"""The dashboard's publishing pages over HTTP: Settings > YouTube (the OAuth client), Connect
YouTube (consent URL with PKCE and state), Google's answer at /oauth/youtube/callback,
Disconnect (revoked at Google), a channel's publishing settings, Publish now and Schedule on
a ready video (the upload job enqueued), the reasons a video is held, the video's YouTube
card in each state, the quota gauge, and CSRF on every new form.

Google is the fake in tests/fakes/youtube_server.py, a real HTTPS server that the real
google-auth and googleapiclient talk to; the consent step is a real HTTP GET to it.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
import requests
from rq import Queue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import (
    Channel,
    Privacy,
    UploadSession,
    Video,
    VideoStage,
    VideoStatus,
    YouTubeCredential,
    YouTubeOAuthClient,
)
from backend.models.upload_session import UploadStatus
from backend.publishing import service as publishing
from backend.publishing.quota import next_reset
from backend.settings import Settings
from tests.backend.conftest import MODELS_DIR, SECRET
from tests.backend.videos.states import finish_production
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import create_channel
from tests.fakes.youtube_server import CLIENT_ID, CLIENT_SECRET, PROJECT_ID, FakeYouTube

BASE = "http://test"  # the ASGI test client's origin: the app's oauth_redirect_base_url
CALLBACK = f"{BASE}/oauth/youtube/callback"


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeYouTube]:
    with FakeYouTube(tmp_path / "fake-youtube") as server:
        yield server


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path, fake: FakeYouTube) -> Settings:
    """The web tests' settings, with Google pointed at the fake and the callback at us."""
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        models_dir=MODELS_DIR,
        oauth_redirect_base_url=BASE,
        google_http_timeout_seconds=10,
        **fake.settings(),
    )


# -- helpers ---------------------------------------------------------------------------------
async def set_client(browser: Browser, fake: FakeYouTube) -> None:
    response = await browser.submit(
        "/settings/youtube/client",
        {"client_json": fake.client_json(CALLBACK)},
        page="/settings/youtube",
    )
    assert response.status_code == 303, response.text


async def consent(browser: Browser, fake: FakeYouTube, channel_id: str) -> str:
    """Press Connect YouTube and let the fake Google consent: the callback URL it sends to."""
    page = f"/channels/{channel_id}"
    start = await browser.submit(f"{page}/youtube/connect", page=page)
    assert start.status_code == 303, start.text
    answer = requests.get(
        start.headers["location"], allow_redirects=False, verify=str(fake.ca_path), timeout=10
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return location.removeprefix(BASE)


async def connect(browser: Browser, fake: FakeYouTube, channel_id: str) -> None:
    response = await browser.get(await consent(browser, fake, channel_id))
    assert response.status_code == 303, response.text
    assert (
        response.headers["location"] == f"/channels/{channel_id}?notice=youtube_connected#youtube"
    )


async def set_publishing(browser: Browser, channel_id: str, **values: str) -> None:
    page = f"/channels/{channel_id}"
    form = {"made_for_kids": "no", "privacy": "public", **values}
    response = await browser.submit(f"{page}/publishing", form, page=page)
    assert response.status_code == 303, response.text


async def ready_video(
    browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    channel_id: str,
    topic: str = "black holes",
) -> str:
    """A video queued through the channel page, then finished as the pipeline leaves it
    (every production stage succeeded, the rendered MP4 on disk)."""
    page = f"/channels/{channel_id}"
    response = await browser.submit(f"{page}/videos", {"topic": topic}, page=page)
    assert response.status_code == 303, response.text
    async with unit_of_work(sessions) as session:
        video = await session.scalar(
            select(Video).where(Video.channel_id == uuid.UUID(channel_id), Video.topic == topic)
        )
        assert video is not None
        await finish_production(session, video.id)
        video_id = video.id
    mp4 = settings.media_dir / str(video_id) / "render" / "video.mp4"
    mp4.parent.mkdir(parents=True, exist_ok=True)
    mp4.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2048)
    return str(video_id)


async def publishable(
    browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
) -> tuple[str, str]:
    """A connected channel with made for kids = no, and a ready video on it."""
    await set_client(browser, fake)
    channel_id = await create_channel(browser)
    await connect(browser, fake, channel_id)
    await set_publishing(browser, channel_id)
    return channel_id, await ready_video(browser, sessions, settings, channel_id)


def upload_jobs(redis_url: str) -> list[str]:
    """The upload jobs on the publishing queue (connecting also queues an analytics backfill)."""
    connection = redis.Redis.from_url(redis_url)
    try:
        jobs = Queue("publishing", connection=connection).job_ids
        return [j for j in jobs if not j.startswith("analytics-backfill-")]
    finally:
        connection.close()


def text_of(html: str) -> str:
    """The page's text with tags and runs of whitespace collapsed (for phrases across tags)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ([:.,;)])", r"\1", text)


# -- Settings > YouTube ----------------------------------------------------------------------
async def test_settings_page_stores_the_client_encrypted_and_never_shows_the_secret(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession], fake: FakeYouTube
) -> None:
    page = await owner_browser.get("/settings/youtube")
    assert page.status_code == 200
    assert 'href="/settings/youtube"' in page.text  # in the navigation
    assert "not set" in page.text and CALLBACK in page.text  # the exact URI to register

    bad = await owner_browser.submit(
        "/settings/youtube/client", {"client_json": "{not json"}, page="/settings/youtube"
    )
    assert bad.status_code == 400 and "The client file is not JSON" in bad.text
    bad = await owner_browser.submit(
        "/settings/youtube/client",
        {"client_json": '{"other": {}}'},
        page="/settings/youtube",
    )
    assert bad.status_code == 400 and "no &#34;web&#34; or &#34;installed&#34; section" in bad.text
    empty = await owner_browser.submit("/settings/youtube/client", {}, page="/settings/youtube")
    assert empty.status_code == 400 and "Choose the client_secret.json file" in empty.text
    lacking = await owner_browser.submit(
        "/settings/youtube/client",
        {"client_json": '{"web": {"client_id": "x", "client_secret": "s3cr3t-value"}, "y": 1'},
        page="/settings/youtube",
    )
    assert lacking.status_code == 400 and "s3cr3t-value" not in lacking.text  # never echoed

    token = await owner_browser.csrf("/settings/youtube")
    response = await owner_browser.http.post(
        "/settings/youtube/client",
        data={"csrf_token": token},
        files={
            "client_file": ("client_secret.json", fake.client_json(CALLBACK), "application/json")
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/youtube?notice=client_saved"
    page = await owner_browser.get(response.headers["location"])
    assert "Google OAuth client saved" in page.text
    assert PROJECT_ID in page.text and CLIENT_ID in page.text
    assert CLIENT_SECRET not in page.text
    assert "does not list this redirect URI" not in page.text
    async with sessions() as session:
        row = await session.scalar(select(YouTubeOAuthClient))
    assert row is not None and row.client_id == CLIENT_ID
    assert CLIENT_SECRET not in row.client_secret_encrypted

    # a client whose file lists another redirect URI: the page says what Google will refuse
    await owner_browser.submit(
        "/settings/youtube/client",
        {"client_json": fake.client_json("http://elsewhere:8000/oauth/youtube/callback")},
        page="/settings/youtube",
    )
    page = await owner_browser.get("/settings/youtube")
    assert "does not list this redirect URI" in page.text


async def test_only_an_admin_sets_the_client(
    other_browser: Browser, fake: FakeYouTube, sessions: async_sessionmaker[AsyncSession]
) -> None:
    page = await other_browser.get("/settings/youtube")
    assert page.status_code == 200 and "Only an administrator can set" in page.text
    assert 'action="/settings/youtube/client"' not in page.text
    response = await other_browser.submit(
        "/settings/youtube/client", {"client_json": fake.client_json()}, page="/settings/youtube"
    )
    assert response.status_code == 403
    async with sessions() as session:
        assert await session.scalar(select(YouTubeOAuthClient)) is None


# -- connect ---------------------------------------------------------------------------------
async def test_without_a_client_connect_says_what_to_do(owner_browser: Browser) -> None:
    channel_id = await create_channel(owner_browser)
    page = await owner_browser.get(f"/channels/{channel_id}")
    text = text_of(page.text)
    assert "No Google OAuth client is set." in text and "client_secret.json" in text
    assert 'href="/settings/youtube"' in page.text
    assert f'action="/channels/{channel_id}/youtube/connect"' not in page.text
    response = await owner_browser.submit(
        f"/channels/{channel_id}/youtube/connect", page=f"/channels/{channel_id}"
    )
    assert response.status_code == 400
    assert "No Google OAuth client is set" in response.text
    assert 'href="/settings/youtube"' in response.text


async def test_connect_redirects_to_consent_with_pkce_and_state(
    owner_browser: Browser, fake: FakeYouTube
) -> None:
    await set_client(owner_browser, fake)
    channel_id = await create_channel(owner_browser)
    page = await owner_browser.get(f"/channels/{channel_id}")
    assert f'action="/channels/{channel_id}/youtube/connect"' in page.text
    assert "Connect YouTube" in page.text and "not connected" in page.text
    # the page may send its form on to the consent page (form-action covers redirects)
    fake_origin = fake.url.rstrip("/")
    assert f"form-action 'self' {fake_origin}" in page.headers["content-security-policy"]
    other = await owner_browser.get("/channels")
    assert "form-action 'self';" in other.headers["content-security-policy"]

    response = await owner_browser.submit(
        f"/channels/{channel_id}/youtube/connect", page=f"/channels/{channel_id}"
    )
    assert response.status_code == 303
    url = urllib.parse.urlsplit(response.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == fake.url + "o/oauth2/auth"
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and query["access_type"] == "offline"
    assert "youtube.upload" in query["scope"] and "yt-analytics.readonly" in query["scope"]


async def test_callback_refuses_a_wrong_state_and_an_error_answer(
    owner_browser: Browser, fake: FakeYouTube, redis_url: str
) -> None:
    await set_client(owner_browser, fake)
    channel_id = await create_channel(owner_browser)
    location = await consent(owner_browser, fake, channel_id)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"]

    wrong = await owner_browser.get(f"/oauth/youtube/callback?state=forged-state&code={code}")
    assert wrong.status_code == 400
    assert "does not match a connection started here" in wrong.text
    assert "YouTube was not connected" in wrong.text
    missing = await owner_browser.get(f"/oauth/youtube/callback?code={code}")
    assert missing.status_code == 400
    denied = await owner_browser.get("/oauth/youtube/callback?error=access_denied&state=x")
    assert denied.status_code == 400 and "You did not allow YTEMPIRE" in denied.text
    odd = await owner_browser.get("/oauth/youtube/callback?error=server_error")
    assert odd.status_code == 400 and "server_error" in odd.text
    assert not fake.token_requests  # no code was exchanged for any of these
    page = await owner_browser.get(f"/channels/{channel_id}")
    assert "not connected" in page.text

    # the real answer still works afterwards (a refused forgery does not use up the consent)
    response = await owner_browser.get(location)
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=youtube_connected#youtube")
    connection = redis.Redis.from_url(redis_url)
    try:  # connecting queues the channel's 90-day analytics backfill
        assert (
            f"analytics-backfill-{channel_id}" in Queue("publishing", connection=connection).job_ids
        )
    finally:
        connection.close()
    again = await owner_browser.get(location)  # single use
    assert again.status_code == 400 and "does not match" in again.text


async def test_callback_without_a_session_goes_to_login_and_back(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/oauth/youtube/callback?state=s&code=c")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/oauth/youtube/callback")


async def test_callback_connects_and_disconnect_revokes_at_google(
    owner_browser: Browser, fake: FakeYouTube, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await set_client(owner_browser, fake)
    channel_id = await create_channel(owner_browser)
    await connect(owner_browser, fake, channel_id)
    exchange = fake.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    assert exchange["redirect_uri"] == CALLBACK

    page = await owner_browser.get(f"/channels/{channel_id}?notice=youtube_connected")
    text = text_of(page.text)
    channel_title, youtube_id = fake.channel["title"], fake.channel["id"]
    assert f"Connected to YouTube as {channel_title} ({youtube_id})" in text  # the flash
    assert f"Connected as {channel_title} ({youtube_id})" in text
    assert f'action="/channels/{channel_id}/youtube/disconnect"' in page.text
    async with sessions() as session:
        grant = await session.scalar(select(YouTubeCredential))
        channel = await session.get(Channel, uuid.UUID(channel_id))
    assert grant is not None and grant.youtube_channel_id == youtube_id
    assert channel is not None and channel.youtube_channel_id == youtube_id
    refresh_tokens = list(fake.refresh_tokens)
    assert all(t not in grant.tokens_encrypted for t in refresh_tokens)

    listing = text_of((await owner_browser.get("/channels")).text)
    assert f"YouTube: connected as {channel_title}" in listing
    assert "made for kids not set" in listing

    response = await owner_browser.submit(
        f"/channels/{channel_id}/youtube/disconnect", page=f"/channels/{channel_id}"
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("notice=youtube_disconnected#youtube")
    assert fake.revoked and fake.revoked[-1] in refresh_tokens
    page = await owner_browser.get(response.headers["location"])
    assert "Disconnected from YouTube" in page.text and "Connect YouTube" in page.text
    async with sessions() as session:
        assert await session.scalar(select(YouTubeCredential)) is None


async def test_a_revoked_grant_shows_needs_reconnect_and_holds_the_video(
    owner_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
) -> None:
    channel_id, video_id = await publishable(owner_browser, sessions, settings, fake)
    reason = "Token has been expired or revoked."
    await publishing.mark_needs_reconnect(sessions, uuid.UUID(channel_id), reason)
    page = await owner_browser.get(f"/channels/{channel_id}")
    text = text_of(page.text)
    assert "needs reconnect" in text
    assert f"YouTube access must be reconnected: {reason}" in text
    assert "Reconnect YouTube" in page.text
    video = await owner_browser.get(f"/videos/{video_id}")
    assert f'href="/channels/{channel_id}#youtube">Reconnect' in video.text
    assert f'action="/videos/{video_id}/publish"' not in video.text
    await connect(owner_browser, fake, channel_id)  # reconnecting lets it go on
    video = await owner_browser.get(f"/videos/{video_id}")
    assert f'action="/videos/{video_id}/publish"' in video.text


async def test_a_consent_started_by_another_user_is_not_theirs_to_finish(
    owner_browser: Browser, other_browser: Browser, fake: FakeYouTube
) -> None:
    await set_client(owner_browser, fake)
    channel_id = await create_channel(owner_browser)
    location = await consent(owner_browser, fake, channel_id)
    stolen = await other_browser.get(location)
    assert stolen.status_code == 404  # the channel is not theirs: as if it did not exist
    assert not fake.token_requests
    response = await owner_browser.get(location)  # still the owner's to finish
    assert response.status_code == 303


# -- publishing settings ---------------------------------------------------------------------
async def test_publishing_settings_form_saves_and_warns_while_made_for_kids_is_unset(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel_id = await create_channel(owner_browser)
    page = await owner_browser.get(f"/channels/{channel_id}")
    assert "uploads are held until you say" in page.text
    assert 'name="made_for_kids" value="yes"' in page.text
    assert re.search(r'name="made_for_kids" value="(yes|no)" checked', page.text) is None

    url, at = f"/channels/{channel_id}/publishing", f"/channels/{channel_id}"
    bad = await owner_browser.submit(url, {"made_for_kids": "maybe", "privacy": "secret"}, page=at)
    assert bad.status_code == 400
    assert "Made for kids must be yes or no" in bad.text
    assert "Privacy must be private, unlisted or public" in bad.text

    # left unchosen: the rest is saved, made for kids stays unset and the warning stays
    response = await owner_browser.submit(url, {"privacy": "unlisted"}, page=at)
    assert response.status_code == 303
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.made_for_kids is None and channel.privacy == Privacy.unlisted
        assert channel.auto_publish is False

    response = await owner_browser.submit(
        url, {"made_for_kids": "no", "privacy": "public", "auto_publish": "on"}, page=at
    )
    assert response.status_code == 303
    assert (
        response.headers["location"] == f"/channels/{channel_id}?notice=publishing_saved#publishing"
    )
    page = await owner_browser.get(response.headers["location"])
    assert "Publishing settings saved." in page.text
    assert "uploads are held until you say" not in page.text
    assert 'name="made_for_kids" value="no" checked' in page.text
    assert re.search(r'name="auto_publish" value="on" checked', page.text)
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.made_for_kids is False and channel.privacy == Privacy.public
        assert channel.auto_publish is True

    await owner_browser.submit(url, {"made_for_kids": "yes", "privacy": "private"}, page=at)
    async with sessions() as session:  # the switch off: an unticked box sends nothing
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None and channel.made_for_kids is True
        assert channel.auto_publish is False and channel.privacy == Privacy.private

    # the autopilot: on, days made ahead, the slots' time zone; bad values are refused
    wrong = await owner_browser.submit(
        url,
        {
            "privacy": "private",
            "autopilot": "on",
            "autopilot_buffer_days": "40",
            "timezone": "Mars/Olympus",
        },
        page=at,
    )
    assert wrong.status_code == 400
    assert "Days ahead must be a whole number, 1 to 14" in wrong.text
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None and channel.autopilot is False
    response = await owner_browser.submit(
        url,
        {
            "privacy": "private",
            "autopilot": "on",
            "autopilot_buffer_days": "3",
            "timezone": "Europe/Berlin",
        },
        page=at,
    )
    assert response.status_code == 303
    page = await owner_browser.get(f"/channels/{channel_id}")
    assert re.search(r'name="autopilot" value="on" checked', page.text)
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None and channel.autopilot is True
        assert (channel.autopilot_buffer_days, channel.timezone) == (3, "Europe/Berlin")
    zone = await owner_browser.submit(
        url, {"privacy": "private", "autopilot": "on", "timezone": "Mars/Olympus"}, page=at
    )
    assert zone.status_code == 400 and "not an IANA timezone name" in zone.text


# -- publish and schedule --------------------------------------------------------------------
async def test_blockers_are_shown_in_place_of_the_buttons(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    channel_id = await create_channel(owner_browser)
    video_id = await ready_video(owner_browser, sessions, settings, channel_id)
    page = await owner_browser.get(f"/videos/{video_id}")
    text = text_of(page.text)
    assert "Not ready for YouTube yet." in text
    assert "The channel is not connected to YouTube" in text
    assert "The channel has not said whether its videos are made for kids" in text
    assert f'href="/channels/{channel_id}#youtube">Connect YouTube' in page.text
    assert f'href="/channels/{channel_id}#publishing">Set made for kids' in page.text
    assert f'action="/videos/{video_id}/publish"' not in page.text
    assert f'action="/videos/{video_id}/schedule"' not in page.text

    response = await owner_browser.submit(f"/videos/{video_id}/publish", page=f"/videos/{video_id}")
    assert response.status_code == 409
    text = text_of(response.text)
    assert "This video cannot be published yet. Fix these first:" in text
    assert "The channel is not connected to YouTube" in text
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.status == VideoStatus.ready


async def test_publish_now_enqueues_the_upload(
    owner_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
    redis_url: str,
) -> None:
    _, video_id = await publishable(owner_browser, sessions, settings, fake)
    page = await owner_browser.get(f"/videos/{video_id}")
    assert f'action="/videos/{video_id}/publish"' in page.text
    assert f'action="/videos/{video_id}/schedule"' in page.text
    assert 'type="datetime-local"' in page.text and "data-browser-tz" in page.text
    assert "Not ready for YouTube yet" not in page.text
    assert upload_jobs(redis_url) == []

    response = await owner_browser.submit(f"/videos/{video_id}/publish", page=f"/videos/{video_id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/videos/{video_id}?notice=video_publishing#youtube"
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.status == VideoStatus.publishing
        assert video.publish_at is None
    jobs = upload_jobs(redis_url)
    assert len(jobs) == 1 and jobs[0].startswith(f"stage-{video_id}-upload-")

    page = await owner_browser.get(response.headers["location"])
    assert "Publishing: the upload to YouTube has started" in page.text
    assert 'aria-label="Upload progress"' in page.text
    assert f'action="/videos/{video_id}/cancel"' in page.text and "Cancel upload" in page.text
    assert page.text.count("Cancel upload") == 1  # one button, in the YouTube card

    again = await owner_browser.submit(f"/videos/{video_id}/publish", page=f"/videos/{video_id}")
    assert again.status_code == 409 and "Only a ready video can be published" in again.text

    cancel = await owner_browser.submit(
        f"/videos/{video_id}/cancel", {"back": f"/videos/{video_id}"}, page=f"/videos/{video_id}"
    )
    assert cancel.status_code == 303 and cancel.headers["location"].endswith(
        "?notice=upload_cancelled"
    )
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.status == VideoStatus.ready


async def test_schedule_takes_the_browser_time_zone(
    owner_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
    redis_url: str,
) -> None:
    _, video_id = await publishable(owner_browser, sessions, settings, fake)
    url, at = f"/videos/{video_id}/schedule", f"/videos/{video_id}"
    berlin = ZoneInfo("Europe/Berlin")
    slot = (datetime.now(berlin) + timedelta(days=2)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    local = slot.strftime("%Y-%m-%dT%H:%M")

    for form, message in (
        ({"at": "", "tz": "Europe/Berlin"}, "Pick the date and time to publish at"),
        ({"at": "tomorrow", "tz": "Europe/Berlin"}, "must be a date and time"),
        ({"at": local, "tz": "Mars/Olympus"}, "Unknown time zone"),
        ({"at": "2001-01-01T10:00", "tz": "UTC"}, "between 2 minutes and a year from now"),
    ):
        refused = await owner_browser.submit(url, form, page=at)
        assert refused.status_code == 400, form
        assert message in refused.text, form
        assert f'value="{form["at"]}"' in refused.text  # the form keeps what was typed
    assert upload_jobs(redis_url) == []

    response = await owner_browser.submit(url, {"at": local, "tz": "Europe/Berlin"}, page=at)
    assert response.status_code == 303
    assert response.headers["location"] == f"/videos/{video_id}?notice=video_scheduled#youtube"
    async with sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None and video.status == VideoStatus.publishing
        assert video.publish_at is not None
        assert video.publish_at.astimezone(UTC) == slot.astimezone(UTC)
    assert len(upload_jobs(redis_url)) == 1
    page = await owner_browser.get(response.headers["location"])
    assert "Scheduled: the video is uploaded now, private" in page.text
    assert slot.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") in page.text


async def test_the_youtube_card_in_each_state_and_the_badges(
    owner_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
) -> None:
    channel_id, video_id = await publishable(owner_browser, sessions, settings, fake)
    vid = uuid.UUID(video_id)
    slot = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    async def as_upload_left_it(video_status: VideoStatus, **upload: object) -> str:
        async with unit_of_work(sessions) as session:
            video = await session.get(Video, vid)
            assert video is not None
            video.status = video_status
            video.stage = VideoStage.upload
            video.youtube_video_id = "fakeVid0001" if video_status != VideoStatus.failed else None
            video.publish_at = slot if video_status == VideoStatus.scheduled else None
            video.published_at = (
                datetime.now(UTC) if video_status == VideoStatus.published else None
            )
            video.youtube_privacy = "private"
            video.publish_warning = upload.pop("warning", None)  # type: ignore[assignment]
            video.error = upload.pop("error", None)  # type: ignore[assignment]
            row = await session.scalar(select(UploadSession).where(UploadSession.video_id == vid))
            if row is None:
                row = UploadSession(
                    video_id=vid,
                    channel_id=uuid.UUID(channel_id),
                    file_path="render/video.mp4",
                    file_size=4_194_304,
                    file_mtime_ns=0,
                )
                session.add(row)
            row.confirmed_bytes = 4_194_304
            row.privacy_requested = "public"
            row.privacy_reported = "private"
            for key, value in upload.items():
                setattr(row, key, value)
        page = await owner_browser.get(f"/videos/{video_id}")
        assert page.status_code == 200
        return text_of(page.text)

    warning = "YouTube made it private: verify the API project (audit) to upload public videos"
    text = await as_upload_left_it(
        VideoStatus.published,
        status=UploadStatus.uploaded,
        thumbnail_status="not_allowed",
        caption_status="inserted",
        warning=warning,
    )
    assert "Watch on YouTube" in text and "https://www.youtube.com/watch?v=fakeVid0001" in text
    assert f"YouTube changed this upload: {warning}" in text
    assert "Privacy private (asked: public) as YouTube reported it" in text
    assert "this account can't use custom thumbnails — verify the channel" in text
    assert "Captions uploaded" in text
    assert "Cancel" not in text  # a published video cannot be cancelled

    text = await as_upload_left_it(
        VideoStatus.scheduled, thumbnail_status="set", caption_status="failed", caption_detail="x"
    )
    assert f"Scheduled for {slot.strftime('%Y-%m-%d %H:%M UTC')}" in text
    assert "Custom thumbnail set" in text and "Failed: x" in text
    assert "https://www.youtube.com/watch?v=fakeVid0001" in text

    queue = await owner_browser.get("/queue?status=scheduled")
    assert "badge status-scheduled" in queue.text
    assert 'href="https://www.youtube.com/watch?v=fakeVid0001"' in queue.text
    channel_page = await owner_browser.get(f"/channels/{channel_id}")
    assert "badge status-scheduled" in channel_page.text

    reason = "YouTube refused the request (400 invalidTitle): The title is not valid"
    text = await as_upload_left_it(VideoStatus.failed, error=reason, status=UploadStatus.failed)
    assert f"The upload failed: {reason}" in text
    assert "Retry the upload" in text and "Back to ready" in text
    retry = await owner_browser.submit(
        f"/videos/{video_id}/retry", {"back": f"/videos/{video_id}"}, page=f"/videos/{video_id}"
    )
    assert retry.status_code == 303
    async with sessions() as session:
        video = await session.get(Video, vid)
        assert video is not None and video.status == VideoStatus.publishing

    await as_upload_left_it(VideoStatus.publishing, confirmed_bytes=1_048_576)
    async with unit_of_work(sessions) as session:
        video = await session.get(Video, vid)
        assert video is not None
        video.stage_progress = 0.25
    page = await owner_browser.get(f"/videos/{video_id}")
    assert 'value="25.0" aria-label="Upload progress"' in page.text
    assert "1.0 of 4.0 MB confirmed by YouTube" in text_of(page.text)
    queue = await owner_browser.get("/queue?status=publishing")
    assert "badge status-publishing" in queue.text and "Cancel upload" in queue.text


# -- the quota -------------------------------------------------------------------------------
async def test_overview_and_system_show_todays_quota_as_a_gauge(
    owner_browser: Browser, fake: FakeYouTube
) -> None:
    await create_channel(owner_browser)
    page = await owner_browser.get("/")
    text = text_of(page.text)
    assert "YouTube quota" in text and "0 / 10,000 units used today" in text
    assert "no OAuth client yet" in text
    reset = next_reset(datetime.now(UTC)).strftime("%H:%M UTC")
    assert f"resets at {reset} (midnight Pacific time)" in text
    assert 'class="chart gauge"' in page.text and 'data-level="ok"' in page.text

    await set_client(owner_browser, fake)
    page = await owner_browser.get("/system")
    assert "YouTube quota" in page.text and PROJECT_ID in page.text
    assert "room for about 16 uploads" in text_of(page.text)


# -- CSRF ------------------------------------------------------------------------------------
async def test_every_new_form_needs_its_csrf_token(
    owner_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    fake: FakeYouTube,
    redis_url: str,
) -> None:
    channel_id, video_id = await publishable(owner_browser, sessions, settings, fake)
    posts = {
        "/settings/youtube/client": {"client_json": fake.client_json(CALLBACK)},
        f"/channels/{channel_id}/youtube/connect": {},
        f"/channels/{channel_id}/youtube/disconnect": {},
        f"/channels/{channel_id}/publishing": {"made_for_kids": "yes", "privacy": "private"},
        f"/videos/{video_id}/publish": {},
        f"/videos/{video_id}/schedule": {"at": "2030-01-01T10:00", "tz": "UTC"},
    }
    for path, form in posts.items():
        for data in (form, {**form, "csrf_token": "forged"}):
            response = await owner_browser.http.post(path, data=data)
            assert response.status_code == 403, path
            assert "This form has expired" in response.text
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        video = await session.get(Video, uuid.UUID(video_id))
        grant = await session.scalar(select(YouTubeCredential))
    assert channel is not None and channel.made_for_kids is False
    assert video is not None and video.status == VideoStatus.ready
    assert grant is not None and not fake.revoked
    assert upload_jobs(redis_url) == []
