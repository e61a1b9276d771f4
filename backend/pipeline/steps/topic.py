"""topic: the owner's topic, or a rising one for the channel's niche from trend_prophet."""

from __future__ import annotations

import asyncio

from backend.pipeline.context import StageContext, StepResult, VideoChanges


async def run(ctx: StageContext) -> StepResult:
    if ctx.video.topic:
        return StepResult(output={"topic": ctx.video.topic, "source": "owner"})
    if ctx.explorer is None:
        raise LookupError("the topic step was given no topic explorer")
    # Rising topics from the niche store; the bundled offline series when it has none.
    picks = await asyncio.to_thread(
        ctx.explorer.explore, ctx.video.niche, exclude=ctx.past_topics, limit=1
    )
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
