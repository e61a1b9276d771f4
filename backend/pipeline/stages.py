"""Which stages a video goes through, in which order, on which queue."""

from __future__ import annotations

import uuid

from backend.jobs.queues import QueueName
from backend.models.video import PRODUCTION_STAGES, VideoStage

__all__ = ["PRODUCTION_STAGES", "STAGE_QUEUE", "STAGE_WEIGHT", "job_id", "next_stage"]

STAGE_QUEUE: dict[VideoStage, QueueName] = {
    VideoStage.topic: QueueName.production,
    VideoStage.script: QueueName.gpu,
    VideoStage.quality: QueueName.gpu,
    VideoStage.voice: QueueName.gpu,
    VideoStage.images: QueueName.gpu,
    VideoStage.render: QueueName.production,
    VideoStage.thumbnail: QueueName.production,
    VideoStage.upload: QueueName.publishing,
}

# Share of the whole production each stage stands for, for one progress bar per video.
STAGE_WEIGHT: dict[VideoStage, float] = {
    VideoStage.topic: 0.05,
    VideoStage.script: 0.15,
    VideoStage.quality: 0.05,
    VideoStage.voice: 0.15,
    VideoStage.images: 0.15,
    VideoStage.render: 0.40,
    VideoStage.thumbnail: 0.05,
}


def next_stage(stage: VideoStage) -> VideoStage | None:
    index = PRODUCTION_STAGES.index(stage)
    return PRODUCTION_STAGES[index + 1] if index + 1 < len(PRODUCTION_STAGES) else None


def overall_progress(stage: VideoStage, within: float) -> float:
    done = sum(STAGE_WEIGHT[s] for s in PRODUCTION_STAGES[: PRODUCTION_STAGES.index(stage)])
    return round(min(1.0, done + STAGE_WEIGHT[stage] * max(0.0, min(1.0, within))), 4)


def job_id(video_id: uuid.UUID | str, stage: VideoStage, attempt: int) -> str:
    """One job per (video, stage, attempt): enqueueing the same one twice is a no-op."""
    return f"stage-{video_id}-{stage.value}-{attempt}"
