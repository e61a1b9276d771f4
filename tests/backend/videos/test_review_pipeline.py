"""An approved, edited script is the one the pipeline produces: the real voice stage runs
in-process (espeak through the embedded AI gateway) on what the owner wrote."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.models import CostEvent, StageStatus, VideoStage, VideoStatus
from backend.pipeline.tasks import _run_stage
from backend.settings import Settings, use_settings
from tests.backend.conftest import Api
from tests.backend.test_videos import EDIT
from tests.backend.videos.states import hold_for_review, runs_of


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_voice_reads_the_edited_narration_after_approval(
    owner: Api,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    use_settings(settings)
    channel = await owner.create_channel()
    video = await owner.post(f"/api/v1/channels/{channel['id']}/videos", json={"topic": "Glow"})
    vid = uuid.UUID(video.json()["id"])
    async with db() as session:
        await hold_for_review(session, vid)
        await session.commit()

    assert (await owner.put(f"/api/v1/videos/{vid}/script", json=EDIT)).status_code == 200
    assert (await owner.post(f"/api/v1/videos/{vid}/approve")).status_code == 200
    try:
        result = await _run_stage(vid, VideoStage.voice)
    finally:
        use_settings(None)
    assert result.get("outcome") == "next", result

    async with db() as session:
        runs = await runs_of(session, vid)
        units = await session.scalars(
            select(CostEvent.units).where(CostEvent.video_id == vid, CostEvent.stage == "voice")
        )
        spoken = sum(units)
        detail = (await owner.get(f"/api/v1/videos/{vid}")).json()
    assert runs[VideoStage.voice].status == StageStatus.succeeded
    assert detail["status"] == VideoStatus.running.value
    # The voice stage speaks the hook with scene 1, then each scene: the edited text.
    scenes = EDIT["scenes"]
    texts = [f"{EDIT['hook']} {scenes[0]['narration']}", *(s["narration"] for s in scenes[1:])]
    assert spoken == sum(len(t) for t in texts)
