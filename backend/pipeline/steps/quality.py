"""quality: quality_guardian scores the script; below threshold regenerate (twice), then hold."""

from __future__ import annotations

from typing import Any

from backend.agents.quality_guardian import QualityGuardian
from backend.agents.script import Script
from backend.models import VideoStage
from backend.pipeline.context import StageContext, StepResult, VideoChanges
from backend.pipeline.steps.script import planning_seconds

MAX_REGENERATIONS = 2


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    previous: dict[str, Any] = ctx.outputs.get(VideoStage.quality, {})
    history: list[dict[str, Any]] = list(previous.get("history", []))
    regenerations = int(previous.get("regenerations", 0))
    report, usage = await QualityGuardian(on_charge=ctx.charged).review(
        ctx.ai(),
        script,
        past_scripts=[Script.model_validate(s).narration_text() for s in ctx.past_scripts],
        threshold=ctx.video.quality_threshold,
        target_seconds=planning_seconds(ctx),
        topic=str(ctx.outputs.get(VideoStage.topic, {}).get("topic") or ctx.video.topic or ""),
    )
    history.append({"score": report.score, "reasons": report.reasons, "checks": report.checks})
    ctx.progress(1.0)
    charges = list(usage)
    updates = VideoChanges(quality_score=report.score, quality_reasons=list(report.reasons))
    if report.passed:
        output = {"history": history, "regenerations": regenerations, "score": report.score}
        return StepResult(output=output, charges=charges, video=updates)
    if regenerations < MAX_REGENERATIONS:
        output = {"history": history, "regenerations": regenerations + 1}
        return StepResult(output=output, charges=charges, video=updates, decision="regenerate")
    # Held for review; a retry starts a fresh round of regenerations with this feedback.
    output = {"history": history, "regenerations": 0}
    return StepResult(
        output=output,
        charges=charges,
        video=updates,
        decision="hold",
        hold_reasons=report.reasons,
    )
