"""First-run sign-up, the Users page, admin-only System, channel delete, voices, /docs."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import Channel, User, UserRole, Video, VideoStatus
from tests.backend.web.conftest import CSRF_RE, PASSWORD, Browser, _client
from tests.backend.web.helpers import CHANNEL_FORM

SIGNUP = {"email": "me@example.com", "password": PASSWORD, "confirm": PASSWORD}


async def _signup(browser: Browser, **fields: str) -> httpx.Response:
    token = await browser.csrf("/setup")
    return await browser.http.post("/setup", data={"csrf_token": token, **SIGNUP, **fields})


async def test_first_run_offers_the_owner_sign_up_and_then_never_again(
    api: httpx.AsyncClient, web_app: FastAPI, sessions: async_sessionmaker[AsyncSession]
) -> None:
    browser = Browser(api)
    home = await api.get("/")
    assert home.status_code == 303 and home.headers["location"].startswith("/login")
    login = await api.get(home.headers["location"])
    assert login.status_code == 303 and login.headers["location"] == "/setup"
    form = await api.get("/setup")
    assert form.status_code == 200 and "Create the owner account" in form.text

    bad = await _signup(browser, email="not-an-email", confirm="something else")
    assert bad.status_code == 400
    assert "not a valid email address" in bad.text
    short = await _signup(browser, password="short", confirm="short")
    assert short.status_code == 400 and "Use between 10 and 128 characters" in short.text
    differ = await _signup(browser, confirm="another password!")
    assert differ.status_code == 400 and "The two passwords differ" in differ.text

    made = await _signup(browser, full_name="Me Myself")
    assert made.status_code == 303 and made.headers["location"] == "/"
    overview = await api.get("/")
    assert overview.status_code == 200 and "me@example.com" in overview.text  # signed in
    async with sessions() as session:
        users = list(await session.scalars(select(User)))
    assert [(u.email, u.role, u.full_name) for u in users] == [
        ("me@example.com", UserRole.admin, "Me Myself")
    ]

    async with _client(web_app) as http:  # a stranger, later
        stranger = Browser(http)
        assert (await http.get("/setup")).status_code == 404
        login_page = await http.get("/login")
        assert login_page.status_code == 200 and "Sign in" in login_page.text
        assert "<code>ytempire user create EMAIL</code>" in login_page.text
        assert "ytempire users create" not in login_page.text
        token = CSRF_RE.search(login_page.text)
        assert token
        again = await http.post(
            "/setup", data={"csrf_token": token.group(1), **SIGNUP, "email": "late@example.com"}
        )
        assert again.status_code == 404
        assert (await stranger.get("/")).status_code == 303
    async with sessions() as session:
        assert len(list(await session.scalars(select(User)))) == 1


async def test_two_sign_ups_at_once_make_one_admin(
    web_app: FastAPI, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with _client(web_app) as a, _client(web_app) as b:
        first, second = Browser(a), Browser(b)
        tokens = await asyncio.gather(first.csrf("/setup"), second.csrf("/setup"))
        responses = await asyncio.gather(
            a.post("/setup", data={"csrf_token": tokens[0], **SIGNUP, "email": "a@example.com"}),
            b.post("/setup", data={"csrf_token": tokens[1], **SIGNUP, "email": "b@example.com"}),
        )
    assert sorted(r.status_code for r in responses) == [303, 404]
    async with sessions() as session:
        users = list(await session.scalars(select(User)))
    assert len(users) == 1 and users[0].role == UserRole.admin


async def test_system_page_and_users_page_are_for_admins_only(
    owner_browser: Browser, other_browser: Browser
) -> None:
    for path in ("/system", "/admin"):
        member = await other_browser.get(path)
        assert member.status_code == 403, path
        assert "for administrators" in member.text
    channels = await other_browser.get("/channels")
    assert channels.status_code == 200
    assert 'href="/system"' not in channels.text and 'href="/admin"' not in channels.text
    admin_page = await owner_browser.get("/channels")
    assert 'href="/system"' in admin_page.text and 'href="/admin"' in admin_page.text
    assert (await owner_browser.get("/system")).status_code == 200
    # a member cannot post the admin forms either
    sessions_page = await owner_browser.get("/admin")
    owner_id = re.search(
        r'id="user-([0-9a-f-]{36})" data-email="owner@example.com"', sessions_page.text
    )
    assert owner_id
    refused = await other_browser.submit(
        f"/admin/users/{owner_id.group(1)}/active", {"active": "0"}, page="/channels"
    )
    assert refused.status_code == 403


async def test_system_page_says_why_a_model_is_unavailable(owner_browser: Browser) -> None:
    page = await owner_browser.get("/system")
    assert page.status_code == 200
    # no cloud key is configured in tests: the gateway's own reason is on the page
    assert "no OpenAI API key configured (YTE_OPENAI_API_KEY)" in page.text
    assert 'class="small muted model-reason"' in page.text


async def _user_row(browser: Browser, email: str) -> str:
    page = await browser.get("/admin")
    match = re.search(rf'id="user-([0-9a-f-]{{36}})" data-email="{re.escape(email)}"', page.text)
    assert match, page.text[:2000]
    return match.group(1)


async def test_admin_page_raises_a_limit_changes_a_role_and_deactivates(
    owner_browser: Browser, other_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    other_id = await _user_row(owner_browser, "other@example.com")
    owner_id = await _user_row(owner_browser, "owner@example.com")

    raised = await owner_browser.submit(
        f"/admin/users/{other_id}/limit", {"channel_limit": "9"}, page="/admin"
    )
    assert raised.status_code == 303 and raised.headers["location"].startswith(
        "/admin?notice=limit"
    )
    shown = await other_browser.get("/channels")
    assert 'data-testid="channel-usage">0 of 9<' in shown.text

    bad = await owner_browser.submit(
        f"/admin/users/{other_id}/limit", {"channel_limit": "0"}, page="/admin"
    )
    assert bad.status_code == 400 and "whole number from 1 to 100" in bad.text
    no_csrf = await owner_browser.http.post(
        f"/admin/users/{other_id}/limit", data={"channel_limit": "50"}
    )
    assert no_csrf.status_code == 403

    last = await owner_browser.submit(
        f"/admin/users/{owner_id}/role", {"role": "member"}, page="/admin"
    )
    assert last.status_code == 409 and "last active administrator" in last.text

    off = await owner_browser.submit(
        f"/admin/users/{other_id}/active", {"active": "0"}, page="/admin"
    )
    assert off.status_code == 303
    # the member's browser session ends with the next request, and they cannot sign in
    assert (await other_browser.get("/channels")).status_code == 303
    assert (await other_browser.login("other@example.com")).status_code == 401

    created = await owner_browser.submit(
        "/admin/users",
        {"email": "new@example.com", "password": PASSWORD, "role": "member", "channel_limit": "2"},
        page="/admin",
    )
    assert created.status_code == 303
    async with sessions() as session:
        users = {u.email: u for u in await session.scalars(select(User))}
    assert users["other@example.com"].channel_limit == 9
    assert users["other@example.com"].is_active is False
    assert users["owner@example.com"].role == UserRole.admin
    assert users["new@example.com"].channel_limit == 2
    invalid = await owner_browser.submit(
        "/admin/users", {"email": "nope", "password": PASSWORD}, page="/admin"
    )
    assert invalid.status_code == 400 and "not a valid email address" in invalid.text


async def test_channel_delete_confirms_with_what_happens_to_the_videos(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = await owner_browser.submit("/channels", CHANNEL_FORM, page="/channels")
    channel_id = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    async with unit_of_work(sessions) as session:
        for status in (VideoStatus.queued, VideoStatus.running, VideoStatus.ready):
            session.add(Video(id=uuid.uuid4(), channel_id=uuid.UUID(channel_id), status=status))
    detail = await owner_browser.get(f"/channels/{channel_id}")
    assert f'href="/channels/{channel_id}/delete"' in detail.text
    confirm = await owner_browser.get(f"/channels/{channel_id}/delete")
    assert confirm.status_code == 200
    assert "The channel has 3 videos." in confirm.text
    assert "2 videos not finished yet" in confirm.text and "will be cancelled" in confirm.text
    assert "1 running now" in confirm.text
    assert "1 video already finished or stopped stay" in confirm.text
    assert "media stays on disk" in confirm.text
    # nothing happened yet
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None and channel.deleted_at is None

    deleted = await owner_browser.submit(
        f"/channels/{channel_id}/delete", page=f"/channels/{channel_id}/delete"
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/channels?deleted=1"
    listing = await owner_browser.get("/channels?deleted=1")
    assert (
        "Channel deleted." in listing.text and 'data-testid="channel-usage">0 of 5<' in listing.text
    )
    assert (await owner_browser.get(f"/channels/{channel_id}")).status_code == 404
    async with sessions() as session:
        statuses = sorted(
            v.status.value
            for v in await session.scalars(
                select(Video).where(Video.channel_id == uuid.UUID(channel_id))
            )
        )
    assert statuses == ["cancelled", "cancelled", "ready"]


async def test_another_users_channel_cannot_be_deleted(
    owner_browser: Browser, other_browser: Browser
) -> None:
    created = await owner_browser.submit("/channels", CHANNEL_FORM, page="/channels")
    channel_id = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert (await other_browser.get(f"/channels/{channel_id}/delete")).status_code == 404
    response = await other_browser.submit(f"/channels/{channel_id}/delete", page="/channels")
    assert response.status_code == 404
    assert (await owner_browser.get(f"/channels/{channel_id}")).status_code == 200


async def test_the_limit_message_says_how_to_free_a_slot(
    owner_browser: Browser, other_browser: Browser
) -> None:
    for i in range(5):
        await other_browser.submit("/channels", {**CHANNEL_FORM, "name": f"C{i}"}, page="/channels")
    page = await other_browser.get("/channels")
    assert "Channel limit reached: you use 5 of 5 channels" in page.text
    assert (
        "delete a channel" in page.text and "ask an administrator to raise your limit" in page.text
    )
    assert "repurpose" not in page.text
    admin_page = await owner_browser.get("/channels")
    assert "Channel limit reached" not in admin_page.text


async def test_channel_forms_pick_an_installed_voice_with_a_preview(
    owner_browser: Browser,
) -> None:
    page = await owner_browser.get("/channels")
    select_html = re.search(r'<select id="f-voice".*?</select>', page.text, re.S)
    assert select_html, "the voice is a select"
    options = re.findall(r'<option value="([^"]+)"', select_html.group(0))
    assert {"alloy", "echo", "en-us", "en-gb-x-rp", "de", "fr"} <= set(options)
    assert re.search(r'<option value="en-us" selected>', select_html.group(0))
    assert '<audio class="voice-preview" controls' in page.text
    assert 'src="/api/v1/channels/voices/preview?voice=en-us"' in page.text

    created = await owner_browser.submit(
        "/channels", {**CHANNEL_FORM, "voice": "en-gb-x-rp"}, page="/channels"
    )
    channel_id = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    refused = await owner_browser.submit(
        "/channels", {**CHANNEL_FORM, "name": "Other", "voice": "klingon"}, page="/channels"
    )
    assert refused.status_code == 400
    assert "Pick one of the voices in the list: this one is not installed here." in refused.text
    edit = await owner_browser.get(f"/channels/{channel_id}/edit")
    assert re.search(r'<option value="en-gb-x-rp" selected>', edit.text)
    assert 'src="/api/v1/channels/voices/preview?voice=en-gb-x-rp"' in edit.text


async def test_voice_preview_is_real_audio_cached_and_owner_only(
    owner_browser: Browser, api: httpx.AsyncClient
) -> None:
    listed = await owner_browser.get("/api/v1/channels/voices")
    assert listed.status_code == 200
    ids = {v["id"]: v for v in listed.json()}
    assert ids["echo"]["served_by"]["espeak-ng"] == "en-us+m3"
    assert ids["en-us"]["preview_url"] == "/api/v1/channels/voices/preview?voice=en-us"

    first = await owner_browser.get("/api/v1/channels/voices/preview?voice=en-us")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "audio/wav"
    assert first.content[:4] == b"RIFF" and first.content[8:12] == b"WAVE"
    assert len(first.content) > 20_000  # a second or more of speech, not a stub
    again = await owner_browser.get("/api/v1/channels/voices/preview?voice=en-us")
    assert again.content == first.content
    other_voice = await owner_browser.get("/api/v1/channels/voices/preview?voice=de")
    assert other_voice.status_code == 200 and other_voice.content != first.content

    unknown = await owner_browser.get("/api/v1/channels/voices/preview?voice=klingon")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "voice_not_found"
    assert (await api.get("/api/v1/channels/voices/preview?voice=en-us")).status_code == 401


async def test_voice_previews_are_rate_limited_per_user(owner_browser: Browser) -> None:
    voices = ["af", "sq", "am", "an", "hy", "as", "az"]
    codes = []
    for voice in voices:
        response = await owner_browser.get(f"/api/v1/channels/voices/preview?voice={voice}")
        codes.append(response.status_code)
    assert codes[:6] == [200] * 6 and codes[6] == 429, codes
    assert "try again in a minute" in response.json()["error"]["message"]
    # cached ones still play
    assert (await owner_browser.get("/api/v1/channels/voices/preview?voice=af")).status_code == 200


async def test_docs_and_redoc_work_offline(api: httpx.AsyncClient) -> None:
    for path, marker in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = await api.get(path)
        assert page.status_code == 200, path
        assert marker in page.text
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text), page.text
        assert "cdn" not in page.text.lower()
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
            served = await api.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 100, asset
    bundle = await api.get("/docs-assets/redoc.standalone.js")
    assert b"cdn.redoc.ly" not in bundle.content and len(bundle.content) > 500_000
    schema = await api.get("/openapi.json")
    assert schema.status_code == 200 and "/api/v1/users/{user_id}" in schema.json()["paths"]
