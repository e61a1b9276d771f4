"""The videos.insert body: YouTube's limits, explicit disclosures, categories, scheduling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.publishing.errors import MetadataInvalid
from backend.publishing.metadata import (
    VideoMetadata,
    category_id,
    fit_description,
    fit_tags,
    fit_title,
    tags_total,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def body(**overrides: object) -> dict[str, Any]:
    fields: dict[str, object] = {"title": "Mars", "description": "Red.", "made_for_kids": False}
    fields.update(overrides)
    return VideoMetadata(**fields).request_body(now=NOW)  # type: ignore[arg-type]


def test_a_120_character_title_is_cut_at_a_word_boundary() -> None:
    words = "Why the red planet Mars looks red from Earth and what the dust storms tell us about it"
    title = (words + " really truly").ljust(120, "x")[:120]
    assert len(title) == 120
    cut = fit_title(title)
    assert len(cut) <= 100 and cut.endswith("…")
    stem = cut[:-1]
    assert title.startswith(stem) and title[len(stem)] == " "  # whole words only


def test_a_short_title_is_kept_and_angle_brackets_and_blank_titles_are_handled() -> None:
    assert fit_title("  Mars   <is> red ") == "Mars is red"
    with pytest.raises(MetadataInvalid):
        fit_title("  <> ")


def test_the_description_limit_counts_utf8_bytes_and_never_splits_a_character() -> None:
    text = "é" * 3000  # 3,000 characters but 6,000 bytes
    cut = fit_description(text)
    assert len(cut.encode("utf-8")) <= 5000
    assert cut == "é" * len(cut)  # no broken character at the end
    words = ("żółw " * 1200).strip()
    cut = fit_description(words)
    assert len(cut.encode()) <= 5000 and not cut.endswith(" ") and cut.endswith("żółw")


def test_tags_are_counted_the_way_youtube_counts_them() -> None:
    assert tags_total(["a", "b c"]) == 1 + (3 + 2) + 1  # comma, and quotes around "b c"
    many = [f"space fact number {i}" for i in range(60)]
    kept = fit_tags([*many, "mars"])
    assert tags_total(kept) <= 500 and "mars" in kept  # a short later tag still fits
    assert tags_total(many) > 500
    assert fit_tags(["Mars", "mars", " ", "a,b"]) == ["Mars", "a b"]


def test_made_for_kids_must_be_declared_never_defaulted() -> None:
    with pytest.raises(MetadataInvalid, match="made_for_kids"):
        body(made_for_kids=None)
    assert body(made_for_kids=True)["status"]["selfDeclaredMadeForKids"] is True
    assert body()["status"]["selfDeclaredMadeForKids"] is False


def test_synthetic_media_languages_and_category() -> None:
    result = body(category="science_education", language="de", tags=["x"])
    assert result["status"]["containsSyntheticMedia"] is True
    assert result["snippet"]["defaultLanguage"] == "de"
    assert result["snippet"]["defaultAudioLanguage"] == "de"
    assert result["snippet"]["categoryId"] == "27"
    assert body(audio_language="en")["snippet"]["defaultAudioLanguage"] == "en"
    assert category_id("Gaming") == "20" and category_id("technology") == "28"
    assert category_id("Science & Technology") == "28" and category_id("26") == "26"
    assert category_id("basket weaving") == "22" and category_id(None) == "22"


def test_privacy_and_scheduling() -> None:
    assert body(privacy="unlisted")["status"]["privacyStatus"] == "unlisted"
    at = NOW + timedelta(days=1, hours=3)
    scheduled = body(privacy="public", publish_at=at)["status"]
    assert scheduled["privacyStatus"] == "private"
    assert scheduled["publishAt"] == "2026-12-02T15:00:00Z"
    with pytest.raises(MetadataInvalid, match="not in the future"):
        body(publish_at=NOW - timedelta(minutes=1))
    with pytest.raises(MetadataInvalid, match="Privacy"):
        body(privacy="friends")
