"""Per-scene source stills: each image cropped to its motion's box and scaled once (Pillow,
Lanczos) so that ffmpeg only ever downscales it a little per frame."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from backend.render.errors import RenderError
from backend.render.motion import Motion
from backend.render.overlays import save_fast_png


def image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError) as exc:
        raise RenderError(f"cannot read scene image {path}: {exc}") from exc


def base_size(image: tuple[int, int], frame: tuple[int, int]) -> tuple[float, float]:
    """The image scaled to just cover the frame, keeping its aspect ratio."""
    scale = max(frame[0] / image[0], frame[1] / image[1])
    return image[0] * scale, image[1] * scale


def write_scene_source(
    image_path: Path, motion: Motion, frame: tuple[int, int], out_path: Path
) -> Path:
    with Image.open(image_path) as src:
        image = src.convert("RGB")
    scale = max(frame[0] / image.width, frame[1] / image.height)
    left, top, right, bottom = motion.box()
    size = (
        max(frame[0], round((right - left) * motion.max_zoom)),
        max(frame[1], round((bottom - top) * motion.max_zoom)),
    )
    box = (
        left / scale,
        top / scale,
        min(right / scale, image.width),
        min(bottom / scale, image.height),
    )
    return save_fast_png(image.resize(size, Image.Resampling.LANCZOS, box=box), out_path)
