from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.agents.revenue_optimizer import RevenueOptimizer, fit_tags
from backend.agents.script import WORDS_PER_MINUTE, Script
from tests.backend.agents.conftest import good_script

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)


def test_limits_respected() -> None:
    base = good_script()
    script = Script.model_validate(
        {
            **base.model_dump(),
            "title": "A" * 10 + " word" * 22,
            "tags": [f"tag number {i}" for i in range(30)],
        }
    )
    seo = RevenueOptimizer().optimize(script, niche="cooking", fmt="long", language="en", now=NOW)
    assert len(seo.title) <= 100 and seo.title.lower().startswith("tag number 0")
    tag_chars = sum(len(t) + (2 if " " in t else 0) for t in seo.tags) + len(seo.tags) - 1
    assert tag_chars <= 500
    assert len(seo.thumbnail_text.split()) <= 5
    assert seo.publish_at.tzinfo is not None and seo.publish_at >= NOW + timedelta(hours=1)
    assert seo.description.startswith(script.hook) and "0:00 Intro" in seo.description


def test_deterministic_and_category_aware() -> None:
    optimizer, script = RevenueOptimizer(), good_script()
    first = optimizer.optimize(script, niche="cooking", fmt="long", language="en", now=NOW)
    again = optimizer.optimize(script, niche="cooking", fmt="long", language="en", now=NOW)
    assert first == again
    assert first.category == "Howto & Style" and first.publish_at.hour == 20
    assert "sourdough bread" in first.title.lower()
    finance = optimizer.optimize(script, niche="money tips", fmt="long", language="en", now=NOW)
    short = optimizer.optimize(script, niche="cooking", fmt="short", language="en", now=NOW)
    assert finance.expected_rpm_usd > first.expected_rpm_usd > short.expected_rpm_usd > 0
    assert "#shorts" in short.title


def test_fit_tags_drops_what_does_not_fit() -> None:
    tags = fit_tags(["x" * 90 + str(i) for i in range(10)])
    assert len(tags) == 5 and len(set(tags)) == 5


def _chapter_seconds(description: str) -> list[int]:
    stamps = [line.split(" ", 1)[0] for line in description.splitlines()[2:] if ":" in line[:6]]
    return [int(m) * 60 + int(s) for m, s in (stamp.split(":") for stamp in stamps)]


def test_chapters_start_where_the_measured_clips_put_them() -> None:
    script = good_script()
    clips = [31.0, 47.5, 12.25, 64.0, 30.0, 20.0]  # far from what the word counts estimate
    seo = RevenueOptimizer().optimize(
        script,
        niche="cooking",
        fmt="long",
        language="en",
        now=NOW,
        clip_seconds=clips,
        lead_in_s=2.0,
    )
    intro, *scenes = _chapter_seconds(seo.description)
    assert intro == 0 and len(scenes) == len(script.scenes)
    for k in range(1, len(clips)):  # every later scene: title card + the clips before it
        assert scenes[k] == int(2.0 + sum(clips[:k]))
    hook_share = len(script.hook.split()) / len(script.spoken_texts()[0].split())
    assert scenes[0] == int(2.0 + clips[0] * hook_share)  # the hook opens the first clip


def test_without_audio_the_chapters_are_estimated_from_the_words() -> None:
    script = good_script()
    seo = RevenueOptimizer().optimize(script, niche="cooking", fmt="long", language="en", now=NOW)
    words = [len(script.hook.split())] + [len(s.narration.split()) for s in script.scenes]
    expected = [int(sum(words[: k + 1]) / WORDS_PER_MINUTE * 60) for k in range(len(script.scenes))]
    assert _chapter_seconds(seo.description)[1:] == expected
