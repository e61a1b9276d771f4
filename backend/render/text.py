"""Drawing readable text with Pillow: wrapping to a width and outlined, shadowed lines."""

from __future__ import annotations

from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from backend.render.fonts import Font, bold_font, faux_bold_px

RGBA = tuple[int, int, int, int]
WHITE: RGBA = (255, 255, 255, 255)
BLACK: RGBA = (0, 0, 0, 255)


def text_width(font: Font, text: str) -> float:
    return float(font.getlength(text))


def wrap_words(text: str, font: Font, max_width: float) -> list[str]:
    """Greedy word wrap; a single word wider than the line is kept on its own line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and text_width(font, candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def balanced_wrap(text: str, font: Font, max_width: float) -> list[str]:
    """Wrap into as few lines as greedy wrapping needs, but with lines of similar length
    (no lone last word): the narrowest width that keeps the line count."""
    lines = wrap_words(text, font, max_width)
    if len(lines) < 2:
        return lines
    low, high = max(text_width(font, w) for w in text.split()), max_width
    while high - low > 4:
        mid = (low + high) / 2
        if len(wrap_words(text, font, mid)) <= len(lines):
            high = mid
        else:
            low = mid
    return wrap_words(text, font, high)


def fit_lines(
    text: str, max_width: float, max_lines: int, start_size: int, min_size: int
) -> tuple[list[str], int]:
    """The largest font size (down to ``min_size``) at which ``text`` wraps into ``max_lines``."""
    size = start_size
    while True:
        lines = balanced_wrap(text, bold_font(size), max_width)
        if len(lines) <= max_lines or size <= min_size:
            return lines, size
        size = max(min_size, int(size * 0.9))


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
    font = bold_font(size)
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
            box = (max(0, bbox[0] - pad), max(0, bbox[1] - pad),
                   min(canvas.width, bbox[2] + pad), min(canvas.height, bbox[3] + pad))
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
