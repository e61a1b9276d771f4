"""images: one illustration per scene through the gateway's image endpoint."""

from __future__ import annotations

import zlib

from ai.calls import generate_image
from backend.agents.script import Script
from backend.costs.service import charge_of
from backend.models import VideoStage
from backend.pipeline.context import StageContext, StepResult
from backend.pipeline.steps.files import write_atomic

SIZES = {"long": "1920x1080", "short": "1080x1920"}


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    size = SIZES[ctx.video.format]
    style = str(ctx.video.style.get("palette") or "")
    result = StepResult()
    for index, scene in enumerate(script.scenes, start=1):
        prompt = f"{scene.image_prompt}. {style}".strip(". ") if style else scene.image_prompt
        seed = zlib.crc32(f"{ctx.video.id}:{index}".encode())
        image = await generate_image(ctx.ai(), prompt, size=size, seed=seed)
        name = f"images/scene_{index:02d}.png"
        write_atomic(ctx.video_dir / name, image.images[0])
        result.artifacts[f"image_{index:02d}"] = name
        result.charges.append(await ctx.charged(charge_of("image", image.usage, image.served)))
        ctx.progress(index / len(script.scenes), f"image {index}/{len(script.scenes)}")
    result.output = {"scenes": len(script.scenes), "size": size}
    return result
