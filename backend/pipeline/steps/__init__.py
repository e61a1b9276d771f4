"""One module per production stage; each step is ``async (StageContext) -> StepResult``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.models import VideoStage
from backend.pipeline.context import StageContext, StepResult
from backend.pipeline.steps import images, quality, render, script, thumbnail, topic, voice

STEPS: dict[VideoStage, Callable[[StageContext], Awaitable[StepResult]]] = {
    VideoStage.topic: topic.run,
    VideoStage.script: script.run,
    VideoStage.quality: quality.run,
    VideoStage.voice: voice.run,
    VideoStage.images: images.run,
    VideoStage.render: render.run,
    VideoStage.thumbnail: thumbnail.run,
}
