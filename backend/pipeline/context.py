"""What a stage step gets (StageContext) and what it gives back (StepResult)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openai
import redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.events.bus import publish_sync
from backend.models import VideoStage
from backend.pipeline.stages import overall_progress
from backend.settings import Settings

Decision = Literal["continue", "regenerate", "hold"]


@dataclass(frozen=True, slots=True)
class Charge:
    """One line for the cost ledger."""

    kind: str
    provider: str
    units: float = 0.0
    unit: str = "call"
    device_seconds: float = 0.0
    cost_usd: float = 0.0


@dataclass
class StepResult:
    output: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> path under the video dir
    charges: list[Charge] = field(default_factory=list)
    video_updates: dict[str, Any] = field(default_factory=dict)
    decision: Decision = "continue"
    hold_reasons: list[str] = field(default_factory=list)

    @property
    def device_seconds(self) -> float:
        return round(sum(c.device_seconds for c in self.charges), 4)

    @property
    def cost_usd(self) -> float:
        return round(sum(c.cost_usd for c in self.charges), 6)


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


@dataclass
class StageContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    redis: redis.Redis
    video: VideoSnapshot
    stage: VideoStage
    outputs: dict[VideoStage, dict[str, Any]]
    artifacts: dict[VideoStage, dict[str, str]]
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

    def artifact(self, stage: VideoStage, name: str) -> Path:
        return self.video_dir / self.artifacts[stage][name]

    def progress(self, fraction: float) -> None:
        """Publish stage progress (throttled to 2 per second); safe from any thread."""
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        publish_sync(
            self.redis,
            self.video.owner_id,
            {
                "type": "video.stage",
                "video_id": str(self.video.id),
                "channel_id": str(self.video.channel_id),
                "stage": self.stage.value,
                "stage_progress": round(fraction, 3),
                "progress": overall_progress(self.stage, fraction),
            },
        )

    async def close(self) -> None:
        if self._ai is not None:
            await self._ai.close()


Step = Callable[[StageContext], Any]  # async (ctx) -> StepResult
