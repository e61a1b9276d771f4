"""HTTP-level tests of the pages: login, CSRF, ownership, headers, forms and empty states."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.auth import service as auth_service
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.models import Channel, RefreshToken, User, Video
from backend.security.tokens import create_access_token
from backend.settings import Settings
from backend.web.middleware import codec_for
from backend.web.session import SESSION_COOKIE, WebSession
from tests.backend.web.conftest import Browser
from tests.backend.web.helpers import CHANNEL_FORM, add_niche, finish_video

PAGES = ("/", "/channels", "/queue", "/niches", "/analytics", "/system")


async def create_channel(browser: Browser, **fields: str) -> str:
    response = await browser.submit("/channels", {**CHANNEL_FORM, **fields}, page="/channels")
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


async def queue_video(browser: Browser, channel_id: str, topic: str = "black holes") -> str:
    page = f"/channels/{channel_id}"
    response = await browser.submit(f"{page}/videos", {"topic": topic}, page=page)
    assert response.status_code == 303, response.text
    queue = await browser.get("/queue")
    match = re.search(r'data-video-id="([0-9a-f-]{36})"', queue.text)
    assert match
    return match.group(1)


async def test_pages_redirect_to_login_without_a_session(api: httpx.AsyncClient) -> None:
    for path in (*PAGES, f"/videos/{uuid.uuid4()}"):
        response = await api.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
    response = await api.get("/channels?x=1")
    assert response.headers["location"] == "/login?next=/channels%3Fx%3D1"


async def test_login_sets_a_secure_session_cookie_and_every_page_renders(
    api: httpx.AsyncClient, web_app: FastAPI
) -> None:
    assert (
        await api.post(
            "/api/v1/auth/register",
            json={"email": "owner@example.com", "password": "correct horse battery"},
        )
    ).status_code == 201
    browser = Browser(api)
    response = await browser.login("owner@example.com")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("yte_session"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    for path in PAGES:
        page = await browser.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert "owner@example.com" in page.text


async def test_login_goes_back_to_the_page_asked_for_but_never_off_site(
    owner_browser: Browser, api: httpx.AsyncClient
) -> None:
    browser = Browser(api)
    for target, expected in (
        ("/queue?status=failed", "/queue?status=failed"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ):
        token = await browser.csrf("/login")
        response = await api.post(
            "/login",
            data={
                "email": "owner@example.com",
                "password": "correct horse battery",
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.headers["location"] == expected
        api.cookies.clear()


async def test_wrong_password_shows_an_error_and_sets_no_session(
    owner_browser: Browser, api: httpx.AsyncClient
) -> None:
    browser = Browser(api)
    response = await browser.login("owner@example.com", "wrong password!")
    assert response.status_code == 401
    assert "do not match an active account" in response.text
    assert 'value="owner@example.com"' in response.text  # the email is kept
    assert SESSION_COOKIE not in api.cookies


async def test_login_and_forms_without_a_valid_csrf_token_are_refused(
    owner_browser: Browser, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await api.post(
        "/login", data={"email": "owner@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 403
    assert "form has expired" in response.text
    for token in (None, "0" * 64):
        data = dict(CHANNEL_FORM) | ({"csrf_token": token} if token else {})
        response = await owner_browser.http.post("/channels", data=data)
        assert response.status_code == 403
    # a token from another browser (another CSRF cookie) does not fit this one
    other_token = await Browser(api).csrf("/login")
    data = {**CHANNEL_FORM, "csrf_token": other_token}
    assert (await owner_browser.http.post("/channels", data=data)).status_code == 403
    async with sessions() as session:
        assert (await session.scalars(select(Channel))).first() is None


async def test_pages_send_security_headers_and_no_inline_script(owner_browser: Browser) -> None:
    for path in (*PAGES, "/login"):
        response = await owner_browser.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        if response.status_code == 200:
            assert response.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path
        assert not re.search(r"\son[a-z]+=", response.text), path
        assert not re.search(r'\sstyle="', response.text), path


async def test_logout_revokes_the_session(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    stolen = owner_browser.http.cookies[SESSION_COOKIE]
    response = await owner_browser.submit("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?signed_out=1"
    assert SESSION_COOKIE not in owner_browser.http.cookies
    # replaying the old cookie no longer works: the access token is denied
    owner_browser.http.cookies.set(SESSION_COOKIE, stolen)
    response = await owner_browser.get("/")
    assert response.status_code == 303
    async with sessions() as session:
        tokens = list(await session.scalars(select(RefreshToken)))
    assert tokens and all(t.revoked_at is not None for t in tokens)


async def test_an_expired_access_token_is_renewed_once_for_parallel_requests(
    owner_browser: Browser,
    web_app: FastAPI,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    codec = codec_for(web_app)
    current = codec.decode(owner_browser.http.cookies[SESSION_COOKIE])
    assert current is not None
    async with sessions() as session:
        user = (await session.scalars(select(User))).one()
    expired, _ = create_access_token(
        user.id,
        user.role.value,
        settings.resolved_secret_key(),
        1,
        now=utcnow().replace(microsecond=0) - timedelta(minutes=5),
    )
    owner_browser.http.cookies.set(
        SESSION_COOKIE, codec.encode(WebSession(expired, current.refresh_token))
    )
    responses = await asyncio.gather(*(owner_browser.get(p) for p in ("/", "/queue", "/channels")))
    assert [r.status_code for r in responses] == [200, 200, 200]
    renewed = {
        codec.decode(c.split(";")[0].split("=", 1)[1])
        for r in responses
        for c in r.headers.get_list("set-cookie")
        if c.startswith(SESSION_COOKIE)
    }
    assert len(renewed) == 1  # one rotation, shared by all three requests
    async with sessions() as session:
        tokens = list(await session.scalars(select(RefreshToken)))
    assert not any(t.revoked_at for t in tokens)  # no reuse was detected


async def test_another_users_pages_media_and_actions_are_not_found(
    owner_browser: Browser,
    other_browser: Browser,
    web_app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    channel_id = await create_channel(owner_browser)
    video_id = await queue_video(owner_browser, channel_id)
    async with unit_of_work(sessions) as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None
        await finish_video(session, video, settings.media_dir)
    assert (await owner_browser.get(f"/api/v1/videos/{video_id}/media/video")).status_code == 200
    for path in (
        f"/channels/{channel_id}",
        f"/channels/{channel_id}/edit",
        f"/videos/{video_id}",
        f"/api/v1/videos/{video_id}/media/video",
        f"/api/v1/videos/{video_id}/media/thumbnail",
    ):
        response = await other_browser.get(path)
        assert response.status_code == 404, path
    for path in (
        f"/videos/{video_id}/cancel",
        f"/channels/{channel_id}/pause",
        f"/channels/{channel_id}/videos",
    ):
        assert (await other_browser.submit(path)).status_code == 404, path
    queue = await other_browser.get("/queue")
    assert video_id not in queue.text and "The queue is empty" in queue.text
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None and channel.status.value == "active"


async def test_the_api_accepts_the_cookie_only_for_reads(owner_browser: Browser) -> None:
    response = await owner_browser.get("/api/v1/dashboard/metrics")
    assert response.status_code == 200
    assert response.json()["totals"]["queue_depth"] == 0
    response = await owner_browser.http.post(
        "/api/v1/channels", json={"name": "Sneaky", "niche": "csrf"}
    )
    assert response.status_code == 401


async def test_channel_limit_is_shown_and_enforced(
    api: httpx.AsyncClient, web_app: FastAPI
) -> None:
    from tests.backend.conftest import login, register

    assert (await register(api, "admin@example.com")).status_code == 201
    admin = await login(api, "admin@example.com")
    assert (await register(api, "small@example.com", admin, channel_limit=2)).status_code == 201
    browser = Browser(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=web_app), base_url="http://test")
    )
    async with browser.http:
        await browser.login("small@example.com")
        await create_channel(browser, name="One")
        page = await browser.get("/channels")
        assert "1 of 2" in page.text and "1 of 2 channel slots left" in page.text
        await create_channel(browser, name="Two")
        page = await browser.get("/channels")
        assert "2 of 2" in page.text and "Channel limit reached" in page.text
        response = await browser.submit(
            "/channels", {**CHANNEL_FORM, "name": "Three"}, page="/channels"
        )
        assert response.status_code == 409
        assert "Channel limit reached" in response.text and "2 of 2 channels" in response.text


async def test_channel_form_errors_are_shown_next_to_their_fields(owner_browser: Browser) -> None:
    form = {**CHANNEL_FORM, "name": "", "daily_budget_usd": "abc", "quality_threshold": "3"}
    response = await owner_browser.submit("/channels", form, page="/channels")
    assert response.status_code == 400
    assert "Check the highlighted fields" in response.text
    errors = dict(re.findall(r'<p class="field-error" id="e-([a-z_]+)">([^<]+)</p>', response.text))
    assert set(errors) == {"name", "daily_budget_usd", "quality_threshold"}
    assert 'value="astronomy"' in response.text  # what was typed is kept
    form = {**CHANNEL_FORM, "daily_budget_usd": "50", "monthly_budget_usd": "10"}
    response = await owner_browser.submit("/channels", form, page="/channels")
    assert response.status_code == 400
    assert "The daily budget cannot exceed the monthly budget" in response.text


async def test_edit_pause_and_resume_a_channel(owner_browser: Browser) -> None:
    channel_id = await create_channel(owner_browser)
    page = f"/channels/{channel_id}"
    response = await owner_browser.submit(
        f"{page}/edit", {**CHANNEL_FORM, "name": "Deep Space", "cadence_per_day": "2"}, page=page
    )
    assert response.status_code == 303
    detail = await owner_browser.get(response.headers["location"])
    assert "Deep Space" in detail.text and "Channel settings saved" in detail.text
    await owner_browser.submit(f"{page}/pause", page=page)
    detail = await owner_browser.get(page)
    assert "Paused: owner" in detail.text and "/resume" in detail.text
    response = await owner_browser.submit(f"{page}/videos", {"topic": "comets"}, page=page)
    assert response.status_code == 409
    assert "Channel is paused" in response.text
    await owner_browser.submit(f"{page}/resume", page=page)
    assert "/pause" in (await owner_browser.get(page)).text


async def test_queue_retry_and_cancel(owner_browser: Browser) -> None:
    channel_id = await create_channel(owner_browser)
    response = await owner_browser.submit(
        f"/channels/{channel_id}/videos", {"topic": "ab"}, page=f"/channels/{channel_id}"
    )
    assert response.status_code == 400 and "at least 3 characters" in response.text
    video_id = await queue_video(owner_browser, channel_id)
    queue = await owner_browser.get("/queue")
    assert "black holes" in queue.text and f"/videos/{video_id}/cancel" in queue.text
    response = await owner_browser.submit(
        f"/videos/{video_id}/cancel", {"back": "/queue"}, page="/queue"
    )
    assert response.headers["location"] == "/queue?notice=video_cancelled"
    cancelled = await owner_browser.get("/queue?status=cancelled")
    assert video_id in cancelled.text and "Video cancelled" not in cancelled.text
    response = await owner_browser.submit(f"/videos/{video_id}/retry", page="/queue")
    assert response.status_code == 303  # a cancelled video can be made again
    assert (await owner_browser.get("/queue?status=queued")).text.count(video_id) >= 1


async def test_empty_states_say_what_to_do_next(owner_browser: Browser) -> None:
    expected = {
        "/": "Connect your first channel",
        "/channels": "No channels yet",
        "/queue": "The queue is empty",
        "/niches": "No niches discovered yet",
        "/analytics": "No channels to analyse",
        "/system": "Nothing has happened yet",
        "/queue?status=failed": "Nothing failed",
    }
    for path, text in expected.items():
        assert text in (await owner_browser.get(path)).text, path


async def test_video_page_shows_script_quality_costs_player_and_downloads(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    channel_id = await create_channel(owner_browser)
    video_id = await queue_video(owner_browser, channel_id)
    page = await owner_browser.get(f"/videos/{video_id}")
    assert "Not rendered yet" in page.text and "No script yet" in page.text
    async with unit_of_work(sessions) as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None
        await finish_video(session, video, settings.media_dir)
    page = await owner_browser.get(f"/videos/{video_id}")
    text = page.text
    assert "Why black holes glow" in text and "Quasars outshine whole galaxies" in text
    assert "0.86" in text and "no banned terms" in text
    assert f'src="/api/v1/videos/{video_id}/media/video" type="video/mp4"' in text
    assert f'src="/api/v1/videos/{video_id}/media/thumbnail"' in text
    for name in ("subtitles", "thumbnail", "video"):
        assert f'href="/api/v1/videos/{video_id}/media/{name}" download' in text
    assert 'aria-label="Cost by stage"' in text and "$0.0064" in text
    media = await owner_browser.get(
        f"/api/v1/videos/{video_id}/media/video", headers={"Range": "bytes=0-99"}
    )
    assert media.status_code == 206 and media.headers["content-type"] == "video/mp4"


async def test_niches_explorer_shows_scores_forecast_and_toggles_the_watchlist(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with unit_of_work(sessions) as session:
        niche = await add_niche(session)
    page = await owner_browser.get("/niches")
    assert "Space exploration" in page.text and "79" in page.text
    assert 'aria-label="Score breakdown of Space exploration"' in page.text
    assert 'class="band"' in page.text and "james webb telescope" in page.text
    response = await owner_browser.submit(
        f"/niches/{niche.id}/watch", {"action": "watch", "threshold": "70"}, page="/niches"
    )
    assert response.status_code == 303
    page = await owner_browser.get(response.headers["location"])
    assert "On your watchlist; alert at score 70" in page.text
    await owner_browser.submit(f"/niches/{niche.id}/watch", {"action": "unwatch"}, page="/niches")
    assert "Remove from watchlist" not in (await owner_browser.get("/niches")).text
    assert (await owner_browser.get(f"/niches?niche={uuid.uuid4()}")).status_code == 404


async def test_analytics_range_chooser(owner_browser: Browser) -> None:
    await create_channel(owner_browser)
    page = await owner_browser.get("/analytics?from=2026-01-01&to=2026-01-07")
    assert "(7 days)" in page.text and "Views per day" in page.text
    page = await owner_browser.get("/analytics?from=2026-02-01&to=2026-01-01")
    assert "must not be after" in page.text
    page = await owner_browser.get("/analytics?from=not-a-date")
    assert page.status_code == 400 and "Check these values" in page.text


async def test_login_throttle_is_shown_on_the_form(
    owner_browser: Browser, api: httpx.AsyncClient, settings: Settings
) -> None:
    browser = Browser(api)
    for _ in range(settings.login_max_failures):
        await browser.login("owner@example.com", "wrong password!")
    response = await browser.login("owner@example.com")
    assert response.status_code == 429 and "Too many failed attempts" in response.text


async def test_issue_tokens_reused_by_pages(
    web_app: FastAPI, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A session cookie made from the API's own token pair signs a browser in."""
    async with unit_of_work(sessions) as session:
        user = await auth_service.create_user(
            session, settings, email="cli@example.com", password="correct horse battery"
        )
        pair = await auth_service.issue_tokens(session, settings, user)
    cookie = codec_for(web_app).encode(WebSession(pair.access_token, pair.refresh_token))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web_app),
        base_url="http://test",
        cookies={SESSION_COOKIE: cookie},
    ) as http:
        assert (await http.get("/")).status_code == 200
        assert (await http.get("/", cookies={SESSION_COOKIE: "garbage"})).status_code == 303


