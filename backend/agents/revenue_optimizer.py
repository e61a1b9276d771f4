"""RevenueOptimizer: rule-based SEO package, publish time and expected RPM.

Publish hours (the loop). Until a channel has the first-48-hour views of
``YTE_PUBLISH_HOURS_MIN_VIDEOS`` (10) of its own videos (``analytics.loop.early_views``:
hourly statistics snapshots, else the daily analytics rows), its publish hour is the
category table's (``PUBLISH_HOUR_UTC``, in the channel's local time). From then on the hours
are learnt from those videos, in the channel's timezone::

    y_i      = log(1 + views_i at 48 h)        r_i = clip(y_i - median(y), -ln 4, ln 4)
    K(H, h)  = exp(-d(H, h)^2 / (2 sigma^2))   d: hours apart on the 24-hour clock, sigma 1 h
    score(H) = sum_i K(H, h_i) r_i / (sum_i K(H, h_i) + m)     m = 1 pseudo-video at the median
    lift(H)  = exp(score(H))                   (first-48-hour views against a typical video)

over the hours ``H`` allowed (the autopilot's window, ``YTE_AUTOPILOT_DAY_START_HOUR`` to
``_END_HOUR``), ranked best first. Logs against the median, each video counting at most as
4 times (or a quarter of) a typical one, keep one viral video from deciding; the kernel
lets neighbouring hours share evidence; ``m`` keeps an hour with one lucky video near
neutral. The learnt hours drive the autopilot's slots (``autopilot.slots.SlotGrid.hours``)
and, when the caller passes them, this package's ``publish_at``; before they exist the
autopilot keeps spreading its slots over the day, which gives the learning its variety.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.script import Script
from backend.agents.text_cleanup import key_phrases
from backend.analytics.loop import early_views
from backend.models import Channel
from backend.models.channel import VideoFormat
from backend.niches.catalog import catalog
from backend.niches.trends.match import CATEGORY_KEYWORDS, normalize_category, tokens
from backend.settings import Settings

TITLE_MAX, TAGS_TOTAL_MAX, THUMBNAIL_WORDS = 100, 500, 5

# Typical creator RPM (revenue per 1000 views, after YouTube's 45 % share) for US-heavy
# audiences by category: the niche catalogue's table (backend/data/niches/cpm.json, its
# rpm_source says where the numbers come from), the prior the monetization score starts
# from. Treat as a prior for planning, not a promise.
RPM_USD: dict[str, float] = {k: c.rpm_usd for k, c in catalog().categories.items()}
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
HOUR_SIGMA = 1.0  # hours: neighbouring hours share evidence
HOUR_PRIOR_VIDEOS = 1.0  # pseudo-videos at the channel's median in every hour
HOUR_CLIP = math.log(4.0)  # one video's log-lift counts at most this much either way
EARLY_HOURS = 48.0

YOUTUBE_CATEGORY: dict[str, str] = {
    "personal_finance": "Education",
    "technology": "Science & Technology",
    "science_education": "Education",
    "health_fitness": "Howto & Style",
    "diy_home": "Howto & Style",
    "travel": "Travel & Events",
    "cooking": "Howto & Style",
    "gaming": "Gaming",
    "business_marketing": "Education",
    "automotive": "Autos & Vehicles",
    "beauty_fashion": "Howto & Style",
    "entertainment": "Entertainment",
}


class SeoPackage(BaseModel):
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(max_length=5000)
    tags: list[str]
    thumbnail_text: str
    publish_at: datetime
    expected_rpm_usd: float = Field(ge=0)
    category: str


@dataclass(frozen=True, slots=True)
class PublishHours:
    """A channel's publish hours, in its local time, best first."""

    hours: tuple[int, ...]
    source: Literal["learned", "table"]
    timezone: str
    videos: int = 0  # videos with first-48-hour views
    lift: dict[int, float] = field(default_factory=dict)  # learned: lift(H) per hour

    @property
    def learned(self) -> bool:
        return self.source == "learned"


def hour_distance(a: float, b: float) -> float:
    d = abs(a - b) % 24
    return min(d, 24 - d)


