"""What a stage step gets (StageContext) and what it gives back (StepResult, VideoChanges)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import openai
import redis
import structlog

from backend.analytics.loop import VideoRevenue
from backend.costs.ledger import Ledger
from backend.costs.service import Charge, total_cost, total_device_seconds
from backend.events.bus import publish_sync
from backend.models import VideoStage
from backend.pipeline.stages import overall_progress
from backend.settings import Settings

if TYPE_CHECKING:
    from backend.models import Video
    from backend.niches.trends.ranking import TopicPick

log = structlog.get_logger(__name__)
Decision = Literal["continue", "regenerate", "hold"]


class TopicExplorer(Protocol):
    """Where the topic step finds a rising topic (``backend.niches.explorer``); blocking."""

    def explore(
        self, niche: str, *, exclude: Iterable[str] = (), limit: int = 5
    ) -> list[TopicPick]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoChanges:
    """What a step changes on the video row; None leaves a field as it is.

    A typed value, applied field by field: a misspelt field is a TypeError (and a mypy
    error) where it is written, not a change silently dropped.
    """

    topic: str | None = None
    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    script: dict[str, Any] | None = None
    quality_score: float | None = None
    quality_reasons: list[str] | None = None
    render_qa: dict[str, Any] | None = None  # the render step's QA report (backend.render.qa)

    def apply(self, video: Video) -> None:
        if self.topic is not None:
            video.topic = self.topic
        if self.title is not None:
            video.title = self.title
        if self.description is not None:
            video.description = self.description
        if self.tags is not None:
            video.tags = list(self.tags)
        if self.script is not None:
            video.script = self.script
        if self.quality_score is not None:
            video.quality_score = self.quality_score
        if self.quality_reasons is not None:
            video.quality_reasons = list(self.quality_reasons)
        if self.render_qa is not None:
            video.render_qa = dict(self.render_qa)


@dataclass
class StepResult:
    output: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> path under the video dir
    # This attempt's charges; each was written to the ledger when served (StageContext.charged).
    charges: list[Charge] = field(default_factory=list)
    video: VideoChanges = field(default_factory=VideoChanges)
    decision: Decision = "continue"
    hold_reasons: list[str] = field(default_factory=list)

    @property
    def device_seconds(self) -> float:
        return total_device_seconds(self.charges)

    @property
    def cost_usd(self) -> float:
        return total_cost(self.charges)


@dataclass(frozen=True, slots=True)
class VideoSnapshot:
    id: uuid.UUID
    owner_id: uuid.UUID
    channel_id: uuid.UUID
    topic: str | None
    title: str | None
    script: dict[str, Any] | None
    channel_name: str
    niche: str
    language: str
    format: str
    cadence_per_day: float
    quality_threshold: float
    voice: dict[str, Any]
    style: dict[str, Any]
    status: str = "running"
    quality_score: float | None = None


@dataclass
class StageContext:
    """Everything a step may use; a step opens no session (the runner loaded what it needs)."""

    settings: Settings
    redis: redis.Redis
    video: VideoSnapshot
    stage: VideoStage
    outputs: dict[VideoStage, dict[str, Any]]
    artifacts: dict[VideoStage, dict[str, str]]
    past_topics: list[str] = field(default_factory=list)  # the topic step: not one of these
    past_revenues: list[VideoRevenue] = field(default_factory=list)  # topic: winners, losers
    past_scripts: list[dict[str, Any]] = field(default_factory=list)  # quality: originality
    explorer: TopicExplorer | None = None  # the topic step: where rising topics come from
    ledger: Ledger | None = None  # where each charge goes the moment its call is served
    _ai: openai.AsyncOpenAI | None = None
    _last_progress: float = 0.0

    @property
    def video_dir(self) -> Path:
        path = self.settings.media_dir / str(self.video.id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def ai(self) -> openai.AsyncOpenAI:
        if self._ai is None:
            from ai.client import make_openai_client

            self._ai = make_openai_client(self.settings)
        return self._ai

    async def charged(self, charge: Charge) -> Charge:
        """Write the charge of a call just served to the ledger (its own short transaction,
        at most once by its key) and return it for the step's result. Steps and agents call
        this right after each call, so a try that never finishes still pays for it."""
        if self.ledger is not None:
            await self.ledger.record(charge)
        return charge

    def artifact(self, stage: VideoStage, name: str) -> Path:
        return self.video_dir / self.artifacts[stage][name]

    def progress(self, fraction: float, detail: str | None = None) -> None:
        """Publish stage progress (throttled to 2 per second); safe from any thread.

        ``detail`` is short human text for the live queue ("312 words written"). Progress
        is a live hint: with Redis away it is dropped, and the stage goes on.
        """
        now = time.monotonic()
        if 0.0 < fraction < 1.0 and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        event = stage_event(self.video, self.stage, fraction, detail)
        try:
            publish_sync(self.redis, self.video.owner_id, event)
        except redis.RedisError as exc:
            log.warning("stage.progress_dropped", stage=self.stage.value, error=repr(exc)[:200])

    async def close(self) -> None:
        if self._ai is not None:
            await self._ai.close()


def stage_event(
    video: VideoSnapshot, stage: VideoStage, fraction: float, detail: str | None = None
) -> dict[str, Any]:
    """The ``video.stage`` event: the fields the live queue shows (see COMMON interfaces)."""
    return {
        "type": "video.stage",
        "video_id": str(video.id),
        "channel_id": str(video.channel_id),
        "stage": stage.value,
        "stage_progress": round(max(0.0, min(1.0, fraction)), 3),
        "progress": overall_progress(stage, fraction),
        "status": video.status,
        "title": video.title or video.topic or None,
        "quality_score": video.quality_score,
        "detail": detail,
    }


Step = Callable[[StageContext], Any]  # async (ctx) -> StepResult
