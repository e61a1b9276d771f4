"""The designed slide layouts and the image endpoint's ``slide`` extension.

Every layout is drawn with short and with the longest allowed text, landscape and portrait:
no text box leaves the content box (in view through the motion, above the captions), no two
text boxes overlap, and no text is smaller than reads at 1080p. The extension: the slide
renderer draws the spec, a bad spec is a 400, and a picture model (tiny SDXL) draws the
prompt alone, batched, the same again for the same seeds.
"""

from __future__ import annotations

import asyncio
import io
import itertools
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from ai.app import Services
from ai.backends.slide_layouts import content_box
from ai.backends.slides import render_spec
from ai.calls import generate_image
from ai.slide_spec import ChartPoint, SlideSpec
from tests.ai.conftest import sdk_client, tiny_app

LONG = (
    "Astronomers calculated that the shadow of the Moon races across the surface of the "
    "Earth at more than two thousand kilometres an hour during a total solar eclipse, "
    "faster than any passenger jet has ever flown, and it crosses whole continents in "
    "little more than three hours before slipping off into space again above the ocean "
    "while millions of people watch it pass from beaches and rooftops everywhere"
)[:400]
WORD = "Supercalifragilisticexpialidocious"


def specs(long: bool) -> list[SlideSpec]:
    def text(n: int) -> str:
        return LONG[:n] if long else "Short and sweet"

    title = text(120) if long else "Eclipses"
    points = [
        ChartPoint(label=(text(24) if long else str(1990 + i)), value=v)
        for i, v in enumerate([3, 120000, 7, 55, 0.5, 12, 40, 2] if long else [4, 9])
    ]
    return [
        SlideSpec(layout="key_fact", title=title, text=text(400)),
        SlideSpec(layout="list", title=title, items=[text(120)] * 5 if long else ["One", "Two"]),
        SlideSpec(
            layout="big_number",
            title=title,
            number="1234567890123456"[: 16 if long else 3],
            text=text(400),
        ),
        SlideSpec(layout="quote", text=text(400), source=text(80) if long else "Anon"),
        SlideSpec(
            layout="comparison",
            title=title,
            left=text(40),
            right=WORD if long else "Partial",
            left_items=[text(120)] * 3 if long else ["Dark"],
            right_items=[text(120)] * 3 if long else [],
        ),
        SlideSpec(layout="chart", title=title, points=points, unit="%"),
        SlideSpec(layout="chart", chart="line", title=title, points=points),
    ]


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
@pytest.mark.parametrize("long", [False, True])
def test_every_layout_keeps_its_text_inside_the_content_box(
    size: tuple[int, int], long: bool
) -> None:
    left, top, right, bottom = content_box(*size)
    slack = 3  # antialiasing
    for spec in specs(long):
        image, boxes, sizes = render_spec(spec, "solar eclipse", *size, seed=3)
        assert image.size == size
        assert boxes, spec.layout
        for box in boxes:
            assert box[0] >= left - slack and box[2] <= right + slack, (spec.layout, box)
            assert box[1] >= top - slack and box[3] <= bottom + slack, (spec.layout, box)
        for a, b in itertools.combinations(boxes, 2):
            assert overlap(a, b) == 0, (spec.layout, a, b)
        # the smallest text still reads at 1080p: at least 28 px on a 1080 px short side
        assert min(sizes) >= 0.026 * min(size), (spec.layout, min(sizes))


def test_layouts_look_different_from_each_other() -> None:
    images = [
        np.asarray(render_spec(s, "eclipse", 480, 270, seed=1)[0].convert("L"), dtype=np.float32)
        for s in specs(False)
    ]
    for a, b in itertools.combinations(images, 2):
        assert np.abs(a - b).mean() > 4


@pytest.mark.parametrize(
    "slide, message",
    [
        ({"layout": "list", "items": ["only one"]}, "at least 2 items"),
        ({"layout": "chart", "points": [{"label": "a", "value": 1}]}, "at least 2 points"),
        ({"layout": "big_number"}, "number"),
        ({"layout": "spiral", "text": "x"}, "layout"),
        ({"layout": "key_fact", "text": "x", "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_slide_is_a_400(
    cpu_http: httpx.AsyncClient, slide: dict[str, object], message: str
) -> None:
    response = await cpu_http.post(
        "/v1/images/generations", json={"prompt": "eclipse", "size": "320x180", "slide": slide}
    )
    assert response.status_code == 400, response.text
    assert message in response.text


async def test_the_slide_renderer_draws_the_spec(cpu_sdk: openai.AsyncOpenAI) -> None:
    spec = SlideSpec(layout="big_number", title="Totality", number="7.5", text="minutes at most")
    with_spec = await generate_image(
        cpu_sdk, "eclipse over a desert", "640x360", seed=4, slide=spec
    )
    again = await generate_image(cpu_sdk, "eclipse over a desert", "640x360", seed=4, slide=spec)
    plain = await generate_image(cpu_sdk, "eclipse over a desert", "640x360", seed=4)
    assert with_spec.served.model == "slides"
    assert with_spec.images == again.images  # deterministic per (prompt, seed, spec)
    assert with_spec.images != plain.images
    expected = render_spec(spec, "eclipse over a desert", 640, 360, 4).image
    got = Image.open(io.BytesIO(with_spec.images[0])).convert("RGB")
    assert np.array_equal(np.asarray(got), np.asarray(expected))


async def test_sdxl_draws_the_prompt_batched_and_again_for_the_same_seeds(
    tiny_dirs: dict[str, Path], repo_models_dir: Path
) -> None:
    app = tiny_app(
        tiny_dirs,
        repo_models_dir,
        profile_overrides={"image_batch_window_ms": 300, "image_max_batch": 4},
    )
    services: Services = app.state.services
    client = sdk_client(app)
    spec = SlideSpec(layout="key_fact", text="ignored by picture models")
    prompts = ["a red fox in snow", "a lighthouse at dusk", "a desert under an eclipse"]

    async def scenes(slide: SlideSpec | None) -> list[np.ndarray]:
        results = await asyncio.gather(
            *(
                generate_image(client, p, "64x64", seed=100 + i, slide=slide)
                for i, p in enumerate(prompts)
            )
        )
        assert all(
            r.served.model == "tiny-sdxl" and r.seeds == [100 + i] for i, r in enumerate(results)
        )
        return [
            np.asarray(Image.open(io.BytesIO(r.images[0])).convert("RGB"), dtype=np.float32)
            for r in results
        ]

    try:
        first = await scenes(spec)
        again = await scenes(spec)
        without = await scenes(None)
    finally:
        await client.close()
    assert services.images.batch_sizes == [3, 3, 3]  # the three scenes share one forward pass

    def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
        # a batch's float sums depend a little on each image's place in it: same picture,
        # not always the same bytes
        return all(np.abs(x - y).mean() < 1.0 for x, y in zip(a, b, strict=True))

    assert same(first, again)  # the recorded seeds reproduce the pictures
    assert same(first, without)  # the slide spec does not change what SDXL draws
    for x, y in itertools.combinations(first, 2):
        assert np.abs(x - y).mean() > 1.0  # each scene its own picture
