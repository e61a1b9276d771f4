"""GET /api/v1/analytics/export?format=csv over the seeded range (analytics_seed.py): per
channel per day and per video per day, unknown revenue an empty cell, formula-safe text,
only the caller's channels, auth and parameter errors, the streamed body's headers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.analytics.export import CHANNEL_HEADER, VIDEO_HEADER, number_cell, text_cell
from tests.backend.conftest import Api, login
from tests.backend.web.analytics_seed import (
    DAYS,
    END,
    FORMULA_TITLE,
    KNOWN_COST,
    KNOWN_REVENUE,
    KNOWN_VIEWS,
    START,
    UNKNOWN_DAY,
    Seeded,
    seed,
)
from tests.backend.web.conftest import Browser

URL = "/api/v1/analytics/export"
RANGE = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.fixture
async def seeded(
    owner_browser: Browser,
    other_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
) -> Seeded:
    return await seed(sessions, "owner@example.com", "other@example.com")


@pytest.fixture
async def owner(api: httpx.AsyncClient, seeded: Seeded) -> Api:
    return await login(api, "owner@example.com")


def parse(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_per_channel_per_day(owner: Api, seeded: Seeded) -> None:
    response = await owner.get(URL, params={"format": "csv", **RANGE})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="ytempire-channels-2026-03-01-2026-03-07.csv"'
    )
    assert "content-length" not in response.headers  # streamed
    assert response.text.splitlines()[0] == ",".join(CHANNEL_HEADER)
    rows = parse(response)
    known = [r for r in rows if r["channel_id"] == str(seeded.known)]
    unknown = [r for r in rows if r["channel_id"] == str(seeded.unknown)]
    assert len(rows) == len(known) + len(unknown) == 14  # nobody else's channel
    assert [r["day"] for r in known] == [d.isoformat() for d in DAYS]
    assert sum(int(r["views"]) for r in known) == KNOWN_VIEWS
    assert sum(Decimal(r["revenue_usd"]) for r in known if r["revenue_usd"]) == KNOWN_REVENUE
    assert sum(Decimal(r["cost_usd"]) for r in known) == KNOWN_COST
    day3 = known[UNKNOWN_DAY]
    assert day3["revenue_usd"] == "" and day3["profit_usd"] == "" and day3["rpm_usd"] == ""
    day0 = known[0]  # revenue 2.00, 1,000 views, cost 1.50 (Winner 0.50, Middling 1.00)
    assert (day0["revenue_usd"], day0["cost_usd"], day0["profit_usd"]) == ("2", "1.5", "0.5")
    assert day0["rpm_usd"] == "2.0" and day0["watch_time_minutes"] == "300.0"
    # unknown revenue is an empty cell, never 0; a channel name is never a formula
    assert {r["revenue_usd"] for r in unknown} == {""} and {r["profit_usd"] for r in unknown} == {
        ""
    }
    assert {r["channel_name"] for r in unknown} == {"'@No Money"}
    assert unknown[0]["cost_usd"] == "0.25" and unknown[1]["cost_usd"] == "0"


async def test_per_video_per_day(owner: Api, seeded: Seeded) -> None:
    response = await owner.get(URL, params={"format": "csv", "scope": "videos", **RANGE})
    assert response.headers["content-disposition"].endswith(
        'filename="ytempire-videos-2026-03-01-2026-03-07.csv"'
    )
    assert response.text.splitlines()[0] == ",".join(VIDEO_HEADER)
    rows = parse(response)
    by_video: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_video.setdefault(row["video_id"], []).append(row)
    assert set(by_video) == {str(v) for v in seeded.videos.values()}  # every one of ours
    assert str(seeded.other_video) not in by_video
    winner = by_video[str(seeded.videos["Winner"])]
    assert len(winner) == 7 and winner[UNKNOWN_DAY]["revenue_usd"] == ""
    assert winner[0]["cost_usd"] == "0.5" and winner[0]["profit_usd"] == "0.5"
    assert winner[1]["cost_usd"] == "0" and winner[1]["profit_usd"] == "1"
    # a day with a charge but no YouTube row: metrics empty, the cost, profit unknown
    fresh = by_video[str(seeded.videos["Fresh"])]
    assert [(r["day"], r["views"], r["cost_usd"], r["profit_usd"]) for r in fresh] == [
        (DAYS[5].isoformat(), "", "0.8", "")
    ]
    mystery = by_video[str(seeded.videos["Mystery"])]
    assert {r["revenue_usd"] for r in mystery} == {""} and mystery[0]["cost_usd"] == "0.25"
    formula = by_video[str(seeded.videos[FORMULA_TITLE])]
    assert {r["title"] for r in formula} == {"'" + FORMULA_TITLE}
    assert [r["day"] for r in formula] == [DAYS[5].isoformat(), DAYS[6].isoformat()]
    # videos in channel order, days in order within a video
    channels = [r["channel_id"] for r in rows]
    assert channels == sorted(channels, key=[str(seeded.known), str(seeded.unknown)].index)
    for days in by_video.values():
        assert [r["day"] for r in days] == sorted(r["day"] for r in days)


async def test_one_channel_and_the_cookie_of_the_page(
    owner_browser: Browser, seeded: Seeded
) -> None:
    """The page's download link works with the signed-in browser's session cookie."""
    response = await owner_browser.get(
        URL, params={"format": "csv", "channel": str(seeded.unknown), **RANGE}
    )
    rows = parse(response)
    assert {r["channel_id"] for r in rows} == {str(seeded.unknown)} and len(rows) == 7


async def test_errors(api: httpx.AsyncClient, owner: Api, seeded: Seeded) -> None:
    anonymous = await api.get(URL, params={"format": "csv"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert (await owner.get(URL, params={"channel": str(seeded.others)})).status_code == 404
    assert (await owner.get(URL, params={"channel": "nope"})).status_code == 404
    backwards = await owner.get(URL, params={"from": "2026-03-07", "to": "2026-03-01"})
    assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "invalid_range"
    too_long = await owner.get(URL, params={"from": "2024-01-01", "to": "2026-03-01"})
    assert too_long.status_code == 400
    for bad in ({"format": "xlsx"}, {"scope": "niches"}, {"from": "yesterday"}):
        response = await owner.get(URL, params=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_error"


async def test_an_owner_without_channels_gets_the_header_only(
    api: httpx.AsyncClient, owner: Api
) -> None:
    fresh = await api.post(
        "/api/v1/auth/register",
        json={"email": "empty@example.com", "password": "correct horse battery"},
        headers=owner.headers,
    )
    assert fresh.status_code == 201
    empty = await login(api, "empty@example.com")
    response = await empty.get(URL, params={"scope": "videos"})
    assert response.status_code == 200 and response.text == ",".join(VIDEO_HEADER) + "\r\n"


def test_cells() -> None:
    assert [text_cell(v) for v in ("=1+2", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "")] == [
        "'=1+2",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
        "",
    ]
    assert [number_cell(v) for v in (None, 0, -3, 1.5, Decimal("1.230000"), Decimal("-0.5"))] == [
        "",
        "0",
        "-3",
        "1.5",
        "1.23",
        "-0.5",
    ]


async def test_declared_in_openapi(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    operation = spec["paths"][URL]["get"]
    assert set(operation["responses"]) >= {"200", "400", "401", "404", "422"}
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    params = {p["name"]: p for p in operation["parameters"]}
    allowed = params["format"]["schema"]
    assert allowed.get("enum", [allowed.get("const")]) == ["csv"]
    assert set(params["scope"]["schema"].get("enum", [])) == {"channels", "videos"}
    assert set(params) == {"format", "scope", "from", "to", "channel"}
