"""render: the renderer composes the MP4 and SRT; ffprobe-style checks gate completion."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from ai.backends.base import WordTiming
from ai.cost import local_cost
from backend.agents.script import Script
from backend.costs.service import Charge, provider_name
from backend.media.disk import ensure_room, render_estimate_bytes, wav_seconds
from backend.models import VideoFormat, VideoStage
from backend.pipeline.context import StageContext, StepResult, VideoChanges
from backend.render import RenderResult, RenderSpec, render_video, verify_render
from backend.render.captions import read_words
from backend.render.music import NO_MUSIC, music_dir_for
from backend.render.qa import QaInputs, QaReport, card_intervals, check_render

OUTRO = "Thanks for watching"


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    numbers = range(1, len(script.scenes) + 1)
    scenes = script.render_scenes(
        [ctx.artifact(VideoStage.images, f"image_{i:02d}") for i in numbers],
        [ctx.artifact(VideoStage.voice, f"voice_{i:02d}") for i in numbers],
        [voice_words(ctx, i) for i in numbers],
    )
    spec = RenderSpec(
        scenes=scenes,
        title=script.title,
        out_dir=ctx.video_dir,
        fmt=ctx.video.format,
        music_dir=await asyncio.to_thread(channel_music_dir, ctx),
        intro_text=script.title,
        outro_text=f"{OUTRO} — {ctx.video.channel_name}",
        basename="video",
        caption_style=caption_style(ctx),
    )

    # refused before any work when it would not fit (a retryable try, with the reason)
    planned_s = wav_seconds(s.audio_path for s in scenes) + 2 * spec.card_s
    ensure_room(ctx.video_dir, render_estimate_bytes(planned_s, ctx.settings), ctx.settings)

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
    ctx.progress(1.0, "render QA")
    # The plan: the narration the voice stage measured plus the title cards. How the script's
    # length sits against the channel's target is the quality stage's check (its length
    # reason), made before anything was voiced; a CPU voice speaks faster than the planning
    # pace, so the target would hold every CPU video here.
    plan_s = planned_s
    qa = await asyncio.to_thread(run_qa, result, plan_s)
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
            "music": result.music_path.name if result.music_path else None,
            "qa": qa.as_json(),
        },
        artifacts={
            "video": result.video_path.relative_to(ctx.video_dir).as_posix(),
            "subtitles": result.srt_path.relative_to(ctx.video_dir).as_posix(),
        },
        charges=[charge],
        video=VideoChanges(render_qa=qa.as_json()),
    )


def voice_words(ctx: StageContext, number: int) -> tuple[WordTiming, ...] | None:
    """Scene ``number``'s word timings as the voice step stored them (None: none stored)."""
    name = ctx.artifacts[VideoStage.voice].get(f"voice_words_{number:02d}")
    return read_words(ctx.video_dir / name) if name else None


def caption_style(ctx: StageContext) -> str:
    """The channel's caption style for Shorts ("line" or "word_highlight"); long videos
    always get lines."""
    if ctx.video.format != VideoFormat.short:
        return "line"
    return str(ctx.video.style.get("caption_style", "line"))


def channel_music_dir(ctx: StageContext) -> Path | None:
    """The channel's own tracks, else the built-in bed of its mood (none: no music)."""
    style = ctx.video.style
    mood = str(style.get("music_mood", "calm")) if style.get("music", True) else NO_MUSIC
    return music_dir_for(ctx.settings.data_dir / "music", str(ctx.video.channel_id), mood)


def run_qa(result: RenderResult, planned_s: float | None) -> QaReport:
    """Render QA on the finished file (see ``backend.render.qa``); the narration track the
    renderer kept for it is removed afterwards."""
    spoken = (result.intro_s, result.intro_s + result.narration_s)
    try:
        return check_render(
            QaInputs(
                video_path=result.video_path,
                frame_size=(result.width, result.height),
                narration_path=result.narration_track,
                planned_s=planned_s,
                held_stills=card_intervals(result),
                spoken=spoken,
                captions=result.caption_boxes,
            )
        )
    finally:
        if result.narration_track is not None:
            result.narration_track.unlink(missing_ok=True)
