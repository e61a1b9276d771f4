from __future__ import annotations

import itertools
import json
import time

import openai
import pytest

from backend.agents.content_strategist import ContentStrategist, ScriptGenerationError
from tests.backend.agents.conftest import fake_llm

VALID = {
    "title": "Zone 2 Cardio Explained in One Minute",
    "hook": "What if the easiest workout you can do is also the one that helps your heart most?",
    "scenes": [
        {
            "narration": f"Point number {i} about zone two cardio and why it builds your "
            "aerobic base without wearing you out.",
            "image_prompt": "runner jogging at an easy pace at sunrise",
        }
        for i in range(5)
    ],
    "description": "Zone 2 cardio: what it is, why it works, how to start.",
    "tags": ["zone 2 cardio", "fitness"],
}


async def test_malformed_json_is_retried_with_the_error() -> None:
    answers = iter(['Sure! {"title": "Zone 2", "scenes": [}', json.dumps(VALID)])
    requests: list[dict[str, object]] = []
    client = fake_llm(lambda _messages: next(answers), requests)
    script, usages = await ContentStrategist(strategy="json").write(
        client, topic="zone 2 cardio", niche="health_fitness", target_seconds=60
    )
    assert script.title == VALID["title"] and len(script.scenes) == 5
    assert len(usages) == 2 and usages[0].provider == "mock:fake-llm"
    assert usages[0].device_seconds == 0.5 and usages[0].units == 30
    assert usages[0].unit == "tokens" and usages[0].cost_usd == 0.001
    retry_messages = requests[1]["messages"]
    assert isinstance(retry_messages, list)
    assert "not valid" in retry_messages[-1]["content"]
    assert "invalid JSON" in retry_messages[-1]["content"]


async def test_invalid_schema_feeds_the_validation_error_back() -> None:
    too_few = {**VALID, "scenes": VALID["scenes"][:1]}
    answers = iter([json.dumps(too_few), json.dumps(VALID)])
    requests: list[dict[str, object]] = []
    client = fake_llm(lambda _m: next(answers), requests)
    await ContentStrategist(strategy="json").write(
        client, topic="zone 2 cardio", niche="fitness", target_seconds=60
    )
    assert "scenes" in requests[1]["messages"][-1]["content"]  # type: ignore[index]


async def test_always_garbage_fails_after_the_bound() -> None:
    requests: list[dict[str, object]] = []
    client = fake_llm(lambda _m: "I like turtles.", requests)
    with pytest.raises(ScriptGenerationError, match="after 3 attempts"):
        await ContentStrategist(strategy="json").write(
            client, topic="zone 2 cardio", niche="fitness", target_seconds=60
        )
    assert len(requests) == 3


async def test_feedback_reaches_the_prompt() -> None:
    requests: list[dict[str, object]] = []
    client = fake_llm(lambda _m: json.dumps(VALID), requests)
    await ContentStrategist(strategy="json").write(
        client,
        topic="zone 2 cardio",
        niche="fitness",
        target_seconds=60,
        feedback=["too short: 40 words", "repetitive wording"],
    )
    prompt = requests[0]["messages"][-1]["content"]  # type: ignore[index]
    assert "too short: 40 words" in prompt and "repetitive wording" in prompt


# What a small model might say about each scene's angle: one distinct thing each.
ANGLE_ANSWERS = {
    "what it is": "Zone 2 cardio is steady exercise at about 65% of your maximum heart rate.",
    "works": "In zone 2 cardio your muscles burn mostly fat, and lactate stays low.",
    "surprising": "Elite cyclists spend about 80% of their zone 2 cardio hours riding slowly.",
    "history": "Coaches in Germany first measured lactate for zone 2 cardio in the 1970s.",
    "mistake": "Most people run their zone 2 cardio too fast, and the talk test catches it.",
    "tip": "Wear a chest strap for zone 2 cardio, since wrist sensors lag behind.",
    "example": "A brisk uphill walk with a backpack counts as zone 2 cardio for beginners.",
    "future": "Cheap lactate meters may soon let anyone check zone 2 cardio at home.",
}


