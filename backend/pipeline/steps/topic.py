"""topic: the owner's topic, or a rising one for the channel's niche from trend_prophet."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from backend.models import Video
from backend.niches.explorer import store_explorer
from backend.pipeline.context import StageContext, StepResult, VideoChanges


async def run(ctx: StageContext) -> StepResult:
    if ctx.video.topic:
        return StepResult(output={"topic": ctx.video.topic, "source": "owner"})
    async with ctx.sessions() as session:
        rows = await session.scalars(
            select(Video.topic).where(
                Video.channel_id == ctx.video.channel_id,
                Video.id != ctx.video.id,
                Video.topic.is_not(None),
            )
        )
        past = [t for t in rows if t]
    # Rising topics from the niche store; the bundled offline series when it has none.
    explorer = store_explorer(ctx.sessions)
    picks = await asyncio.to_thread(explorer.explore, ctx.video.niche, exclude=past, limit=1)
    if not picks:
        raise LookupError(f"no fresh topic for niche {ctx.video.niche!r}; queue one with a topic")
    pick = picks[0]
    ctx.progress(1.0)
    return StepResult(
        output={
            "topic": pick.topic,
            "source": pick.source,
            "growth": pick.growth,
            "reason": pick.reason,
            "forecast": pick.forecast[-12:],
        },
        video=VideoChanges(topic=pick.topic),
    )
