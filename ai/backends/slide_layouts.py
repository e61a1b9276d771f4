"""The designed slide layouts, drawn from a :class:`ai.slide_spec.SlideSpec`.

Each layout sets its text inside the slide's *content box*: the part of the frame that
stays in view through the video's pan and zoom and clear of the burned-in caption strip
(landscape: x 10-90 %, y 10-72 %; portrait: y 10-55 %). Every text block is fitted with
``ai.text_fit`` (largest size that fits, never below a size that reads at 1080p; what still
does not fit is cut with an ellipsis), and every drawn box is recorded, so tests can check
that nothing overflows its box or overlaps another.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFilter

from ai.backends.slide_style import Palette
from ai.slide_spec import SlideSpec
from ai.text_fit import Font, Weight, fit_text, load_font, wrap_words

Box = tuple[int, int, int, int]  # left, top, right, bottom
RGBA = tuple[int, int, int, int]
ELLIPSIS = "…"


def content_box(width: int, height: int) -> Box:
    """Where a slide's content goes: in view through the motion, above the captions."""
    if height > width:
        return (int(width * 0.10), int(height * 0.10), int(width * 0.90), int(height * 0.55))
    return (int(width * 0.10), int(height * 0.10), int(width * 0.90), int(height * 0.72))


@dataclass
class Canvas:
    """Text and shapes over a background, with a soft shadow under the text; records boxes."""

    image: Image.Image
    palette: Palette
    text_boxes: list[Box] = field(default_factory=list)
    text_sizes: list[int] = field(default_factory=list)  # font size (px) of each box

    def __post_init__(self) -> None:
        self.layer = Image.new("RGBA", self.image.size, (0, 0, 0, 0))
        self.shadow = Image.new("RGBA", self.image.size, (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.layer)
        self.shadow_draw = ImageDraw.Draw(self.shadow)
        self.unit = min(self.image.size)

    def text(self, xy: tuple[float, float], text: str, font: Font, fill: RGBA) -> Box:
        x, y = xy
        offset = max(1, int(_size(font) * 0.045))
        self.shadow_draw.text((x + offset, y + offset), text, font=font, fill=self.palette.shadow)
        self.draw.text((x, y), text, font=font, fill=fill)
        box = self.draw.textbbox((x, y), text, font=font)
        drawn = (int(box[0]), int(box[1]), math.ceil(box[2]), math.ceil(box[3]))
        self.text_boxes.append(drawn)
        self.text_sizes.append(_size(font))
        return drawn

    def finish(self) -> Image.Image:
        box = self.shadow.getbbox()
        if box:  # blur only where the text is
            pad = self.unit // 30
            w, h = self.image.size
            box = (
                max(box[0] - pad, 0),
                max(box[1] - pad, 0),
                min(box[2] + pad, w),
                min(box[3] + pad, h),
            )
            region = self.shadow.crop(box).filter(
                ImageFilter.GaussianBlur(max(2, self.unit // 150))
            )
            self.shadow.paste(region, box[:2])
        composed = Image.alpha_composite(self.image.convert("RGBA"), self.shadow)
        return Image.alpha_composite(composed, self.layer).convert("RGB")


def _size(font: Font) -> int:
    return int(getattr(font, "size", 14))


def line_height(font: Font) -> int:
    bbox = font.getbbox("Hg")
    return int((bbox[3] - bbox[1]) * 1.28)


def fit_block(
    text: str, weight: Weight, max_w: int, max_h: int, start: int, min_size: int, max_lines: int
) -> tuple[Font, list[str]]:
    """The largest size (``start`` down to ``min_size``) at which ``text`` takes at most
    ``max_lines`` lines within ``max_w`` x ``max_h``; at the minimum, the lines that fit, the
    last one cut with an ellipsis."""
    start = max(start, min_size)

    def fits(font: Font, lines: list[str]) -> bool:
        return (
            len(lines) <= max_lines
            and line_height(font) * len(lines) <= max_h
            and all(font.getlength(line) <= max_w for line in lines)
        )

    fitted = fit_text(text, max_w, start, min_size, fits, weight=weight)
    font, lines = fitted.font, fitted.lines
    if fits(font, lines):
        return font, lines
    room = max(1, min(max_lines, max_h // max(line_height(font), 1)))
    kept = [_cut(line, font, max_w) for line in lines[:room]]
    if len(lines) > room:
        kept[-1] = _cut(kept[-1] + " " + ELLIPSIS, font, max_w)
    return font, kept


def _cut(line: str, font: Font, max_w: int) -> str:
    """``line`` shortened (by words, else characters) with an ellipsis to fit ``max_w``."""
    if font.getlength(line) <= max_w:
        return line
    words = line.split()
    while len(words) > 1 and font.getlength(" ".join(words) + ELLIPSIS) > max_w:
        words.pop()
    cut = " ".join(words)
    while cut and font.getlength(cut + ELLIPSIS) > max_w:
        cut = cut[:-1]
    return (cut.rstrip(" ,;:-") + ELLIPSIS) if cut else ELLIPSIS


def _lines(
    c: Canvas,
    lines: list[str],
    font: Font,
    x: int,
    y: int,
    fill: RGBA,
    w: int = 0,
    center: bool = False,
) -> int:
    """Draw ``lines`` from ``y``; returns the y below them."""
    step = line_height(font)
    for line in lines:
        lx = x + (w - font.getlength(line)) / 2 if center else x
        c.text((lx, y), line, font, fill)
        y += step
    return y


def _rgba(rgb: tuple[int, int, int], alpha: int = 255) -> RGBA:
    return (rgb[0], rgb[1], rgb[2], alpha)


def _heading(c: Canvas, spec: SlideSpec, box: Box, center: bool = False) -> int:
    """The slide's heading and an accent rule under it; returns the y where the body starts."""
    left, top, right, bottom = box
    w = right - left
    if not spec.title:
        return top
    start = int(c.unit * 0.068)
    font, lines = fit_block(
        spec.title, "bold", w, int((bottom - top) * 0.26), start, int(c.unit * 0.042), 2
    )
    y = _lines(c, lines, font, left, top, _rgba(c.palette.text), w, center)
    rule_w = int(c.unit * 0.09)
    rule_x = left + (w - rule_w) // 2 if center else left
    y += int(c.unit * 0.012)
    thickness = max(3, c.unit // 150)
    c.draw.rounded_rectangle(
        (rule_x, y, rule_x + rule_w, y + thickness),
        radius=thickness // 2,
        fill=_rgba(c.palette.accent),
    )
    return y + thickness + int(c.unit * 0.04)


def draw_key_fact(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, _top, right, bottom = box
    y = _heading(c, spec, box)
    bar_w = max(6, c.unit // 90)
    inset = bar_w + int(c.unit * 0.035)
    font, lines = fit_block(
        spec.text,
        "bold",
        right - left - inset,
        bottom - y,
        int(c.unit * 0.085),
        int(c.unit * 0.042),
        4,
    )
    block_h = line_height(font) * len(lines)
    y0 = y + max(0, (bottom - y - block_h) // 3)
    c.draw.rounded_rectangle(
        (left, y0, left + bar_w, y0 + block_h), radius=bar_w // 2, fill=_rgba(c.palette.accent)
    )
    _lines(c, lines, font, left + inset, y0, _rgba(c.palette.text))


def draw_list(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, _top, right, bottom = box
    y = _heading(c, spec, box)
    items = spec.items
    gap = int(c.unit * 0.025)
    slot_h = (bottom - y - gap * (len(items) - 1)) // len(items)
    badge = min(int(c.unit * 0.075), slot_h)
    text_x = left + badge + int(c.unit * 0.03)
    text_w = right - text_x
    # one size for every item: the smallest of the sizes each would fit at
    start = int(c.unit * 0.062)
    fitted = [
        fit_block(item, "bold", text_w, slot_h, start, int(c.unit * 0.038), 2) for item in items
    ]
    size = min(_size(f) for f, _ in fitted)
    fitted = [fit_block(item, "bold", text_w, slot_h, size, size, 2) for item in items]
    badge_font = load_font("bold", max(10, int(badge * 0.52)))
    for number, (font, lines) in enumerate(fitted, start=1):
        block_h = line_height(font) * len(lines)
        cy = y + max(block_h, badge) // 2
        c.draw.ellipse(
            (left, cy - badge // 2, left + badge, cy + badge // 2), fill=_rgba(c.palette.accent)
        )
        label = str(number)
        lw = badge_font.getlength(label)
        lb = badge_font.getbbox(label)
        c.draw.text(
            (left + (badge - lw) / 2, cy - (lb[1] + lb[3]) / 2),
            label,
            font=badge_font,
            fill=_rgba(c.palette.background_bottom),
        )
        _lines(c, lines, font, text_x, cy - block_h // 2, _rgba(c.palette.text))
        y += max(block_h, badge) + gap


def draw_big_number(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, _top, right, bottom = box
    y = _heading(c, spec, box, center=True)
    w = right - left
    room = bottom - y
    font, lines = fit_block(
        spec.number, "bold", w, int(room * 0.62), int(c.unit * 0.34), int(c.unit * 0.1), 1
    )
    number_h = line_height(font)
    caption_h = room - number_h
    cap_font: Font | None = None
    cap_lines: list[str] = []
    if spec.text:
        cap_font, cap_lines = fit_block(
            spec.text,
            "regular",
            int(w * 0.85),
            caption_h,
            int(c.unit * 0.052),
            int(c.unit * 0.036),
            3,
        )
    total = number_h + (line_height(cap_font) * len(cap_lines) if cap_font else 0)
    y += max(0, (room - total) // 2)
    # a soft disc of accent behind the number
    glow = int(number_h * 0.9)
    cx, cy = left + w // 2, y + number_h // 2
    c.draw.ellipse(
        (cx - glow, cy - glow * 0.62, cx + glow, cy + glow * 0.62),
        fill=_rgba(c.palette.accent_soft, 70),
    )
    y = _lines(c, lines, font, left, y, _rgba(c.palette.accent), w, center=True)
    if cap_font:
        _lines(
            c,
            cap_lines,
            cap_font,
            left + int(w * 0.075),
            y,
            _rgba(c.palette.text),
            int(w * 0.85),
            center=True,
        )


def draw_quote(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, top, right, bottom = box
    mark_font = load_font("bold", int(c.unit * 0.26))
    mark_h = int(c.unit * 0.13)
    c.draw.text(
        (left - int(c.unit * 0.01), top - int(c.unit * 0.05)),
        "\u201c",
        font=mark_font,
        fill=_rgba(c.palette.accent, 200),
    )
    y = top + mark_h
    inset = int(c.unit * 0.06)
    src_h = (
        line_height(load_font("regular", int(c.unit * 0.042))) + int(c.unit * 0.03)
        if spec.source
        else 0
    )
    font, lines = fit_block(
        spec.text,
        "regular",
        right - left - inset,
        bottom - y - src_h,
        int(c.unit * 0.07),
        int(c.unit * 0.04),
        4,
    )
    y = _lines(c, lines, font, left + inset, y, _rgba(c.palette.text))
    if spec.source:
        src_font, src_lines = fit_block(
            "\u2014 " + spec.source,
            "bold",
            right - left - inset,
            src_h,
            int(c.unit * 0.042),
            int(c.unit * 0.034),
            1,
        )
        _lines(
            c, src_lines, src_font, left + inset, y + int(c.unit * 0.03), _rgba(c.palette.accent)
        )


def draw_comparison(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, _top, right, bottom = box
    y = _heading(c, spec, box, center=True)
    stacked = (right - left) < (bottom - y) * 1.2
    gap = int(c.unit * 0.08)
    if stacked:
        half = (bottom - y - gap) // 2
        panels = [(left, y, right, y + half), (left, y + half + gap, right, bottom)]
    else:
        half = (right - left - gap) // 2
        panels = [(left, y, left + half, bottom), (left + half + gap, y, right, bottom)]
    sides = [
        (spec.left, spec.left_items, c.palette.accent),
        (spec.right, spec.right_items, c.palette.text),
    ]
    pad = int(c.unit * 0.03)
    for (px0, py0, px1, py1), (label, items, color) in zip(panels, sides, strict=True):
        c.draw.rounded_rectangle(
            (px0, py0, px1, py1),
            radius=int(c.unit * 0.02),
            fill=_rgba(c.palette.background_bottom, 150),
            outline=_rgba(color, 200),
            width=max(2, c.unit // 300),
        )
        inner_w = px1 - px0 - 2 * pad
        inner_h = py1 - py0 - 2 * pad
        head_font, head_lines = fit_block(
            label, "bold", inner_w, int(inner_h * 0.4), int(c.unit * 0.07), int(c.unit * 0.042), 2
        )
        yy = _lines(
            c, head_lines, head_font, px0 + pad, py0 + pad, _rgba(color), inner_w, center=True
        )
        if items:
            room = py1 - pad - yy - int(c.unit * 0.02)
            slot = room // len(items)
            for item in items:
                f, ls = fit_block(
                    "\u2022 " + item,
                    "regular",
                    inner_w,
                    slot,
                    int(c.unit * 0.045),
                    int(c.unit * 0.034),
                    2,
                )
                _lines(c, ls, f, px0 + pad, yy + int(c.unit * 0.02), _rgba(c.palette.text))
                yy += slot
    # the "vs" badge between the panels
    r = int(gap * 0.45)
    if stacked:
        cx, cy = (left + right) // 2, panels[0][3] + gap // 2
    else:
        cx, cy = panels[0][2] + gap // 2, (y + bottom) // 2
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_rgba(c.palette.accent))
    vs_font = load_font("bold", max(10, int(r * 0.8)))
    vb = vs_font.getbbox("VS")
    c.draw.text(
        (cx - vs_font.getlength("VS") / 2, cy - (vb[1] + vb[3]) / 2),
        "VS",
        font=vs_font,
        fill=_rgba(c.palette.background_bottom),
    )


def format_value(value: float, unit: str = "") -> str:
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e4, "K")):
        if magnitude >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{value:.1f}".rstrip("0").rstrip(".") if magnitude < 100 else f"{value:.0f}"
    if unit in ("%", "°"):
        return text + unit
    if unit in ("$", "€", "£"):
        return unit + text
    return f"{text} {unit}".strip()


def draw_chart(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, _top, right, bottom = box
    y = _heading(c, spec, box)
    points = spec.points
    n = len(points)
    slot = (right - left) / n
    label_font, _ = fit_block(
        max((p.label for p in points), key=len),
        "regular",
        int(slot * 0.9),
        int(c.unit * 0.09),
        int(c.unit * 0.04),
        int(c.unit * 0.028),
        2,
    )
    label_h = line_height(label_font) * 2
    value_font = load_font("bold", max(10, min(int(c.unit * 0.045), int(slot * 0.32))))
    value_h = line_height(value_font)
    plot_top, plot_bottom = y + value_h, bottom - label_h - int(c.unit * 0.015)
    values = [p.value for p in points]
    low, high = min(0.0, min(values)), max(0.0, max(values))
    if spec.chart == "line":
        spread = max(high - low, 1e-9)
        low, high = min(values) - spread * 0.1, max(values) + spread * 0.1
    span = max(high - low, 1e-9)

    def to_y(v: float) -> float:
        return plot_bottom - (v - low) / span * (plot_bottom - plot_top)

    axis = max(2, c.unit // 360)
    base_y = to_y(0.0) if spec.chart == "bar" else plot_bottom
    c.draw.line((left, base_y, right, base_y), fill=_rgba(c.palette.text_muted, 200), width=axis)
    centres = [left + slot * (i + 0.5) for i in range(n)]
    if spec.chart == "line":
        xy = [(cx, to_y(v)) for cx, v in zip(centres, values, strict=True)]
        c.draw.line(xy, fill=_rgba(c.palette.accent), width=max(4, c.unit // 140), joint="curve")
        dot = max(6, c.unit // 90)
        for px, py in xy:
            c.draw.ellipse((px - dot, py - dot, px + dot, py + dot), fill=_rgba(c.palette.text))
        tops = [py - dot for _, py in xy]
    else:
        bar_w = slot * 0.56
        tops = []
        for i, (cx, v) in enumerate(zip(centres, values, strict=True)):
            y0, y1 = sorted((to_y(v), base_y))
            fill = c.palette.accent if i == values.index(max(values)) else c.palette.accent_soft
            c.draw.rounded_rectangle(
                (cx - bar_w / 2, y0, cx + bar_w / 2, max(y1, y0 + 1)),
                radius=int(min(bar_w * 0.12, 12)),
                fill=_rgba(fill, 235),
            )
            tops.append(y0 if v >= 0 else y1 + value_h)
    for cx, ty, p in zip(centres, tops, points, strict=True):
        text = _cut(format_value(p.value, spec.unit), value_font, int(slot * 0.95))
        c.text(
            (cx - value_font.getlength(text) / 2, max(y, ty - value_h)),
            text,
            value_font,
            _rgba(c.palette.text),
        )
        lines = wrap_words(p.label, label_font, slot * 0.9)[:2]
        lines = [_cut(line, label_font, int(slot * 0.9)) for line in lines]
        ly = plot_bottom + int(c.unit * 0.015) + axis
        for line in lines:
            c.text(
                (cx - label_font.getlength(line) / 2, ly),
                line,
                label_font,
                _rgba(c.palette.text_muted),
            )
            ly += line_height(label_font)


def draw_title(c: Canvas, spec: SlideSpec, box: Box, rng: random.Random) -> None:
    left, top, right, bottom = box
    font, lines = fit_block(
        spec.title,
        "bold",
        right - left,
        int((bottom - top) * 0.6),
        int(c.unit * 0.12),
        int(c.unit * 0.05),
        3,
    )
    block = line_height(font) * len(lines)
    y = top + (bottom - top - block) // 2
    y = _lines(c, lines, font, left, y, _rgba(c.palette.text), right - left, center=True)
    if spec.text:
        sub_font, sub = fit_block(
            spec.text,
            "regular",
            right - left,
            bottom - y,
            int(c.unit * 0.045),
            int(c.unit * 0.034),
            2,
        )
        _lines(
            c,
            sub,
            sub_font,
            left,
            y + int(c.unit * 0.02),
            _rgba(c.palette.text_muted),
            right - left,
            center=True,
        )


EMBLEMS = ("burst", "rings", "arrow", "diamond")


def draw_thumbnail_visual(c: Canvas, spec: SlideSpec, rng: random.Random) -> None:
    """The thumbnail's bold visual on one side (a big number, else an icon-like emblem); the
    other side stays clear for the headline the thumbnail composer sets there."""
    w, h = c.image.size
    x0 = int(w * 0.05) if spec.side == "left" else int(w * 0.62)
    region = (x0, int(h * 0.08), x0 + int(w * 0.33), int(h * 0.80))
    rx0, ry0, rx1, ry1 = region
    cx, cy = (rx0 + rx1) / 2, (ry0 + ry1) / 2
    radius = min(rx1 - rx0, ry1 - ry0) * 0.5
    c.draw.ellipse(
        (cx - radius, cy - radius, cx + radius, cy + radius), fill=_rgba(c.palette.accent_soft, 150)
    )
    if spec.number:
        # "7.5 min": the figure big, its unit under it
        figure, _, unit = spec.number.partition(" ")
        unit_font = load_font("bold", max(10, int(radius * 0.22)))
        unit_h = line_height(unit_font) if unit else 0
        font, lines = fit_block(
            figure,
            "bold",
            int(radius * 1.75),
            int(radius * 1.1),
            int(radius * 1.1),
            int(radius * 0.3),
            1,
        )
        line = lines[0]
        bb = font.getbbox(line)
        fy = cy - (bb[1] + bb[3]) / 2 - unit_h / 2
        c.text((cx - font.getlength(line) / 2, fy), line, font, _rgba(c.palette.accent))
        if unit:
            unit = _cut(unit, unit_font, int(radius * 1.6))
            uy = fy + bb[3] + radius * 0.04
            c.text((cx - unit_font.getlength(unit) / 2, uy), unit, unit_font, _rgba(c.palette.text))
        return
    emblem = EMBLEMS[rng.randrange(len(EMBLEMS))]
    accent, text = _rgba(c.palette.accent), _rgba(c.palette.text)
    r = radius * 0.62
    if emblem == "burst":
        pts = []
        for k in range(24):
            rr = r if k % 2 == 0 else r * 0.6
            a = math.pi * k / 12 - math.pi / 2
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        c.draw.polygon(pts, fill=accent)
        c.draw.ellipse((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=text)
    elif emblem == "rings":
        for i, rr in enumerate((r, r * 0.68, r * 0.36)):
            c.draw.ellipse(
                (cx - rr, cy - rr, cx + rr, cy + rr), fill=accent if i % 2 == 0 else text
            )
    elif emblem == "arrow":
        bw = r * 0.3
        for i, frac in enumerate((0.35, 0.6, 0.9)):
            bx = cx - r + i * (bw * 1.35)
            c.draw.rectangle((bx, cy + r * 0.7 - r * 1.4 * frac, bx + bw, cy + r * 0.7), fill=text)
        c.draw.line(
            (cx - r, cy + r * 0.2, cx + r * 0.85, cy - r * 0.75), fill=accent, width=int(r * 0.14)
        )
        tip = (cx + r, cy - r * 0.85)
        c.draw.polygon(
            [tip, (tip[0] - r * 0.42, tip[1] + r * 0.05), (tip[0] - r * 0.1, tip[1] + r * 0.4)],
            fill=accent,
        )
    else:  # diamond
        c.draw.polygon(
            [(cx, cy - r), (cx + r * 0.8, cy), (cx, cy + r), (cx - r * 0.8, cy)], fill=accent
        )
        c.draw.polygon(
            [(cx, cy - r * 0.5), (cx + r * 0.4, cy), (cx, cy + r * 0.5), (cx - r * 0.4, cy)],
            fill=text,
        )


DRAWERS = {
    "key_fact": draw_key_fact,
    "list": draw_list,
    "big_number": draw_big_number,
    "quote": draw_quote,
    "comparison": draw_comparison,
    "chart": draw_chart,
    "title": draw_title,
}


class SlideDrawing(NamedTuple):
    image: Image.Image
    boxes: list[Box]  # every text box drawn
    sizes: list[int]  # the font size of each


def compose(
    image: Image.Image, spec: SlideSpec, palette: Palette, rng: random.Random
) -> SlideDrawing:
    """``spec`` drawn over the background ``image``: the slide, its text boxes and sizes."""
    canvas = Canvas(image, palette)
    if spec.layout == "thumbnail":
        draw_thumbnail_visual(canvas, spec, rng)
    else:
        DRAWERS[spec.layout](canvas, spec, content_box(*image.size), rng)
    return SlideDrawing(canvas.finish(), canvas.text_boxes, canvas.text_sizes)
