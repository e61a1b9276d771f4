"""Drawing readable text with Pillow: outlined, shadowed lines. Fonts and wrapping come from
``ai.text_fit``, which the slide backend uses too."""

from __future__ import annotations

from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from ai.text_fit import balanced_wrap, faux_bold_px, fit_text, load_font

RGBA = tuple[int, int, int, int]
WHITE: RGBA = (255, 255, 255, 255)
BLACK: RGBA = (0, 0, 0, 255)


def fit_lines(
    text: str, max_width: float, max_lines: int, start_size: int, min_size: int
) -> tuple[list[str], int]:
    """The largest font size (down to ``min_size``) at which ``text`` wraps into ``max_lines``."""
    fitted = fit_text(
        text,
        max_width,
        start_size,
        min_size,
        lambda _font, lines: len(lines) <= max_lines,
        wrap=balanced_wrap,
    )
    return fitted.lines, fitted.size


def draw_text_block(
    canvas: Image.Image,
    lines: list[str],
    size: int,
    x: float,
    top: float,
    *,
    fill: RGBA = WHITE,
    outline: RGBA = BLACK,
    line_spacing: float = 1.18,
    shadow: bool = True,
    align: Literal["center", "left"] = "center",
) -> float:
    """Draw lines (centred on ``x``, or starting at it) with a dark outline and a soft drop
    shadow; return the bottom of the block."""
    anchor = "ma" if align == "center" else "la"
    font = load_font("bold", size)
    outline_px = max(2, size // 12)
    bold_px = faux_bold_px(size)
    step = size * line_spacing
    if shadow:
        layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        shadow_draw = ImageDraw.Draw(layer)
        offset = max(2, size // 16)
        for i, line in enumerate(lines):
            shadow_draw.text(
                (x + offset, top + i * step + offset),
                line,
                font=font,
                anchor=anchor,
                fill=(0, 0, 0, 170),
                stroke_width=outline_px + bold_px,
                stroke_fill=(0, 0, 0, 170),
            )
        radius = max(2, size // 10)
        if (bbox := layer.getbbox()) is not None:
            # Blur only around the text: a fraction of the cost of blurring the canvas.
            pad = radius * 3
            box = (
                max(0, bbox[0] - pad),
                max(0, bbox[1] - pad),
                min(canvas.width, bbox[2] + pad),
                min(canvas.height, bbox[3] + pad),
            )
            blurred = layer.crop(box).filter(ImageFilter.GaussianBlur(radius))
            canvas.alpha_composite(blurred, (box[0], box[1]))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        y = top + i * step
        draw.text(
            (x, y),
            line,
            font=font,
            anchor=anchor,
            fill=outline,
            stroke_width=outline_px + bold_px,
            stroke_fill=outline,
        )
        draw.text(
            (x, y),
            line,
            font=font,
            anchor=anchor,
            fill=fill,
            stroke_width=bold_px,
            stroke_fill=fill,
        )
    return top + len(lines) * step
