"""Font loading and text fitting with Pillow, shared by everything that puts words on a
picture: the slide backend (``ai/backends/slides.py``) and the video renderer
(``backend/render/``: title cards, captions, thumbnails).

It lives in ``ai/`` because ``ai/`` ships the fonts (``ai/fonts``, DejaVu Sans) and must
never import ``backend/``, while the backend may import ``ai``. It imports only Pillow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import ImageFont

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
Weight = Literal["bold", "regular"]
FONT_FILES: dict[Weight, str] = {"bold": "DejaVuSans-Bold.ttf", "regular": "DejaVuSans.ttf"}
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Wrap = Callable[[str, Font, float], list[str]]


def font_path(weight: Weight) -> Path | None:
    """The bundled font file for ``weight``, or None when it is missing."""
    path = FONTS_DIR / FONT_FILES[weight]
    return path if path.is_file() else None


@lru_cache(maxsize=128)
def load_font(weight: Weight, size: int) -> Font:
    """The bundled DejaVu Sans at ``size`` px; Pillow's built-in scalable font if missing."""
    path = font_path(weight)
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def faux_bold_px(size: int) -> int:
    """Extra same-colour stroke that makes the regular fallback font read as bold."""
    return 0 if font_path("bold") is not None else max(1, size // 28)


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


@dataclass(frozen=True)
class FittedText:
    font: Font
    size: int
    lines: list[str]


def fit_text(
    text: str,
    max_width: float,
    start_size: int,
    min_size: int,
    fits: Callable[[Font, list[str]], bool],
    *,
    weight: Weight = "bold",
    wrap: Wrap = wrap_words,
) -> FittedText:
    """The largest size from ``start_size`` down (by 10 % steps, never below ``min_size``)
    at which ``text`` wrapped to ``max_width`` ``fits``; at ``min_size`` whatever it gives."""
    size = start_size
    while True:
        font = load_font(weight, size)
        lines = wrap(text, font, max_width)
        if size <= min_size or fits(font, lines):
            return FittedText(font, size, lines)
        size = max(min_size, int(size * 0.9))