PYDANTIC_WORDS = re.compile(
    r"String should|Input should|should match pattern|\^\[|value_error|Value error|"
    r"greater_than|less_than|Field required|valid number, unable",
)


def field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="e-([a-z_]+)">([^<]+)</p>', html))


async def test_channel_form_errors_speak_plain_words(owner_browser: Browser) -> None:
    cases = {
        "language": ("english!", "Language must be a 2- or 3-letter code such as en or pt"),
        "cadence_per_day": ("0", "Videos per day must be more than 0"),
        "daily_budget_usd": ("lots", "Daily budget must be a number, such as 1 or 2.5"),
        "monthly_budget_usd": ("-5", "Monthly budget must be 0 or more"),
        "quality_threshold": ("1.5", "Quality threshold must be 1 or less"),
        "target_minutes": ("90", "Target length must be 60 or less"),
        "name": ("x" * 101, "Name can have at most 100 characters"),
        "niche": ("   ", "Niche is required"),
        "format": ("square", "Format must be long or short"),
        "tone": ("t" * 65, "Tone can have at most 64 characters"),
        "voice": ("v" * 65, "Voice can have at most 64 characters"),
    }
    for name, (value, message) in cases.items():
        response = await owner_browser.submit(
            "/channels", {**CHANNEL_FORM, name: value}, page="/channels"
        )
        assert response.status_code == 400, name
        errors = field_errors(response.text)
        assert errors.get(name, "").startswith(message), (name, errors)
        assert not PYDANTIC_WORDS.search(response.text), (name, errors)
    # the edit form says the same
    channel_id = await create_channel(owner_browser)
    page = f"/channels/{channel_id}"
    response = await owner_browser.submit(
        f"{page}/edit", {**CHANNEL_FORM, "language": "EN_us"}, page=page
    )
    assert response.status_code == 400
    assert field_errors(response.text)["language"].startswith("Language must be a 2- or 3-letter")
    assert not PYDANTIC_WORDS.search(response.text)


