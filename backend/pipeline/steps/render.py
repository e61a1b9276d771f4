"""render: the renderer composes the MP4 and SRT; ffprobe-style checks gate completion."""

from __future__ import annotations

import asyncio
import threading

from ai.cost import local_cost
from backend.agents.script import Script
from backend.costs.service import Charge, provider_name
from backend.models import VideoStage
from backend.pipeline.context import StageContext, StepResult
from backend.render import RenderSpec, render_video, verify_render

OUTRO = "Thanks for watching"


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    numbers = range(1, len(script.scenes) + 1)
    scenes = script.render_scenes(
        [ctx.artifact(VideoStage.images, f"image_{i:02d}") for i in numbers],
        [ctx.artifact(VideoStage.voice, f"voice_{i:02d}") for i in numbers],
    )
    music_dir = ctx.settings.data_dir / "music"
    spec = RenderSpec(
        scenes=scenes,
        title=script.title,
        out_dir=ctx.video_dir,
        fmt=ctx.video.format,
        music_dir=music_dir if music_dir.is_dir() else None,
        intro_text=script.title,
        outro_text=f"{OUTRO} — {ctx.video.channel_name}",
        basename="video",
    )

    def preparing(fraction: float) -> None:
        ctx.progress(fraction, "encoded, checking" if fraction >= 1.0 else "preparing the stills")

    def frames(fraction: float, done: int, total: int) -> None:
        ctx.progress(fraction, f"frame {done}/{total}")

    cancel = threading.Event()  # set when this try is abandoned (its time limit): ffmpeg stops
    try:
        result = await asyncio.to_thread(render_video, spec, preparing, frames, cancel)
    except asyncio.CancelledError:
        cancel.set()
        raise
    await asyncio.to_thread(verify_render, result, result.narration_s)
    seconds = result.seconds
    charge = Charge(  # written to the ledger below, before the step returns
        kind="render",
        provider=provider_name("cpu", result.encoder),
        units=round(result.duration_s, 3),
        unit="video_seconds",
        device_seconds=round(seconds, 3),
        cost_usd=local_cost(
            seconds, ctx.settings.render_watts, ctx.settings.electricity_usd_per_kwh
        ),
    )
    await ctx.charged(charge)
    return StepResult(
        output={
            "duration_s": result.duration_s,
            "narration_s": result.narration_s,
            "clip_seconds": list(result.clip_seconds),
            "intro_s": result.intro_s,
            "width": result.width,
            "height": result.height,
            "encoder": result.encoder,
            "render_seconds": round(seconds, 3),
            "realtime_factor": round(result.duration_s / seconds, 2) if seconds else None,
        },
        artifacts={
            "video": result.video_path.relative_to(ctx.video_dir).as_posix(),
            "subtitles": result.srt_path.relative_to(ctx.video_dir).as_posix(),
        },
        charges=[charge],
    )
