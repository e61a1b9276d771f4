"""Font loading and text fitting: one implementation, used by the slides and the renderer."""

from __future__ import annotations

import ast
from pathlib import Path

from ai.backends import slides
from ai.text_fit import (
    FONTS_DIR,
    balanced_wrap,
    fit_text,
    font_path,
    load_font,
    text_width,
    wrap_words,
)
from backend.render.text import fit_lines

ROOT = Path(__file__).resolve().parents[2]
TEXT = "How volcanoes build new islands out of the sea floor in a few thousand years"


def test_the_fonts_are_the_bundled_dejavu_files() -> None:
    assert font_path("bold") == FONTS_DIR / "DejaVuSans-Bold.ttf"
    assert font_path("regular") == FONTS_DIR / "DejaVuSans.ttf"
    font = load_font("bold", 40)
    assert font is load_font("bold", 40)  # cached: one font object per weight and size
    assert getattr(font, "path", None) == str(font_path("bold"))


def test_wrap_keeps_each_line_within_the_width_and_an_overlong_word_alone() -> None:
    font = load_font("bold", 32)
    lines = wrap_words(TEXT, font, 400)
    assert " ".join(lines) == TEXT
    assert all(text_width(font, line) <= 400 for line in lines if " " in line)
    assert wrap_words("a supercalifragilisticexpialidocious b", font, 50) == [
        "a",
        "supercalifragilisticexpialidocious",
        "b",
    ]


def test_fit_shrinks_until_the_text_fits_and_never_below_the_minimum() -> None:
    fitted = fit_text(TEXT, 600, 120, 20, lambda _f, lines: len(lines) <= 2)
    assert len(fitted.lines) <= 2 and 20 < fitted.size < 120
    bigger = fit_text(TEXT, 600, int(fitted.size / 0.9) + 1, 20, lambda _f, lines: False)
    assert bigger.size == 20  # nothing fits: it stops at the minimum
    assert fit_text(TEXT, 10, 15, 12, lambda _f, lines: False).size == 12


def test_renderer_and_slides_fit_text_through_the_same_code() -> None:
    lines, size = fit_lines(TEXT, 900, 2, 110, 30)
    shared = fit_text(TEXT, 900, 110, 30, lambda _f, ls: len(ls) <= 2, wrap=balanced_wrap)
    assert (lines, size) == (shared.lines, shared.size)
    font, title = slides._fit(TEXT, "bold", 500, 400, 90)
    assert font is load_font("bold", getattr(font, "size", 0))
    assert title == wrap_words(TEXT, font, 500)[:4] and len(title) <= 3


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}


def test_no_second_font_loader_or_wrapper() -> None:
    sources = [ROOT / "ai/backends/slides.py", *sorted((ROOT / "backend/render").glob("*.py"))]
    for source in sources:
        calls = _calls(source)
        assert not {"ImageFont.truetype", "ImageFont.load_default"} & calls, source
        tree = ast.parse(source.read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not {"_wrap", "wrap_words", "balanced_wrap", "_font", "bold_font"} & defined


def test_text_fit_imports_only_pillow_and_the_standard_library() -> None:
    tree = ast.parse((ROOT / "ai/text_fit.py").read_text())
    roots = {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    roots |= {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert roots <= {
        "__future__",
        "collections",
        "dataclasses",
        "functools",
        "pathlib",
        "typing",
        "PIL",
    }
