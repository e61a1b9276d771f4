"""RevenueOptimizer: rule-based SEO package, publish time and expected RPM."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from backend.agents.script import Script
from backend.agents.text_cleanup import key_phrases
from backend.models.channel import VideoFormat
from backend.niches.trends.match import CATEGORY_KEYWORDS, normalize_category, tokens

TITLE_MAX, TAGS_TOTAL_MAX, THUMBNAIL_WORDS = 100, 500, 5

# Typical creator RPM (revenue per 1000 views, after YouTube's 45 % share) for US-heavy
# audiences by category. Source: ranges published in creator-economy reports (Influencer
# Marketing Hub "YouTube CPM/RPM rates" 2024, Social Blade / TubeBuddy category ranges),
# mid-points rounded. Treat as a prior for planning, not a promise.
RPM_USD: dict[str, float] = {
    "personal_finance": 12.0,
    "technology": 6.5,
    "science_education": 5.0,
    "health_fitness": 5.5,
    "diy_home": 4.5,
    "travel": 4.0,
    "cooking": 3.5,
    "gaming": 2.5,
}
DEFAULT_RPM = 3.0
SHORTS_RPM_FACTOR = 0.08  # Shorts pay from a shared pool: cents per 1000 views
LANGUAGE_RPM_FACTOR = {"en": 1.0, "de": 0.9, "fr": 0.75, "ja": 0.8, "es": 0.45, "pt": 0.4}

# Best publish hour (UTC) per category: ~2-3 h before the US-Eastern evening viewing peak
# (17:00-21:00 ET) so the video is indexed when the audience arrives; weekday lunch for
# finance and tech (work-break viewing), later for gaming. Documented heuristic (YouTube
# Studio "When your viewers are on YouTube" replaces it once a channel has analytics).
PUBLISH_HOUR_UTC: dict[str, int] = {
    "personal_finance": 16,
    "technology": 17,
    "science_education": 19,
    "health_fitness": 14,
    "diy_home": 18,
    "travel": 18,
    "cooking": 20,
    "gaming": 22,
}
DEFAULT_PUBLISH_HOUR_UTC = 19

YOUTUBE_CATEGORY: dict[str, str] = {
    "personal_finance": "Education",
    "technology": "Science & Technology",
    "science_education": "Education",
    "health_fitness": "Howto & Style",
    "diy_home": "Howto & Style",
    "travel": "Travel & Events",
    "cooking": "Howto & Style",
    "gaming": "Gaming",
}


class SeoPackage(BaseModel):
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(max_length=5000)
    tags: list[str]
    thumbnail_text: str
    publish_at: datetime
    expected_rpm_usd: float = Field(ge=0)
    category: str


class RevenueOptimizer:
    def optimize(
        self,
        script: Script,
        *,
        niche: str,
        fmt: VideoFormat,
        language: str,
        now: datetime,
        cadence_per_day: float = 1.0,
        clip_seconds: Sequence[float] | None = None,
        lead_in_s: float = 0.0,
    ) -> SeoPackage:
        """``clip_seconds``/``lead_in_s``: the voice clips' measured lengths and the title
        card before them, for the chapter times (see ``Script.chapter_starts``)."""
        category = match_category(niche)
        keyword = primary_keyword(script, niche)
        rpm = RPM_USD.get(category, DEFAULT_RPM) * LANGUAGE_RPM_FACTOR.get(language[:2], 0.5)
        if fmt == VideoFormat.short:
            rpm *= SHORTS_RPM_FACTOR
        return SeoPackage(
            title=seo_title(script.title, keyword, fmt),
            description=seo_description(
                script, keyword, niche, fmt, script.chapter_starts(clip_seconds, lead_in_s)
            ),
            tags=fit_tags(
                [
                    keyword,
                    *script.tags,
                    niche.replace("_", " "),
                    *key_phrases(script.narration_text(), limit=10),
                ]
            ),
            thumbnail_text=thumbnail_text(script.title, keyword),
            publish_at=publish_time(category, now, cadence_per_day),
            expected_rpm_usd=round(rpm, 2),
            category=YOUTUBE_CATEGORY.get(category, "Education"),
        )


def match_category(niche: str) -> str:
    wanted = normalize_category(niche)
    if wanted in RPM_USD:
        return wanted
    niche_tokens = tokens(niche)
    scored = {
        c: len(niche_tokens & set().union(*(tokens(k) for k in kws)))
        for c, kws in CATEGORY_KEYWORDS.items()
    }
    best = max(scored, key=lambda c: scored[c])
    return best if scored[best] else "other"


def primary_keyword(script: Script, niche: str) -> str:
    """The topic phrase: the first tag (the strategist puts the topic first), else the niche."""
    return (script.tags[0] if script.tags else niche.replace("_", " ")).strip()


def seo_title(title: str, keyword: str, fmt: str) -> str:
    title = re.sub(r"\s+", " ", title).strip()
    if keyword.lower() not in title.lower():
        title = f"{keyword.title()}: {title}"
    if fmt == VideoFormat.short and "#shorts" not in title.lower():
        title = f"{title} #shorts"
    if len(title) <= TITLE_MAX:
        return title
    cut = title[: TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(" :,-")
    return cut + "…"


def seo_description(
    script: Script, keyword: str, niche: str, fmt: str, chapter_starts: Sequence[float]
) -> str:
    """Hook, chapters (one per scene, at ``chapter_starts`` seconds) and hashtags."""
    chapters = []
    for scene, seconds in zip(script.scenes, chapter_starts, strict=True):
        first = re.split(r"(?<=[.!?])\s", scene.narration)[0]
        stamp = f"{int(seconds // 60)}:{int(seconds % 60):02d}"
        chapters.append(f"{stamp} {first[:80].rstrip()}")
    hashtags = " ".join(
        "#" + re.sub(r"[^A-Za-z0-9]", "", w.title())
        for w in dict.fromkeys([keyword, niche.replace("_", " ")])
        if w
    )
    if fmt == VideoFormat.short:
        hashtags += " #shorts"
    lines = [script.hook, "", "0:00 Intro", *chapters, "", hashtags]
    return "\n".join(lines)[:5000]


def fit_tags(candidates: list[str]) -> list[str]:
    """Unique tags within YouTube's 500-character total (a tag with spaces counts its quotes)."""
    out: list[str] = []
    total = 0
    for tag in dict.fromkeys(t.strip().lower() for t in candidates if t.strip()):
        cost = len(tag) + (2 if " " in tag else 0) + (1 if out else 0)
        if len(tag) > 100 or total + cost > TAGS_TOTAL_MAX:
            continue
        out.append(tag)
        total += cost
    return out


def thumbnail_text(title: str, keyword: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9'&-]+", keyword or title)][:THUMBNAIL_WORDS]
    return " ".join(words).upper()


def publish_time(category: str, now: datetime, cadence_per_day: float) -> datetime:
    """The next best hour at least an hour away; faster cadences spread across the day."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    hour = PUBLISH_HOUR_UTC.get(category, DEFAULT_PUBLISH_HOUR_UTC)
    slots = max(1, round(cadence_per_day))
    spacing = 24 / slots
    candidates = []
    for day in range(0, 3):
        base = (now + timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        for i in range(slots):
            candidates.append(base + timedelta(hours=(hour + i * spacing) % 24))
    earliest = now + timedelta(hours=1)
    return min(c for c in candidates if c >= earliest)
