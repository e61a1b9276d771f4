"""thumbnail: revenue_optimizer's SEO package and two 1280x720 thumbnails that read.

Never text over text: when the scenes are pictures (SDXL, a cloud model) the two strongest
scene images carry the headline; when they are slides (which have their own text) the slide
renderer draws a visual made for the thumbnail (a big number from the script, else an
icon-like emblem, on one side) and the headline goes on the other side. Variant A has the
SEO thumbnail text, variant B the title's words in another composition; both are checked
(contrast, safe area, legibility at 168x94, see ``backend.render.thumbnail``) and listed in
the output. The owner picks one (``videos.thumbnail_variant``), upload sends that one.
"""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path
from typing import Any

from ai.calls import generate_image
from ai.slide_spec import SlideSpec
from backend.agents.revenue_optimizer import RevenueOptimizer
from backend.agents.script import Script
from backend.costs.service import Charge, charge_of
from backend.db.base import utcnow
from backend.models import VideoFormat, VideoStage
from backend.pipeline.context import StageContext, StepResult, VideoChanges
from backend.pipeline.steps.files import write_atomic
from backend.pipeline.steps.images import slide_theme
from backend.render.thumbnail import Region, headline_words, make_thumbnail, strongest
from backend.videos.thumbnails import VARIANT_ARTIFACTS as ARTIFACTS
from backend.videos.thumbnails import VARIANT_FILES as VARIANTS

PICTURE_SIZE = "1280x720"


def _big_number(script: Script) -> str:
    for scene in script.scenes:
        if scene.big_number is not None:
            number, unit = scene.big_number.value, scene.big_number.unit
            shown = f"{number}{unit}" if unit in ("%", "x") else f"{number} {unit}".strip()
            if len(shown) <= 16:
                return shown
    return ""


def headlines(thumbnail_text: str, title: str) -> tuple[str, str]:
    """Variant A's and B's headlines (at most 5 words each), different where they can be."""
    a = headline_words(thumbnail_text) or headline_words(title)
    b = headline_words(title)
    return a, (b if b and b != a else a)


async def _slide_visuals(
    ctx: StageContext, script: Script, model: str
) -> tuple[list[Path], list[Region], list[Charge]]:
    theme = slide_theme(script, script.scenes[0])
    specs = [
        SlideSpec(layout="thumbnail", number=_big_number(script), side="left", theme=theme),
        SlideSpec(layout="thumbnail", side="right", theme=theme),
    ]
    paths: list[Path] = []
    charges: list[Charge] = []
    for tag, spec in zip("ab", specs, strict=True):
        image = await generate_image(
            ctx.ai(),
            script.scenes[0].image_prompt,
            size=PICTURE_SIZE,
            seed=zlib.crc32(f"{ctx.video.id}:thumbnail:{tag}".encode()),
            model=model,
            slide=spec,
        )
        path = ctx.video_dir / f"images/thumbnail_visual_{tag}.png"
        write_atomic(path, image.images[0])
        paths.append(path)
        charges.append(await ctx.charged(charge_of("image", image.usage, image.served)))
    return paths, ["right", "left"], charges  # the headline beside the visual


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
    drawn: list[dict[str, Any]] = ctx.outputs.get(VideoStage.images, {}).get("images") or []
    pictures = bool(drawn) and all(d.get("backend") not in ("slides", None) for d in drawn)
    charges: list[Charge] = []
    regions: list[Region | None]
    if pictures:  # text-free scene pictures: the two strongest carry the headline
        scenes = [
            ctx.artifact(VideoStage.images, f"image_{i:02d}")
            for i in range(1, len(script.scenes) + 1)
        ]
        ranked = await asyncio.to_thread(strongest, scenes)
        sources = [ranked[0], ranked[1] if len(ranked) > 1 else ranked[0]]
        regions = [None, None]
        source_kind = "scene"
    else:  # slides have their own text: a visual made for the thumbnail
        model = str(drawn[0].get("model") or "image") if drawn else "image"
        sources, slide_regions, charges = await _slide_visuals(ctx, script, model)
        regions = list(slide_regions)
        source_kind = "thumbnail_visual"
    texts = headlines(seo.thumbnail_text, script.title)
    made = []
    for name, source, region, text, accent in zip(
        VARIANTS, sources, regions, texts, (False, True), strict=True
    ):
        made.append(
            await asyncio.to_thread(
                make_thumbnail, source, text, ctx.video_dir / name, region=region, accent=accent
            )
        )
    ctx.progress(1.0)
    return StepResult(
        output={
            "seo": seo.model_dump(mode="json"),
            "variants": list(VARIANTS),
            "thumbnails": [
                {**t.summary(), "source": source_kind, "picture": s.name}
                for t, s in zip(made, sources, strict=True)
            ],
        },
        artifacts={
            **dict(zip(ARTIFACTS, VARIANTS, strict=True)),
            # the visuals drawn for the thumbnails (intermediates: media retention prunes them)
            **{
                f"image_thumbnail_visual_{tag}": path.relative_to(ctx.video_dir).as_posix()
                for tag, path in zip("ab", sources, strict=True)
                if source_kind == "thumbnail_visual"
            },
        },
        charges=charges,
        video=VideoChanges(title=seo.title, description=seo.description, tags=list(seo.tags)),
    )
