"""The video thumbnail: a text-free picture and a short headline that reads at any size.

The rules, each measured on the produced pixels (:func:`measure`):

- **No text over text.** The picture is a scene image without its own text (a picture
  model's scene) or a visual made for the thumbnail (the CPU slide renderer's ``thumbnail``
  layout, which keeps one side clear); the headline goes into a clear region.
- **At most 5 words** (:func:`headline_words` trims and chooses), upper case, bold.
- **Contrast:** the WCAG contrast ratio between the text colour and the brightest part
  (95th percentile of luminance) of a ring of background pixels around the glyphs is at
  least 4.5; a dark scrim under the headline is deepened until it is.
- **Safe area:** inside 5 % margins and clear of the bottom-right box where YouTube draws
  the duration.
- **Legible at 168x94:** downscaled to YouTube's small size, the headline's capital letters
  are at least 12 px tall (the font is chosen for that; fewer words where it cannot be).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import structlog
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from ai.text_fit import Font, load_font, wrap_words
from backend.render.errors import RenderInputError

log = structlog.get_logger(__name__)

THUMB_SIZE = (1280, 720)
SMALL_SIZE = (168, 94)
MARGIN_FRACTION = 0.05
TIMESTAMP_BOX = (0.78, 0.80, 1.0, 1.0)  # fractions: where YouTube overlays the duration
MAX_WORDS = 5
MAX_LINES = 3
MIN_CONTRAST = 4.5
MIN_CAP_PX_SMALL = 12.0
MAX_SIZE = 190
MIN_SIZE = 40
WHITE = (255, 255, 255)
YELLOW = (255, 214, 10)
LEADERS = frozenset("why how what when where who which this these".split())
FILLERS = frozenset(
    "a an the of to in on at for and or with from by is are that during into about".split()
)

Box = tuple[int, int, int, int]
Region = Literal["left", "right", "top", "bottom"]
REGIONS: tuple[Region, ...] = ("left", "right", "top", "bottom")


@dataclass(frozen=True)
class ThumbnailCheck:
    """What :func:`measure` found on the produced image."""

    contrast: float  # worst line's WCAG ratio against its local background
    cap_px_small: float  # shortest line's capital height at 168x94, in pixels
    stroke_px_small: float  # glyph stroke width at 168x94, in pixels
    inside_safe_area: bool
    clear_of_timestamp: bool
    words: int

    @property
    def passed(self) -> bool:
        return (
            self.contrast >= MIN_CONTRAST
            and self.cap_px_small >= MIN_CAP_PX_SMALL
            and self.inside_safe_area
            and self.clear_of_timestamp
            and 1 <= self.words <= MAX_WORDS
        )


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    headline: str
    region: Region
    line_boxes: list[Box]
    text_rgb: tuple[int, int, int]
    check: ThumbnailCheck
    scrim: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "file": self.path.name,
            "headline": self.headline,
            "region": self.region,
            "scrim": round(self.scrim, 2),
            "passed": self.check.passed,
            **{
                k: (round(v, 2) if isinstance(v, float) else v)
                for k, v in asdict(self.check).items()
            },
        }


def headline_words(text: str, max_words: int = MAX_WORDS) -> str:
    """At most ``max_words`` words of ``text``, upper case: all of them, else the first
    clause when it has 2 to ``max_words`` words, else the title's closing phrase (where
    English puts the subject: "What happens during a total solar eclipse" -> "TOTAL SOLAR
    ECLIPSE"), not starting with a filler ("a", "of", "during")."""
    words = [w.rstrip(".") or w for w in _WORD.findall(text)]
    if len(words) <= max_words:
        return " ".join(words).upper()
    clause = re.split(r"[:|\N{EM DASH}\N{EN DASH}]|\s-\s|,", text, maxsplit=1)[0]
    clause_words = _WORD.findall(clause)
    if 2 <= len(clause_words) <= max_words:
        return " ".join(clause_words).upper()
    tail = words[-max_words:]
    while len(tail) > 1 and tail[0].lower() in FILLERS | LEADERS:
        tail = tail[1:]
    return " ".join(tail).upper()


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&%$.-]*")


