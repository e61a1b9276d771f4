"""The ffmpeg command for a render: one filter graph does motion, crossfades, captions,
fades and loudness; the encoder runs in the same process, pipelined with the filters.

The timeline is cut into pieces that ``concat`` pulls strictly in order: each segment's
body, and between two segments a short ``xfade`` of the first one's tail with the next
one's head. Every piece loops its still and renders its own frames of the motion (the
motion expressions take the piece's frame offset), so no stream runs ahead of the output
and nothing is buffered. (Chaining ``xfade`` over whole segments made every segment
produce frames from the start and queue them: about twice the CPU.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backend.render.audio import SAMPLE_RATE, raw_input_args
from backend.render.ffmpeg import VideoEncoder
from backend.render.layout import Layout
from backend.render.motion import Motion, ffmpeg_motion_filters
from backend.render.timeline import Segment, Timeline

FADE_IN_S = 0.4
FADE_OUT_S = 0.6
AUDIO_BITRATE = "192k"
# Converted once per still, before it is looped: BT.709 limited range, as HD players expect.
TO_YUV = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"


@dataclass(frozen=True)
class GraphInputs:
    stills: list[Path]  # one per timeline segment: card image or pre-cropped scene source
    motions: list[Motion | None]  # None for cards (held still)
    captions_list: Path  # ffconcat list of caption strips
    soundtrack: Path  # raw float32 stereo
    loudness: str  # audio filters that bring the soundtrack to the target loudness


def _piece(
    source: str, first: int, count: int, seg: Segment, fps: int, motion: Motion | None, label: str
) -> str:
    """Frames ``[first, first + count)`` of a segment, from its still ``source`` pad."""
    chain = [
        f"[{source}]loop=loop={count - 1}:size=1:start=0",
        f"settb=1/{fps}",
        f"setpts=N+{first}",
    ]
    if motion is not None:
        chain.append(ffmpeg_motion_filters(motion, seg.frames / fps))
    chain += ["setpts=PTS-STARTPTS", "setsar=1"]
    return ",".join(chain) + f"[{label}]"


def video_pieces(timeline: Timeline, motions: list[Motion | None]) -> tuple[list[str], list[str]]:
    """Filter chains for every piece of the timeline and the labels to concatenate."""
    fps, xf = timeline.fps, timeline.crossfade_frames
    segments = timeline.segments
    parts: list[str] = []
    order: list[str] = []
    for k, seg in enumerate(segments):
        head = xf if k > 0 else 0
        tail = xf if k < len(segments) - 1 else 0
        uses = ["body"] + (["head"] if head else []) + (["tail"] if tail else [])
        pads = "".join(f"[{u}{k}in]" for u in uses)
        parts.append(f"[{k}:v]{TO_YUV},split={len(uses)}{pads}")
        if head:
            parts.append(_piece(f"head{k}in", 0, head, seg, fps, motions[k], f"head{k}"))
            parts.append(
                f"[tail{k - 1}][head{k}]xfade=transition=fade:duration={xf / fps:.6f}"
                f":offset=0[mix{k}]"
            )
            order.append(f"mix{k}")
        parts.append(
            _piece(f"body{k}in", head, seg.frames - head - tail, seg, fps, motions[k], f"body{k}")
        )
        order.append(f"body{k}")
        if tail:
            parts.append(
                _piece(f"tail{k}in", seg.frames - tail, tail, seg, fps, motions[k], f"tail{k}")
            )
    return parts, order


def filter_graph(inputs: GraphInputs, timeline: Timeline, layout: Layout) -> str:
    parts, order = video_pieces(timeline, inputs.motions)
    total = timeline.total_s
    caption_input = len(timeline.segments)
    parts.append(
        "".join(f"[{label}]" for label in order) + f"concat=n={len(order)}:v=1:a=0,"
        f"fade=t=in:st=0:d={FADE_IN_S},"
        f"fade=t=out:st={max(0.0, total - FADE_OUT_S):.6f}:d={FADE_OUT_S}[video]"
    )
    parts.append(f"[{caption_input}:v]format=yuva420p[caps]")
    parts.append(
        f"[video][caps]overlay=x=0:y={layout.caption_y}:eof_action=repeat"
        f":format=yuv420,format=yuv420p[vout]"
    )
    parts.append(f"[{caption_input + 1}:a]{inputs.loudness},aresample={SAMPLE_RATE}[aout]")
    return ";".join(parts)


def ffmpeg_args(
    inputs: GraphInputs,
    timeline: Timeline,
    layout: Layout,
    encoder: VideoEncoder,
    out_path: Path,
) -> list[str]:
    args: list[str] = []
    for still in inputs.stills:
        args += ["-framerate", str(timeline.fps), "-i", str(still)]
    args += ["-f", "concat", "-safe", "0", "-i", str(inputs.captions_list)]
    args += raw_input_args(inputs.soundtrack)
    args += [
        "-filter_complex",
        filter_graph(inputs, timeline, layout),
        "-map",
        "[vout]",
        "-map",
        "[aout]",
        *encoder.options,
        "-r",
        str(timeline.fps),
        "-g",
        str(timeline.fps * 2),
        "-pix_fmt",
        "yuv420p",
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
        "-c:a",
        "aac",
        "-b:a",
        AUDIO_BITRATE,
        "-ar",
        str(SAMPLE_RATE),
        "-frames:v",
        str(timeline.total_frames),
        "-t",
        f"{timeline.total_s:.6f}",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "-y",
        str(out_path),
    ]
    return args
