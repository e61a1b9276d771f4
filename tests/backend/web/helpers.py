"""Data the tests put in place the way the pipeline would: stage runs, costs, artifacts."""

from __future__ import annotations

import subprocess
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.models import (
    ChannelDailyMetric,
    CostEvent,
    Niche,
    StageRun,
    StageStatus,
    Trend,
    Video,
    VideoStage,
)
from backend.pipeline.stages import PRODUCTION_STAGES

CHANNEL_FORM = {
    "name": "Space Facts",
    "niche": "astronomy",
    "language": "en",
    "format": "long",
    "cadence_per_day": "1",
    "daily_budget_usd": "5",
    "monthly_budget_usd": "100",
    "quality_threshold": "0.75",
    "target_minutes": "1",
    "tone": "informative",
    "voice": "en-us",
}

SCRIPT = {
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


def make_mp4(path: Path, seconds: float = 2.0) -> None:
    """A small valid H.264/AAC MP4 (test pattern and a tone), as the render stage writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [
            ffmpeg,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=640x360:rate=25:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )


def make_thumbnail(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (640, 360), (20, 24, 48))
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 110, 390, 250), fill=(240, 120, 40))
    draw.text((24, 300), "WHY BLACK HOLES GLOW", fill=(255, 255, 255))
    image.save(path)


async def finish_video(
    session: AsyncSession, video: Video, media_root: Path, *, with_media: bool = True
) -> None:
    """Every production stage succeeded, with costs and artifacts (no status change)."""
    video_dir = media_root / str(video.id)
    if with_media:
        make_mp4(video_dir / "render" / "video.mp4")
        make_thumbnail(video_dir / "thumbnail.png")
        (video_dir / "render" / "captions.srt").write_text(
            "1\n00:00:00,000 --> 00:00:02,000\nGas spirals into a black hole.\n"
        )
    artifacts = {
        VideoStage.render: {"video": "render/video.mp4", "subtitles": "render/captions.srt"},
        VideoStage.thumbnail: {"thumbnail": "thumbnail.png"},
    }
    costs = {VideoStage.script: "0.0021", VideoStage.voice: "0.0008", VideoStage.render: "0.0035"}
    now = utcnow()
    for stage in PRODUCTION_STAGES:
        session.add(
            StageRun(
                id=uuid.uuid4(),
                video_id=video.id,
                stage=stage,
                status=StageStatus.succeeded,
                attempts=1,
                started_at=now,
                finished_at=now,
                duration_s=1.5,
                device_seconds=1.2,
                cost_usd=Decimal(costs.get(stage, "0")),
                artifacts=artifacts.get(stage, {}) if with_media else {},
                output={},
            )
        )
        if stage in costs:
            session.add(
                CostEvent(
                    id=uuid.uuid4(),
                    channel_id=video.channel_id,
                    video_id=video.id,
                    stage=stage.value,
                    kind="render" if stage == VideoStage.render else "text",
                    provider="cpu",
                    units=1.0,
                    unit="call",
                    device_seconds=1.2,
                    amount_usd=Decimal(costs[stage]),
                    occurred_at=now,
                )
            )
    video.script = SCRIPT
    video.title = SCRIPT["title"]
    video.description = SCRIPT["description"]
    video.tags = SCRIPT["tags"]
    video.quality_score = 0.86
    video.quality_reasons = ["length fits the 1-minute target", "no banned terms"]
    await session.flush()


async def add_niche(session: AsyncSession, name: str = "Space exploration") -> Niche:
    niche = Niche(
        id=uuid.uuid4(),
        name=name,
        category="science",
        description="Missions, telescopes and the people behind them.",
        score=78.5,
        breakdown={"trend": 82, "competition": 64, "monetization": 71, "search_volume": 90},
        inputs={},
        sources=["fixture"],
        keywords=["nasa", "telescope", "mars"],
        scored_at=utcnow(),
    )
    session.add(niche)
    start = date(2026, 1, 5)
    series = [
        {"ds": (start + timedelta(weeks=i)).isoformat(), "y": 40 + i * 1.5 + (i % 4) * 3}
        for i in range(30)
    ]
    forecast = [
        {
            "ds": (start + timedelta(weeks=30 + i)).isoformat(),
            "yhat": 86 + i * 1.4,
            "yhat_lower": 80 + i * 0.8,
            "yhat_upper": 92 + i * 2.0,
        }
        for i in range(8)
    ]
    session.add(
        Trend(
            id=uuid.uuid4(),
            niche_id=niche.id,
            topic="james webb telescope",
            source="google_trends",
            series=series,
            forecast=forecast,
            growth=0.21,
            fetched_at=utcnow(),
        )
    )
    await session.flush()
    return niche


async def add_daily_metrics(session: AsyncSession, channel_id: uuid.UUID, days: int = 30) -> None:
    today = utcnow().date()
    for i in range(days):
        day = today - timedelta(days=days - 1 - i)
        session.add(
            ChannelDailyMetric(
                id=uuid.uuid4(),
                channel_id=channel_id,
                day=day,
                views=800 + i * 45 + (i % 5) * 120,
                watch_time_minutes=300.0 + i * 9,
                subscribers_gained=i % 7,
                revenue_usd=Decimal(str(round(1.2 + i * 0.09 + (i % 3) * 0.3, 2))),
            )
        )
    await session.flush()
