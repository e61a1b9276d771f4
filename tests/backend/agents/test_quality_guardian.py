from __future__ import annotations

import openai

from backend.agents.quality_guardian import QualityGuardian
from backend.agents.script import Scene, Script
from tests.backend.agents.conftest import good_script


async def test_good_script_passes() -> None:
    script = good_script()
    seconds = script.word_count() / 150 * 60
    report, usages = await QualityGuardian().review(None, script, target_seconds=seconds)
    assert report.passed and report.score >= 0.9, report
    assert report.reasons == [] and usages == []
    assert report.checks["originality_skipped"] == 1.0


async def test_too_short_fails_with_the_reason() -> None:
    report, _ = await QualityGuardian().review(None, good_script(), target_seconds=180)
    assert not report.passed
    assert any(r.startswith("too short") for r in report.reasons)


async def test_repetitive_script_fails() -> None:
    line = "Bread is great and bread is easy to make at home every day."
    script = Script(
        title="Bread Bread Bread Bread Bread",
        hook="Bread is great, truly great.",
        scenes=[Scene(narration=f"{line} {line}", image_prompt="bread")] * 6,
        description="All about bread.",
        tags=["bread"],
    )
    seconds = script.word_count() / 150 * 60
    report, _ = await QualityGuardian().review(None, script, target_seconds=seconds)
    assert not report.passed
    assert any("repeated word for word" in r for r in report.reasons)
    assert any("repetitive wording" in r for r in report.reasons)


async def test_banned_term_fails() -> None:
    base = good_script()
    scenes = [
        *base.scenes[:-1],
        Scene(
            narration="You won't believe it, but this loaf cures cancer overnight.",
            image_prompt="bread",
        ),
    ]
    script = base.model_copy(update={"scenes": scenes})
    report, _ = await QualityGuardian().review(None, script)
    assert not report.passed and report.checks["policy"] == 0.0
    assert any("clickbait" in r for r in report.reasons)
    assert any("medical claim" in r for r in report.reasons)


async def test_near_copy_of_a_past_video_scores_low(gateway_client: openai.AsyncOpenAI) -> None:
    script = good_script()
    seconds = script.word_count() / 150 * 60
    guardian = QualityGuardian()
    unrelated = (
        "Budget travel in Japan: rail passes, capsule hotels and convenience store "
        "breakfasts explained for first-time visitors to Tokyo and Kyoto."
    )
    fresh, usages = await guardian.review(
        gateway_client, script, past_scripts=[unrelated], target_seconds=seconds
    )
    assert fresh.passed and fresh.checks["originality"] == 1.0
    assert usages[0].kind == "embeddings" and "minilm" in usages[0].provider

    near_copy = script.narration_text().replace("Sourdough", "Sour dough").replace("six", "6")
    copied, _ = await guardian.review(
        gateway_client, script, past_scripts=[unrelated, near_copy], target_seconds=seconds
    )
    assert copied.checks["max_similarity"] > 0.95
    assert copied.checks["originality"] < 0.2 and copied.score < fresh.score
    assert any("too similar" in r for r in copied.reasons)
