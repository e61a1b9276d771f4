"""A scene's slide content and layout: derived from its narration, numbers only as said,
and no two consecutive scenes of a script in the same layout."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from backend.agents.content_strategist import ContentStrategist, parse_script
from backend.agents.scene_content import (
    big_number,
    chart_points,
    choose_layouts,
    comparison,
    key_fact,
    list_items,
    said_numbers,
    supported_layouts,
)
from backend.agents.script import LAYOUTS, Scene, Script
from tests.backend.agents.conftest import fake_llm, good_script

ECLIPSE = [
    "The Sun is 109 times wider than Earth and 333,000 times heavier. Yet the Moon hides it.",
    "A total eclipse lasts at most 7.5 minutes, while a partial eclipse can last for hours.",
    "Eclipses need the Sun, the Moon and the Earth in one line. Most of them are partial.",
    'Astronomers repeat one rule: "never look at the Sun without eclipse glasses" at all.',
    "About 70% of Earth is covered by water and 30% by land, so shadows mostly cross oceans.",
    "The next total eclipse over Spain comes in 2026, when the shadow crosses the north.",
]


def eclipse_script(scenes: list[dict[str, object]] | None = None) -> Script:
    return Script.model_validate(
        {
            "title": "Solar Eclipses Explained in Six Facts",
            "hook": "Once in a while the sky goes dark at noon, and here is exactly why.",
            "scenes": scenes
            or [{"narration": n, "image_prompt": "the Sun behind the Moon"} for n in ECLIPSE],
            "description": "What a solar eclipse is and how to watch one safely.",
            "tags": ["solar eclipse"],
        }
    )


def numbers_in(text: str) -> set[float]:
    return {n.value for n in said_numbers(text)} | {n.bare for n in said_numbers(text)}


def test_numbers_are_read_as_said() -> None:
    numbers = said_numbers("It weighs 333,000 times more, 4.6 billion years old, 70% water.")
    assert [(n.text, n.value, n.unit) for n in numbers] == [
        ("333,000", 333000.0, "times"),
        ("4.6 billion", 4.6e9, "years"),
        ("70%", 70.0, "%"),
    ]
    assert [n.value for n in said_numbers("It lasts 7.5 minutes. Then it ends.")] == [7.5]


def test_a_chart_needs_two_numbers_of_one_unit_and_labels_them() -> None:
    assert chart_points(ECLIPSE[0]) == [("wider", 109.0), ("heavier", 333000.0)]
    assert chart_points(ECLIPSE[4]) == [("Earth covered water", 70.0), ("land", 30.0)]
    assert chart_points(ECLIPSE[1]) == []  # one number only
    assert chart_points("From 1969 to 1972 twelve people walked on the Moon.") == []  # years


def test_each_content_is_derived_from_the_narration() -> None:
    assert key_fact(ECLIPSE[0]) == "The Sun is 109 times wider than Earth and 333,000 times heavier"
    assert list_items(ECLIPSE[2])[:2] == ["The Sun", "The Moon"]
    sides = comparison(ECLIPSE[1])
    assert sides is not None
    assert sides[0] == ("total eclipse", "A total eclipse lasts at most 7.5 minutes")
    assert sides[1][0] == "partial eclipse"
    assert big_number(ECLIPSE[1]) == ("7.5", "minutes", "A total eclipse lasts at most 7.5 minutes")
    assert big_number("Nothing numeric is said here at all.") is None


def test_a_validated_script_has_a_layout_per_scene_never_twice_in_a_row() -> None:
    script = eclipse_script()
    layouts = [s.layout for s in script.scenes]
    assert all(layout in LAYOUTS for layout in layouts)
    assert all(a != b for a, b in itertools.pairwise(layouts)), layouts
    assert len(set(layouts)) >= 4, layouts
    for scene in script.scenes:  # the content a layout needs is there
        assert scene.layout in supported_layouts(scene)
        assert scene.key_fact and scene.quote
    # idempotent: what is stored validates to itself
    again = Script.model_validate(json.loads(json.dumps(script.model_dump())))
    assert again == script


def test_the_layout_hint_is_kept_unless_it_repeats_or_lacks_content() -> None:
    hinted = [{"narration": n, "image_prompt": "sun", "layout": "key_fact"} for n in ECLIPSE]
    hinted[4]["layout"] = "chart"  # has numbers of one unit: kept
    hinted[2]["layout"] = "big_number"  # no number there: not kept
    script = eclipse_script(hinted)
    layouts = [s.layout for s in script.scenes]
    assert layouts[0] == "key_fact" and layouts[4] == "chart" and layouts[2] != "big_number"
    assert all(a != b for a, b in itertools.pairwise(layouts)), layouts


def test_no_two_consecutive_layouts_even_when_scenes_offer_little() -> None:
    # one plain sentence each: only a key fact and a pull quote to choose from
    plain = [
        Scene(narration=f"Plain sentence number {word} says only this much.", image_prompt="x y")
        for word in "abcdefgh"
    ]
    layouts = choose_layouts(plain)
    assert all(a != b for a, b in itertools.pairwise(layouts)), layouts


def test_chart_and_big_numbers_the_narration_does_not_say_are_dropped() -> None:
    scenes: list[dict[str, object]] = [{"narration": n, "image_prompt": "sun"} for n in ECLIPSE]
    scenes[0] = {
        **scenes[0],
        "chart": [
            {"label": "wider", "value": 109},
            {"label": "made up", "value": 42},  # not said
            {"label": "heavier", "value": 333000},
        ],
        "big_number": {"value": "1.3 million", "unit": "Earths", "label": "invented"},
    }
    scenes[1] = {**scenes[1], "chart": [{"label": "a", "value": 3}, {"label": "b", "value": 4}]}
    script = eclipse_script(scenes)
    first, second = script.scenes[0], script.scenes[1]
    assert [(p.label, p.value) for p in first.chart] == [("wider", 109.0), ("heavier", 333000.0)]
    assert first.big_number is not None and first.big_number.value == "333,000"
    assert second.chart == []  # 3 and 4 are not said; 7.5 alone makes no chart


@pytest.mark.parametrize("strategy", ["guided", "json"])
async def test_generated_scripts_hold_the_layout_rule_and_chart_only_said_numbers(
    strategy: str,
) -> None:
    def answer(messages: list[dict[str, str]]) -> str:
        asked = messages[-1]["content"]
        if strategy == "json":
            return json.dumps(
                {
                    "title": "Solar Eclipses Explained in Six Facts",
                    "hook": "Once in a while the sky goes dark at noon, and here is why.",
                    "scenes": [
                        {
                            "narration": n,
                            "visual": {"subject": "the Moon covering the Sun"},
                            "layout": "key_fact",  # the same hint everywhere
                            "chart": [{"label": "x", "value": 5}, {"label": "y", "value": 6}],
                            "items": "not a list",  # malformed: dropped, not fatal
                        }
                        for n in ECLIPSE
                    ],
                    "description": "What a solar eclipse is and how to watch one.",
                    "tags": ["solar eclipse"],
                }
            )
        if "title" in asked:
            return "Solar Eclipses Explained in Six Facts"
        if "opening sentence" in asked:
            return "Solar eclipses turn noon into night for a few minutes."
        angle_words = ("what it is", "works", "surprising", "history", "mistake", "tip")
        index = next((i for i, w in enumerate(angle_words) if w in asked), 5)
        return f"Solar eclipses, fact {index + 1}. " + ECLIPSE[index]

    script, _ = await ContentStrategist(strategy=strategy).write(  # type: ignore[arg-type]
        fake_llm(answer, []), topic="solar eclipses", niche="science", target_seconds=60
    )
    layouts = [s.layout for s in script.scenes]
    assert all(a != b for a, b in itertools.pairwise(layouts)), layouts
    for scene in script.scenes:
        said = numbers_in(scene.narration)
        assert all(p.value in said for p in scene.chart), (scene.narration, scene.chart)
        assert scene.visual is not None and scene.image_prompt == scene.visual.prompt()
        assert not re.fullmatch(r"[\w\s,]+", scene.image_prompt)  # a sentence, not keywords


def test_parse_script_composes_the_prompt_from_the_visual() -> None:
    answer = json.dumps(
        {
            **json.loads(json.dumps(good_script().model_dump())),
            "scenes": [
                {
                    "narration": s.narration,
                    "visual": {
                        "subject": "a crusty sourdough loaf",
                        "setting": "on a floured wooden table",
                        "composition": "close-up, low angle",
                        "style": "warm morning light, photo",
                    },
                }
                for s in good_script().scenes
            ],
        }
    )
    script = parse_script(answer, "documentary", "sourdough bread")
    assert script.scenes[0].image_prompt == (
        "a crusty sourdough loaf, on a floured wooden table; close-up, low angle; "
        "warm morning light, photo; no text, no letters"
    )


def test_a_day_after_a_month_is_a_date_not_a_quantity() -> None:
    numbers = said_numbers("He was born on October 28, 1904, and lived 93 years.")
    assert [n.text for n in numbers] == ["1904", "93"]
    assert numbers[0].is_year and not numbers[1].is_year


@pytest.mark.parametrize(
    ("narration", "fact"),
    [
        (
            "A solar eclipse is a rare celestial event that occurs when the Earth is aligned "
            "with the Moon's orbit around the Sun.",
            "A solar eclipse is a rare celestial event",
        ),
        (
            "When solar eclipses began, they were a rare occurrence, and they have been "
            "happening for thousands of years.",
            "When solar eclipses began, they were a rare occurrence",
        ),
        ("Totality lasts minutes.", "Totality lasts minutes"),
    ],
)
def test_a_key_fact_is_short_and_a_whole_phrase(narration: str, fact: str) -> None:
    assert key_fact(narration) == fact
