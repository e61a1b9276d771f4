"""Render benchmark: our renderer against the naive moviepy way, on the same timeline.

Builds its own inputs (generated 1920x1080 stills, synthetic narration, the built-in music
bed of ``--mood``, ducked under the voice),
renders the full video with ``backend.render.render_video`` and the first
``--naive-seconds`` of the same timeline the naive way (moviepy ``CompositeVideoClip`` with
a per-frame resize for the zoom, crossfades, subtitles as ``TextClip``s, mixed audio), then
prints seconds, x real time and the ratio. The naive figure is extrapolated from its
segment. Both encode with libx264 ``ultrafast`` so the comparison is about composition,
not encoder presets. CPU seconds and the load average are printed because on a shared
machine wall-clock time alone misleads. Render QA (``backend.render.qa``) then runs on the
finished file, as the render stage does, and its time is printed against the render's.

    .venv/bin/python scripts/render_bench.py [--seconds 180] [--naive-seconds 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from ai.text_fit import font_path
from backend.render import RenderScene, RenderSpec, render_video, verify_render
from backend.render.captions import chunk_narration, time_chunks
from backend.render.music import builtin_dir
from backend.render.qa import QaInputs, card_intervals, check_render
from backend.render.samples import make_scenes

STORY = (
    "Far beneath the waves sunlight fades and the water turns cold. Here strange creatures "
    "make their own light, flashing signals through the dark. Scientists have mapped less "
    "than a quarter of the sea floor, and every dive finds something new. Some fish carry "
    "lanterns, some squid vanish in clouds of glowing ink, and whole reefs live without sun."
)
WORDS = STORY.split()
WORDS_PER_SECOND = 2.6


def narration_text(seconds: float, offset: int) -> str:
    count = max(4, round(seconds * WORDS_PER_SECOND))
    return " ".join(WORDS[(offset + i) % len(WORDS)] for i in range(count))


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build_inputs(
    root: Path, seconds: float, scenes: int, mood: str
) -> tuple[list[RenderScene], Path]:
    per_scene = seconds / scenes
    made = make_scenes(root / "scenes", scenes, per_scene)
    with_text = [
        RenderScene(s.image_path, s.audio_path, narration_text(per_scene, i * 7))
        for i, s in enumerate(made)
    ]
    return with_text, builtin_dir(mood, root / "music")


def render_naive(spec: RenderSpec, seconds: float, out: Path) -> float:
    """The naive moviepy render of the first ``seconds``; returns wall seconds."""
    from moviepy import (
        AudioFileClip,
        ColorClip,
        CompositeAudioClip,
        CompositeVideoClip,
        ImageClip,
        TextClip,
        afx,
        vfx,
    )

    font = str(path) if (path := font_path("bold")) else None
    width, height = spec.frame_size
    fade, card = spec.crossfade_s, spec.card_s
    started = time.perf_counter()
    layers = [
        ColorClip((width, height), (0, 0, 0)).with_duration(seconds),
        TextClip(
            font=font,
            text=spec.title,
            font_size=96,
            color="white",
            stroke_color="black",
            stroke_width=6,
        )
        .with_duration(card)
        .with_position("center"),
    ]
    voices, t = [], card
    for scene in spec.scenes:
        if t >= seconds:
            break
        voice = AudioFileClip(str(scene.audio_path)).with_start(t)
        d = voice.duration
        zoom = ImageClip(str(scene.image_path)).with_start(t).with_duration(d + fade)
        zoom = zoom.resized(lambda tt, d=d: 1 + 0.15 * tt / d).with_position("center")
        layers.append(zoom.with_effects([vfx.CrossFadeIn(fade)]))
        for cue in time_chunks(chunk_narration(scene.narration), t, d):
            layers.append(
                TextClip(
                    font=font,
                    text=cue.text,
                    font_size=64,
                    color="white",
                    stroke_color="black",
                    stroke_width=5,
                )
                .with_start(cue.start_s)
                .with_duration(cue.end_s - cue.start_s)
                .with_position(("center", height - 180))
            )
        voices.append(voice)
        t += d
    assert spec.music_dir is not None
    music = AudioFileClip(str(next(spec.music_dir.iterdir()))).with_effects(
        [afx.AudioLoop(duration=seconds), afx.MultiplyVolume(0.2)]
    )
    video = CompositeVideoClip(layers, size=(width, height)).with_duration(seconds)
    video = video.with_audio(CompositeAudioClip([*voices, music]).with_duration(seconds))
    video.write_videofile(
        str(out), fps=spec.fps, codec="libx264", preset="ultrafast", audio_codec="aac", logger=None
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="narration length")
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument(
        "--naive-seconds", type=float, default=20.0, help="length of the naive render (0 skips it)"
    )
    parser.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    parser.add_argument("--mood", default="calm", help="built-in music bed: calm, upbeat, dramatic")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="render_bench_") as tmp:
        root = args.keep or Path(tmp)
        scenes, music = build_inputs(root, args.seconds, args.scenes, args.mood)
        spec = RenderSpec(
            scenes=scenes,
            title="Secrets of the Deep Ocean",
            out_dir=root / "out",
            music_dir=music,
            intro_text="What lives where the light ends",
            basename="bench",
        )
        load_before = os.getloadavg()[0]
        cpu0 = cpu_seconds()
        result = render_video(spec)
        ours_cpu = cpu_seconds() - cpu0
        verify_render(result, result.narration_s)
        ours_speed = result.duration_s / result.seconds
        cpu0 = cpu_seconds()
        qa = check_render(
            QaInputs(
                result.video_path,
                (result.width, result.height),
                narration_path=result.narration_track,
                planned_s=result.expected_duration_s,
                held_stills=card_intervals(result),
                spoken=(result.intro_s, result.intro_s + result.narration_s),
                captions=result.caption_boxes,
            )
        )
        qa_cpu = cpu_seconds() - cpu0
        rows = [("ours (full video)", result.duration_s, result.seconds, ours_cpu, ours_speed)]
        if args.naive_seconds > 0:
            cpu0 = cpu_seconds()
            naive_s = render_naive(spec, args.naive_seconds, root / "out" / "naive.mp4")
            naive_cpu = cpu_seconds() - cpu0
            rows.append(
                (
                    f"naive moviepy (first {args.naive_seconds:g} s)",
                    args.naive_seconds,
                    naive_s,
                    naive_cpu,
                    args.naive_seconds / naive_s,
                )
            )
        load_after = os.getloadavg()[0]
    print(
        f"\n{args.scenes} scenes, {result.duration_s:.1f} s video at "
        f"{result.width}x{result.height}@{spec.fps}, encoder {result.encoder}, "
        f"{os.cpu_count()} CPUs, load average {load_before:.1f} -> {load_after:.1f}"
    )
    print(f"{'render':<32}{'video s':>9}{'wall s':>9}{'CPU s':>9}{'x real time':>13}")
    for name, video_s, wall_s, cpu_s, speed in rows:
        print(f"{name:<32}{video_s:>9.1f}{wall_s:>9.1f}{cpu_s:>9.1f}{speed:>13.2f}")
    print(
        f"render QA: {qa.seconds:.1f} s wall, {qa_cpu:.1f} s CPU "
        f"({qa.seconds / result.seconds:.0%} of the render's wall time); "
        f"{'passed' if qa.passed else 'FAILED: ' + '; '.join(qa.reasons)}"
    )
    loudness = next(c for c in qa.checks if c.name == "loudness")
    print(f"music: {result.music_path.name if result.music_path else None}, {loudness.reason}")
    if len(rows) == 2:
        naive_speed = rows[1][4]
        print(f"naive extrapolated to the full video: {result.duration_s / naive_speed:.0f} s")
        print(f"ratio (ours / naive, x real time): {ours_speed / naive_speed:.1f}x")


if __name__ == "__main__":
    main()
