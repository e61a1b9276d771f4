from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.backend.conftest import Api, login, register


async def test_create_read_update_delete(owner: Api) -> None:
    channel = await owner.create_channel(
        format="short",
        cadence_per_day=2,
        daily_budget_usd="3.5",
        monthly_budget_usd="60",
        voice_settings={"voice": "en-gb", "speed": 1.1},
        youtube_channel_id="UC" + "a" * 22,
    )
    assert channel["status"] == "active" and channel["format"] == "short"
    assert channel["daily_budget_usd"] == 3.5 and channel["voice_settings"]["voice"] == "en-gb"

    got = await owner.get(f"/api/v1/channels/{channel['id']}")
    assert got.status_code == 200 and got.json()["name"] == "Space Facts"

    patched = await owner.patch(
        f"/api/v1/channels/{channel['id']}", json={"status": "paused", "niche": "space history"}
    )
    assert patched.status_code == 200
    assert patched.json()["status"] == "paused" and patched.json()["pause_reason"] == "owner"

    listed = (await owner.get("/api/v1/channels")).json()
    assert listed["used"] == 1 and listed["limit"] == 5

    assert (await owner.delete(f"/api/v1/channels/{channel['id']}")).status_code == 204
    assert (await owner.get(f"/api/v1/channels/{channel['id']}")).status_code == 404
    assert (await owner.get("/api/v1/channels")).json()["used"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "niche": "x"},
        {"name": "   ", "niche": "cooking"},
        {"name": "A", "niche": "b", "format": "vertical"},
        {"name": "A", "niche": "b", "daily_budget_usd": -1},
        {"name": "A", "niche": "b", "daily_budget_usd": 50, "monthly_budget_usd": 10},
        {"name": "A", "niche": "b", "youtube_channel_id": "not-a-channel"},
        {"name": "A", "niche": "b", "voice_settings": {"speed": 9}},
        {"name": "A", "niche": "b", "owner_id": "someone-else"},
    ],
)
async def test_bad_input_is_rejected_and_nothing_is_created(owner: Api, body: dict) -> None:
    response = await owner.post("/api/v1/channels", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert (await owner.get("/api/v1/channels")).json()["used"] == 0


async def test_patch_cannot_break_budget_consistency(owner: Api) -> None:
    channel = await owner.create_channel(daily_budget_usd=5, monthly_budget_usd=100)
    response = await owner.patch(
        f"/api/v1/channels/{channel['id']}", json={"daily_budget_usd": 500}
    )
    assert response.status_code == 409
    unchanged = (await owner.get(f"/api/v1/channels/{channel['id']}")).json()
    assert unchanged["daily_budget_usd"] == 5


async def test_another_users_channel_is_404(owner: Api, other: Api) -> None:
    channel = await owner.create_channel()
    for call in (
        other.get(f"/api/v1/channels/{channel['id']}"),
        other.patch(f"/api/v1/channels/{channel['id']}", json={"name": "mine now"}),
        other.delete(f"/api/v1/channels/{channel['id']}"),
        other.post(f"/api/v1/channels/{channel['id']}/videos", json={}),
    ):
        response = await call
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "channel_not_found"
    assert (await owner.get(f"/api/v1/channels/{channel['id']}")).json()["name"] == "Space Facts"
    assert (await other.get("/api/v1/channels")).json()["items"] == []


async def test_malformed_id_is_404_not_500(owner: Api) -> None:
    assert (await owner.get("/api/v1/channels/not-a-uuid")).status_code == 404


async def test_sixth_channel_is_refused(owner: Api) -> None:
    for i in range(5):
        await owner.create_channel(name=f"Channel {i}")
    response = await owner.post("/api/v1/channels", json={"name": "Six", "niche": "x"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "channel_limit_reached"
    assert error["details"] == {"limit": 5, "used": 5}


async def test_concurrent_creates_at_the_limit_leave_exactly_the_limit(
    owner: Api, client: httpx.AsyncClient
) -> None:
    for i in range(3):
        await owner.create_channel(name=f"Existing {i}")
    responses = await asyncio.gather(
        *(
            owner.post("/api/v1/channels", json={"name": f"Racer {i}", "niche": "race"})
            for i in range(8)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 201] + [409] * 6, [r.text for r in responses]
    assert (await owner.get("/api/v1/channels")).json()["used"] == 5


async def test_limit_is_per_user_and_stored_per_user(owner: Api, client: httpx.AsyncClient) -> None:
    assert (await register(client, "small@example.com", owner, channel_limit=1)).status_code == 201
    small = await login(client, "small@example.com")
    await small.create_channel()
    response = await small.post("/api/v1/channels", json={"name": "Two", "niche": "x"})
    assert response.status_code == 409
    await owner.create_channel()  # the owner's own limit is untouched


async def test_a_channel_left_to_its_defaults_gets_the_one_set_of_defaults(owner: Api) -> None:
    from backend.models.channel import CHANNEL_DEFAULTS as D

    channel = await owner.create_channel()
    assert (channel["language"], channel["format"]) == (D.language, D.format.value)
    assert channel["cadence_per_day"] == D.cadence_per_day
    assert channel["daily_budget_usd"] == float(D.daily_budget_usd)
    assert channel["monthly_budget_usd"] == float(D.monthly_budget_usd)
    assert channel["quality_threshold"] == D.quality_threshold
    voice, style = channel["voice_settings"], channel["style_settings"]
    assert (voice["voice"], voice["speed"], voice["pitch"]) == (
        D.voice,
        D.voice_speed,
        D.voice_pitch,
    )
    assert (style["tone"], style["target_minutes"]) == (D.tone, D.target_minutes)


def test_the_new_channel_form_and_the_cli_offer_the_same_defaults_as_the_api() -> None:
    import inspect

    from backend.channels.schemas import ChannelCreate
    from backend.cli.channels import create
    from backend.web.forms import ChannelForm

    form = ChannelForm.blank()
    form.values.update(name="Space Facts", niche="astronomy")
    api = ChannelCreate(name="Space Facts", niche="astronomy")
    assert form.to_create() == api
    options = {
        n: p.default.default
        for n, p in inspect.signature(create).parameters.items()
        if hasattr(p.default, "default")
    }
    assert (options["fmt"], options["language"]) == (api.format.value, api.language)
    assert (options["per_day"], options["minutes"]) == (
        api.cadence_per_day,
        api.style_settings.target_minutes,
    )
    assert (options["daily_budget"], options["monthly_budget"]) == (
        api.daily_budget_usd,
        api.monthly_budget_usd,
    )
    assert options["voice"] == api.voice_settings.voice
