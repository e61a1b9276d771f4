"""Shorts: the cut plan, and a Short made from a ready long video: its own linked video,
vertical 1080x1920, 30 to 60 s, captions in the SRT and burned in, publishable files, one
per long video."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest
import redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.backends.base import WordTiming
from backend.agents.script import Script
from backend.db.base import utcnow
from backend.jobs.runtime import JobContext
from backend.models import StageRun, StageStatus, Video, VideoFormat, VideoStage, VideoStatus
from backend.models.video import PRODUCTION_STAGES
from backend.publishing.guardrails import video_file
from backend.render import probe
from backend.render.captions import read_srt, words_json
from backend.render.layout import layout_for
from backend.render.samples import make_scenes
from backend.settings import Settings
from backend.shorts.cut import MAX_S, MIN_S, ShortTooShort, plan_cut
from backend.shorts.tasks import ShortMaker
from tests.backend.pipeline.conftest import connection, make_channel
from tests.backend.render.conftest import frame_at

__all__ = ["connection"]  # the pipeline tests' Redis fixture, used here too
POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
SCENE_S = 10.5
SCRIPT = {
    "title": "Why the Deep Sea Glows",
    "hook": "Half a mile down, the dark is full of light.",
    "scenes": [
        {
            "narration": "Most creatures of the deep make their own light with chemistry.",
            "image_prompt": "glowing jellyfish in dark water",
        },
        {
            "narration": "They flash to find mates, to lure prey and to hide their shadows.",
            "image_prompt": "anglerfish with a glowing lure",
        },
        {
            "narration": "Scientists still discover new glowing species on every deep dive.",
            "image_prompt": "submarine lights in the abyss",
        },
    ],
    "description": "How and why deep sea animals make light.",
    "tags": ["deep sea", "bioluminescence"],
}


def test_cut_takes_whole_scenes_from_the_hook_within_the_window() -> None:
    cut = plan_cut([12.0, 11.0, 10.0, 14.0, 20.0])
    assert cut.scenes == (0, 1, 2, 3) and cut.last_clip_s is None
    assert MIN_S <= cut.planned_s <= MAX_S


def test_cut_trims_a_scene_that_would_overrun() -> None:
    cut = plan_cut([20.0, 50.0])
    assert cut.scenes == (0, 1)
    assert cut.last_clip_s is not None and 0 < cut.last_clip_s < 50.0
    assert cut.planned_s <= MAX_S
    one = plan_cut([90.0])
    assert one.scenes == (0,) and one.last_clip_s is not None and one.planned_s <= MAX_S


def test_a_video_too_short_for_a_short_is_refused() -> None:
    with pytest.raises(ShortTooShort, match="needs at least"):
        plan_cut([8.0, 9.0])


async def _long_video(
    db: async_sessionmaker[AsyncSession], settings: Settings, tmp_path: Path
) -> uuid.UUID:
    channel = await make_channel(
        db,
        settings,
        style_settings={
            "target_minutes": 0.5,
            "shorts": True,
            "music_mood": "calm",
            "caption_style": "word_highlight",
        },
    )
    video_id = uuid.uuid4()
    folder = settings.media_dir / str(video_id)
    scenes = make_scenes(folder, 3, SCENE_S)
    spoken = Script.model_validate(SCRIPT).spoken_texts()
    for i, text in enumerate(spoken, start=1):  # engine word timings: words spread evenly
        words = text.split()
        step = (SCENE_S - 0.5) / len(words)
        timed = [
            WordTiming(w, 0.25 + k * step, 0.25 + (k + 0.8) * step) for k, w in enumerate(words)
        ]
        (folder / f"words_{i:02d}.json").write_text(words_json(timed), encoding="utf-8")
    now = utcnow()
    async with db() as session:
        session.add(
            Video(
                id=video_id,
                channel_id=channel.id,
                topic="deep sea light",
                title=SCRIPT["title"],
                tags=["deep sea"],
                status=VideoStatus.ready,
                script=SCRIPT,
                quality_score=0.9,
                format=VideoFormat.long,
            )
        )
        await session.flush()
        artifacts: dict[VideoStage, dict[str, str]] = {
            VideoStage.images: {
                f"image_{i + 1:02d}": s.image_path.name for i, s in enumerate(scenes)
            },
            VideoStage.voice: {
                **{f"voice_{i + 1:02d}": s.audio_path.name for i, s in enumerate(scenes)},
                **{f"voice_words_{i:02d}": f"words_{i:02d}.json" for i in range(1, 4)},
            },
            VideoStage.render: {"video": "video.mp4", "subtitles": "video.srt"},
        }
        outputs: dict[VideoStage, dict[str, object]] = {
            VideoStage.script: {"script": SCRIPT},
            VideoStage.render: {"clip_seconds": [SCENE_S] * 3, "intro_s": 2.0},
            VideoStage.thumbnail: {"seo": {"thumbnail_text": "The Deep Sea Glows"}},
        }
        for stage in PRODUCTION_STAGES:
            session.add(
                StageRun(
                    id=uuid.uuid4(),
                    video_id=video_id,
                    stage=stage,
                    status=StageStatus.succeeded,
                    attempts=1,
                    started_at=now,
                    finished_at=now,
                    artifacts=artifacts.get(stage, {}),
                    output=outputs.get(stage, {}),
                )
            )
        await session.commit()
    return video_id


@POSTGRES
async def test_a_ready_long_video_gets_one_vertical_short(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    tmp_path: Path,
) -> None:
    long_id = await _long_video(db, settings, tmp_path)
    ctx = JobContext(settings, db, connection)
    outcome = await ShortMaker(ctx, long_id).run()
    assert outcome.get("status") == "ready", outcome
    async with db() as session:
        short = await session.get(Video, uuid.UUID(outcome["short_id"]))
        assert short is not None
        runs = {
            r.stage: r
            for r in await session.scalars(select(StageRun).where(StageRun.video_id == short.id))
        }
    assert short.format == VideoFormat.short and short.parent_video_id == long_id
    assert short.title and short.title.endswith("#Shorts")
    assert short.description and "#Shorts" in short.description
    assert short.render_qa and short.render_qa["passed"], short.render_qa
    assert all(runs[s].status == StageStatus.succeeded for s in PRODUCTION_STAGES)

    # what the upload stage reads: the MP4, the thumbnail and the SRT
    mp4 = video_file(settings.media_dir, short, runs[VideoStage.render])
    assert mp4 is not None
    folder = settings.media_dir / str(short.id)
    assert (folder / runs[VideoStage.thumbnail].artifacts["thumbnail"]).stat().st_size > 0
    info = probe(mp4)
    assert (info.width, info.height) == (1080, 1920)
    assert MIN_S <= info.duration_s <= MAX_S, info.duration_s
    cues = read_srt(folder / runs[VideoStage.render].artifacts["subtitles"])
    assert len(cues) >= 3
    # on the spoken word: the first caption starts with the first word (after the 1 s card)
    assert abs(cues[0].start_s - (1.0 + 0.25)) < 0.1, cues[0]

    # the captions are burned in: the caption strip has ink while a cue shows, none before
    layout = layout_for("short")
    strip = slice(layout.caption_y, layout.caption_y + layout.caption_strip_h)
    cue = cues[len(cues) // 2]
    shown = frame_at(mp4, (cue.start_s + cue.end_s) / 2)[strip]
    white = np.all(shown > 235, axis=2).mean()
    assert white > 0.002, white

    # one Short per long video: a second run finds it
    again = await ShortMaker(ctx, long_id).run()
    assert again == {"skipped": "its Short exists"}
    async with db() as session:
        count = len(
            (await session.scalars(select(Video.id).where(Video.parent_video_id == long_id))).all()
        )
    assert count == 1


@POSTGRES
async def test_no_short_for_a_channel_that_does_not_ask(
    settings: Settings,
    db: async_sessionmaker[AsyncSession],
    connection: redis.Redis,
    tmp_path: Path,
) -> None:
    long_id = await _long_video(db, settings, tmp_path)
    async with db() as session:
        video = await session.get(Video, long_id)
        assert video is not None
        from backend.models import Channel

        channel = await session.get(Channel, video.channel_id)
        assert channel is not None
        channel.style_settings = {"target_minutes": 0.5}
        await session.commit()
    outcome = await ShortMaker(JobContext(settings, db, connection), long_id).run()
    assert outcome == {"skipped": "the channel does not ask for Shorts"}
