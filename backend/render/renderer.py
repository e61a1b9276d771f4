"""``render_video``: a spec in, a verified-shape MP4 and SRT out."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import structlog

from backend.render.audio import (
    audio_duration,
    loudness_filter,
    measure_loudness,
    mix_soundtrack,
    pick_music,
    write_narration_wav,
    write_raw,
)
from backend.render.caption_track import write_caption_track
from backend.render.captions import CAPTION_STYLES, Cue, scene_cues, write_srt
from backend.render.errors import RenderInputError
from backend.render.ffmpeg import run_ffmpeg_with_progress, video_encoder
from backend.render.graph import GraphInputs, ffmpeg_args
from backend.render.layout import Layout, layout_for
from backend.render.models import FRAME_SIZES, CaptionBox, RenderResult, RenderSpec
from backend.render.motion import Motion, plan_motions
from backend.render.overlays import save_fast_png, title_card
from backend.render.probe import probe
from backend.render.qa import caption_boxes
from backend.render.sources import base_size, image_size, write_scene_source
from backend.render.timeline import Timeline, build_timeline

log = structlog.get_logger(__name__)

Progress = Callable[[float], None]
# (overall fraction 0..1, frames encoded, frames in the video), as ffmpeg reports them
FrameProgress = Callable[[float, int, int], None]
PREPARE_SHARE = 0.15  # progress reported once the stills and the soundtrack are ready
DEFAULT_OUTRO = "Thanks for watching!"


def check_spec(spec: RenderSpec) -> None:
    """Raise :class:`RenderInputError` naming the first thing wrong with ``spec``."""
    if not spec.scenes:
        raise RenderInputError("a render needs at least one scene")
    if not spec.title.strip():
        raise RenderInputError("the title is empty")
    if spec.fmt not in FRAME_SIZES:
        raise RenderInputError(f"unknown format {spec.fmt!r}; use one of {sorted(FRAME_SIZES)}")
    if spec.fps <= 0 or spec.card_s < 0 or spec.crossfade_s < 0:
        raise RenderInputError("fps must be positive, card_s and crossfade_s not negative")
    if spec.caption_style not in CAPTION_STYLES:
        raise RenderInputError(
            f"unknown caption style {spec.caption_style!r}; use one of {list(CAPTION_STYLES)}"
        )
    for i, scene in enumerate(spec.scenes):
        for label, path in (("image", scene.image_path), ("audio", scene.audio_path)):
            if not path.is_file():
                raise RenderInputError(f"scene {i}: {label} {path} does not exist")


def _cues(
    spec: RenderSpec, timeline: Timeline, narration_s: list[float], layout: Layout
) -> list[Cue]:
    cues: list[Cue] = []
    for seg in timeline.scenes():
        assert seg.scene_index is not None
        scene = spec.scenes[seg.scene_index]
        cues += scene_cues(
            scene.narration,
            scene.words,
            seg.start_s(timeline.fps),
            narration_s[seg.scene_index],
            layout.caption_chars,
            scene=seg.scene_index,
        )
    return cues


def _submit_stills(
    spec: RenderSpec, timeline: Timeline, layout: Layout, work: Path, pool: ThreadPoolExecutor
) -> tuple[list[Future[Path]], list[Motion | None]]:
    """Start writing one still per segment (scene sources and title cards) on ``pool``."""
    frame = spec.frame_size
    bases = [base_size(image_size(s.image_path), frame) for s in spec.scenes]
    motions = plan_motions(spec.basename, bases, frame)
    jobs: list[Future[Path]] = []
    per_segment: list[Motion | None] = []
    for seg in timeline.segments:
        if seg.scene_index is not None:
            i = seg.scene_index
            jobs.append(
                pool.submit(
                    write_scene_source,
                    spec.scenes[i].image_path,
                    motions[i],
                    frame,
                    work / f"scene_{i:03d}.png",
                )
            )
            per_segment.append(motions[i])
            continue
        intro = seg.kind == "intro"
        jobs.append(
            pool.submit(
                _write_card,
                spec.scenes[0 if intro else -1].image_path,
                spec.title if intro else (spec.outro_text or DEFAULT_OUTRO),
                spec.intro_text if intro else spec.title,
                layout,
                work / f"card_{seg.kind}.png",
            )
        )
        per_segment.append(None)
    return jobs, per_segment


def _write_card(
    background: Path, headline: str, subline: str | None, layout: Layout, out_path: Path
) -> Path:
    return save_fast_png(title_card(background, headline, subline, layout), out_path)


@dataclass(frozen=True)
class _Prepared:
    inputs: GraphInputs
    cues: list[Cue]
    music: Path | None
    narration: Path
    caption_boxes: tuple[CaptionBox, ...]


def _prepare(
    spec: RenderSpec, timeline: Timeline, narration_s: list[float], layout: Layout, work: Path
) -> _Prepared:
    """Stills (on two threads) while the soundtrack is mixed and measured, then captions."""
    cues = _cues(spec, timeline, narration_s, layout)
    with ThreadPoolExecutor(max_workers=2) as pool:
        still_jobs, motions = _submit_stills(spec, timeline, layout, work, pool)
        music = pick_music(spec.music_dir, spec.basename)
        placed = [
            (s.audio_path, seg.start_s(spec.fps))
            for s, seg in zip(spec.scenes, timeline.scenes(), strict=True)
        ]
        soundtrack = mix_soundtrack(placed, timeline.total_s, music)
        raw = write_raw(soundtrack.samples, work / "soundtrack.f32")
        loudness = measure_loudness(raw)
        captions = write_caption_track(cues, timeline.total_s, layout, work, spec.caption_style)
        assert soundtrack.voice is not None
        narration = write_narration_wav(soundtrack.voice, work / "narration.wav")
        boxes = tuple(caption_boxes(captions, layout.caption_y))
        stills = [job.result() for job in still_jobs]
    inputs = GraphInputs(stills, motions, captions, raw, loudness_filter(loudness))
    return _Prepared(inputs, cues, soundtrack.music_path, narration, boxes)


def render_video(
    spec: RenderSpec,
    progress: Progress | None = None,
    on_frames: FrameProgress | None = None,
    cancel: threading.Event | None = None,
) -> RenderResult:
    """Render ``spec`` to ``out_dir/<basename>.mp4`` and ``.srt``, reporting progress 0..1
    (and, with ``on_frames``, the frames encoded so far). Setting ``cancel`` stops the
    encode (a caller that gave up on the render: ffmpeg does not run on without it).

    Both files appear under their final names only once the encode has succeeded.
    """
    report = progress or (lambda _: None)
    started = time.perf_counter()
    check_spec(spec)
    report(0.0)
    layout = layout_for(spec.fmt)
    encoder = video_encoder()
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    narration_s = [audio_duration(s.audio_path) for s in spec.scenes]
    timeline = build_timeline(narration_s, spec.fps, spec.card_s, spec.crossfade_s)
    log.info(
        "render.start",
        basename=spec.basename,
        fmt=spec.fmt,
        scenes=len(spec.scenes),
        seconds=round(timeline.total_s, 2),
        encoder=encoder.name,
    )
    video_path = spec.out_dir / f"{spec.basename}.mp4"
    srt_path = spec.out_dir / f"{spec.basename}.srt"
    with tempfile.TemporaryDirectory(prefix=f".{spec.basename}.", dir=spec.out_dir) as tmp:
        work = Path(tmp)
        prepared = _prepare(spec, timeline, narration_s, layout, work)
        report(PREPARE_SHARE)
        log.info(
            "render.prepared",
            seconds=round(time.perf_counter() - started, 2),
            music=prepared.music.name if prepared.music else None,
            captions=len(prepared.cues),
        )
        total_frames = timeline.total_frames
        frames = [0]  # ffmpeg reports frame= before out_time_us= in each progress block

        def on_time(t: float) -> None:
            fraction = PREPARE_SHARE + (1 - PREPARE_SHARE) * 0.99 * min(1.0, t / timeline.total_s)
            if on_frames is not None:
                on_frames(fraction, min(frames[0], total_frames), total_frames)
            else:
                report(fraction)

        run_ffmpeg_with_progress(
            ffmpeg_args(prepared.inputs, timeline, layout, encoder, work / "video.mp4"),
            what=f"render {video_path.name}",
            on_time=on_time,
            on_frame=lambda n: frames.__setitem__(0, n),
            cancel=cancel,
        )
        os.replace(write_srt(prepared.cues, work / "captions.srt"), srt_path)
        os.replace(work / "video.mp4", video_path)
        narration_path = spec.out_dir / f".{spec.basename}.narration.wav"
        os.replace(prepared.narration, narration_path)
    info = probe(video_path)
    result = RenderResult(
        video_path=video_path,
        srt_path=srt_path,
        duration_s=info.duration_s,
        narration_s=round(sum(narration_s), 3),
        width=info.width or 0,
        height=info.height or 0,
        video_codec=info.video.codec if info.video else "",
        audio_codec=info.audio.codec if info.audio else "",
        encoder=encoder.name,
        seconds=time.perf_counter() - started,
        intro_s=timeline.card_s("intro"),
        outro_s=timeline.card_s("outro"),
        music_path=prepared.music,
        clip_seconds=tuple(round(d, 3) for d in narration_s),
        narration_track=narration_path,
        caption_boxes=prepared.caption_boxes,
    )
    report(1.0)
    log.info(
        "render.done",
        video=str(video_path),
        duration_s=result.duration_s,
        seconds=round(result.seconds, 2),
        speed=round(result.duration_s / max(result.seconds, 1e-9), 2),
    )
    return result
