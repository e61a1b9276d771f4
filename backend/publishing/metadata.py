"""The videos.insert request body, within YouTube's limits and with explicit disclosures.

Limits (YouTube Data API v3 ``videos`` resource): title at most 100 characters,
description at most 5,000 bytes (UTF-8), tags at most 500 characters in all, counted the
way YouTube counts them: a comma between tags, and a tag with a space inside counts its
two quote marks. ``<`` and ``>`` are refused in titles and descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from backend.publishing.errors import MetadataInvalid

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
# Chapters (YouTube Help, "Video chapters"): the first at 0:00, at least three, each at
# least ten seconds long, timestamps in ascending order, one per line in the description.
CHAPTER_MIN_SECONDS = 10
CHAPTERS_MIN = 3
CHAPTER_LABEL_MAX = 80
_TIMESTAMP_LINE = re.compile(r"^\s*(?:\d{1,2}:)?\d{1,2}:\d{2}(?:\s|$)")
Privacy = Literal["private", "unlisted", "public"]
PRIVACIES: tuple[str, ...] = ("private", "unlisted", "public")

# YouTube's video categories (videoCategories.list, regionCode=US) by name.
CATEGORY_IDS: dict[str, str] = {
    "Film & Animation": "1",
    "Autos & Vehicles": "2",
    "Music": "10",
    "Pets & Animals": "15",
    "Sports": "17",
    "Travel & Events": "19",
    "Gaming": "20",
    "People & Blogs": "22",
    "Comedy": "23",
    "Entertainment": "24",
    "News & Politics": "25",
    "Howto & Style": "26",
    "Education": "27",
    "Science & Technology": "28",
    "Nonprofits & Activism": "29",
}
# Our niche categories (backend/niches/trends/match.py) → YouTube's.
NICHE_CATEGORY: dict[str, str] = {
    "personal_finance": "Education",
    "technology": "Science & Technology",
    "science_education": "Education",
    "health_fitness": "Howto & Style",
    "diy_home": "Howto & Style",
    "travel": "Travel & Events",
    "cooking": "Howto & Style",
    "gaming": "Gaming",
}
DEFAULT_CATEGORY = "People & Blogs"  # YouTube's own default for an upload


def category_id(category: str | None) -> str:
    """A YouTube category id from a YouTube category name, one of our niche keys, or an id."""
    if not category:
        return CATEGORY_IDS[DEFAULT_CATEGORY]
    text = category.strip()
    if text.isdigit() and text in CATEGORY_IDS.values():
        return text
    key = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if key in NICHE_CATEGORY:
        return CATEGORY_IDS[NICHE_CATEGORY[key]]
    by_lower = {name.lower(): cid for name, cid in CATEGORY_IDS.items()}
    return by_lower.get(text.lower(), CATEGORY_IDS[DEFAULT_CATEGORY])


def _clean(text: str) -> str:
    return text.replace("<", "").replace(">", "")


def fit_title(title: str) -> str:
    """At most 100 characters, cut at a word boundary (with an ellipsis) when too long."""
    text = re.sub(r"\s+", " ", _clean(title)).strip()
    if not text:
        raise MetadataInvalid("The video has no title")
    if len(text) <= TITLE_MAX_CHARS:
        return text
    head = text[: TITLE_MAX_CHARS - 1]
    if text[TITLE_MAX_CHARS - 1] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-\u2013\u2014") + "…"


def fit_description(description: str) -> str:
    """At most 5,000 bytes of UTF-8, cut at a line or word boundary, never inside a character."""
    text = _clean(description).strip()
    data = text.encode("utf-8")
    if len(data) <= DESCRIPTION_MAX_BYTES:
        return text
    head = data[:DESCRIPTION_MAX_BYTES].decode("utf-8", "ignore")
    for boundary in ("\n", " "):
        if boundary in head[len(head) // 2 :]:
            head = head.rsplit(boundary, 1)[0]
            break
    return head.rstrip()


def tag_cost(tag: str) -> int:
    """Characters YouTube counts for one tag: its length, plus 2 quotes if it has a space."""
    return len(tag) + (2 if " " in tag else 0)


def tags_total(tags: list[str]) -> int:
    return sum(tag_cost(t) for t in tags) + max(len(tags) - 1, 0)


def fit_tags(tags: list[str]) -> list[str]:
    """Clean, de-duplicated (case-insensitively) tags, in order, within 500 characters."""
    kept: list[str] = []
    seen: set[str] = set()
    for raw in tags:
        tag = re.sub(r"\s+", " ", _clean(raw).replace(",", " ")).strip()
        if not tag or tag.lower() in seen:
            continue
        if tags_total([*kept, tag]) > TAGS_MAX_CHARS:
            continue  # a shorter later tag may still fit
        kept.append(tag)
        seen.add(tag.lower())
    return kept


def timestamp(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on (YouTube's chapter timestamps)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def chapter_lines(
    entries: Sequence[tuple[float, str]], duration_s: float | None = None
) -> list[str]:
    """Description lines for ``entries`` (start in seconds, label), within YouTube's rules.

    The first chapter starts at 0:00 (when the second entry starts under ten seconds in,
    it opens the video instead of the first); an entry less than ten seconds after the last
    one kept is merged into it; the last chapter must last ten seconds before
    ``duration_s``. Fewer than three chapters left: none (YouTube would show none either).
    """
    kept: list[tuple[int, str]] = []
    for start, raw in entries:
        label = re.sub(r"\s+", " ", _clean(raw)).strip()[:CHAPTER_LABEL_MAX].rstrip()
        if not label:
            continue
        second = max(0, int(start))
        if not kept:
            kept.append((0, label))
        elif second - kept[-1][0] >= CHAPTER_MIN_SECONDS:
            kept.append((second, label))
        elif len(kept) == 1:
            kept[0] = (0, label)  # a short opening: this chapter starts the video
    if duration_s is not None:
        while kept and int(duration_s) - kept[-1][0] < CHAPTER_MIN_SECONDS:
            kept.pop()
    if len(kept) < CHAPTERS_MIN:
        return []
    return [f"{timestamp(second)} {label}" for second, label in kept]


def with_chapters(description: str, lines: Sequence[str]) -> str:
    """``description`` with its timestamp lines replaced by ``lines``: where the first one
    was, else after the first paragraph. Empty ``lines`` just removes the old ones."""
    body: list[str] = []
    at: int | None = None
    for line in description.splitlines():
        if _TIMESTAMP_LINE.match(line):
            if at is None:
                at = len(body)
            continue
        body.append(line)
    block = list(lines)
    if at is None:  # no chapters yet: after the first paragraph
        at = body.index("") if "" in body else len(body)
        block = ["", *lines] if lines else []
    merged = body[:at] + block + body[at:]
    text = "\n".join(merged)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass
class VideoMetadata:
    title: str
    description: str
    made_for_kids: bool | None  # the owner's declaration; None is refused, never defaulted
    tags: list[str] = field(default_factory=list)
    category: str | None = None  # YouTube category name, our niche key, or an id
    language: str = "en"
    audio_language: str | None = None
    privacy: Privacy = "private"
    publish_at: datetime | None = None  # scheduled: uploaded private, public at this time
    synthetic_media: bool = True  # generated narration and imagery
    license: str = "youtube"
    embeddable: bool = True

    def request_body(self, *, now: datetime | None = None) -> dict[str, Any]:
        if self.made_for_kids is None:
            raise MetadataInvalid(
                "Set the channel's `made_for_kids` before its first upload: YouTube needs to "
                "know whether its videos are made for children (COPPA); it is never guessed."
            )
        if self.privacy not in PRIVACIES:
            raise MetadataInvalid(
                f"Privacy must be one of {', '.join(PRIVACIES)}, not {self.privacy!r}"
            )
        status: dict[str, Any] = {
            "privacyStatus": self.privacy,
            "selfDeclaredMadeForKids": bool(self.made_for_kids),
            "containsSyntheticMedia": bool(self.synthetic_media),
            "license": self.license,
            "embeddable": self.embeddable,
        }
        if self.publish_at is not None:
            if self.publish_at.tzinfo is None:
                raise MetadataInvalid("The publish time needs a time zone")
            if self.publish_at <= (now or datetime.now(UTC)):
                raise MetadataInvalid(
                    f"The publish time {self.publish_at.isoformat()} is not in the future"
                )
            # YouTube publishes a scheduled video only if it is private until then.
            status["privacyStatus"] = "private"
            status["publishAt"] = (
                self.publish_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            )
        language = (self.language or "en").strip()
        return {
            "snippet": {
                "title": fit_title(self.title),
                "description": fit_description(self.description),
                "tags": fit_tags(self.tags),
                "categoryId": category_id(self.category),
                "defaultLanguage": language,
                "defaultAudioLanguage": (self.audio_language or language).strip(),
            },
            "status": status,
        }
