"""The images and thumbnail steps on the in-process CPU gateway (the slide renderer).

images: one slide per scene in the scene's layout (no two consecutive alike), each seed,
model and layout recorded, the same pictures again on a re-run. thumbnail: two variants
from visuals made for the thumbnail (the slides carry their own text), each passing its
checks; from text-free scene pictures when the scenes were drawn by a picture model.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path

import openai
import pytest
import redis
from PIL import Image

from backend.agents.script import Script
from backend.models import VideoStage
from backend.pipeline.context import StageContext, VideoSnapshot
from backend.pipeline.steps import images, thumbnail
from backend.settings import Settings

SCRIPT = Script.model_validate(
    {
        "title": "What happens during a total solar eclipse",
        "hook": "Once in a lifetime the sky goes dark in the middle of the day.",
        "scenes": [
            {
                "narration": "The Moon is about 400 times smaller than the Sun and 400 times "
                "closer, so it covers it exactly.",
                "image_prompt": "the Moon sliding in front of the Sun, seen from a desert",
            },
            {
                "narration": "A total eclipse can last up to 7.5 minutes, but most last less "
                "than three.",
                "image_prompt": "people on a hill watching the sky go dark",
            },
            {
                "narration": "You need certified glasses, a pinhole projector, a clear sky and "
                "a little patience.",
                "image_prompt": "eclipse glasses and a pinhole projector on a table",
            },
        ],
        "description": "Everything that happens in the minutes of a total solar eclipse.",
        "tags": ["solar eclipse", "astronomy"],
    }
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Files only: no database here (the steps open no session)."""
    return Settings(environment="test", data_dir=tmp_path / "data")


@pytest.fixture(scope="module")
def cpu_gateway(tmp_path_factory: pytest.TempPathFactory) -> openai.AsyncOpenAI:
    from ai.client import make_openai_client

    return make_openai_client(
        Settings(environment="test", data_dir=tmp_path_factory.mktemp("ai-data"))
    )


def _context(
    settings: Settings, gateway: openai.AsyncOpenAI, stage: VideoStage, video_id: uuid.UUID
) -> StageContext:
    video = VideoSnapshot(
        id=video_id,
        owner_id=uuid.uuid4(),
        channel_id=uuid.uuid4(),
        topic="solar eclipse",
        title=SCRIPT.title,
        script=SCRIPT.model_dump(mode="json"),
        channel_name="Sky",
        niche="science",
        language="en",
        format="long",
        cadence_per_day=1.0,
        quality_threshold=0.75,
        voice={},
        style={},
    )
    ctx = StageContext(
        settings=settings,
        # progress only (dropped when Redis is away)
        redis=redis.Redis.from_url(os.environ.get("YTE_TEST_REDIS", "redis://127.0.0.1:6379/0")),
        video=video,
        stage=stage,
        outputs={VideoStage.script: {"script": SCRIPT.model_dump(mode="json")}},
        artifacts={},
    )
    ctx._ai = gateway
    return ctx


async def test_images_then_thumbnails(settings: Settings, cpu_gateway: openai.AsyncOpenAI) -> None:
    video_id = uuid.uuid4()
    ctx = _context(settings, cpu_gateway, VideoStage.images, video_id)
    drawn = await images.run(ctx)
    scenes = drawn.output["images"]
    assert [s["layout"] for s in scenes] == [scene.layout for scene in SCRIPT.scenes]
    assert all(a["layout"] != b["layout"] for a, b in itertools.pairwise(scenes))
    assert all(s["model"] == "slides" and s["backend"] == "slides" for s in scenes)
    assert len({s["seed"] for s in scenes}) == 3
    files = [ctx.video_dir / drawn.artifacts[f"image_{i:02d}"] for i in (1, 2, 3)]
    first = [f.read_bytes() for f in files]
    for f in files:
        with Image.open(f) as image:
            assert image.size == (1920, 1080)
    assert len(drawn.charges) == 3

    again = await images.run(_context(settings, cpu_gateway, VideoStage.images, video_id))
    assert [s["seed"] for s in again.output["images"]] == [s["seed"] for s in scenes]
    assert [f.read_bytes() for f in files] == first  # a re-run draws the same slides

    ctx = _context(settings, cpu_gateway, VideoStage.thumbnail, video_id)
    ctx.outputs[VideoStage.images] = drawn.output
    ctx.artifacts[VideoStage.images] = drawn.artifacts
    made = await thumbnail.run(ctx)
    # every file the stage wrote is its artifact (the visuals as intermediates)
    assert made.artifacts == {
        "thumbnail": "thumbnail.jpg",
        "thumbnail_b": "thumbnail_b.jpg",
        "image_thumbnail_visual_a": "images/thumbnail_visual_a.png",
        "image_thumbnail_visual_b": "images/thumbnail_visual_b.png",
    }
    assert all((ctx.video_dir / p).is_file() for p in made.artifacts.values())
    assert made.output["variants"] == ["thumbnail.jpg", "thumbnail_b.jpg"]
    checks = made.output["thumbnails"]
    assert [c["source"] for c in checks] == ["thumbnail_visual", "thumbnail_visual"]
    assert all(c["passed"] and len(c["headline"].split()) <= 5 for c in checks), checks
    assert checks[0]["headline"] != checks[1]["headline"]
    assert len(made.charges) == 2  # the two thumbnail visuals
    a, b = (ctx.video_dir / name for name in made.output["variants"])
    assert a.read_bytes() != b.read_bytes()

    # scenes a picture model drew (no text of their own): the strongest carry the headline
    pictures = {**drawn.output, "images": [{**s, "backend": "diffusers-sdxl"} for s in scenes]}
    ctx = _context(settings, cpu_gateway, VideoStage.thumbnail, video_id)
    ctx.outputs[VideoStage.images] = pictures
    ctx.artifacts[VideoStage.images] = drawn.artifacts
    made = await thumbnail.run(ctx)
    assert [c["source"] for c in made.output["thumbnails"]] == ["scene", "scene"]
    assert made.artifacts == {"thumbnail": "thumbnail.jpg", "thumbnail_b": "thumbnail_b.jpg"}
    assert {c["picture"] for c in made.output["thumbnails"]} <= {f.name for f in files}
    assert not made.charges


def test_a_long_title_and_prompt_still_make_slides() -> None:
    # The demo's script once stopped the images stage: title + visual prompt over the
    # slide spec's 200-character theme.
    data = SCRIPT.model_dump(mode="json")
    data["title"] = "The Earth's Shadow: A Surprising Look at Solar Eclipses and Why They Happen"
    for scene in data["scenes"]:
        scene["image_prompt"] = scene["image_prompt"] + ", " + "wide cinematic shot " * 8
    script = Script.model_validate(data)
    specs = images.slide_specs(script)
    assert len(specs) == len(script.scenes)
    assert all(0 < len(spec.theme) <= 200 for spec in specs)
    assert images.slide_theme(script, script.scenes[0]).startswith("The Earth's Shadow")
