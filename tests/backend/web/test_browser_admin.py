"""Chromium on a fresh appliance: the owner signs up, raises a user's limit on the Users
page, deletes a channel after reading what happens to its videos; /docs and /redoc render
from local assets under their CSP; the voice picker has a preview that plays."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from playwright.async_api import Browser, ConsoleMessage, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import Channel, User, UserRole, Video, VideoStatus
from tests.backend.web.conftest import PASSWORD, LiveServer, needs_chromium

SHOTS = Path(os.environ.get("YTE_SHOTS_DIR", "/tmp/shots/users"))

pytestmark = needs_chromium


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_fresh_appliance_sign_up_admin_raises_a_limit_and_deletes_a_channel(
    live_server: LiveServer, live_db: async_sessionmaker[AsyncSession], browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # no users yet: the dashboard offers the owner sign-up
    await page.goto(live_server.url + "/")
    await expect(page).to_have_url(live_server.url + "/setup")
    await expect(page.get_by_role("heading", name="Create the owner account")).to_be_visible()
    await shot(page, "01-first-run-sign-up")
    await page.get_by_label("Email").fill("owner@example.com")
    await page.get_by_label("Name (optional)").fill("Olive Owner")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Repeat the password").fill("not the same one")
    await page.get_by_role("button", name="Create account and sign in").click()
    await expect(page.get_by_text("The two passwords differ.")).to_be_visible()
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Repeat the password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account and sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Users")).to_be_visible()
    await expect(nav.get_by_role("link", name="System")).to_be_visible()

    # the Users page: create a member, then raise their channel limit
    await nav.get_by_role("link", name="Users").click()
    await page.get_by_label("Email").fill("crew@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Channel limit").fill("1")
    await page.get_by_role("button", name="Create user").click()
    await expect(page.get_by_text("User created.")).to_be_visible()
    row = page.locator('tr[data-email="crew@example.com"]')
    await expect(row.get_by_label("limit")).to_have_value("1")
    await row.get_by_label("limit").fill("4")
    await row.get_by_role("button", name="Save limit").click()
    await expect(page.get_by_text("Channel limit saved.")).to_be_visible()
    await expect(
        page.locator('tr[data-email="crew@example.com"]').get_by_label("limit")
    ).to_have_value("4")
    await shot(page, "02-users-limit-raised")
    async with live_db() as session:
        users = {u.email: u for u in await session.scalars(select(User))}
    assert users["owner@example.com"].role == UserRole.admin
    assert users["crew@example.com"].channel_limit == 4

    # a channel with videos; deleting it says first what happens to them
    await nav.get_by_role("link", name="Channels").click()
    await page.get_by_label("Name").fill("Deep Sky")
    await page.get_by_label("Niche").fill("astronomy")
    voice = page.get_by_label("Voice", exact=True)
    await expect(voice).to_have_value("en-us")
    await voice.select_option("echo")
    await expect(page.locator("audio.voice-preview")).to_have_attribute(
        "src", "/api/v1/channels/voices/preview?voice=echo"
    )
    # the preview is real audio the browser can play (synthesized through the gateway)
    await page.evaluate("document.querySelector('audio.voice-preview').load()")
    await page.wait_for_function(
        "() => document.querySelector('audio.voice-preview').duration > 1", timeout=60000
    )
    await shot(page, "03-channel-form-voice")
    await page.get_by_role("button", name="Create channel").click()
    await expect(page.get_by_role("heading", name="Deep Sky")).to_be_visible()
    channel_id = uuid.UUID(page.url.split("?")[0].rsplit("/", 1)[1])
    async with unit_of_work(live_db) as session:
        for status in (VideoStatus.queued, VideoStatus.running, VideoStatus.ready):
            session.add(Video(id=uuid.uuid4(), channel_id=channel_id, status=status))
    await page.get_by_role("link", name="Delete…").click()
    await expect(page.get_by_role("heading", name="Delete Deep Sky?")).to_be_visible()
    effects = page.get_by_test_id("delete-effects")
    await expect(effects).to_contain_text("The channel has 3 videos.")
    await expect(effects).to_contain_text("2 videos not finished yet")
    await expect(effects).to_contain_text("will be cancelled")
    await expect(effects).to_contain_text("1 video already finished or stopped stay as they are")
    await expect(effects).to_contain_text("media stays on disk")
    await shot(page, "04-channel-delete-confirm")
    await page.get_by_role("button", name="Delete channel").click()
    await expect(page.get_by_text("Channel deleted.")).to_be_visible()
    await expect(page.get_by_test_id("channel-usage")).to_have_text("0 of 5")
    await shot(page, "05-channel-deleted")
    async with live_db() as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None and channel.deleted_at is not None
        statuses = sorted(
            v.status.value
            for v in await session.scalars(select(Video).where(Video.channel_id == channel_id))
        )
    assert statuses == ["cancelled", "cancelled", "ready"]

    # the System page says why a model cannot run here
    await nav.get_by_role("link", name="System").click()
    await expect(
        page.get_by_text("no OpenAI API key configured (YTE_OPENAI_API_KEY)").first
    ).to_be_visible()
    await shot(page, "06-system-reasons")
    assert not [e for e in errors if "Content Security Policy" in e], errors

    # the member: no System or Users link, and System answers 403
    member = await browser.new_context(viewport={"width": 1280, "height": 900})
    crew = await member.new_page()
    await crew.goto(live_server.url + "/login")
    await crew.get_by_label("Email").fill("crew@example.com")
    await crew.get_by_label("Password").fill(PASSWORD)
    await crew.get_by_role("button", name="Sign in").click()
    await expect(crew.get_by_role("heading", name="Overview")).to_be_visible()
    crew_nav = crew.get_by_role("navigation", name="Main")
    await expect(crew_nav.get_by_role("link", name="System")).to_have_count(0)
    await expect(crew_nav.get_by_role("link", name="Users")).to_have_count(0)
    response = await crew.goto(live_server.url + "/system")
    assert response is not None and response.status == 403
    await shot(crew, "07-member-system-403")
    await member.close()
    await context.close()


async def test_docs_and_redoc_render_offline(live_server: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    outside: list[str] = []
    problems: list[str] = []

    def watch(request: object) -> None:
        url = getattr(request, "url", "")
        if not url.startswith(live_server.url) and not url.startswith(("data:", "blob:")):
            outside.append(url)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("request", watch)
    page.on("requestfailed", watch)
    page.on("console", console)
    await page.goto(live_server.url + "/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("YTEMPIRE")
    await expect(page.locator(".opblock-tag-section").first).to_be_visible()
    await expect(page.get_by_text("/api/v1/users/{user_id}").first).to_be_attached()
    await shot(page, "08-docs")
    await page.goto(live_server.url + "/redoc")
    await expect(page.get_by_role("heading", name="YTEMPIRE").first).to_be_visible(timeout=20000)
    await expect(page.get_by_text("/api/v1/users/{user_id}").first).to_be_attached()
    await shot(page, "09-redoc")
    assert outside == [], outside
    assert not [p for p in problems if "Content Security Policy" in p], problems
    await context.close()
