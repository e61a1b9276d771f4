"""Scenes that differ and thumbnails that read, measured on what is produced.

- Layout variety: over many generated scripts (narrations drawn at random from sentences with
  numbers, enumerations, contrasts, quotes and plain facts) the images step's slide specs
  never repeat a layout between consecutive scenes, even when the script's own layouts all
  collide.
- Motion: consecutive scenes differ in kind, a zoom's focus point differs from the last
  zoom's, every motion keeps the slide's content box in view.
- Thumbnails: on a busy picture, a white one, and the slide renderer's thumbnail visual,
  the written JPEG's headline has a WCAG contrast >= 4.5 against its local background,
  stays inside the safe area and clear of the timestamp box, and its capitals are >= 12 px
  tall at 168x94; the measurement fails on a crafted bad thumbnail.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from ai.backends.slide_layouts import content_box
from ai.backends.slides import render_spec
from ai.slide_spec import SlideSpec
from ai.text_fit import load_font
from backend.agents.script import Script
from backend.pipeline.steps.images import slide_specs
from backend.pipeline.steps.thumbnail import headlines
from backend.render.motion import plan_motions
from backend.render.samples import landscape
from backend.render.thumbnail import (
    MIN_CAP_PX_SMALL,
    MIN_CONTRAST,
    headline_words,
    make_thumbnail,
    measure,
    strongest,
)

SENTENCES = [
    "The Moon is about 400 times smaller than the Sun and 400 times closer to us.",
    "A total eclipse can last up to 7.5 minutes, but most last less than three.",
    "In 2017 about 88 million people watched, in 2024 more than 146 million did.",
    "You need certified glasses, a pinhole projector, a clear sky and a little patience.",
    "Unlike a partial eclipse, a total eclipse turns day into a deep blue twilight.",
    'As one astronomer put it, "nothing prepares you for the moment the corona appears".',
    "Birds stop singing and the temperature drops by several degrees in minutes.",
    "Ancient Babylonians recorded eclipses on clay tablets thousands of years ago.",
    "Solar panels lose 70% of their output, while wind turbines keep on turning.",
    "The shadow races across the Earth faster than any passenger jet can fly.",
]


def random_script(rng: random.Random, scenes: int) -> Script:
    return Script.model_validate(
        {
            "title": "What happens during a total solar eclipse",
            "hook": "Once in a lifetime the sky goes dark in the middle of the day.",
            "scenes": [
                {
                    "narration": " ".join(rng.sample(SENTENCES, rng.randint(1, 3))),
                    "image_prompt": f"a total solar eclipse over a desert, view {i}",
                }
                for i in range(scenes)
            ],
            "description": "Everything that happens in the minutes of a total solar eclipse.",
            "tags": ["solar eclipse", "astronomy"],
        }
    )


@pytest.mark.parametrize("seed", range(12))
def test_no_two_consecutive_slides_share_a_layout(seed: int) -> None:
    rng = random.Random(seed)
    script = random_script(rng, rng.randint(3, 12))
    specs = slide_specs(script)
    layouts = [s.layout for s in specs]
    assert len(specs) == len(script.scenes)
    assert all(a != b for a, b in itertools.pairwise(layouts)), layouts
    # the script's choice is kept where it has the content (the script guarantees it does)
    assert layouts == [scene.layout for scene in script.scenes]


def test_layouts_stay_varied_when_the_script_asks_for_the_same_one_everywhere() -> None:
    script = random_script(random.Random(99), 10)
    for scene in script.scenes:
        scene.layout = "chart"  # a chart the scene mostly has no numbers for
        scene.chart = []
    layouts = [s.layout for s in slide_specs(script)]
    assert all(a != b for a, b in itertools.pairwise(layouts)), layouts
    assert "chart" not in layouts
    assert len(set(layouts)) >= 2


def test_a_generated_script_uses_many_layouts() -> None:
    rng = random.Random(5)
    seen: set[str] = set()
    for _ in range(6):
        seen |= {s.layout for s in slide_specs(random_script(rng, 10))}
    assert {"key_fact", "list", "big_number", "quote", "comparison", "chart"} <= seen


# -- motion ---------------------------------------------------------------------------------
def _windows(motion, steps: int = 24):  # type: ignore[no-untyped-def]
    s, e = motion.start, motion.end
    for k in range(steps + 1):
        p = k / steps
        zoom = s.zoom * math.exp(math.log(e.zoom / s.zoom) * p)
        cx, cy = s.cx + (e.cx - s.cx) * p, s.cy + (e.cy - s.cy) * p
        hw, hh = motion.frame_w / (2 * zoom), motion.frame_h / (2 * zoom)
        yield cx - hw, cy - hh, cx + hw, cy + hh


@pytest.mark.parametrize("frame", [(1920, 1080), (1080, 1920)])
def test_motion_differs_between_consecutive_scenes_and_keeps_the_slide_in_view(
    frame: tuple[int, int],
) -> None:
    bases = [(float(frame[0]), float(frame[1]))] * 16
    motions = plan_motions("video-7", bases, frame)
    assert motions == plan_motions("video-7", bases, frame)  # deterministic per video
    assert motions != plan_motions("video-8", bases, frame)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(motions))
    zooms = [m for m in motions if m.kind.startswith("zoom")]
    assert len({m.focus for m in zooms}) >= 3
    assert all(a.focus != b.focus for a, b in itertools.pairwise(zooms))
    assert {m.kind for m in motions} >= {"zoom_in", "zoom_out"}
    assert len({m.kind for m in motions if m.kind.startswith("pan")}) >= 3
    left, top, right, bottom = content_box(*frame)
    slack = 0.012 * frame[0]
    for motion in motions:
        for x0, y0, x1, y1 in _windows(motion):
            # the window is inside the picture and the content box inside the window
            assert x0 >= -1e-6 and y0 >= -1e-6 and x1 <= frame[0] + 1e-6 and y1 <= frame[1] + 1e-6
            assert x0 <= left + slack and x1 >= right - slack, motion.kind
            assert y0 <= top + slack and y1 >= bottom - slack, motion.kind


def test_wide_pictures_pan_alternately() -> None:
    motions = plan_motions("short", [(3413.0, 1920.0)] * 6, (1080, 1920))
    kinds = [m.kind for m in motions]
    assert set(kinds) <= {"pan_left", "pan_right"}
    assert all(a != b for a, b in itertools.pairwise(kinds))


# -- thumbnails -----------------------------------------------------------------------------
def test_headlines_have_at_most_five_words() -> None:
    assert headline_words("Why the Deep Ocean Glows") == "WHY THE DEEP OCEAN GLOWS"
    assert headline_words("Solar eclipses: what you see when the sky goes dark") == (
        "SOLAR ECLIPSES"  # the first clause
    )
    long = headline_words("Ten astonishing secrets of the deep ocean that scientists hide")
    assert len(long.split()) <= 5 and not long.endswith(" OF")
    a, b = headlines("SOLAR ECLIPSE", "What happens during a total solar eclipse")
    assert a == "SOLAR ECLIPSE" and b != a and len(b.split()) <= 5


def _pictures(tmp_path: Path) -> list[tuple[Path, str | None]]:
    busy = tmp_path / "busy.png"
    landscape((1280, 720), 3, "").save(busy)
    white = tmp_path / "white.png"
    Image.new("RGB", (1280, 720), (250, 250, 250)).save(white)
    visual = tmp_path / "visual.png"
    spec = SlideSpec(layout="thumbnail", number="7.5 min", side="left", theme="eclipse")
    render_spec(spec, "eclipse", 1280, 720, 2).image.save(visual)
    return [(busy, None), (white, None), (visual, "right")]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_thumbnails_read_contrast_safe_area_and_small_size(tmp_path: Path, index: int) -> None:
    picture, region = _pictures(tmp_path)[index]
    out = tmp_path / "thumbnail.jpg"
    thumb = make_thumbnail(
        picture,
        "What happens during a total solar eclipse",
        out,
        region=region,  # type: ignore[arg-type]
    )
    assert len(thumb.headline.split()) <= 5
    with Image.open(out) as written:
        assert written.size == (1280, 720) and written.format == "JPEG"
        # measured again on the file as written (JPEG and all)
        check = measure(written, thumb.line_boxes, thumb.text_rgb, len(thumb.headline.split()))
    assert check.contrast >= MIN_CONTRAST, check
    assert check.cap_px_small >= MIN_CAP_PX_SMALL, check
    assert check.stroke_px_small >= 1.5, check
    assert check.inside_safe_area and check.clear_of_timestamp, (check, thumb.line_boxes)
    assert check.passed and thumb.check.passed


def test_the_measurement_fails_a_bad_thumbnail() -> None:
    image = Image.new("RGB", (1280, 720), (235, 235, 235))
    draw = ImageDraw.Draw(image)
    font = load_font("bold", 40)
    draw.text((1100, 660), "TINY PALE TEXT", font=font, fill=(255, 255, 255))
    box = draw.textbbox((1100, 660), "TINY PALE TEXT", font=font)
    check = measure(image, [tuple(int(v) for v in box)], (255, 255, 255), 3)  # type: ignore[list-item]
    assert check.contrast < MIN_CONTRAST
    assert check.cap_px_small < MIN_CAP_PX_SMALL
    assert not check.inside_safe_area and not check.clear_of_timestamp
    assert not check.passed


def test_strongest_prefers_a_colourful_detailed_picture(tmp_path: Path) -> None:
    flat = tmp_path / "flat.png"
    Image.new("RGB", (320, 180), (90, 90, 90)).save(flat)
    busy = tmp_path / "busy.png"
    landscape((320, 180), 1, "").save(busy)
    assert strongest([flat, busy]) == [busy, flat]
