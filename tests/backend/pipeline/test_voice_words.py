"""The voice step stores the engine's word timings and the render step captions on them.

On the in-process CPU gateway (espeak-ng): ``voice/scene_NN.words.json`` next to each WAV,
one timing per spoken word, and the SRT the render step writes starts each scene's first
caption where the voice step says its first word is spoken.
"""

from __future__ import annotations

import dataclasses
import uuid

import openai
import pytest

from backend.models import VideoStage
from backend.pipeline.steps import images, render, voice
from backend.render.captions import read_srt, read_words
from backend.settings import Settings
from tests.backend.pipeline.test_visual_steps import SCRIPT, _context, cpu_gateway, settings

__all__ = ["cpu_gateway", "settings"]  # the fixtures, shared with the visual steps' tests


async def test_voice_words_reach_the_captions(
    settings: Settings, cpu_gateway: openai.AsyncOpenAI
) -> None:
    video_id = uuid.uuid4()
    drawn = await images.run(_context(settings, cpu_gateway, VideoStage.images, video_id))
    ctx = _context(settings, cpu_gateway, VideoStage.voice, video_id)
    spoken = await voice.run(ctx)
    texts = SCRIPT.spoken_texts()
    timings = []
    for i, text in enumerate(texts, start=1):
        name = spoken.artifacts[f"voice_words_{i:02d}"]
        assert name == f"voice/scene_{i:02d}.words.json"
        words = read_words(ctx.video_dir / name)
        assert words is not None and [w.word for w in words] == text.split()
        timings.append(words)

    ctx = _context(settings, cpu_gateway, VideoStage.render, video_id)
    ctx.artifacts = {VideoStage.images: drawn.artifacts, VideoStage.voice: spoken.artifacts}
    assert render.caption_style(ctx) == "line"
    made = await render.run(ctx)
    cues = read_srt(ctx.video_dir / made.artifacts["subtitles"])
    starts = [made.output["intro_s"] + sum(made.output["clip_seconds"][:k]) for k in range(3)]
    # each scene's first caption: its first word's onset (frame-rounded scene start)
    firsts = [next(c for c in cues if c.start_s >= s - 0.05) for s in starts]
    for first, start, words in zip(firsts, starts, timings, strict=True):
        assert first.start_s == pytest.approx(start + words[0].start_s, abs=0.04)

    short = dataclasses.replace(
        ctx.video, format="short", style={"caption_style": "word_highlight"}
    )
    assert render.caption_style(dataclasses.replace(ctx, video=short)) == "word_highlight"