def learn_publish_hours(
    observations: Sequence[tuple[int, float]],
    *,
    allowed: Iterable[int] = range(24),
    sigma: float = HOUR_SIGMA,
    prior_videos: float = HOUR_PRIOR_VIDEOS,
) -> list[tuple[int, float]]:
    """(hour, lift) for each allowed hour, best first, from (local hour, views at 48 h) of
    the channel's videos (the module docstring's formula); ties go to the earlier hour."""
    if not observations:
        return []
    logs = [math.log1p(max(views, 0.0)) for _hour, views in observations]
    base = statistics.median(logs)
    scored = []
    for hour in sorted(set(allowed)):
        kernel = [
            math.exp(-(hour_distance(hour, h) ** 2) / (2 * sigma**2)) for h, _v in observations
        ]
        lifts = (min(max(y - base, -HOUR_CLIP), HOUR_CLIP) for y in logs)
        total = sum(k * r for k, r in zip(kernel, lifts, strict=True))
        scored.append((hour, total / (sum(kernel) + prior_videos)))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return [(hour, math.exp(score)) for hour, score in scored]


def table_hour(category: str, timezone: str, now: datetime) -> int:
    """The category table's publish hour (UTC) as an hour of the channel's local day."""
    utc_hour = PUBLISH_HOUR_UTC.get(category, DEFAULT_PUBLISH_HOUR_UTC)
    instant = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), UTC)
    return (instant + timedelta(hours=utc_hour)).astimezone(ZoneInfo(timezone)).hour


async def channel_publish_hours(
    session: AsyncSession, channel: Channel, settings: Settings, now: datetime
) -> PublishHours:
    """The channel's publish hours: learnt from its videos' first-48-hour views once
    ``settings.publish_hours_min_videos`` have them, else the category table's hour."""
    tz = ZoneInfo(channel.timezone)
    early = await early_views(session, channel.id, now, EARLY_HOURS)
    if len(early) < settings.publish_hours_min_videos:
        hour = table_hour(match_category(channel.niche), channel.timezone, now)
        return PublishHours((hour,), "table", channel.timezone, videos=len(early))
    allowed = range(settings.autopilot_day_start_hour, settings.autopilot_day_end_hour)
    ranked = learn_publish_hours(
        [(e.published_at.astimezone(tz).hour, e.views) for e in early], allowed=allowed
    )
    return PublishHours(
        tuple(h for h, _lift in ranked),
        "learned",
        channel.timezone,
        videos=len(early),
        lift={h: round(lift, 4) for h, lift in ranked},
    )


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
        publish_hours: PublishHours | None = None,
    ) -> SeoPackage:
        """``clip_seconds``/``lead_in_s``: the voice clips' measured lengths and the title
        card before them, for the chapter times (see ``Script.chapter_starts``);
        ``publish_hours``: the channel's learnt hours (``channel_publish_hours``), else the
        category table's hour decides ``publish_at``."""
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
            publish_at=publish_time(category, now, cadence_per_day, publish_hours),
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


def publish_time(
    category: str, now: datetime, cadence_per_day: float, hours: PublishHours | None = None
) -> datetime:
    """The next best hour at least an hour away; faster cadences spread across the day.
    The best hour is the channel's learnt one (local) when ``hours`` is learnt, else the
    category table's (UTC)."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    tz: ZoneInfo | None = None
    if hours is not None and hours.learned and hours.hours:
        hour, tz = hours.hours[0], ZoneInfo(hours.timezone)
    else:
        hour = PUBLISH_HOUR_UTC.get(category, DEFAULT_PUBLISH_HOUR_UTC)
    local_now = now.astimezone(tz) if tz is not None else now
    slots = max(1, round(cadence_per_day))
    spacing = 24 / slots
    candidates = []
    for day in range(0, 3):
        base = (local_now + timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        for i in range(slots):
            wall = base + timedelta(hours=(hour + i * spacing) % 24)  # wall-clock time
            candidates.append(wall.astimezone(UTC))
    earliest = now + timedelta(hours=1)
    return min(c for c in candidates if c >= earliest)
