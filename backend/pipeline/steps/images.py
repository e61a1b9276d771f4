"""images: one illustration per scene through the gateway's image endpoint.

Each scene's request carries two things: ``prompt``, the scene's visual description (what
SDXL or a cloud model draws), and ``slide``, the scene's layout and content as a
:class:`ai.slide_spec.SlideSpec` (what the CPU slide renderer composes; picture models
ignore it). The scenes are requested concurrently (at most ``CONCURRENCY`` at a time) so
that the gateway's micro-batcher can run them through SDXL in batches. Seeds are derived
from the video and the scene and recorded in the stage output with the model that served
each scene and its layout, so a re-run draws the same pictures. Picture models get a negative
prompt against drawn text (a scene's words are the narration's and the captions').
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from ai.calls import ImageResult, generate_image
from ai.slide_spec import ChartPoint, SlideSpec
from backend.agents.script import Scene, Script
from backend.costs.service import Charge, charge_of
from backend.models import VideoStage
from backend.pipeline.context import StageContext, StepResult
from backend.pipeline.steps.files import write_atomic

SIZES = {"long": "1920x1080", "short": "1080x1920"}
CONCURRENCY = 4  # requests in flight: enough for a batch, bounded
# what a picture model must not draw (a scene's words are the narration's and the captions')
NEGATIVE_PROMPT = "text, letters, words, caption, watermark, logo, signature, blurry"
HEADED = ("list", "chart", "comparison")
# units a big number reads with ("7.5 minutes"); another word the script put there is left
# to the caption's sentence
UNITS = frozenset(
    "% ° x km m cm mm kg g t mph kph km/h kmh mi miles metres meters kilometres kilometers "
    "seconds minutes hours days weeks months years decades centuries degrees times people "
    "million billion trillion thousand percent dollars euros usd".split()
)
GLUED_UNITS = ("%", "\N{DEGREE SIGN}", "x")


def scene_seed(video_id: object, index: int) -> int:
    return zlib.crc32(f"{video_id}:{index}".encode())


def _clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return (cut or text[: limit - 1]) + "…"


def _heading(scene: Scene, layout: str) -> str:
    """The heading over a list, chart or comparison: the scene's key fact (what the items,
    bars or sides are about). The other layouts' text stands alone."""
    if layout not in HEADED:
        return ""
    return _clip(scene.key_fact or scene.narration, 120)


def _chart(scene: Scene) -> list[ChartPoint]:
    return [ChartPoint(label=_clip(p.label, 24), value=p.value) for p in scene.chart[:8]]


def _attempt(scene: Scene, layout: str, theme: str) -> SlideSpec | None:
    """The spec of ``scene`` in ``layout``, or None when the scene lacks that content."""
    fact = _clip(scene.key_fact or scene.narration, 400)
    base: dict[str, Any] = {"layout": layout, "title": _heading(scene, layout), "theme": theme}
    if layout == "key_fact":
        return SlideSpec(**base, text=fact)
    if layout == "list" and len(scene.items) >= 2:
        return SlideSpec(**base, items=[_clip(i, 120) for i in scene.items[:5]])
    if layout == "big_number" and scene.big_number is not None:
        number, unit, label = scene.big_number.value, scene.big_number.unit, scene.big_number.label
        if unit.lower() not in UNITS:
            unit = ""
        if unit in GLUED_UNITS:  # "73%"
            shown = f"{number}{unit}"
        elif unit and len(number) + len(unit) < 16:  # "4.6 km"
            shown = f"{number} {unit}"
        else:
            shown = number
        caption = label
        return SlideSpec(**base, number=_clip(shown, 16), text=_clip(caption.strip() or fact, 400))
    if layout == "quote" and scene.quote:
        return SlideSpec(layout="quote", theme=theme, text=_clip(scene.quote, 400))
    if layout == "comparison" and scene.comparison is not None:
        left, right = scene.comparison.left, scene.comparison.right
        return SlideSpec(
            **base,
            left=_clip(left.label, 40),
            right=_clip(right.label, 40),
            left_items=[_clip(left.text, 120)],
            right_items=[_clip(right.text, 120)],
        )
    if layout == "chart" and len(scene.chart) >= 2:
        points = _chart(scene)
        years = all(p.label.isdigit() and len(p.label) == 4 for p in points)
        return SlideSpec(**base, points=points, chart="line" if years else "bar")
    return None


def slide_theme(script: Script, scene: Scene) -> str:
    """The words a slide's palette hue is picked from (within SlideSpec's 200 characters)."""
    return _clip(f"{script.title} {scene.image_prompt}", 200)


FALLBACKS = ("key_fact", "quote", "list", "big_number", "chart", "comparison")


def slide_specs(script: Script) -> list[SlideSpec]:
    """One slide per scene in the scene's own layout; where its content is missing, the
    first layout it has that differs from the previous slide's (key fact, or a quote of the
    narration: every scene has both), so no two consecutive slides share a layout."""
    specs: list[SlideSpec] = []
    previous: str | None = None
    for scene in script.scenes:
        theme = slide_theme(script, scene)
        wanted = [scene.layout] if scene.layout else []
        spec = None
        for layout in [*wanted, *FALLBACKS]:
            if layout == previous:
                continue
            spec = _attempt(scene, layout, theme)
            if spec is None and layout == "quote":  # the narration's own words as a quote
                quote = _clip(scene.key_fact or scene.narration, 300)
                spec = SlideSpec(layout="quote", theme=theme, text=quote)
            if spec is not None:
                break
        assert spec is not None  # key_fact and quote always build
        specs.append(spec)
        previous = spec.layout
    return specs


async def run(ctx: StageContext) -> StepResult:
    script = Script.model_validate(ctx.outputs[VideoStage.script]["script"])
    size = SIZES[ctx.video.format]
    style = str(ctx.video.style.get("palette") or "")
    specs = slide_specs(script)
    total = len(script.scenes)
    limit = asyncio.Semaphore(CONCURRENCY)
    ledger = asyncio.Lock()
    done = 0

    async def draw(index: int, scene: Scene, spec: SlideSpec) -> tuple[ImageResult, Charge]:
        nonlocal done
        prompt = f"{scene.image_prompt}. {style}".strip(". ") if style else scene.image_prompt
        async with limit:
            image = await generate_image(
                ctx.ai(),
                prompt,
                size=size,
                seed=scene_seed(ctx.video.id, index),
                negative_prompt=NEGATIVE_PROMPT,
                slide=spec,
            )
        write_atomic(ctx.video_dir / f"images/scene_{index:02d}.png", image.images[0])
        async with ledger:  # one ledger write at a time
            charge = await ctx.charged(charge_of("image", image.usage, image.served))
        done += 1
        ctx.progress(done / total, f"image {done}/{total}")
        return image, charge

    drawn = await asyncio.gather(
        *(
            draw(i, scene, spec)
            for i, (scene, spec) in enumerate(zip(script.scenes, specs, strict=True), start=1)
        )
    )
    result = StepResult()
    scenes_out: list[dict[str, Any]] = []
    for index, ((image, charge), spec) in enumerate(zip(drawn, specs, strict=True), start=1):
        result.artifacts[f"image_{index:02d}"] = f"images/scene_{index:02d}.png"
        result.charges.append(charge)
        scenes_out.append(
            {
                "seed": image.seeds[0],
                "model": image.served.model,
                "backend": image.served.backend,
                "layout": spec.layout,
                "slide": spec.model_dump(mode="json", exclude_defaults=True),
            }
        )
    result.output = {"scenes": total, "size": size, "images": scenes_out}
    return result
