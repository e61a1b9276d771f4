"""The autopilot's channel settings through the channels API, and the schedule endpoint."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from backend.autopilot.service import tick
from backend.pipeline.dispatch import PipelineDispatcher
from tests.backend.conftest import Api


async def test_channel_autopilot_settings_round_trip_and_bad_values_are_422(owner: Api) -> None:
    created = await owner.create_channel()
    assert (created["autopilot"], created["autopilot_buffer_days"], created["timezone"]) == (
        False,
        2,
        "UTC",
    )
    cid = created["id"]
    patched = await owner.patch(
        f"/api/v1/channels/{cid}",
        json={"autopilot": True, "autopilot_buffer_days": 3, "timezone": "America/Chicago"},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["autopilot"], patched.json()["timezone"]) == (True, "America/Chicago")
    for body in (
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": None},
        {"autopilot": None},
        {"autopilot_buffer_days": 0},
        {"autopilot_buffer_days": 15},
    ):
        bad = await owner.patch(f"/api/v1/channels/{cid}", json=body)
        assert bad.status_code == 422, (body, bad.text)
    refused = await owner.post(
        "/api/v1/channels", json={"name": "X", "niche": "y", "timezone": "Nowhere/City"}
    )
    assert refused.status_code == 422
    assert "IANA timezone" in refused.text


async def test_the_schedule_lists_slots_with_their_videos_and_the_last_tick(
    app: FastAPI, owner: Api, other: Api
) -> None:
    created = await owner.create_channel(
        autopilot=True, cadence_per_day=2, timezone="Europe/Berlin", daily_budget_usd=50
    )
    url = f"/api/v1/channels/{created['id']}/schedule"
    empty = (await owner.get(url)).json()
    assert empty["autopilot"] is True and empty["last_tick"] is None
    assert empty["timezone"] == "Europe/Berlin" and empty["buffer_days"] == 2
    assert {s["status"] for s in empty["slots"]} <= {"open", "too_soon"}
    assert len(empty["slots"]) in (3, 4, 5)

    settings = app.state.settings
    await tick(
        app.state.sessionmaker,
        app.state.redis.sync,
        settings,
        PipelineDispatcher(app.state.redis.sync),
    )
    after = (await owner.get(url)).json()
    made = [s for s in after["slots"] if s["video_id"]]
    assert made and all(s["status"] == "queued" for s in made)
    assert all(s["local_at"].endswith(("+01:00", "+02:00")) for s in after["slots"])
    assert after["last_tick"]["made"] == len(made)
    assert after["last_tick"]["skip_code"] in (None, "quota", "spend_cap")

    assert (await other.get(url)).status_code == 404
    missing = await owner.get(f"/api/v1/channels/{uuid.uuid4()}/schedule")
    assert missing.status_code == 404
    assert (await owner.get("/api/v1/channels/not-a-uuid/schedule")).status_code == 404
