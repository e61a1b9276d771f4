"""``make_short``: the RQ job that cuts a ready long video's Short (enqueued by the runner
by its dotted path once the long video is ready, for channels whose style asks for it).

1. Read the long video: still wanted (the channel asks for Shorts, the video is a long
   one and made), and no Short of it yet (one Short per long video).
2. Outside any transaction: cut the hook onwards (``backend.shorts.cut``), render it at
   1080x1920 with its own captions (word by word where the renderer offers that), make its
   thumbnail, run render QA and check the 30-60 s window and the frame size.
3. One transaction, with the long video's row locked: if no Short of it appeared
   meanwhile, insert the Short (``format=short``, ``parent_video_id``) with a finished run
   for every production stage (the render's and thumbnail's artifacts are what the upload
   stage reads) and take it ``running -> ready`` (or ``needs_review`` when its QA failed),
   with the same events and auto-publish as any video; otherwise its files are removed.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.agents.script import Script
from backend.db.base import utcnow
from backend.db.session import unit_of_work
from backend.jobs.runtime import JobContext, job_context, run_job
from backend.models import (
    Channel,
    StageRun,
    StageStatus,
    Video,
    VideoFormat,
    VideoStage,
    VideoStatus,
)
from backend.models.video import PRODUCTION_STAGES
from backend.pipeline.outcome import hold_for_render_qa, video_event
from backend.pipeline.upload import after_ready
from backend.render import RenderResult, RenderSpec, make_thumbnail, render_video, verify_render
from backend.render.captions import read_words
from backend.render.music import NO_MUSIC, music_dir_for
from backend.render.qa import Check, QaInputs, QaReport, card_intervals, check_render
from backend.shorts.cut import CARD_S, MAX_S, MIN_S, Cut, ShortTooShort, cut_scenes, plan_cut
from backend.videos import state

log = structlog.get_logger(__name__)

MADE = frozenset(
    {VideoStatus.ready, VideoStatus.publishing, VideoStatus.scheduled, VideoStatus.published}
)
SHORTS_TAG = "#Shorts"
TITLE_MAX = 100  # YouTube's limit
SHORT_SIZE = (1080, 1920)


def make_short(long_video_id: str) -> dict[str, Any]:
    """Cut the Short of one long video (idempotent: a second run finds it made)."""
    return run_job(_make_short(uuid.UUID(long_video_id)))


async def _make_short(long_id: uuid.UUID) -> dict[str, Any]:
    async with job_context() as ctx:
        return await ShortMaker(ctx, long_id).run()


@dataclass(frozen=True)
class _Source:
    """What the Short is made from, read from the long video in one short transaction."""

    channel_id: uuid.UUID
    script: Script
    images: list[Path]
    voices: list[Path]
    words: list[Path | None]  # each scene's word timings as the voice step stored them
    clip_seconds: list[float]
    thumbnail_text: str | None
    title: str
    tags: list[str]
    music_mood: str
    caption_style: str


@dataclass(frozen=True)
class _Made:
    result: RenderResult
    qa: QaReport
    thumbnail: Path
    cut: Cut
    seconds: float


def short_title(title: str) -> str:
    room = TITLE_MAX - len(SHORTS_TAG) - 1
    head = title if len(title) <= room else title[: room - 1].rstrip() + "…"
    return f"{head} {SHORTS_TAG}"


def short_description(script: Script, long_title: str) -> str:
    return f"{script.hook}\n\nFrom the full video: {long_title}\n\n{SHORTS_TAG}"


def headline(source: _Source) -> str:
    """At most five words for the thumbnail: the long video's own headline if it has one."""
    text = source.thumbnail_text or source.title
    return " ".join(text.split()[:5])


def window_check(result: RenderResult) -> list[Check]:
    """A Short is vertical 1080x1920 and lasts 30 to 60 s (YouTube's own rule is 3 min;
    ours is the length a hook holds)."""
    size_ok = (result.width, result.height) == SHORT_SIZE
    d = result.duration_s
    return [
        Check(
            "short_frame",
            size_ok,
            f"{result.width}x{result.height} (a Short is 1080x1920)",
        ),
        Check(
            "short_length",
            MIN_S <= d <= MAX_S,
            f"{d:.1f} s (a Short lasts {MIN_S:g} to {MAX_S:g} s)",
            value=round(d, 2),
        ),
    ]


def mood_of(style: dict[str, Any]) -> str:
    """The channel's music mood, as the long video's render reads it."""
    return str(style.get("music_mood", "calm")) if style.get("music", True) else NO_MUSIC


