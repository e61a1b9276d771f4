"""The analytics page over a seeded range (tests/backend/web/analytics_seed.py): totals, RPM
and ROI per channel, charts, unknown revenue never added as 0, the videos by profit, and
range validation; the video page's analytics card and the video API's profit fields."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.web.formats import fmt_money, fmt_number
from tests.backend.conftest import login
from tests.backend.web.analytics_seed import (
    BOTTOM,
    END,
    FORMULA_TITLE,
    KNOWN_COST,
    KNOWN_REVENUE,
    KNOWN_RPM,
    KNOWN_VIEWS,
    PROFITS,
    START,
    TOP,
    UNKNOWN_COST,
    Seeded,
    seed,
)
from tests.backend.web.conftest import Browser

RANGE = f"from={START.isoformat()}&to={END.isoformat()}"


@pytest.fixture
async def seeded(
    owner_browser: Browser,
    other_browser: Browser,
    sessions: async_sessionmaker[AsyncSession],
) -> Seeded:
    return await seed(sessions, "owner@example.com", "other@example.com")


def flat(html: str) -> str:
    return " ".join(html.split())


def section(html: str, marker: str, end: str = "</table>") -> str:
    start = html.index(marker)
    return html[start : html.index(end, start)]


def video_order(table: str, seeded: Seeded) -> list[str]:
    names = {str(v): name for name, v in seeded.videos.items()}
    return [names[v] for v in re.findall(r'<tr data-video-id="([0-9a-f-]{36})"', table)]


def kpi(html: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1)


async def test_the_page_totals_each_channel_and_never_adds_unknown_revenue_as_zero(
    owner_browser: Browser, seeded: Seeded
) -> None:
    page = await owner_browser.get(f"/analytics?{RANGE}")
    assert page.status_code == 200, page.text
    html = flat(page.text)
    assert "(7 days)" in html
    known = section(html, f'<tr data-channel-id="{seeded.known}">', "</tr>")
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', known)
    profit = KNOWN_REVENUE - KNOWN_COST
    assert cells == [
        fmt_number(KNOWN_VIEWS),
        f"{(sum(300 + 10 * i for i in range(7))) / 60:.1f}",
        fmt_money(KNOWN_REVENUE),  # the 6 known days: day 3's unknown revenue is not 0
        fmt_money(KNOWN_RPM),
        fmt_money(KNOWN_COST),
        fmt_money(profit),
        f"{float(profit / KNOWN_COST * 100):+.0f} %",
    ]
    unknown = section(html, f'<tr data-channel-id="{seeded.unknown}">', "</tr>")
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', unknown)
    assert cells == [fmt_number(3500), "14.0", "—", "—", fmt_money(UNKNOWN_COST), "—", "—"]
    assert "@No Money: revenue unknown for 7 of 7 days" in html
    assert "Known Money: revenue unknown for 1 of 7 days" in html
    assert "Someone Else" not in html and "99,999" not in html

    # the range's figures: the known channel-days only; the cost of both channels
    assert kpi(html, "views") == fmt_number(KNOWN_VIEWS + 3500)
    assert kpi(html, "revenue") == fmt_money(KNOWN_REVENUE)
    assert kpi(html, "rpm") == fmt_money(KNOWN_RPM)
    assert kpi(html, "cost") == fmt_money(KNOWN_COST + UNKNOWN_COST)
    assert kpi(html, "profit") == fmt_money(KNOWN_REVENUE - KNOWN_COST - UNKNOWN_COST)
    assert "revenue unknown for 7 days" in html  # @No Money is unknown on every day

    # charts: both channels together, then money, views, watch time and RPM per channel
    charts = re.findall(r'<svg class="chart ([a-z-]+)"', html)
    # money: all channels and each; RPM: only the channel with a known revenue
    assert charts.count("line-chart") == 1 + 2 + 1 and charts.count("column-chart") == 1 + 2 * 2
    assert "No RPM: YouTube gave no revenue for these days." in html
    assert "diverging" in charts and "bar-list" in charts
    money = section(html, f'data-channel-id="{seeded.known}"> <div class="grid-2">', "</svg>")
    # the unknown day breaks the revenue and profit lines in two; cost is one line
    assert money.count('class="line series-0"') == 2 and money.count('class="line series-1"') == 1
    assert "2 points unknown (gaps in the lines)" in money


async def test_videos_are_ranked_by_profit_and_unknown_revenue_is_left_out(
    owner_browser: Browser, seeded: Seeded
) -> None:
    html = flat((await owner_browser.get(f"/analytics?{RANGE}")).text)
    top = section(html, '<table class="table top-videos">')
    bottom = section(html, '<table class="table bottom-videos">')
    unknown = section(html, '<table class="table unknown-videos">')
    assert video_order(top, seeded) == TOP
    assert video_order(bottom, seeded) == BOTTOM
    assert video_order(unknown, seeded) == ["Mystery"]
    for name in [*TOP, *BOTTOM]:
        row = section(html, f'<tr data-video-id="{seeded.videos[name]}">', "</tr>")
        assert f'href="/videos/{seeded.videos[name]}"' in row
        assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)[-1] == fmt_money(PROFITS[name])
    mystery = section(html, f'<tr data-video-id="{seeded.videos["Mystery"]}">', "</tr>")
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', mystery)[2:] == [
        "—",
        "—",
        fmt_money(UNKNOWN_COST),
        "—",
    ]
    assert "1 video had no known revenue in the range" in html
    assert "7 videos with views or cost in the range" in html
    assert "Not yours" not in html
    # the formula title is escaped text on the page
    assert "=HYPERLINK(&#34;http://evil.example/&#34;,&#34;click&#34;)" in html
    assert FORMULA_TITLE not in html
    # the winner's unknown day is flagged; the profit chart links each bar to its video
    winner = section(html, f'<tr data-video-id="{seeded.videos["Winner"]}">', "</tr>")
    assert "Revenue unknown for 1 of its days" in winner
    chart = section(html, '<svg class="chart diverging"', "</svg>")
    assert chart.count("<a href=") == 6 and 'class="dbar negative"' in chart


async def test_one_channel_and_csv_links(owner_browser: Browser, seeded: Seeded) -> None:
    page = await owner_browser.get(f"/analytics?{RANGE}&channel={seeded.known}")
    html = flat(page.text)
    assert page.status_code == 200
    assert f'<tr data-channel-id="{seeded.unknown}">' not in html
    assert "Mystery" not in html and "All channels · money" not in html
    assert (
        f'href="/api/v1/analytics/export?format=csv&amp;scope=videos&amp;from=2026-03-01'
        f'&amp;to=2026-03-07&amp;channel={seeded.known}"' in html
    )


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=2026-03-07&to=2026-03-01", 400, "&#39;from&#39; must not be after &#39;to&#39;"),
        ("from=2024-01-01&to=2026-03-01", 400, "a range covers at most 366 days"),
        ("from=not-a-date", 400, "From must be a date such as 2026-01-31."),
        ("from=2026-02-30", 400, "From must be a date"),
        ("channel=not-a-uuid", 404, "Not found"),
    ],
)
async def test_a_bad_range_is_a_400_page_not_a_500(
    owner_browser: Browser, seeded: Seeded, query: str, status: int, message: str
) -> None:
    page = await owner_browser.get(f"/analytics?{query}")
    assert page.status_code == status, page.text[:300]
    assert message in page.text


async def test_a_backwards_range_keeps_what_was_typed(
    owner_browser: Browser, seeded: Seeded
) -> None:
    page = await owner_browser.get("/analytics?from=2026-03-07&to=2026-03-01")
    assert page.status_code == 400
    assert 'id="from" name="from" type="date" value="2026-03-07"' in page.text
    assert 'aria-invalid="true"' in page.text and "Showing the last 30 days instead" in page.text


async def test_another_owners_channel_is_not_found(
    owner_browser: Browser, other_browser: Browser, seeded: Seeded
) -> None:
    assert (await owner_browser.get(f"/analytics?channel={seeded.others}")).status_code == 404
    assert (await other_browser.get(f"/analytics?channel={seeded.known}")).status_code == 404
    theirs = flat((await other_browser.get(f"/analytics?{RANGE}")).text)
    assert "Known Money" not in theirs and "Not yours" in theirs


async def test_an_owner_without_video_numbers(owner_browser: Browser, seeded: Seeded) -> None:
    page = await owner_browser.get("/analytics?from=2025-01-01&to=2025-01-31")
    assert page.status_code == 200
    assert "No video numbers in this range" in page.text


# -- the video page and the video API ---------------------------------------------------------
async def test_the_video_page_shows_profit_to_date_and_its_days(
    owner_browser: Browser, seeded: Seeded
) -> None:
    page = await owner_browser.get(f"/videos/{seeded.videos['Old hit']}")
    assert page.status_code == 200, page.text[:300]
    card = flat(section(page.text, 'id="analytics"', "</section>"))
    # to date: 7 reported days of 0.30, minus a 3.00 cost made before the range
    assert re.search(r'data-fact="revenue">\$2\.10<', card)
    assert re.search(r'data-fact="cost">\$3\.00<', card)
    assert re.search(r'data-fact="profit" class="danger">-\$0\.90<', card)
    assert card.count('<svg class="chart') == 2
    assert "Views per day since publish" in card and "Revenue per day since publish" in card
    assert "YouTube Analytics through Mar 07, 2026" in card

    unknown = flat((await owner_browser.get(f"/videos/{seeded.videos['Mystery']}")).text)
    card = section(unknown, 'id="analytics"', "</section>")
    assert 'data-fact="revenue">—<' in card and 'data-fact="profit" class="muted">—<' in card
    assert "Revenue unknown: YouTube gave no revenue for this video" in card

    fresh = (await owner_browser.get(f"/videos/{seeded.videos['Fresh']}")).text
    assert 'id="analytics"' not in fresh  # not on YouTube, no analytics day


async def test_the_video_api_has_revenue_and_profit_to_date(
    api: httpx.AsyncClient, seeded: Seeded
) -> None:
    owner = await login(api, "owner@example.com")
    expected = {
        "Winner": (6.0, 5.5),
        "Old hit": (2.1, -0.9),
        "Fresh": (0.0, -0.8),
        "Mystery": (None, None),
    }
    for name, (revenue, profit) in expected.items():
        body = (await owner.get(f"/api/v1/videos/{seeded.videos[name]}")).json()
        assert body["revenue_usd"] == (None if revenue is None else pytest.approx(revenue)), name
        assert body["profit_usd"] == (None if profit is None else pytest.approx(profit)), name
    other = await login(api, "other@example.com")
    response = await other.get(f"/api/v1/videos/{seeded.videos['Winner']}")
    assert response.status_code == 404
    assert (await owner.get(f"/api/v1/videos/{uuid.uuid4()}")).status_code == 404
