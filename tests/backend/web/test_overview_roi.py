"""The overview's channel ROI and the dashboard's 30-day revenue: unknown revenue stays
unknown (never 0) and the KPIs say for how many days (analytics_seed.seed_last_30_days)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.base import utcnow
from tests.backend.conftest import login
from tests.backend.web.analytics_seed import seed_last_30_days
from tests.backend.web.conftest import Browser


@pytest.fixture
async def channels(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> tuple[str, str]:
    earning, unmonetised = await seed_last_30_days(sessions, "owner@example.com", utcnow().date())
    return str(earning), str(unmonetised)


async def test_dashboard_metrics_keep_unknown_revenue_unknown(
    api: httpx.AsyncClient, channels: tuple[str, str]
) -> None:
    earning, unmonetised = channels
    owner = await login(api, "owner@example.com")
    data = (await owner.get("/api/v1/dashboard/metrics")).json()
    rows = {c["id"]: c for c in data["channels"]}
    assert rows[earning]["revenue_30d_usd"] == 9.0
    assert rows[earning]["cost_30d_usd"] == 2.0 and rows[earning]["profit_30d_usd"] == 7.0
    assert rows[earning]["roi_30d_pct"] == 350.0
    assert rows[earning]["revenue_unknown_days_30d"] == 1
    assert rows[unmonetised]["revenue_30d_usd"] is None  # was 0 before: unknown is not zero
    assert rows[unmonetised]["profit_30d_usd"] is None
    assert rows[unmonetised]["roi_30d_pct"] is None
    assert rows[unmonetised]["revenue_unknown_days_30d"] == 5
    totals = data["totals"]
    assert totals["revenue_30d_usd"] == 9.0 and totals["cost_30d_usd"] == 2.4
    assert totals["profit_30d_usd"] == pytest.approx(6.6)
    assert totals["roi_30d_pct"] == 275.0
    assert totals["revenue_unknown_days_30d"] == 5  # distinct days, not channel-days (6)


async def test_the_overview_shows_roi_per_channel_and_the_unknown_days(
    owner_browser: Browser, channels: tuple[str, str]
) -> None:
    earning, unmonetised = channels
    html = " ".join((await owner_browser.get("/")).text.split())

    def roi(channel: str) -> str:
        row = html[html.index(f'<tr data-channel-id="{channel}">') :]
        row = row[: row.index("</tr>")]
        match = re.search(r'data-field="roi_30d_pct"[^>]*>([^<]*)<', row)
        assert match, row
        return match.group(1)

    assert roi(earning) == "+350 %" and roi(unmonetised) == "—"
    assert 'title="Revenue unknown: YouTube gave no monetary analytics"' in html
    assert 'data-metric="totals.revenue_30d_usd" data-format="money">$9.00<' in html
    assert 'data-metric="totals.roi_30d_pct" data-format="roi" data-sign>+275 %<' in html
    note = html[html.index('class="revenue-unknown warn"') :][:300]
    assert "hidden" not in note.split(">")[0]
    assert "revenue unknown for <span" in note and ">5 days</span>" in note


async def test_an_owner_with_nothing_spent_has_no_roi(owner_browser: Browser) -> None:
    html = (await owner_browser.get("/")).text
    assert 'data-metric="totals.roi_30d_pct" data-format="roi" data-sign>—<' in html
    assert "nothing spent" in html
    note = html[html.index('class="revenue-unknown warn"') :][:200]
    assert " hidden>" in note.split("revenue unknown")[0]
