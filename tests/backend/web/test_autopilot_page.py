"""The channel page's autopilot schedule: slots in the channel's timezone, their videos and
the last tick's reason when it stopped short."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import FastAPI

from backend.autopilot.service import tick
from backend.db.session import unit_of_work
from backend.models import Channel
from backend.pipeline.dispatch import PipelineDispatcher
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import create_channel


async def test_the_channel_page_shows_the_schedule_and_why_the_tick_stopped(
    owner_browser: Browser, web_app: FastAPI
) -> None:
    channel_id = await create_channel(owner_browser)
    page = await owner_browser.get(f"/channels/{channel_id}")
    assert "Autopilot schedule" in page.text and "Turn the autopilot on" in page.text
    assert "times in UTC" in page.text

    sessions = web_app.state.sessionmaker
    async with unit_of_work(sessions) as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        channel.autopilot = True
        channel.cadence_per_day = 3.0
        channel.timezone = "America/New_York"
        channel.daily_budget_usd = Decimal("1.00")  # two videos at the default 0.50 forecast
    connection = web_app.state.redis.sync
    await tick(sessions, connection, web_app.state.settings, PipelineDispatcher(connection))

    page = await owner_browser.get(f"/channels/{channel_id}")
    text = page.text
    assert "times in America/New_York" in text
    assert text.count('href="/videos/') >= 2 and "topic not chosen yet" in text
    assert "Stopped: One more video" in text and "does not fit today" in text
    assert "open</span>" in text  # slots the budget left for another day