async def test_the_other_forms_speak_plain_words(
    owner_browser: Browser, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel_id = await create_channel(owner_browser)
    page = f"/channels/{channel_id}"
    response = await owner_browser.submit(f"{page}/videos", {"topic": "ab"}, page=page)
    assert response.status_code == 400
    assert "Topic must have at least 3 characters, or leave it empty" in response.text
    response = await owner_browser.submit(f"{page}/videos", {"topic": "t" * 301}, page=page)
    assert response.status_code == 400
    assert "Topic can have at most 300 characters." in response.text
    assert not PYDANTIC_WORDS.search(response.text)

    page_ = await owner_browser.get("/analytics?from=not-a-date")
    assert page_.status_code == 400
    assert "From must be a date such as 2026-01-31." in page_.text
    assert not PYDANTIC_WORDS.search(page_.text)
    page_ = await owner_browser.get("/queue?status=lost")
    assert page_.status_code == 400 and "Status must be queued, running" in page_.text
    assert not PYDANTIC_WORDS.search(page_.text)

    async with unit_of_work(sessions) as session:
        niche = await add_niche(session)
    for bad in ("lots", "150", "-1"):
        response = await owner_browser.submit(
            f"/niches/{niche.id}/watch", {"action": "watch", "threshold": bad}, page="/niches"
        )
        assert response.status_code == 400, bad
        assert "The alert threshold must be a number from 0 to 100, such as 70." in response.text
        assert f'value="{bad}"' in response.text
    assert "Remove from watchlist" not in (await owner_browser.get("/niches")).text

    token = await Browser(api).csrf("/login")  # signed out
    response = await api.post(
        "/login", data={"email": "e" * 400, "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Email can have at most 320 characters." in response.text
    assert not PYDANTIC_WORDS.search(response.text)


async def test_money_is_formatted_by_one_rule_on_every_page(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    from pathlib import Path

    from backend.web.formats import fmt_money

    assert [fmt_money(v) for v in (0, 0.75, 12.3, 1234.5, 0.0064, 0.00004, -0.0021, -3.1)] == [
        "$0.00",
        "$0.75",
        "$12.30",
        "$1,234.50",
        "$0.0064",
        "<$0.0001",
        "-$0.0021",
        "-$3.10",
    ]
    # no template formats money itself: every amount goes through the money filter
    templates = Path(__file__).resolve().parents[3] / "frontend" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"\$\{\{|\$\s*\{\{|usd\s*\)?\s*\|\s*round|usd\|format", text), template
        assert not re.search(r"\"[^\"]*%\.\d+f[^\"]*\"\|format\([^)]*usd", text), template
    channel_id = await create_channel(
        owner_browser, daily_budget_usd="2.5", monthly_budget_usd="75"
    )
    video_id = await queue_video(owner_browser, channel_id)
    async with unit_of_work(sessions) as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None
        await finish_video(session, video, settings.media_dir, with_media=False)
    money = re.compile(r"-?<?\$[0-9][0-9,]*(?:\.[0-9]+)?")
    seen: set[str] = set()
    for path in (*PAGES, f"/channels/{channel_id}", f"/videos/{video_id}"):
        text = (await owner_browser.get(path)).text
        for amount in money.findall(text):
            seen.add(amount)
            digits = amount.split("$", 1)[1].replace(",", "")
            whole, _, cents = digits.partition(".")
            assert cents, (path, amount)
            assert len(cents) == 2 or (whole == "0" and len(cents) <= 4 and cents[:2] == "00"), (
                path,
                amount,
            )
            assert not (len(cents) > 2 and cents.endswith("0")), (path, amount)
    assert {"$2.50", "$75.00", "$0.0064", "$0.0021"} <= seen, seen


async def test_unknown_urls_are_a_page_for_browsers_and_json_for_the_api(
    owner_browser: Browser, api: httpx.AsyncClient
) -> None:
    html = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = await owner_browser.get("/no/such/page", headers=html)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text and 'class="mainnav"' in response.text
    assert 'href="/queue"' in response.text  # the navigation, signed in
    assert "content-security-policy" in response.headers
    # signed out: still a page, with the way in
    response = await api.get("/no/such/page", headers=html)
    assert response.status_code == 404 and 'href="/login"' in response.text
    # the API, and clients that do not ask for HTML, keep the JSON error shape
    for client, path, headers in (
        (owner_browser.http, "/api/v1/no-such-thing", html),
        (api, "/api/v1/no-such-thing", {}),
        (api, "/no/such/page", {"accept": "application/json"}),
        (api, "/no/such/page", {}),
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json"), (path, headers)
        assert response.json()["error"]["code"] == "not_found"
    # a page route's own 404 (someone else's video) also has the navigation
    response = await owner_browser.get(f"/videos/{uuid.uuid4()}", headers=html)
    assert response.status_code == 404 and 'class="mainnav"' in response.text
