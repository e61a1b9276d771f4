"""thumbnail: revenue_optimizer's SEO package, and a 1280x720 thumbnail with its text."""

from __future__ import annotations

import asyncio

from backend.agents.revenue_optimizer import RevenueOptimizer
from backend.agents.script import Script
from backend.db.base import utcnow
from backend.models import VideoFormat, VideoStage
from backend.pipeline.context import StageContext, StepResult, VideoChanges
from backend.render import make_thumbnail


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    seo = RevenueOptimizer().optimize(
        script,
        niche=ctx.video.niche,
        fmt=VideoFormat(ctx.video.format),
        language=ctx.video.language,
        now=utcnow(),
        cadence_per_day=ctx.video.cadence_per_day,
        clip_seconds=ctx.outputs.get(VideoStage.render, {}).get("clip_seconds"),
        lead_in_s=ctx.outputs.get(VideoStage.render, {}).get("intro_s", 0.0),
    )
    name = "thumbnail.jpg"
    await asyncio.to_thread(
        make_thumbnail,
        ctx.artifact(VideoStage.images, "image_01"),
        seo.thumbnail_text,
        ctx.video_dir / name,
    )
    ctx.progress(1.0)
    return StepResult(
        output={"seo": seo.model_dump(mode="json")},
        artifacts={"thumbnail": name},
        video=VideoChanges(title=seo.title, description=seo.description, tags=list(seo.tags)),
    )
