"""The video thumbnail: the scene image, a dark gradient and the title in big outlined type."""

from __future__ import annotations

from pathlib import Path

import structlog
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from backend.render.errors import RenderInputError
from backend.render.overlays import ACCENT
from backend.render.text import draw_text_block, fit_lines

log = structlog.get_logger(__name__)

THUMB_SIZE = (1280, 720)
MARGIN = 64
TITLE_SIZE = 112
MIN_TITLE_SIZE = 56
MAX_LINES = 3


def _gradient(size: tuple[int, int]) -> Image.Image:
    """Transparent at the top, darkening toward the bottom-left where the title sits."""
    w, h = size
    vertical = Image.linear_gradient("L").resize((w, h))  # 0 at top, 255 at bottom
    horizontal = Image.linear_gradient("L").rotate(90).resize((w, h))  # 255 left, 0 right
    mask = ImageOps.autocontrast(Image.blend(vertical, horizontal, 0.35))
    return mask.point(lambda v: int(max(0, v - 60) * 0.95))


def make_thumbnail(image_path: Path, title: str, out_path: Path) -> Path:
    """Write a 1280x720 thumbnail (JPEG or PNG by ``out_path``'s suffix) and return its path."""
    if not title.strip():
        raise RenderInputError("a thumbnail needs a title")
    if not image_path.is_file():
        raise RenderInputError(f"thumbnail image {image_path} does not exist")
    with Image.open(image_path) as src:
        image = ImageOps.fit(src.convert("RGB"), THUMB_SIZE, Image.Resampling.LANCZOS)
    image = ImageEnhance.Color(ImageEnhance.Contrast(image).enhance(1.12)).enhance(1.15)
    canvas = Image.composite(
        Image.new("RGB", THUMB_SIZE, (0, 0, 0)), image, _gradient(THUMB_SIZE)
    ).convert("RGBA")
    lines, size = fit_lines(
        title.strip(), THUMB_SIZE[0] - 2 * MARGIN - 24, MAX_LINES, TITLE_SIZE, MIN_TITLE_SIZE
    )
    block_h = len(lines) * size * 1.12
    top = THUMB_SIZE[1] - MARGIN - block_h
    ImageDraw.Draw(canvas).rounded_rectangle(
        (MARGIN - 4, top + size * 0.1, MARGIN + 10, top + block_h - size * 0.2),
        radius=6,
        fill=ACCENT,
    )
    draw_text_block(canvas, lines, size, MARGIN + 34, top, line_spacing=1.12, align="left")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    rgb = canvas.convert("RGB")
    if out_path.suffix.lower() in (".jpg", ".jpeg"):
        rgb.save(out_path, format="JPEG", quality=90, optimize=True)
    else:
        rgb.save(out_path, format="PNG")
    log.info("render.thumbnail", path=str(out_path), lines=len(lines), size=size)
    return out_path
