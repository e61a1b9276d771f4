"""Caption cues from narration text: chunking, proportional timing, SRT in and out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SENTENCE_END = (".", "!", "?", ";", ":")
CLAUSE_END = (",", "\u2014", "\u2013")  # comma, em dash, en dash
# Each cue gets this many characters' worth of extra time: the pause around a phrase.
PAUSE_CHARS = 4


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


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
