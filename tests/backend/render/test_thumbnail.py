from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend.render import RenderInputError, make_thumbnail
from backend.render.samples import landscape


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "scene.png"
    landscape((1024, 1024), 3, "").save(path)
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_thumbnail_is_1280x720(image: Path, tmp_path: Path, suffix: str) -> None:
    out = make_thumbnail(image, "Why the Deep Ocean Glows", tmp_path / f"thumb{suffix}").path
    with Image.open(out) as thumb:
        assert thumb.size == (1280, 720)
        assert thumb.format == ("JPEG" if suffix == ".jpg" else "PNG")


def test_long_title_is_cut_wrapped_and_drawn(image: Path, tmp_path: Path) -> None:
    title = "Ten Astonishing Secrets of the Deep Ocean That Scientists Still Cannot Explain"
    thumb = make_thumbnail(image, title, tmp_path / "thumb.png")
    assert len(thumb.headline.split()) <= 5
    out = thumb.path
    pixels = np.asarray(Image.open(out).convert("RGB"))
    white = np.all(pixels > 240, axis=2)
    assert white.sum() > 20_000  # big white letters
    columns = np.nonzero(white.any(axis=0))[0]
    assert columns.max() < 1280 - 30  # wrapped, not running off the right edge


def test_empty_title_is_refused(image: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderInputError):
        make_thumbnail(image, "  ", tmp_path / "thumb.png")
