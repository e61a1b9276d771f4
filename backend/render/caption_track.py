"""Captions as a video stream: one transparent strip per cue, sequenced by an ffconcat list,
so ffmpeg blends a single overlay whose picture changes only at cue boundaries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backend.render.captions import Cue
from backend.render.layout import Layout
from backend.render.overlays import blank_strip, caption_strip, save_fast_png

MIN_GAP_S = 0.001


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def write_caption_track(cues: list[Cue], total_s: float, layout: Layout, work: Path) -> Path:
    """Render every cue to a PNG strip and write the ffconcat list that times them."""
    blank = save_fast_png(blank_strip(layout), work / "caption_blank.png")
    paths = [work / f"caption_{i:04d}.png" for i in range(len(cues))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(
            pool.map(
                lambda cue_path: save_fast_png(
                    caption_strip(cue_path[0].text, layout), cue_path[1]
                ),
                zip(cues, paths, strict=True),
            )
        )
    entries: list[tuple[Path, float]] = []
    t = 0.0
    for cue, path in zip(cues, paths, strict=True):
        start, end = max(cue.start_s, t), min(cue.end_s, total_s)
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