class ShortMaker:
    def __init__(self, ctx: JobContext, long_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.long_id = long_id

    async def run(self) -> dict[str, Any]:
        async with unit_of_work(self.ctx.sessions) as session:
            source = await self._source(session)
        if isinstance(source, str):
            log.info("short.skipped", video_id=str(self.long_id), reason=source)
            return {"skipped": source}
        short_id = uuid.uuid4()
        out_dir = self.ctx.settings.media_dir / str(short_id)
        try:
            made = await asyncio.to_thread(self._produce, source, out_dir)
        except ShortTooShort as exc:
            shutil.rmtree(out_dir, ignore_errors=True)
            log.info("short.skipped", video_id=str(self.long_id), reason=str(exc))
            return {"skipped": str(exc)}
        except BaseException:
            shutil.rmtree(out_dir, ignore_errors=True)
            raise
        async with unit_of_work(self.ctx.sessions) as session:
            outcome = await self._record(session, short_id, source, made)
        if outcome.get("skipped"):
            shutil.rmtree(out_dir, ignore_errors=True)
        return outcome

    async def _source(self, session: AsyncSession) -> _Source | str:
        """What the Short is made from, or why there is to be none."""
        video = await session.get(Video, self.long_id)
        if video is None:
            return "video gone"
        channel = await session.get(Channel, video.channel_id)
        if channel is None or not (channel.style_settings or {}).get("shorts"):
            return "the channel does not ask for Shorts"
        if video.format != VideoFormat.long or video.parent_video_id is not None:
            return "not a long video"
        if video.status not in MADE:
            return f"the video is {video.status.value}"
        if await _existing_short(session, video.id) is not None:
            return "its Short exists"
        runs = await _runs(session, video.id)
        needed = (VideoStage.images, VideoStage.voice, VideoStage.render)
        if any(s not in runs or runs[s].status != StageStatus.succeeded for s in needed):
            return "the long video's images, voice or render are missing"
        raw = video.script or (runs[VideoStage.script].output or {}).get("script")
        if not raw:
            return "the long video has no script"
        script = Script.model_validate(raw)
        folder = self.ctx.settings.media_dir / str(video.id)
        numbers = range(1, len(script.scenes) + 1)
        images = [folder / runs[VideoStage.images].artifacts[f"image_{i:02d}"] for i in numbers]
        voices = [folder / runs[VideoStage.voice].artifacts[f"voice_{i:02d}"] for i in numbers]
        if not all(p.is_file() for p in (*images, *voices)):
            return "the long video's images or narration were pruned"
        voice_artifacts = runs[VideoStage.voice].artifacts or {}
        words = [
            folder / name if (name := voice_artifacts.get(f"voice_words_{i:02d}")) else None
            for i in numbers
        ]
        thumb_out = runs[VideoStage.thumbnail].output if VideoStage.thumbnail in runs else {}
        seo = (thumb_out or {}).get("seo") or {}
        return _Source(
            channel_id=channel.id,
            script=script,
            images=images,
            voices=voices,
            words=words,
            clip_seconds=[float(s) for s in (runs[VideoStage.render].output or {})["clip_seconds"]],
            thumbnail_text=seo.get("thumbnail_text"),
            title=video.title or script.title,
            tags=list(video.tags or script.tags),
            music_mood=mood_of(channel.style_settings or {}),
            caption_style=str((channel.style_settings or {}).get("caption_style", "line")),
        )

    def _produce(self, source: _Source, out_dir: Path) -> _Made:
        """Render, thumbnail and check the Short (blocking: runs in a thread)."""
        started = time.perf_counter()
        cut = plan_cut(source.clip_seconds)
        out_dir.mkdir(parents=True, exist_ok=True)
        timings = [read_words(p) if p is not None and p.is_file() else None for p in source.words]
        # captions on the spoken word where the voice step stored its timings
        scenes = source.script.render_scenes(source.images, source.voices, timings)
        with tempfile.TemporaryDirectory(prefix=".short.", dir=out_dir) as tmp:
            chosen = cut_scenes(scenes, cut, Path(tmp))
            spec = RenderSpec(
                scenes=chosen,
                title=source.script.title,
                out_dir=out_dir,
                fmt=VideoFormat.short.value,
                music_dir=music_dir_for(
                    self.ctx.settings.data_dir / "music", str(source.channel_id), source.music_mood
                ),
                intro_text=None,
                outro_text="Full video on the channel",
                basename="video",
                card_s=CARD_S,
                caption_style=source.caption_style,  # the channel's Shorts captions
            )
            result = render_video(spec)
        verify_render(result, result.narration_s)
        try:
            report = check_render(
                QaInputs(
                    video_path=result.video_path,
                    frame_size=(result.width, result.height),
                    narration_path=result.narration_track,
                    planned_s=result.narration_s + result.intro_s + result.outro_s,
                    held_stills=card_intervals(result),
                    spoken=(result.intro_s, result.intro_s + result.narration_s),
                    captions=result.caption_boxes,
                )
            )
        finally:
            if result.narration_track is not None:
                result.narration_track.unlink(missing_ok=True)
        report = QaReport([*report.checks, *window_check(result)], report.seconds)
        thumbnail = out_dir / "thumbnail.jpg"
        make_thumbnail(source.images[cut.scenes[0]], headline(source), thumbnail)
        return _Made(result, report, thumbnail, cut, time.perf_counter() - started)

    async def _record(
        self, session: AsyncSession, short_id: uuid.UUID, source: _Source, made: _Made
    ) -> dict[str, Any]:
        parent = await session.get(Video, self.long_id, with_for_update=True)
        if parent is None:
            return {"skipped": "video gone"}
        if (existing := await _existing_short(session, parent.id)) is not None:
            return {"skipped": "its Short exists", "short_id": str(existing)}
        channel = await session.get(Channel, parent.channel_id)
        assert channel is not None
        result, qa = made.result, made.qa
        now = utcnow()
        short = Video(
            id=short_id,
            channel_id=parent.channel_id,
            topic=parent.topic,
            title=short_title(source.title),
            description=short_description(source.script, source.title),
            tags=list(dict.fromkeys([*source.tags, "Shorts"]))[:30],
            status=VideoStatus.running,
            stage=PRODUCTION_STAGES[-1],
            stage_progress=1.0,
            script=None,  # a cut of the long video's script: no chapters of its own
            quality_score=parent.quality_score,
            quality_reasons=list(parent.quality_reasons or []),
            approved_by=parent.approved_by,
            approved_at=parent.approved_at,
            approved_score=parent.approved_score,
            format=VideoFormat.short,
            parent_video_id=parent.id,
            render_qa=qa.as_json(),
        )
        session.add(short)
        await session.flush()
        from_long = {"from_video": str(parent.id)}
        outputs: dict[VideoStage, tuple[dict[str, Any], dict[str, str]]] = {
            s: (from_long, {}) for s in PRODUCTION_STAGES
        }
        outputs[VideoStage.render] = (
            {
                **from_long,
                "duration_s": result.duration_s,
                "narration_s": result.narration_s,
                "clip_seconds": list(result.clip_seconds),
                "intro_s": result.intro_s,
                "width": result.width,
                "height": result.height,
                "encoder": result.encoder,
                "render_seconds": round(result.seconds, 3),
                "scenes": list(made.cut.scenes),
                "qa": qa.as_json(),
            },
            {
                "video": result.video_path.name,
                "subtitles": result.srt_path.name,
            },
        )
        outputs[VideoStage.thumbnail] = (
            {**from_long, "headline": headline(source)},
            {"thumbnail": made.thumbnail.name},
        )
        for stage, (output, artifacts) in outputs.items():
            session.add(
                StageRun(
                    id=uuid.uuid4(),
                    video_id=short.id,
                    stage=stage,
                    status=StageStatus.succeeded,
                    attempts=1,
                    tries=0,
                    started_at=now,
                    finished_at=now,
                    duration_s=round(made.seconds, 3) if stage == VideoStage.render else 0.0,
                    artifacts=artifacts,
                    output=output,
                )
            )
        await session.flush()
        if not await hold_for_render_qa(session, self.ctx.redis, short, channel):
            await state.transition(session, short, VideoStatus.ready, stage_progress=1.0)
            await video_event(
                session,
                self.ctx.redis,
                short,
                channel,
                "video.completed",
                f"{short.title}: ready",
                {"title": short.title, "parent_video_id": str(parent.id)},
            )
            await after_ready(session, self.ctx.redis, short, channel)
        log.info(
            "short.made",
            video_id=str(parent.id),
            short_id=str(short.id),
            duration_s=result.duration_s,
            scenes=list(made.cut.scenes),
            qa_passed=qa.passed,
            seconds=round(made.seconds, 2),
        )
        return {
            "short_id": str(short.id),
            "status": short.status.value,
            "duration_s": result.duration_s,
        }


async def _existing_short(session: AsyncSession, long_id: uuid.UUID) -> uuid.UUID | None:
    found = await session.scalar(select(Video.id).where(Video.parent_video_id == long_id).limit(1))
    return found


async def _runs(session: AsyncSession, video_id: uuid.UUID) -> dict[VideoStage, StageRun]:
    rows = (await session.execute(select(StageRun).where(StageRun.video_id == video_id))).scalars()
    return {r.stage: r for r in rows}
