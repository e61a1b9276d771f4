"""script: content_strategist writes title, hook and scenes through the AI gateway."""

from __future__ import annotations

from backend.agents.content_strategist import ContentStrategist
from backend.agents.script import WORDS_PER_MINUTE
from backend.models import VideoStage
from backend.models.channel import CHANNEL_DEFAULTS as D
from backend.pipeline.context import StageContext, StepResult, VideoChanges

SHORT_SECONDS = 45.0


def target_seconds(ctx: StageContext) -> float:
    if ctx.video.format == "short":
        return SHORT_SECONDS
    return float(ctx.video.style.get("target_minutes", D.target_minutes)) * 60.0


def planning_seconds(ctx: StageContext) -> float:
    """The length to ask the strategist for, so the narration at the voice's pace fits."""
    pace = ctx.settings.narration_wpm * float(ctx.video.voice.get("speed", D.voice_speed))
    return target_seconds(ctx) * pace / WORDS_PER_MINUTE  # the pace it plans at


async def run(ctx: StageContext) -> StepResult:
    topic = ctx.outputs[VideoStage.topic]["topic"]
    history = ctx.outputs.get(VideoStage.quality, {}).get("history", [])
    feedback = history[-1]["reasons"] if history else []
    script, usage = await ContentStrategist(on_charge=ctx.charged).write(
        ctx.ai(),
        topic=topic,
        niche=ctx.video.niche,
        target_seconds=planning_seconds(ctx),
        language=ctx.video.language,
        tone=str(ctx.video.style.get("tone", D.tone)),
        feedback=feedback,
        on_progress=ctx.progress,
    )
    ctx.progress(1.0, f"{script.word_count()} words written")
    data = script.model_dump()
    return StepResult(
        output={"script": data, "words": script.word_count(), "feedback": feedback},
        charges=list(usage),
        video=VideoChanges(script=data, title=script.title),
    )
