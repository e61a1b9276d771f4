"""From a prompt and a seed to a slide's words and palette (no drawing here)."""

from __future__ import annotations

import colorsys
import hashlib
import random
import re
from dataclasses import dataclass

RGB = tuple[int, int, int]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# words an image prompt carries for a diffusion model that make no sense as slide text
STYLE_WORDS = _words(
    "photo photograph photorealistic realistic hyperrealistic cinematic illustration render "
    "rendered 4k 8k hd uhd hdr detailed highly ultra intricate sharp focus bokeh octane "
    "unreal engine trending artstation digital art style lighting lit dramatic concept "
    "masterpiece quality best wide shot close-up closeup angle lens mm dslr studio"
)
LEADING_ARTICLES = ("a ", "an ", "the ")

# hue (0-1) suggested by a word in the prompt; first match wins
THEMES: tuple[tuple[frozenset[str], float], ...] = (
    (_words("ocean sea water wave waves beach river lake rain ice winter cold"), 0.56),
    (_words("forest tree trees nature garden plant plants green leaf spring eco"), 0.35),
    (_words("money finance gold wealth investing invest rich stock stocks profit"), 0.12),
    (_words("fire danger war red blood hot volcano summer sunset"), 0.02),
    (_words("space night star stars galaxy moon universe cosmic dream"), 0.68),
    (_words("tech ai robot computer code software future digital cyber"), 0.78),
    (_words("food cooking kitchen bread coffee recipe baking cake"), 0.08),
    (_words("health fitness body sleep medicine yoga calm"), 0.45),
    (_words("love heart romance pink flower flowers"), 0.93),
    (_words("history ancient castle empire old vintage museum"), 0.09),
)


@dataclass(frozen=True)
class Palette:
    background_top: RGB
    background_bottom: RGB
    accent: RGB
    accent_soft: RGB
    text: RGB
    text_muted: RGB
    shadow: tuple[int, int, int, int]  # a dark drop shadow on dark slides, a soft glow on light


@dataclass(frozen=True)
class SlideText:
    title: str
    subtitle: str
    label: str


def slide_rng(prompt: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def slide_text(prompt: str, max_title_words: int = 9) -> SlideText:
    clauses = [c.strip() for c in re.split(r"[,.;:\n|]+", prompt) if c.strip()]
    useful = [c for c in clauses if _content_words(c)]
    if not useful:
        return SlideText(title=prompt.strip()[:60] or "Untitled", subtitle="", label="")
    words = _clean_title(useful[0]).split()
    if len(words) > max_title_words:
        words = words[:max_title_words]
    title = " ".join(words)
    title = title[:1].upper() + title[1:]
    rest = [_clean_title(c) for c in useful[1:4]]
    subtitle = "  ·  ".join(r for r in rest if r)
    keywords = _content_words(prompt)
    label = max(keywords, key=len).upper() if keywords else ""
    return SlideText(title=title, subtitle=subtitle, label=label)


def palette_for(prompt: str, rng: random.Random, dark: bool | None = None) -> Palette:
    """A palette whose hue follows the prompt's theme; ``dark`` None: dark 3 times in 4."""
    hue = _theme_hue(prompt)
    if hue is None:
        hue = rng.random()
    hue = (hue + rng.uniform(-0.03, 0.03)) % 1.0
    drawn = rng.random() < 0.75  # mostly dark slides: bright text reads best over video
    dark = drawn if dark is None else dark
    companion = (hue + rng.choice([0.08, -0.08, 0.5, 0.42])) % 1.0
    if dark:
        top = _hls(hue, 0.16, 0.55)
        bottom = _hls((hue + 0.06) % 1.0, 0.07, 0.50)
        accent = _hls(companion, 0.62, 0.85)
        soft = _hls(hue, 0.32, 0.60)
        text, muted = (248, 248, 246), _hls(hue, 0.82, 0.25)
        shadow = (0, 0, 0, 150)
    else:
        top = _hls(hue, 0.95, 0.45)
        bottom = _hls((hue + 0.05) % 1.0, 0.86, 0.50)
        accent = _hls(companion, 0.36, 0.85)
        soft = _hls(hue, 0.78, 0.55)
        text, muted = _hls(hue, 0.12, 0.40), _hls(hue, 0.30, 0.25)
        shadow = (255, 255, 255, 120)
    return Palette(top, bottom, accent, soft, text, muted, shadow)


def _theme_hue(prompt: str) -> float | None:
    words = set(re.findall(r"[a-z]+", prompt.lower()))
    for vocabulary, hue in THEMES:
        if words & vocabulary:
            return hue
    return None


def _content_words(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'-]+", text)
    return [w for w in words if w.lower() not in STYLE_WORDS and len(w) > 2]


def _clean_title(clause: str) -> str:
    words = [w for w in clause.split() if w.lower().strip("()[]") not in STYLE_WORDS]
    text = " ".join(words).strip(" -—")
    lowered = text.lower()
    for article in LEADING_ARTICLES:
        if lowered.startswith(article) and len(text.split()) > 2:
            text = text[len(article) :]
            break
    return text


def _hls(hue: float, lightness: float, saturation: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return (round(r * 255), round(g * 255), round(b * 255))
