"""Channel music on the dashboard: the mood and Shorts in the channel form, and the
channel's own tracks uploaded (type and size checked), listed and removed."""

from __future__ import annotations

import io
import uuid
import wave

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import Channel
from tests.backend.web.conftest import Browser
from tests.backend.web.test_pages import CHANNEL_FORM, create_channel


def _wav(seconds: float = 0.5) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * int(8000 * seconds))
    return out.getvalue()


async def _upload(browser: Browser, channel_id: str, name: str, data: bytes) -> int:
    page = f"/channels/{channel_id}"
    token = await browser.csrf(page)
    response = await browser.http.post(
        f"{page}/music", data={"csrf_token": token}, files={"track": (name, data, "audio/wav")}
    )
    return response.status_code


async def test_mood_and_shorts_are_channel_settings(
    owner_browser: Browser, sessions: async_sessionmaker[AsyncSession]
) -> None:
    channel_id = await create_channel(owner_browser, music_mood="dramatic", shorts="yes")
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.style_settings["music_mood"] == "dramatic"
        assert channel.style_settings["shorts"] is True
    edit = await owner_browser.get(f"/channels/{channel_id}/edit")
    assert 'name="music_mood"' in edit.text and 'value="dramatic" selected' in edit.text
    response = await owner_browser.submit(
        f"/channels/{channel_id}/edit",
        {**CHANNEL_FORM, "music_mood": "none", "shorts": "no"},
        page=f"/channels/{channel_id}/edit",
    )
    assert response.status_code == 303, response.text
    async with sessions() as session:
        channel = await session.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        assert channel.style_settings["music_mood"] == "none"
        assert channel.style_settings["shorts"] is False
    bad = await owner_browser.submit(
        f"/channels/{channel_id}/edit",
        {**CHANNEL_FORM, "music_mood": "jazzy"},
        page=f"/channels/{channel_id}/edit",
    )
    assert bad.status_code == 400 and "Music must be" in bad.text


async def test_tracks_are_uploaded_checked_listed_and_removed(
    owner_browser: Browser, other_browser: Browser
) -> None:
    channel_id = await create_channel(owner_browser)
    page = f"/channels/{channel_id}"
    before = await owner_browser.get(page)
    assert 'id="music"' in before.text and "built-in <strong>calm</strong> bed" in before.text

    assert await _upload(owner_browser, channel_id, "Theme.wav", _wav()) == 303
    listed = await owner_browser.get(page)
    assert "Theme.wav" in listed.text and "own tracks" in listed.text

    # a text file named .mp3 and a non-audio type are refused, nothing is stored
    assert await _upload(owner_browser, channel_id, "fake.mp3", b"not audio at all") == 400
    assert await _upload(owner_browser, channel_id, "notes.txt", b"hello") == 400
    listed = await owner_browser.get(page)
    assert "fake.mp3" not in listed.text and "notes.txt" not in listed.text

    # another user can neither add to nor remove from this channel
    assert await _upload(other_browser, channel_id, "x.wav", _wav()) == 404

    token = await owner_browser.csrf(page)
    removed = await owner_browser.http.post(
        f"{page}/music/delete", data={"csrf_token": token, "name": "Theme.wav"}
    )
    assert removed.status_code == 303
    assert "Theme.wav" not in (await owner_browser.get(page)).text
