"""Pre-rendered stills for the video: caption strips (transparent PNG) and title cards."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from backend.render.layout import Layout
from backend.render.text import draw_text_block, fit_lines

ACCENT = (255, 196, 0, 255)


def caption_strip(text: str, layout: Layout) -> Image.Image:
    """The caption centred near the bottom of a transparent full-width strip."""
    strip = Image.new("RGBA", (layout.width, layout.caption_strip_h), (0, 0, 0, 0))
    lines, size = fit_lines(
        text,
        layout.width * 0.86,
        layout.caption_lines,
        layout.caption_size,
        int(layout.caption_size * 0.7),
    )
    block_h = len(lines) * size * 1.18
    top = layout.caption_strip_h - layout.caption_bottom_pad - block_h
    draw_text_block(strip, lines, size, layout.width / 2, top)
    return strip


def blank_strip(layout: Layout) -> Image.Image:
    return Image.new("RGBA", (layout.width, layout.caption_strip_h), (0, 0, 0, 0))


def save_fast_png(image: Image.Image, path: Path) -> Path:
    image.save(path, format="PNG", compress_level=1)
    return path


def card_background(image_path: Path, size: tuple[int, int]) -> Image.Image:
    """The scene image filling the frame, heavily blurred and darkened toward the edges."""
    with Image.open(image_path) as src:
        base = ImageOps.fit(src.convert("RGB"), (size[0] // 8, size[1] // 8))
    base = base.filter(ImageFilter.GaussianBlur(6)).resize(size, Image.Resampling.BILINEAR)
    base = ImageEnhance.Brightness(base).enhance(0.45)
    vignette = Image.radial_gradient("L").resize(size).point(lambda v: int(v * 0.6))
    black = Image.new("RGB", size, (0, 0, 0))
    return Image.composite(black, base, vignette).convert("RGBA")


def title_card(background: Path, headline: str, subline: str | None, layout: Layout) -> Image.Image:
    """A title card: big outlined headline, an accent rule and an optional smaller line."""
    card = card_background(background, (layout.width, layout.height))
    lines, size = fit_lines(
        headline,
        layout.width * 0.82,
        layout.title_lines,
        layout.title_size,
        int(layout.title_size * 0.55),
    )
    sub_lines, sub_size = (
        fit_lines(subline, layout.width * 0.8, 2, int(layout.title_size * 0.46), 28)
        if subline
        else ([], 0)
    )
    rule_gap = size * 0.45
    block_h = len(lines) * size * 1.18 + (
        rule_gap * 2 + len(sub_lines) * sub_size * 1.18 if sub_lines else 0
    )
    top = (layout.height - block_h) / 2
    bottom = draw_text_block(card, lines, size, layout.width / 2, top)
    if sub_lines:
        rule_y = bottom + rule_gap * 0.5
        half = layout.width * 0.08
        ImageDraw.Draw(card).rounded_rectangle(
            (layout.width / 2 - half, rule_y, layout.width / 2 + half, rule_y + size * 0.09),
            radius=int(size * 0.05),
            fill=ACCENT,
        )
        draw_text_block(
            card,
            sub_lines,
            sub_size,
            layout.width / 2,
            bottom + rule_gap * 1.5,
            fill=(235, 235, 235, 255),
        )
    return card.convert("RGB")
