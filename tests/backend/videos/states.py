"""Put a video in the state the stage runner leaves it in, without running any model.

``hold_for_review`` writes what the runner writes when the quality gate holds a script
(``StageRunner._advance`` with decision "hold"): topic succeeded, script and quality back
to pending (the script stays in the script stage's output), the video in ``needs_review``
with its score and reasons. ``finish_production`` marks every production stage succeeded
with artifacts, as a video that became ``ready``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.models import StageRun, StageStatus, Video, VideoStage, VideoStatus
from backend.pipeline.stages import PRODUCTION_STAGES

SCRIPT: dict[str, Any] = {
    "title": "Why black holes glow",
    "hook": "The darkest things in the universe make the brightest light.",
    "scenes": [
        {"narration": "Gas spirals into a black hole and heats up.", "image_prompt": "disk"},
        {"narration": "Friction makes it shine in X-rays across space.", "image_prompt": "x-ray"},
        {"narration": "Quasars outshine whole galaxies of stars.", "image_prompt": "quasar"},
    ],
    "description": "A short tour of accretion disks and quasars.",
    "tags": ["space", "black holes"],
}
REASONS = ["too short for the 1-minute target", "scene 2 repeats scene 1"]
SCORE = 0.62


def _run(video_id: uuid.UUID, stage: VideoStage, status: StageStatus, **values: Any) -> StageRun:
    now: datetime = utcnow()
    return StageRun(
        id=uuid.uuid4(),
        video_id=video_id,
        stage=stage,
        status=status,
        attempts=values.pop("attempts", 1),
        started_at=now,
        finished_at=now,
        duration_s=1.0,
        device_seconds=0.5,
        cost_usd=Decimal("0.001"),
        artifacts=values.pop("artifacts", {}),
        output=values.pop("output", {}),
        **values,
    )


async def hold_for_review(
    session: AsyncSession, video_id: uuid.UUID, script: dict[str, Any] | None = None
) -> Video:
    script = script or SCRIPT
    video = await session.get(Video, video_id)
    assert video is not None
    topic = video.topic or "black holes"
    session.add(_run(video_id, VideoStage.topic, StageStatus.succeeded, output={"topic": topic}))
    session.add(
        _run(
            video_id,
            VideoStage.script,
            StageStatus.pending,
            attempts=3,
            output={"script": script, "words": 40, "feedback": REASONS},
        )
    )
    history = [{"score": SCORE, "reasons": REASONS, "checks": {}}] * 3
    session.add(
        _run(
            video_id,
            VideoStage.quality,
            StageStatus.pending,
            attempts=3,
            output={"history": history, "regenerations": 0},
        )
    )
    video.status = VideoStatus.needs_review
    video.stage = VideoStage.quality
    video.stage_progress = 0.25
    video.script = script
    video.title = script["title"]
    video.quality_score = SCORE
    video.quality_reasons = REASONS
    await session.flush()
    return video


async def finish_production(
    session: AsyncSession, video_id: uuid.UUID, status: VideoStatus = VideoStatus.ready
) -> Video:
    video = await session.get(Video, video_id)
    assert video is not None
    artifacts = {
        VideoStage.render: {"video": "render/video.mp4"},
        VideoStage.thumbnail: {"thumbnail": "thumbnail.jpg"},
    }
    outputs = {
        VideoStage.topic: {"topic": video.topic or "black holes"},
        VideoStage.script: {"script": SCRIPT, "words": 40},
        VideoStage.quality: {"history": [], "regenerations": 0, "score": 0.9},
    }
    for stage in PRODUCTION_STAGES:
        session.add(
            _run(
                video_id,
                stage,
                StageStatus.succeeded,
                artifacts=artifacts.get(stage, {}),
                output=outputs.get(stage, {}),
            )
        )
    video.status = status
    video.stage = VideoStage.thumbnail
    video.stage_progress = 1.0
    video.script = SCRIPT
    video.title = "Black holes, explained"
    video.description = "SEO description"
    video.tags = ["space"]
    video.quality_score = 0.9
    video.quality_reasons = ["fits"]
    video.completed_at = utcnow()
    await session.flush()
    return video


async def runs_of(session: AsyncSession, video_id: uuid.UUID) -> dict[VideoStage, StageRun]:
    rows = await session.scalars(select(StageRun).where(StageRun.video_id == video_id))
    return {r.stage: r for r in rows}
