"""Which trend categories a free-text niche means: exact name, then token overlap."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Extra words per bundled category, so "tech reviews" or "money tips" land somewhere sensible.
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "technology": ("tech", "gadget", "ai", "software", "computer", "phone", "hardware", "coding"),
    "personal_finance": (
        "money",
        "finance",
        "invest",
        "saving",
        "budget",
        "tax",
        "wealth",
        "stock",
        "income",
    ),
    "health_fitness": (
        "health",
        "fitness",
        "workout",
        "gym",
        "nutrition",
        "wellness",
        "exercise",
        "diet",
    ),
    "cooking": ("food", "recipe", "cook", "baking", "kitchen", "meal", "chef"),
    "travel": ("travel", "trip", "destination", "vacation", "nomad", "adventure", "tourism"),
    "gaming": ("game", "gaming", "gamer", "console", "esport", "video game"),
    "science_education": (
        "science",
        "education",
        "history",
        "space",
        "physics",
        "learn",
        "explained",
        "documentary",
        "nature",
    ),
    "diy_home": (
        "diy",
        "home",
        "garden",
        "woodworking",
        "renovation",
        "decor",
        "plant",
        "organization",
    ),
}

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "how",
        "tips",
        "guide",
        "video",
        "videos",
        "channel",
        "best",
        "my",
        "your",
        "about",
        # Words that say how a video is pitched, not what it is about: "guitar for
        # beginners" has nothing in common with "budgeting for beginners".
        "beginner",
        "explained",
        "easy",
        "simple",
        "basic",
        "ultimate",
        "complete",
        "quick",
        "top",
        "way",
        "everything",
        "need",
        "know",
        "start",
        "started",
        "101",
    }
)


def tokens(text: str) -> set[str]:
    """Lower-cased word stems (a plural ``s`` or a verb's ``ing`` dropped), stopwords
    removed (before and after stemming: "beginners" is "beginner")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    stems = (_stem(w) for w in words if w not in STOPWORDS)
    return {s for s in stems if s not in STOPWORDS}


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    if len(word) >= 7 and word.endswith("ing"):  # budgeting, gardening; not king, saving
        return word[:-3]
    return word


def normalize_category(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def exact_category(niche: str, categories: Iterable[str]) -> str | None:
    wanted = normalize_category(niche)
    return next((c for c in categories if normalize_category(c) == wanted), None)


def overlap_scores(niche: str, vocabulary: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """How many of the niche's tokens each category's vocabulary shares (zeros dropped)."""
    wanted = tokens(niche)
    scores: dict[str, int] = {}
    for category, words in vocabulary.items():
        known = set().union(*(tokens(w) for w in words)) if words else set()
        score = len(wanted & known)
        if score:
            scores[category] = score
    return scores