# -- measuring --------------------------------------------------------------------------------
def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB pixels (..., 3) in 0..255."""
    c = rgb.astype(np.float32) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[..., 0] + 0.7152 * linear[..., 1] + 0.0722 * linear[..., 2]


def contrast_ratio(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def _text_mask(pixels: np.ndarray, box: Box, text_rgb: tuple[int, int, int]) -> np.ndarray:
    """Pixels of ``box`` within a small distance of the text colour."""
    x0, y0, x1, y1 = box
    crop = pixels[y0:y1, x0:x1].astype(np.int16)
    distance = np.abs(crop - np.array(text_rgb, dtype=np.int16)).max(axis=2)
    return distance <= 24


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels (a square): separable running maxima."""
    out = mask.copy()
    for axis in (0, 1):
        grown = out.copy()
        n = out.shape[axis]
        for shift in range(1, min(radius, n - 1) + 1):
            if axis == 0:
                grown[shift:] |= out[:-shift]
                grown[:-shift] |= out[shift:]
            else:
                grown[:, shift:] |= out[:, :-shift]
                grown[:, :-shift] |= out[:, shift:]
        out = grown
    return out


def measure(
    image: Image.Image,
    line_boxes: list[Box],
    text_rgb: tuple[int, int, int] | list[tuple[int, int, int]],
    words: int,
) -> ThumbnailCheck:
    """The checks, on the pixels of ``image`` (1280x720) around the headline's lines
    (``text_rgb``: the text colour, or one per line)."""
    rgb = image.convert("RGB")
    pixels = np.asarray(rgb)
    h, w = pixels.shape[:2]
    colours = text_rgb if isinstance(text_rgb, list) else [text_rgb] * len(line_boxes)
    contrasts: list[float] = []
    for box, colour in zip(line_boxes, colours, strict=True):
        text_lum = float(_luminance(np.array(colour, dtype=np.float32)))
        pad = max(8, (box[3] - box[1]) // 3)
        outer = (
            max(0, box[0] - pad),
            max(0, box[1] - pad),
            min(w, box[2] + pad),
            min(h, box[3] + pad),
        )
        glyphs = _text_mask(pixels, outer, colour)
        if not glyphs.any():
            contrasts.append(1.0)
            continue
        # the ring: beyond the glyphs' outline and shadow, within ``pad`` of them
        near = _dilate(glyphs, pad // 2 + 6)
        inner = _dilate(glyphs, max(3, pad // 6))
        ring = near & ~inner
        lum = _luminance(pixels[outer[1] : outer[3], outer[0] : outer[2]])[ring]
        background = float(np.percentile(lum, 95)) if lum.size else 1.0
        contrasts.append(contrast_ratio(text_lum, background))
    small = np.asarray(rgb.resize(SMALL_SIZE, Image.Resampling.LANCZOS))
    sx, sy = SMALL_SIZE[0] / w, SMALL_SIZE[1] / h
    caps: list[float] = []
    strokes: list[float] = []
    for box in line_boxes:
        sb = (
            int(box[0] * sx),
            int(box[1] * sy),
            int(np.ceil(box[2] * sx)),
            int(np.ceil(box[3] * sy)),
        )
        crop = small[sb[1] : sb[3] + 1, sb[0] : sb[2] + 1]
        lum = _luminance(crop)
        threshold = (float(lum.max()) + float(np.percentile(lum, 10))) / 2
        ink = lum >= threshold
        rows = np.nonzero(ink.sum(axis=1) >= max(2, ink.shape[1] // 40))[0]
        caps.append(float(rows.max() - rows.min() + 1) if rows.size else 0.0)
        if rows.size:
            middle = ink[(rows.min() + rows.max()) // 2]
            runs = np.diff(
                np.flatnonzero(np.diff(np.concatenate(([0], middle.astype(np.int8), [0]))))
            )[::2]
            strokes.append(float(np.median(runs)) if runs.size else 0.0)
    margin_x, margin_y = w * MARGIN_FRACTION, h * MARGIN_FRACTION
    inside = all(
        b[0] >= margin_x and b[1] >= margin_y and b[2] <= w - margin_x and b[3] <= h - margin_y
        for b in line_boxes
    )
    tx0, ty0 = TIMESTAMP_BOX[0] * w, TIMESTAMP_BOX[1] * h
    clear = all(b[2] <= tx0 or b[3] <= ty0 for b in line_boxes)
    return ThumbnailCheck(
        contrast=min(contrasts) if contrasts else 0.0,
        cap_px_small=min(caps) if caps else 0.0,
        stroke_px_small=min(strokes) if strokes else 0.0,
        inside_safe_area=inside,
        clear_of_timestamp=clear,
        words=words,
    )


# -- composing --------------------------------------------------------------------------------
def region_box(region: Region, size: tuple[int, int] = THUMB_SIZE) -> Box:
    """The headline's box for ``region``: inside the margins, clear of the timestamp."""
    w, h = size
    mx, my = int(w * MARGIN_FRACTION), int(h * MARGIN_FRACTION)
    ts_top = int(h * TIMESTAMP_BOX[1]) - 8
    ts_left = int(w * TIMESTAMP_BOX[0]) - 8
    return {  # left/right: the 58 % beside a thumbnail visual (which takes 33 %)
        "left": (mx, my, int(w * 0.61), h - my),
        "right": (int(w * 0.39), my, w - mx, ts_top),
        "top": (mx, my, w - mx, int(h * 0.52)),
        "bottom": (mx, int(h * 0.45), ts_left, h - my),
    }[region]


def busyness(image: Image.Image, region: Region) -> float:
    """How much detail ``region`` of ``image`` has (mean edge strength): text goes where
    there is least."""
    x0, y0, x1, y1 = region_box(region, image.size)
    gray = image.convert("L").crop((x0, y0, x1, y1)).resize((96, 64))
    return float(np.asarray(gray.filter(ImageFilter.FIND_EDGES), dtype=np.float32).mean())


def _cap_height(font: Font) -> int:
    box = font.getbbox("H")
    return int(box[3] - box[1])


@dataclass(frozen=True)
class _Setting:
    words: list[str]
    size: int
    lines: list[str]


def _fit_headline(headline: str, box: Box) -> _Setting:
    """The largest size (and the most words, from all of them down to one) at which the
    headline fits ``box`` in at most three lines; the first word count whose capitals reach
    the small-size minimum wins."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    need_cap = MIN_CAP_PX_SMALL * THUMB_SIZE[1] / SMALL_SIZE[1]
    best: _Setting | None = None
    for kept in shortenings(headline.split()):
        text = " ".join(kept)
        size = MAX_SIZE
        while size >= MIN_SIZE:
            font = load_font("bold", size)
            lines = wrap_words(text, font, bw)
            step = size * 1.08
            if (
                len(lines) <= MAX_LINES
                and all(_ink_width(font, line) <= bw for line in lines)
                and step * len(lines) <= bh
            ):
                break
            size = int(size * 0.93)
        else:
            continue
        setting = _Setting(kept, size, lines)
        if best is None or setting.size > best.size:
            best = setting
        if _cap_height(load_font("bold", size)) >= need_cap * 1.03:
            return setting
    if best is None:  # not even one word fits at the minimum: the last, at the minimum
        last = headline.split()[-1:]
        return _Setting(last, MIN_SIZE, last)
    return best


def shortenings(words: list[str]) -> list[list[str]]:
    """``words`` and ever shorter versions of it, dropping words from the front (a headline's
    subject closes it: "TOTAL SOLAR ECLIPSE" -> "SOLAR ECLIPSE"), never starting with a
    filler or a question word once shortened."""
    out = [words]
    current = list(words)
    while len(current) > 1:
        current = current[1:]
        while len(current) > 1 and current[0].lower() in FILLERS | LEADERS:
            current = current[1:]
        out.append(current)
    return out


def _ink_width(font: Font, line: str) -> float:
    """The drawn width of ``line`` with its outline."""
    b = font.getbbox(line, stroke_width=max(2, getattr(font, "size", 40) // 24))
    return float(b[2] - b[0])


def _line_x(font: Font, line: str, outline: int, box: Box, align_right: bool) -> float:
    """Where to draw ``line`` so that its ink (outline included) starts at the box's left
    edge, or ends at its right edge."""
    b = font.getbbox(line, stroke_width=outline)
    return box[2] - b[2] if align_right else box[0] - b[0]


def _scrim(size: tuple[int, int], box: Box, strength: float) -> Image.Image:
    """A soft dark mask (L) over ``box``, ``strength`` 0..1 at its core, fading outwards."""
    w, h = size
    pad = 40
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rectangle(
        (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=int(255 * strength)
    )
    return mask.filter(ImageFilter.GaussianBlur(pad))


def compose(
    picture: Image.Image,
    headline: str,
    *,
    region: Region | None = None,
    text_rgb: tuple[int, int, int] = WHITE,
    accent_rgb: tuple[int, int, int] | None = None,
) -> tuple[Image.Image, str, Region, list[Box], float, ThumbnailCheck]:
    """The thumbnail of ``picture`` with ``headline`` (already at most 5 words) in ``region``
    (None: the least busy); the scrim is deepened until the contrast check passes."""
    image = ImageOps.fit(picture.convert("RGB"), THUMB_SIZE, Image.Resampling.LANCZOS)
    image = ImageEnhance.Color(ImageEnhance.Contrast(image).enhance(1.08)).enhance(1.12)
    chosen: Region = (
        region if region is not None else min(REGIONS, key=lambda r: busyness(image, r))
    )
    x0, y0, x1, y1 = region_box(chosen)
    inset = max(2, MAX_SIZE // 24)  # room for the outline inside the region
    box = (x0 + inset, y0 + inset, x1 - inset, y1 - inset)
    setting = _fit_headline(headline, box)
    font = load_font("bold", setting.size)
    step = int(setting.size * 1.08)
    block_h = step * len(setting.lines)
    top = box[1] + (box[3] - box[1] - block_h) // 2
    align_right = chosen == "right"
    colours = [text_rgb] * len(setting.lines)
    if accent_rgb is not None and len(setting.lines) > 1:
        colours[-1] = accent_rgb  # the last line in the accent colour
    words = " ".join(setting.words)
    check: ThumbnailCheck | None = None
    boxes: list[Box] = []
    result = image
    strength = 0.35
    for strength in (0.35, 0.5, 0.65, 0.8, 0.92, 1.0):
        dark = Image.composite(
            Image.new("RGB", THUMB_SIZE, (8, 8, 12)),
            image,
            _scrim(THUMB_SIZE, (box[0], top, box[2], top + block_h), strength),
        )
        canvas = dark.convert("RGBA")
        shadow = Image.new("RGBA", THUMB_SIZE, (0, 0, 0, 0))
        shadow_draw = ImageDraw.Draw(shadow)
        draw = ImageDraw.Draw(canvas)
        boxes = []
        outline = max(2, setting.size // 24)
        for i, line in enumerate(setting.lines):
            x = _line_x(font, line, outline, box, align_right)
            y = top + i * step
            shadow_draw.text(
                (x + outline, y + outline * 2),
                line,
                font=font,
                fill=(0, 0, 0, 200),
                stroke_width=outline,
                stroke_fill=(0, 0, 0, 200),
            )
        shadow = shadow.filter(ImageFilter.GaussianBlur(max(2, setting.size // 14)))
        canvas = Image.alpha_composite(canvas, shadow)
        draw = ImageDraw.Draw(canvas)
        line_colours: list[tuple[int, int, int]] = []
        for i, line in enumerate(setting.lines):
            x = _line_x(font, line, outline, box, align_right)
            y = top + i * step
            draw.text(
                (x, y),
                line,
                font=font,
                fill=(*colours[i], 255),
                stroke_width=outline,
                stroke_fill=(10, 10, 14, 255),
            )
            b = draw.textbbox((x, y), line, font=font, stroke_width=outline)
            boxes.append((int(b[0]), int(b[1]), int(np.ceil(b[2])), int(np.ceil(b[3]))))
            line_colours.append(colours[i])
        result = canvas.convert("RGB")
        check = measure(result, boxes, line_colours, len(setting.words))
        if check.contrast >= MIN_CONTRAST:
            break
    assert check is not None
    return result, words, chosen, boxes, strength, check


def make_thumbnail(
    image_path: Path,
    title: str,
    out_path: Path,
    *,
    region: Region | None = None,
    accent: bool = False,
) -> Thumbnail:
    """Write a 1280x720 thumbnail (JPEG or PNG by ``out_path``'s suffix) of the picture at
    ``image_path`` with ``title`` cut to a headline of at most 5 words."""
    headline = headline_words(title)
    if not headline:
        raise RenderInputError("a thumbnail needs a title")
    if not image_path.is_file():
        raise RenderInputError(f"thumbnail image {image_path} does not exist")
    with Image.open(image_path) as src:
        picture = src.convert("RGB")
    image, words, chosen, boxes, scrim, check = compose(
        picture, headline, region=region, accent_rgb=YELLOW if accent else None
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.suffix.lower() in (".jpg", ".jpeg"):
        image.save(out_path, format="JPEG", quality=92, optimize=True)
    else:
        image.save(out_path, format="PNG")
    thumb = Thumbnail(out_path, words, chosen, boxes, WHITE, check, scrim)
    log.info("render.thumbnail", **thumb.summary())
    if not check.passed:
        log.warning("render.thumbnail_check_failed", **thumb.summary())
    return thumb


def strongest(paths: list[Path]) -> list[Path]:
    """Scene images best first for a thumbnail: colourful, contrasty and detailed
    (Hasler-Süsstrunk colourfulness + luminance spread + edge strength, on a small copy)."""

    def score(path: Path) -> float:
        with Image.open(path) as src:
            small = src.convert("RGB").resize((160, 90))
        rgb = np.asarray(small, dtype=np.float32)
        rg = rgb[..., 0] - rgb[..., 1]
        yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
        colourful = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
        gray = np.asarray(small.convert("L"), dtype=np.float32)
        edges = float(
            np.asarray(small.convert("L").filter(ImageFilter.FIND_EDGES), dtype=np.float32).mean()
        )
        return colourful + gray.std() + edges

    return sorted(paths, key=score, reverse=True)
