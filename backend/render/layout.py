"""Sizes and positions of on-screen text per video format, tuned at full resolution."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    caption_chars: int  # longest caption chunk, in characters
    caption_size: int
    caption_lines: int
    caption_strip_h: int
    caption_y: int  # top of the caption strip in the frame
    caption_bottom_pad: int
    title_size: int
    title_lines: int


LAYOUTS: dict[str, Layout] = {
    "long": Layout(
        1920,
        1080,
        caption_chars=42,
        caption_size=64,
        caption_lines=2,
        caption_strip_h=260,
        caption_y=1080 - 260,
        caption_bottom_pad=56,
        title_size=104,
        title_lines=3,
    ),
    "short": Layout(
        1080,
        1920,
        caption_chars=24,
        caption_size=80,
        caption_lines=3,
        caption_strip_h=420,
        caption_y=1100,
        caption_bottom_pad=40,
        title_size=112,
        title_lines=4,
    ),
}


def layout_for(fmt: str) -> Layout:
    return LAYOUTS[fmt]