def angle_answer(asked: str) -> str:
    return next(text for key, text in ANGLE_ANSWERS.items() if key in asked)


async def test_guided_assembles_and_cleans_plain_text() -> None:
    def answer(messages: list[dict[str, str]]) -> str:
        asked = messages[-1]["content"]
        if "title" in asked:
            return '"**Zone 2 Cardio: The Easy Way to Get Fit**"\nMore text'
        if "opening sentence" in asked:
            return "Here's a hook. Zone 2 cardio can change your health more than sprints can."
        return (
            f"1. {angle_answer(asked)} When it comes to fitness, the key is understanding "
            "the basics. Short and plain. And an unfinished"
        )

    requests: list[dict[str, object]] = []
    script, usages = await ContentStrategist(strategy="guided").write(
        fake_llm(answer, requests), topic="zone 2 cardio", niche="fitness", target_seconds=60
    )
    assert script.title == "Zone 2 Cardio: The Easy Way to Get Fit"
    assert script.hook == "Zone 2 cardio can change your health more than sprints can."
    assert len(script.scenes) == 6 and len(usages) == 8  # each part right the first time
    text = script.narration_text()
    assert "When it comes to" not in text  # generic filler dropped
    assert text.count("Short and plain.") == 1  # a sentence said once
    assert "unfinished" not in text and "**" not in text
    for scene in script.scenes:  # the picture is described, and the prompt composed from it
        assert scene.visual is not None and scene.image_prompt == scene.visual.prompt()
        assert scene.visual.subject and scene.visual.composition
    assert len({s.visual.composition for s in script.scenes if s.visual}) == 6


async def test_guided_asks_again_when_a_scene_repeats_or_drifts_and_keeps_the_topic() -> None:
    calls: dict[str, int] = {}

    def answer(messages: list[dict[str, str]]) -> str:
        asked = messages[-1]["content"]
        if "title" in asked:
            return "Ten Easy Ways to Feel Great"  # never names the topic
        if "opening sentence" in asked:
            return "Zone 2 cardio is the workout you can do every single day."
        key = next(k for k in ANGLE_ANSWERS if k in asked)
        calls[key] = calls.get(key, 0) + 1
        if key == "works" and calls[key] == 1:  # the first scene again, in other order
            return "Zone 2 cardio is steady exercise, about 65% of maximum heart rate, you see."
        if key == "surprising" and calls[key] == 1:
            return "Portugal has hundreds of hidden beaches along the Atlantic coast."
        return angle_answer(asked)

    requests: list[dict[str, object]] = []
    script, _ = await ContentStrategist(strategy="guided").write(
        fake_llm(answer, requests), topic="zone 2 cardio", niche="fitness", target_seconds=60
    )
    assert calls["works"] == 2 and calls["surprising"] == 2  # asked again, once each
    assert script.scenes[1].narration == ANGLE_ANSWERS["works"]
    assert script.scenes[2].narration == ANGLE_ANSWERS["surprising"]
    assert "Portugal" not in script.narration_text()
    titles = [r for r in requests if "title" in str(r.get("messages", ""))]
    assert len(titles) == 3  # the title was asked for three times, then led by the topic
    assert script.title == "Zone 2 cardio: Ten Easy Ways to Feel Great"


async def test_auto_uses_json_when_the_server_lists_no_cpu_model() -> None:
    requests: list[dict[str, object]] = []
    client = fake_llm(lambda _m: json.dumps(VALID), requests)
    await ContentStrategist().write(
        client, topic="zone 2 cardio", niche="fitness", target_seconds=60
    )
    assert len(requests) == 2  # the model listing, then one JSON answer


