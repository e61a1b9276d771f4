"""The guardian's content checks: the title matches the topic, scenes do not repeat one
another, sentences are not generic filler. Each fails a crafted script with its reason."""

from __future__ import annotations

import openai
import pytest

from backend.agents.quality_guardian import QualityGuardian, QualityReport
from backend.agents.script import Scene, Script
from backend.agents.text_cleanup import filler_reason
from tests.backend.agents.conftest import good_script

TOPIC = "sourdough bread"


async def review(script: Script, client: openai.AsyncOpenAI | None = None) -> QualityReport:
    seconds = script.word_count() / 150 * 60
    report, _ = await QualityGuardian().review(client, script, target_seconds=seconds, topic=TOPIC)
    return report


def with_scenes(narrations: list[str], **update: str) -> Script:
    base = good_script()
    scenes = [Scene(narration=n, image_prompt="a loaf on a board") for n in narrations]
    return Script.model_validate({**base.model_dump(), "scenes": scenes, **update})


async def test_a_good_script_on_its_topic_passes_every_content_check() -> None:
    report = await review(good_script())
    assert report.passed and report.reasons == [], report
    assert report.checks["topic"] == 1.0
    assert report.checks["scene_variety"] == 1.0 and report.checks["filler"] == 1.0


async def test_a_title_about_something_else_fails_with_the_reason() -> None:
    script = good_script().model_copy(update={"title": "Ten Hidden Beaches of Portugal"})
    report = await review(script)
    assert not report.passed and report.score <= 0.6
    assert any(
        r.startswith("the title does not match the topic 'sourdough bread'") for r in report.reasons
    )


async def test_a_title_with_other_word_forms_of_the_topic_matches() -> None:
    script = good_script().model_copy(update={"title": "Why Sourdough Breads Rise Slowly"})
    report = await review(script)
    assert report.checks["topic"] == 1.0, report.reasons


async def test_scenes_that_drift_off_the_topic_are_named() -> None:
    base = [s.narration for s in good_script().scenes]
    drifting = [
        *base[:3],
        "Portugal has hundreds of beaches along its Atlantic coast, many of them hidden.",
        "Surfers come for the winter swells at Nazare, where waves reach thirty metres.",
        "The best time to visit the Algarve is late spring, before the crowds arrive.",
    ]
    report = await review(with_scenes(drifting))
    assert not report.passed
    assert "scenes 4, 5 and 6 drift off the topic 'sourdough bread'" in report.reasons


async def test_scenes_that_repeat_one_another_fail_with_the_pair() -> None:
    base = [s.narration for s in good_script().scenes]
    repeated = [
        base[0],
        base[1],
        "Sourdough begins with a living culture of wild yeast and bacteria you feed every day.",
        *base[3:],
    ]
    report = await review(with_scenes(repeated))
    assert not report.passed and report.score <= 0.6
    assert any(r.startswith("scenes 1 and 3 repeat one another") for r in report.reasons)
    assert report.checks["scene_variety"] < 0.5


async def test_generic_filler_fails_with_an_example() -> None:
    base = [s.narration for s in good_script().scenes]
    filler = [
        "When it comes to sourdough bread, the key is understanding the basics.",
        "Sourdough bread is a truly fascinating topic that has captivated people.",
        "In this video we will explore everything you need to know about it.",
        base[3],
        "There are many things to think about, and it is a whole journey.",
        base[5],
    ]
    report = await review(with_scenes(filler))
    assert not report.passed
    assert report.checks["filler"] < 0.5
    assert any("sentences are generic filler" in r for r in report.reasons)


@pytest.mark.parametrize(
    ("sentence", "filler"),
    [
        ("When it comes to baking, the key is understanding the basics.", True),
        ("Sourdough bread is really fascinating.", True),  # nothing but the topic
        ("Don't forget to like and subscribe for more videos.", True),
        ("A strong starter doubles within six hours and smells like yogurt.", False),
        ("Bake at 250 degrees in a covered pot for twenty minutes.", False),
    ],
)
def test_filler_sentences_are_told_from_informative_ones(sentence: str, filler: bool) -> None:
    assert (filler_reason(sentence, TOPIC) is not None) is filler


async def test_with_embeddings_a_rewording_is_caught_and_a_good_script_passes(
    gateway_client: openai.AsyncOpenAI,
) -> None:
    good = await review(good_script(), gateway_client)
    assert good.passed and good.reasons == [], good
    assert good.checks["topic"] == 1.0 and good.checks["scene_variety"] == 1.0
    # few words in common (lexical overlap ~0.3), the same meaning (cosine ~0.9)
    base = [s.narration for s in good_script().scenes]
    reworded = [
        *base[:5],
        "The sourdough process begins with wild yeasts and microbes kept alive by daily feeding.",
    ]
    lexical = await review(with_scenes(reworded))
    assert lexical.checks["scene_variety"] == 1.0  # words alone do not see it
    report = await review(with_scenes(reworded), gateway_client)
    assert not report.passed
    assert any(r.startswith("scenes 1 and 6 repeat one another") for r in report.reasons)


async def test_with_embeddings_an_off_topic_title_fails(
    gateway_client: openai.AsyncOpenAI,
) -> None:
    script = good_script().model_copy(update={"title": "Ten Hidden Beaches of Portugal"})
    report = await review(script, gateway_client)
    assert not report.passed
    assert any("similarity" in r and "does not match the topic" in r for r in report.reasons)


async def test_the_old_demo_script_fails_on_topic_repeats_and_filler() -> None:
    """What the CPU demo wrote before these checks (SmolLM2-135M, "solar eclipses")."""
    narrations = [
        "A solar eclipse is a rare celestial event that occurs when the Earth's magnetic "
        "field is blocked by the Moon's orbit.",
        "This phenomenon has been occurring for centuries, with the Moon's orbit changing "
        "depending on the Earth's tilt.",
        "A solar eclipse is a rare celestial event that occurs when the Earth is aligned "
        "with the Moon's orbit around the Sun.",
        "When it comes to solar eclipses, many people make a mistake by not being prepared.",
        "When it comes to solar eclipses, the key is understanding the basics.",
        "This happens when the Moon passes through the Earth's shadow on the Moon's horizon, "
        "creating a shadow of the Earth's moon.",
    ]
    script = Script(
        title="The Sun's Umbra: A Cloud of Unseen Light",
        hook="As the last quarter moon rises over the horizon, a celestial event is about "
        "to unfold.",
        scenes=[Scene(narration=n, image_prompt="the Moon before the Sun") for n in narrations],
        description="A video about solar eclipses.",
        tags=["solar eclipses"],
    )
    seconds = script.word_count() / 150 * 60
    report, _ = await QualityGuardian().review(
        None, script, target_seconds=seconds, topic="solar eclipses"
    )
    assert not report.passed
    assert any(r.startswith("the title does not match the topic") for r in report.reasons)
    assert any(r.startswith("scenes 1 and 3 repeat one another") for r in report.reasons)
    assert any("sentences are generic filler" in r for r in report.reasons)
