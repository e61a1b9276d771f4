"""The channel form's Shorts caption style (line | word_highlight) is a style setting."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Channel
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import CHANNEL_FORM, create_channel


async def test_caption_style_is_a_channel_setting(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel_id = await create_channel(owner_browser, caption_style="word_highlight")
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.style_settings["caption_style"] == "word_highlight"
    edit = await owner_browser.get(f"/channels/{channel_id}/edit")
    assert 'name="caption_style"' in edit.text
    assert 'value="word_highlight" selected' in edit.text
    response = await owner_browser.submit(
        f"/channels/{channel_id}/edit",
        {**CHANNEL_FORM, "caption_style": "line"},
        page=f"/channels/{channel_id}/edit",
    )
    assert response.status_code == 303, response.text
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.style_settings["caption_style"] == "line"
    bad = await owner_browser.submit(
        f"/channels/{channel_id}/edit",
        {**CHANNEL_FORM, "caption_style": "karaoke"},
        page=f"/channels/{channel_id}/edit",
    )
    assert bad.status_code == 400
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.style_settings["caption_style"] == "line"  # nothing lost
