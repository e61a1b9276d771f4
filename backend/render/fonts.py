"""A bold sans-serif font without relying on system fonts.

DejaVu Sans Bold ships inside matplotlib's wheel (a prophet dependency, so present in
this product); when it is missing, Pillow's built-in scalable font is used instead and
text is emboldened by a same-colour stroke (see ``faux_bold_px``).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def bold_font_path() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
        if candidate.is_file():
            return candidate
    return None


@cache
def bold_font(size: int) -> Font:
    path = bold_font_path()
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def faux_bold_px(size: int) -> int:
    """Extra same-colour stroke that makes the regular fallback font read as bold."""
    return 0 if bold_font_path() is not None else max(1, size // 28)
