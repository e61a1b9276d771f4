"""Caption cues from narration: chunking, timing on the spoken words, SRT in and out.

A cue starts when its first word is spoken, as the speech engine timed it
(:class:`ai.backends.base.WordTiming`, carried per scene in ``RenderScene.words``).
Only where an engine gave no timings are cues spread over the clip by text length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from ai.backends.base import WordTiming
from ai.backends.word_timing import align_words

log = structlog.get_logger(__name__)

SENTENCE_END = (".", "!", "?", ";", ":")
CLAUSE_END = (",", "\u2014", "\u2013")  # comma, em dash, en dash
# Each cue gets this many characters' worth of extra time: the pause around a phrase.
PAUSE_CHARS = 4
# A line stays up this long after its last word unless the next line starts sooner.
LINGER_S = 0.8
MIN_CUE_S = 0.25
CAPTION_STYLES = ("line", "word_highlight")


@dataclass(frozen=True)
class Cue:
    """One caption line on screen from ``start_s`` to ``end_s``. ``words``: its words
    timed in the video (empty when the timing was estimated), for the word highlight."""

    start_s: float
    end_s: float
    text: str
    words: tuple[WordTiming, ...] = ()


def chunk_narration(text: str, max_chars: int = 42) -> list[str]:
    """Split narration into short caption lines, breaking at sentence ends and, when a line
    is well filled, at commas; no line is longer than ``max_chars`` unless one word is."""
    chunks: list[str] = []
    current: list[str] = []
    length = 0
    for word in text.split():
        if current and length + 1 + len(word) > max_chars:
            chunks.append(" ".join(current))
            current, length = [], 0
        current.append(word)
        length += len(word) + (1 if length else 0)
        if word.endswith(SENTENCE_END) or (word.endswith(CLAUSE_END) and length >= 0.6 * max_chars):
            chunks.append(" ".join(current))
            current, length = [], 0
    if current:
        chunks.append(" ".join(current))
    return _rebalance_orphans(chunks, max_chars)


def _rebalance_orphans(chunks: list[str], max_chars: int) -> list[str]:
    """Share words with the previous line when a line is a stranded word or two
    (``"...every dive finds" / "something"``), unless a sentence ended in between."""
    out: list[str] = []
    for chunk in chunks:
        if out and len(chunk) <= max_chars // 3 and not out[-1].endswith(SENTENCE_END):
            words = f"{out.pop()} {chunk}".split()
            total = sum(len(w) + 1 for w in words)
            split, length = 0, 0
            while split < len(words) - 1 and length + len(words[split]) + 1 <= total / 2:
                length += len(words[split]) + 1
                split += 1
            out += [" ".join(words[: max(1, split)]), " ".join(words[max(1, split) :])]
        else:
            out.append(chunk)
    return out


def time_chunks(chunks: list[str], start_s: float, duration_s: float) -> list[Cue]:
    """Spread ``chunks`` over ``[start_s, start_s + duration_s]`` in proportion to length."""
    weights = [len(c) + PAUSE_CHARS for c in chunks]
    total = sum(weights)
    cues: list[Cue] = []
    t = start_s
    for chunk, weight in zip(chunks, weights, strict=True):
        end = t + duration_s * weight / total
        cues.append(Cue(round(t, 3), round(end, 3), chunk))
        t = end
    return cues


def timed_cues(
    chunks: list[str], words: Sequence[WordTiming], start_s: float, duration_s: float
) -> list[Cue]:
    """Cues for ``chunks`` (one scene's caption lines) starting on their first spoken word.

    ``words`` are times within the scene's clip, which starts at ``start_s`` in the video;
    a line stays up until the next starts, at most :data:`LINGER_S` after its last word."""
    tokens = [token for chunk in chunks for token in chunk.split()]
    timed = align_words(tokens, words)
    scene_end = start_s + duration_s
    groups: list[list[WordTiming]] = []
    at = 0
    for chunk in chunks:
        count = len(chunk.split())
        groups.append(
            [
                WordTiming(w.word, start_s + w.start_s, start_s + w.end_s)
                for w in timed[at : at + count]
            ]
        )
        at += count
    cues: list[Cue] = []
    for index, (chunk, group) in enumerate(zip(chunks, groups, strict=True)):
        begin = min(group[0].start_s, scene_end)
        following = groups[index + 1][0].start_s if index + 1 < len(groups) else scene_end
        end = min(following, scene_end, max(group[-1].end_s + LINGER_S, begin + MIN_CUE_S))
        placed = tuple(WordTiming(w.word, round(w.start_s, 3), round(w.end_s, 3)) for w in group)
        cues.append(Cue(round(begin, 3), round(max(begin, end), 3), chunk, placed))
    return cues


def scene_cues(
    narration: str,
    words: Sequence[WordTiming] | None,
    start_s: float,
    duration_s: float,
    max_chars: int,
    *,
    scene: int | None = None,
) -> list[Cue]:
    """One scene's cues: on its spoken words when the engine timed them, else estimated
    from text length (and logged, since such captions drift from the voice)."""
    chunks = chunk_narration(narration, max_chars)
    if not chunks:
        return []
    if words:
        return timed_cues(chunks, words, start_s, duration_s)
    log.warning("captions.estimated", scene=scene, reason="no word timings from the speech engine")
    return time_chunks(chunks, start_s, duration_s)


def words_json(words: Sequence[WordTiming] | None) -> str:
    """A clip's word timings as ``{"words": [{"word", "start", "end"}]}`` (null when the
    engine gave none); :func:`read_words` reads it back."""
    payload = {
        "words": None
        if words is None
        else [{"word": w.word, "start": w.start_s, "end": w.end_s} for w in words]
    }
    return json.dumps(payload, ensure_ascii=False)


def read_words(path: Path) -> tuple[WordTiming, ...] | None:
    """The timings :func:`words_json` wrote; ``ValueError`` when the file is malformed."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        items = payload["words"]
        if items is None:
            return None
        return tuple(WordTiming(str(i["word"]), float(i["start"]), float(i["end"])) for i in items)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed word timings in {path}: {exc}") from exc


def _stamp(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def write_srt(cues: list[Cue], path: Path) -> Path:
    blocks = [
        f"{i}\n{_stamp(c.start_s)} --> {_stamp(c.end_s)}\n{c.text}\n"
        for i, c in enumerate(cues, start=1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


_SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d),(\d{3})\s*-->\s*(\d+):(\d\d):(\d\d),(\d{3})")


def read_srt(path: Path) -> list[Cue]:
    """Parse an SRT file; raise ``ValueError`` on a block without a valid time line."""
    cues: list[Cue] = []
    text = path.read_text(encoding="utf-8").strip()
    for block in re.split(r"\n\s*\n", text) if text else []:
        lines = block.strip().splitlines()
        if len(lines) < 3 or not (match := _SRT_TIME.fullmatch(lines[1].strip())):
            raise ValueError(f"malformed SRT block: {block!r}")
        g = [int(x) for x in match.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append(Cue(start, end, "\n".join(lines[2:])))
    return cues
