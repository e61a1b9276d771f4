"""voice: narrate each scene through the gateway's speech endpoint (one WAV per scene)."""

from __future__ import annotations

import structlog

from ai.calls import synthesize_speech
from backend.agents.script import Script
from backend.costs.service import charge_of
from backend.models import VideoStage
from backend.models.channel import CHANNEL_DEFAULTS as D
from backend.pipeline.context import StageContext, StepResult
from backend.pipeline.steps.files import write_atomic
from backend.render.captions import words_json

log = structlog.get_logger(__name__)


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    voice = str(ctx.video.voice.get("voice", D.voice))
    speed = float(ctx.video.voice.get("speed", D.voice_speed))
    pitch = ctx.video.voice.get("pitch")
    result = StepResult()
    scenes = script.scenes
    for index, text in enumerate(script.spoken_texts(), start=1):
        speech = await synthesize_speech(
            ctx.ai(),
            text,
            voice=voice,
            speed=speed,
            response_format="wav",
            pitch=int(pitch) if pitch is not None else None,
            timestamps=True,
        )
        name = f"voice/scene_{index:02d}.wav"
        write_atomic(ctx.video_dir / name, speech.audio_bytes)
        result.artifacts[f"voice_{index:02d}"] = name
        # the engine's word timings, for captions on the spoken word (null: it gave none)
        words_name = f"voice/scene_{index:02d}.words.json"
        write_atomic(ctx.video_dir / words_name, words_json(speech.words).encode())
        result.artifacts[f"voice_words_{index:02d}"] = words_name
        if speech.words is None:
            log.warning("voice.no_word_timings", scene=index, model=speech.served.model)
        result.charges.append(await ctx.charged(charge_of("speech", speech.usage, speech.served)))
        ctx.progress(index / len(scenes), f"{index}/{len(scenes)} scenes narrated")
    result.output = {"scenes": len(scenes), "voice": voice, "speed": speed}
    return result