@pytest.mark.slow
async def test_real_cpu_model_through_the_gateway(gateway_client: openai.AsyncOpenAI) -> None:
    started = time.perf_counter()
    script, usages = await ContentStrategist().write(
        gateway_client, topic="holiday baking", niche="cooking", target_seconds=60
    )
    seconds = time.perf_counter() - started
    print(
        f"\nSmolLM2 script: {seconds:.1f} s, {script.word_count()} words, "
        f"{len(script.scenes)} scenes: {script.title!r}"
    )
    assert 5 <= len(script.scenes) <= 8
    assert 90 <= script.word_count() <= 220
    # the model's calls, and the embeddings that tell a new scene from an earlier one
    assert all(u.kind in ("text", "embeddings") and u.device_seconds > 0 for u in usages)
    assert "smollm2" in usages[0].provider and any(u.kind == "embeddings" for u in usages)
    assert all(a.layout != b.layout for a, b in itertools.pairwise(script.scenes))


async def test_progress_is_reported_as_each_part_is_written() -> None:
    def answer(messages: list[dict[str, str]]) -> str:
        asked = messages[-1]["content"]
        if "title" in asked:
            return "Zone 2 Cardio: The Easy Way to Get Fit"
        if "opening sentence" in asked:
            return "Easy running can change your health more than sprints can."
        return angle_answer(asked)

    reports: list[tuple[float, str]] = []
    script, _ = await ContentStrategist(strategy="guided").write(
        fake_llm(answer, []),
        topic="zone 2 cardio",
        niche="fitness",
        target_seconds=60,
        on_progress=lambda fraction, detail: reports.append((fraction, detail)),
    )
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1
    assert len(reports) == 1 + 2 + len(script.scenes)  # start, title, hook, each scene
    words = [int(d.split()[0]) for _, d in reports[1:]]
    assert words == sorted(words) and words[-1] > 40
    assert reports[-1][1].endswith(f"words written ({len(reports) - 1}/{len(reports) - 1} parts)")

    json_reports: list[tuple[float, str]] = []
    await ContentStrategist(strategy="json").write(
        fake_llm(lambda _m: json.dumps(VALID), []),
        topic="zone 2 cardio",
        niche="fitness",
        target_seconds=60,
        on_progress=lambda f, d: json_reports.append((f, d)),
    )
    assert json_reports[0][1] == "writing the script (draft 1/3)"
    assert json_reports[1][1].endswith("words written, 30 tokens")


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("JAMES WEBB TELESCOPE DISCOVERY - A TRIBUTE OF THE", "James Webb Telescope Discovery"),
        (
            "A long, storied history of ancient Rome, where the power and grandeur of the "
            "ancient world",
            "A long, storied history of ancient Rome",
        ),
        ("The Secrets of the", ""),  # cut short, nothing whole to keep: asked again
        ('"Solar Eclipses: Why the Sky Goes Dark"', "Solar Eclipses: Why the Sky Goes Dark"),
    ],
)
def test_titles_are_cleaned_to_a_whole_phrase(raw: str, title: str) -> None:
    from backend.agents.text_cleanup import clean_title

    assert clean_title(raw) == title


async def test_a_regenerated_guided_script_samples_other_answers() -> None:
    seeds: list[list[object]] = []
    for feedback in ([], ["scenes 1 and 3 repeat one another (similarity 0.93)"]):
        requests: list[dict[str, object]] = []
        await ContentStrategist(strategy="guided").write(
            fake_llm(
                lambda m: (
                    angle_answer(m[-1]["content"])
                    if "narration" in m[-1]["content"]
                    else (
                        "Zone 2 Cardio Made Simple"
                        if "title" in m[-1]["content"]
                        else "Zone 2 cardio is the workout you can do every day."
                    )
                ),
                requests,
            ),
            topic="zone 2 cardio",
            niche="fitness",
            target_seconds=60,
            feedback=feedback,
        )
        seeds.append([r.get("seed") for r in requests])
    assert seeds[0] != seeds[1] and len(seeds[0]) == len(seeds[1])
