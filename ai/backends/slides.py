"""The CPU image default: a procedural slide renderer (Pillow + numpy).

Deterministic per (prompt, seed, slide spec), any size. A slide is a gradient background
with soft light blobs, one geometric motif, grain and a vignette. With a structured
``slide`` spec (``ai.slide_spec``: the image endpoint's extension) the content is drawn in
its layout (key fact, numbered list, big number, quote, comparison, chart, or the
thumbnail's text-free visual; ``ai.backends.slide_layouts``); without one the prompt's
subject is set as a title in one of three title layouts. The video pipeline uses these as
scene stills.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ai.backends.base import ImageJob
from ai.backends.slide_layouts import SlideDrawing, compose
from ai.backends.slide_style import Palette, palette_for, slide_rng, slide_text
from ai.slide_spec import SlideSpec
from ai.text_fit import Font, Weight, fit_text, load_font, wrap_words

LAYOUTS = ("centered", "left", "lower-third")
MOTIFS = ("rings", "dots", "diagonals", "triangles", "arcs")


class SlideRenderer:
    device = "cpu"

    def memory_bytes(self) -> int:
        return 0

    def unload(self) -> None:
        load_font.cache_clear()

    def generate(self, jobs: list[ImageJob]) -> list[Image.Image]:
        return [
            render_spec(j.slide, j.prompt, j.width, j.height, j.seed)[0]
            if j.slide is not None
            else render_slide(j.prompt, j.width, j.height, j.seed)
            for j in jobs
        ]


def render_slide(prompt: str, width: int, height: int, seed: int) -> Image.Image:
    rng = slide_rng(prompt, seed)
    palette = palette_for(prompt, rng)
    image = _gradient(width, height, palette, rng)
    image = _light_blobs(image, palette, rng)
    image = _motif(image, palette, rng, rng.choice(MOTIFS))
    image = _grain_and_vignette(image, rng)
    _typeset(image, prompt, palette, rng.choice(LAYOUTS))
    return image


def render_spec(spec: SlideSpec, prompt: str, width: int, height: int, seed: int) -> SlideDrawing:
    """The slide of ``spec`` (its palette from the spec's theme, else the prompt), with the
    boxes and sizes of the text drawn on it."""
    key = f"{prompt}\x00{spec.model_dump_json()}"
    rng = slide_rng(key, seed)
    palette = palette_for(
        spec.theme or prompt, rng, dark=True if spec.layout == "thumbnail" else None
    )
    image = _gradient(width, height, palette, rng)
    image = _light_blobs(image, palette, rng)
    if spec.layout != "thumbnail":  # the thumbnail keeps its headline side clean
        image = _motif(image, palette, rng, rng.choice(MOTIFS), strength=0.6)
    image = _grain_and_vignette(image, rng)
    return compose(image, spec, palette, rng)


def _gradient(width: int, height: int, palette: Palette, rng: random.Random) -> Image.Image:
    # a smooth field: computed on a coarse grid and upscaled (the grain hides any banding)
    angle = rng.uniform(0, np.pi)
    small_w, small_h = max(width // 8, 2), max(height // 8, 2)
    ys = np.linspace(-0.5, 0.5, small_h)[:, None]
    xs = np.linspace(-0.5, 0.5, small_w)[None, :] * (width / max(height, 1))
    t = xs * np.cos(angle) + ys * np.sin(angle)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    t = t * t * (3 - 2 * t)  # smoothstep: no hard bands
    top = np.array(palette.background_top, dtype=np.float32)
    bottom = np.array(palette.background_bottom, dtype=np.float32)
    pixels = top[None, None, :] * (1 - t[..., None]) + bottom[None, None, :] * t[..., None]
    coarse = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    return coarse.resize((width, height), Image.Resampling.BILINEAR)


def _light_blobs(image: Image.Image, palette: Palette, rng: random.Random) -> Image.Image:
    # drawn at a quarter of the size and blurred there: smooth and fast at 4K
    small = (max(image.width // 4, 8), max(image.height // 4, 8))
    layer = Image.new("RGBA", small, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    unit = min(small)
    for color in rng.sample([palette.accent, palette.accent_soft, palette.accent_soft], 3):
        radius = unit * rng.uniform(0.25, 0.6)
        cx, cy = rng.uniform(0, small[0]), rng.uniform(0, small[1])
        alpha = rng.randint(50, 110)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(*color, alpha))
    layer = layer.filter(ImageFilter.GaussianBlur(unit * 0.18))
    layer = layer.resize(image.size, Image.Resampling.BICUBIC)
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _motif(
    image: Image.Image,
    palette: Palette,
    rng: random.Random,
    motif: str,
    strength: float = 1.0,
) -> Image.Image:
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = image.size
    unit = min(w, h)
    line = max(1, unit // 300)
    color = (*palette.text, int(28 * strength))
    accent = (*palette.accent, int(70 * strength))
    if motif == "rings":
        cx, cy = rng.choice([(w * 0.85, h * 0.2), (w * 0.15, h * 0.8), (w * 0.8, h * 0.75)])
        for i in range(1, 7):
            r = unit * 0.09 * i
            draw.ellipse(
                (cx - r, cy - r, cx + r, cy + r),
                outline=accent if i == 3 else color,
                width=line * (2 if i == 3 else 1),
            )
    elif motif == "dots":
        step = max(unit // 28, 6)
        x0 = int(w * rng.choice([0.62, 0.05]))
        for x in range(x0, x0 + int(w * 0.33), step):
            for y in range(int(h * 0.08), int(h * 0.45), step):
                r = max(1, unit // 400 + 1)
                draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
    elif motif == "diagonals":
        gap = max(unit // 18, 8)
        for offset in range(-h, w, gap):
            draw.line((offset, h, offset + h, 0), fill=(*palette.text, 12), width=line)
        draw.line((0, h * 0.92, w * 0.3, h * 0.92), fill=accent, width=line * 3)
    elif motif == "triangles":
        for _ in range(rng.randint(3, 6)):
            size = unit * rng.uniform(0.05, 0.16)
            tx, ty = rng.uniform(0, w), rng.uniform(0, h)
            turn = rng.uniform(0, 2 * np.pi)
            points = [
                (tx + size * np.cos(turn + k * 2.094), ty + size * np.sin(turn + k * 2.094))
                for k in range(3)
            ]
            draw.polygon(points, outline=accent if rng.random() < 0.3 else color, width=line)
    else:  # arcs
        for i in range(4):
            r = unit * (0.5 + 0.12 * i)
            draw.arc(
                (w - r, h - r, w + r, h + r),
                180,
                270,
                fill=accent if i == 0 else color,
                width=line * 2,
            )
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _grain_and_vignette(image: Image.Image, rng: random.Random) -> Image.Image:
    w, h = image.size
    pixels = np.asarray(image, dtype=np.float32)
    noise = np.random.default_rng(rng.getrandbits(32)).integers(-3, 4, (h, w, 1), dtype=np.int8)
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None]
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    vignette = 1 - 0.35 * np.clip((xs**2 + ys**2) * 2, 0, 1) ** 1.5
    shaded = pixels * vignette[..., None] + noise
    return Image.fromarray(shaded.clip(0, 255).astype(np.uint8), "RGB")


def _typeset(image: Image.Image, prompt: str, palette: Palette, layout: str) -> None:
    words = slide_text(prompt)
    w, h = image.size
    unit = min(w, h)
    margin = int(w * 0.08)
    align = "left" if layout in ("left", "lower-third") else "center"
    block_width = int(w * (0.6 if layout == "left" else 0.84))
    title_font, title_lines = _fit(words.title, "bold", block_width, int(h * 0.42), unit * 0.13)
    sub_size = max(10, int(title_font.size * 0.36)) if hasattr(title_font, "size") else 14
    sub_font = load_font("regular", sub_size)
    sub_lines = wrap_words(words.subtitle, sub_font, block_width)[:2] if words.subtitle else []
    label_font = load_font("bold", max(9, int(sub_size * 0.8)))
    label = "  ".join(words.label) if words.label and len(words.label) < 18 else ""

    title_h = _line_height(title_font) * len(title_lines)
    sub_h = _line_height(sub_font) * len(sub_lines)
    gap = int(unit * 0.035)
    label_h = _line_height(label_font) + gap if label else 0
    block_h = label_h + title_h + gap + (gap // 2) * 2 + sub_h
    if layout == "lower-third":
        top = h - margin - block_h
        image.paste(_fade_panel(image, top - gap * 2, gap * 4, palette.background_bottom))
    else:
        top = (h - block_h) // 2
    x_left = margin if align == "left" else None

    shadow = Image.new("RGBA", image.size, (0, 0, 0, 0))
    text_layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    shadow_draw, draw = ImageDraw.Draw(shadow), ImageDraw.Draw(text_layer)
    y = top
    if label:
        _draw_line(
            draw,
            shadow_draw,
            label,
            label_font,
            (*palette.accent, 255),
            y,
            w,
            x_left,
            palette.shadow,
        )
        y += label_h
    for text in title_lines:
        _draw_line(
            draw, shadow_draw, text, title_font, (*palette.text, 255), y, w, x_left, palette.shadow
        )
        y += _line_height(title_font)
    y += gap // 2
    bar = int(unit * 0.09)
    bar_x = x_left if x_left is not None else (w - bar) // 2
    draw.rounded_rectangle(
        (bar_x, y, bar_x + bar, y + max(3, unit // 140)),
        radius=unit // 280 + 1,
        fill=(*palette.accent, 255),
    )
    y += gap
    for text in sub_lines:
        _draw_line(
            draw,
            shadow_draw,
            text,
            sub_font,
            (*palette.text_muted, 255),
            y,
            w,
            x_left,
            palette.shadow,
        )
        y += _line_height(sub_font)
    box = shadow.getbbox()
    if box:  # blur only where the text is
        pad = unit // 30
        box = (
            max(box[0] - pad, 0),
            max(box[1] - pad, 0),
            min(box[2] + pad, w),
            min(box[3] + pad, h),
        )
        region = shadow.crop(box).filter(ImageFilter.GaussianBlur(max(2, unit // 120)))
        shadow.paste(region, box[:2])
    composed = Image.alpha_composite(image.convert("RGBA"), shadow)
    composed = Image.alpha_composite(composed, text_layer)
    image.paste(composed.convert("RGB"))


def _fade_panel(
    image: Image.Image, top: int, fade: int, color: tuple[int, int, int]
) -> Image.Image:
    """A band of ``color`` from ``top`` down, fading in over ``fade`` pixels above it."""
    h = image.height
    rows = np.arange(h, dtype=np.float32)
    alpha = np.clip((rows - (top - fade)) / max(fade, 1), 0, 1) * 165
    layer = np.empty((h, image.width, 4), dtype=np.uint8)
    layer[..., :3] = color
    layer[..., 3] = alpha.astype(np.uint8)[:, None]
    panel = Image.fromarray(layer, "RGBA")
    return Image.alpha_composite(image.convert("RGBA"), panel).convert("RGB")


def _draw_line(
    draw: ImageDraw.ImageDraw,
    shadow: ImageDraw.ImageDraw,
    text: str,
    font: Font,
    fill: tuple[int, int, int, int],
    y: int,
    width: int,
    x_left: int | None,
    shadow_fill: tuple[int, int, int, int],
) -> None:
    line_w = draw.textlength(text, font=font)
    x = x_left if x_left is not None else int((width - line_w) / 2)
    offset = max(1, int(_line_height(font) * 0.04))
    shadow.text((x + offset, y + offset), text, font=font, fill=shadow_fill)
    draw.text((x, y), text, font=font, fill=fill)


def _fit(text: str, weight: Weight, max_w: int, max_h: int, start: float) -> tuple[Font, list[str]]:
    """The largest size at which the title takes at most three lines within ``max_h``."""
    fitted = fit_text(
        text,
        max_w,
        max(int(start), 10),
        10,
        lambda font, lines: len(lines) <= 3 and _line_height(font) * len(lines) <= max_h,
        weight=weight,
    )
    return fitted.font, fitted.lines[:4]


def _line_height(font: Font) -> int:
    bbox = font.getbbox("Hg")
    return int((bbox[3] - bbox[1]) * 1.3)
