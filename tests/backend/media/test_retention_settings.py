"""The channel's media retention where the owner sets it: the API, the channel page's
Publishing card and ``ytempire channel update``; bad values are refused with the reason."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from backend.cli.main import app as cli_app
from backend.models import Channel
from backend.settings import Settings, use_settings
from tests.backend.conftest import Api
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import create_channel

POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@POSTGRES
async def test_the_api_sets_and_clears_retention(owner: Api) -> None:
    channel = await owner.create_channel(media_retention_days=30)
    assert channel["media_retention_days"] == 30 and channel["prune_mp4"] is False
    url = f"/api/v1/channels/{channel['id']}"
    updated = await owner.patch(url, json={"media_retention_days": 7, "prune_mp4": True})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["media_retention_days"], updated.json()["prune_mp4"]) == (7, True)
    cleared = await owner.patch(url, json={"media_retention_days": None})
    assert cleared.json()["media_retention_days"] is None and cleared.json()["prune_mp4"]
    for bad in ({"media_retention_days": 0}, {"prune_mp4": None}):
        assert (await owner.patch(url, json=bad)).status_code == 422


FORM = {
    "made_for_kids": "no",
    "privacy": "private",
    "autopilot_buffer_days": "3",
    "timezone": "UTC",
}


@POSTGRES
async def test_the_publishing_card_edits_retention(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel_id = await create_channel(owner_browser)
    page = f"/channels/{channel_id}"
    assert 'name="media_retention_days"' in (await owner_browser.get(page)).text
    saved = await owner_browser.submit(
        f"{page}/publishing", {**FORM, "media_retention_days": "14", "prune_mp4": "on"}, page=page
    )
    assert saved.status_code == 303, saved.text
    async with sessions() as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None and (channel.media_retention_days, channel.prune_mp4) == (
            14,
            True,
        )
    shown = await owner_browser.get(page)
    assert 'value="14"' in shown.text
    bad = await owner_browser.submit(
        f"{page}/publishing", {**FORM, "media_retention_days": "two weeks"}, page=page
    )
    assert bad.status_code == 400
    assert "Keep media for a whole number of days, 1 to 3650, or leave it empty" in bad.text
    kept = await owner_browser.submit(
        f"{page}/publishing", {**FORM, "media_retention_days": ""}, page=page
    )
    assert kept.status_code == 303
    async with sessions() as session:
        channel = await session.get(Channel, channel_id, populate_existing=True)
        assert channel is not None and channel.media_retention_days is None
        assert channel.prune_mp4 is False  # the unchecked box


@POSTGRES
async def test_channel_update_sets_retention(
    settings: Settings, owner: Api, db: async_sessionmaker[AsyncSession]
) -> None:
    channel = await owner.create_channel()
    use_settings(settings)

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli_app, list(args), catch_exceptions=False, env={"COLUMNS": "200"}
        )
        return result.exit_code, result.output

    try:
        code, _ = await asyncio.to_thread(
            cli, "channel", "update", channel["id"], "--media-retention-days", "21", "--prune-mp4"
        )
        assert code == 0
        code, shown = await asyncio.to_thread(cli, "channel", "show", channel["id"])
        assert "intermediates pruned 21 days after publishing (MP4 pruned too)" in shown
        code, _ = await asyncio.to_thread(
            cli, "channel", "update", channel["id"], "--media-retention-days", "0"
        )
        code, shown = await asyncio.to_thread(cli, "channel", "show", channel["id"])
        assert "keep everything" in shown
        code, out = await asyncio.to_thread(
            cli, "channel", "update", channel["id"], "--media-retention-days", "-3"
        )
        assert code == 1 and "error:" in out
    finally:
        use_settings(None)
