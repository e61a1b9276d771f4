"""The one scene type: stored as JSON, read back by every stage, turned into render input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.agents.script import Script
from backend.render import RenderScene
from tests.backend.agents.conftest import good_script


def test_the_script_round_trips_through_the_pipelines_json() -> None:
    script = good_script()
    stored = json.loads(json.dumps(script.model_dump()))  # as the script stage stores it
    again = Script.model_validate(stored)
    assert again == script
    assert [s.model_dump() for s in again.scenes] == stored["scenes"]
    assert set(stored["scenes"][0]) == {
        "narration",
        "image_prompt",
        "visual",
        "key_fact",
        "items",
        "big_number",
        "quote",
        "comparison",
        "chart",
        "layout",
    }


def test_render_scenes_pair_stills_and_clips_with_the_words_spoken(tmp_path: Path) -> None:
    script = good_script()
    n = len(script.scenes)
    images = [tmp_path / f"image_{i:02d}.png" for i in range(1, n + 1)]
    voices = [tmp_path / f"voice_{i:02d}.wav" for i in range(1, n + 1)]
    scenes = script.render_scenes(images, voices)
    assert all(isinstance(s, RenderScene) for s in scenes)
    assert [s.image_path for s in scenes] == images and [s.audio_path for s in scenes] == voices
    assert scenes[0].narration == f"{script.hook} {script.scenes[0].narration}"
    assert [s.narration for s in scenes[1:]] == [s.narration for s in script.scenes[1:]]
    assert [s.narration for s in scenes] == script.spoken_texts()  # what the voice read
    with pytest.raises(ValueError, match="as many images and voice clips"):
        script.render_scenes(images[:-1], voices)


def test_chapter_starts_sum_the_clips_before_each_scene() -> None:
    script = good_script()
    clips = [10.0, 20.0, 30.0, 5.0, 5.0, 5.0]
    starts = script.chapter_starts(clips, lead_in_s=2.0)
    assert starts[1:] == [2.0 + sum(clips[:k]) for k in range(1, len(clips))]
    assert 2.0 < starts[0] < 2.0 + clips[0]
    with pytest.raises(ValueError, match="as many clip lengths"):
        script.chapter_starts(clips[:2])
