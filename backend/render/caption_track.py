"""Captions as a video stream: one transparent strip per cue, sequenced by an ffconcat list,
so ffmpeg blends a single overlay whose picture changes only at cue boundaries.

Style ``"line"`` shows each cue's line as it is; ``"word_highlight"`` (for Shorts) shows
the same line once per spoken word, that word drawn in the accent colour from its onset
until the next word's."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path

from PIL import Image, ImageDraw

from ai.text_fit import faux_bold_px, load_font
from backend.render.captions import CAPTION_STYLES, Cue
from backend.render.layout import Layout
from backend.render.overlays import ACCENT, blank_strip, caption_strip, save_fast_png
from backend.render.text import draw_text_block, fit_lines

MIN_GAP_S = 0.001


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


@lru_cache(maxsize=64)
def _fit(text: str, layout: Layout) -> tuple[list[str], int]:
    """The wrapping and size :func:`backend.render.overlays.caption_strip` uses."""
    return fit_lines(
        text,
        layout.width * 0.86,
        layout.caption_lines,
        layout.caption_size,
        int(layout.caption_size * 0.7),
    )


@lru_cache(maxsize=8)
def _plain_strip(text: str, layout: Layout) -> Image.Image:
    """The line as :func:`caption_strip` draws it, shared by its highlighted copies (the
    outline and shadow are the costly part; each word's copy only redraws one word)."""
    strip = Image.new("RGBA", (layout.width, layout.caption_strip_h), (0, 0, 0, 0))
    lines, size = _fit(text, layout)
    top = layout.caption_strip_h - layout.caption_bottom_pad - len(lines) * size * 1.18
    draw_text_block(strip, lines, size, layout.width / 2, top)
    return strip


def highlight_strip(text: str, word_index: int, layout: Layout) -> Image.Image:
    """``caption_strip(text)`` with its ``word_index``-th word (from 0) in the accent colour."""
    strip = _plain_strip(text, layout).copy()
    lines, size = _fit(text, layout)
    step = size * 1.18
    top = layout.caption_strip_h - layout.caption_bottom_pad - len(lines) * step
    font = load_font("bold", size)
    bold_px = faux_bold_px(size)
    seen = 0
    for row, line in enumerate(lines):
        words = line.split()
        if word_index < seen + len(words):
            k = word_index - seen
            prefix = " ".join(words[:k]) + (" " if k else "")
            left = layout.width / 2 - font.getlength(line) / 2 + font.getlength(prefix)
            ImageDraw.Draw(strip).text(
                (left, top + row * step),
                words[k],
                font=font,
                anchor="la",
                fill=ACCENT,
                stroke_width=bold_px,
                stroke_fill=ACCENT,
            )
            break
        seen += len(words)
    return strip


def _pictures(
    cues: list[Cue], style: str, layout: Layout
) -> list[tuple[float, float, Callable[[], Image.Image]]]:
    """What the strip shows when: ``(start_s, end_s, draw)`` in time order."""
    shown: list[tuple[float, float, Callable[[], Image.Image]]] = []
    for cue in cues:
        if style != "word_highlight" or not cue.words:
            shown.append((cue.start_s, cue.end_s, partial(caption_strip, cue.text, layout)))
            continue
        for k, word in enumerate(cue.words):
            start = cue.start_s if k == 0 else max(cue.start_s, word.start_s)
            end = cue.words[k + 1].start_s if k + 1 < len(cue.words) else cue.end_s
            shown.append(
                (
                    start,
                    min(max(start, end), cue.end_s),
                    partial(highlight_strip, cue.text, k, layout),
                )
            )
    return shown


def write_caption_track(
    cues: list[Cue], total_s: float, layout: Layout, work: Path, style: str = "line"
) -> Path:
    """Render every cue to a PNG strip and write the ffconcat list that times them."""
    if style not in CAPTION_STYLES:
        raise ValueError(f"unknown caption style {style!r}; use one of {CAPTION_STYLES}")
    blank = save_fast_png(blank_strip(layout), work / "caption_blank.png")
    shown = _pictures(cues, style, layout)
    paths = [work / f"caption_{i:04d}.png" for i in range(len(shown))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(
            pool.map(
                lambda item: save_fast_png(item[0][2](), item[1]),
                zip(shown, paths, strict=True),
            )
        )
    entries: list[tuple[Path, float]] = []
    t = 0.0
    for (cue_start, cue_end, _), path in zip(shown, paths, strict=True):
        start, end = max(cue_start, t), min(cue_end, total_s)
        if start - t > MIN_GAP_S:
            entries.append((blank, start - t))
        if end - start > MIN_GAP_S:
            entries.append((path, end - start))
            t = end
    entries.append((blank, max(total_s - t, MIN_GAP_S)))
    lines = ["ffconcat version 1.0"]
    for path, seconds in entries:
        lines += [f"file {_quote(path)}", f"duration {seconds:.6f}"]
    lines.append(f"file {_quote(blank)}")  # the demuxer ignores the last entry's duration
    listing = work / "captions.ffconcat"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing
