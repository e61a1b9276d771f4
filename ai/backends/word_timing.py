"""Word timings in the words of the input text, from whatever units an engine reports.

Engines time their own units: espeak-ng a word event at a character offset (a number may
become three spoken words, "3.5" is "three point five"), ElevenLabs each character, VITS
each token of its normalized text. Callers want one timing per word of the text they sent
(its whitespace-separated tokens, punctuation kept), so a caption shows the words as
written. These helpers do that mapping; a word the engine did not voice (a lone dash) gets
a zero-length timing where its neighbours meet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from ai.backends.base import WordTiming

_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Span:
    """A unit the engine timed: characters ``[start, end)`` of the text, ``[start_s, end_s]``."""

    start: int
    end: int
    start_s: float
    end_s: float


def text_words(text: str) -> list[tuple[int, int, str]]:
    """The whitespace-separated words of ``text`` as ``(start, end, word)`` character spans."""
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def words_from_spans(text: str, spans: Sequence[Span]) -> tuple[WordTiming, ...]:
    """One timing per word of ``text``: from the first to the last engine span that starts
    inside the word. Words without a span sit, zero-length, where the previous one ended."""
    ordered = sorted(spans, key=lambda s: s.start)
    timings: list[WordTiming | None] = []
    cursor = 0
    for start, end, word in text_words(text):
        while cursor < len(ordered) and ordered[cursor].start < start:
            cursor += 1
        inside = []
        while cursor < len(ordered) and ordered[cursor].start < end:
            inside.append(ordered[cursor])
            cursor += 1
        if inside:
            first = float(min(s.start_s for s in inside))
            last = float(max(s.end_s for s in inside))
            timings.append(WordTiming(word, round(first, 3), round(max(first, last), 3)))
        else:
            timings.append(None)
    return _fill_gaps(text_words(text), timings)


def _fill_gaps(
    words: list[tuple[int, int, str]], timings: list[WordTiming | None]
) -> tuple[WordTiming, ...]:
    out: list[WordTiming] = []
    for index, ((_, _, word), timing) in enumerate(zip(words, timings, strict=True)):
        if timing is not None:
            out.append(timing)
            continue
        before = out[-1].end_s if out else None
        after = next((t.start_s for t in timings[index + 1 :] if t is not None), None)
        at = before if before is not None else (after if after is not None else 0.0)
        out.append(WordTiming(word, at, at))
    return tuple(out)


def _norm(word: str) -> str:
    return re.sub(r"[\W_]+", "", word.casefold())


def align_words(tokens: Sequence[str], words: Sequence[WordTiming]) -> list[WordTiming]:
    """Time each narration token by the engine's words.

    The engine's words are normally the tokens themselves; where they differ (a backend
    that normalized the text, read numbers out, dropped a dash) tokens are matched by their
    letters and digits, and a token left unmatched shares the time between its matched
    neighbours."""
    times: list[tuple[float, float] | None] = [None] * len(tokens)
    ours, theirs = [_norm(t) for t in tokens], [_norm(w.word) for w in words]
    matcher = SequenceMatcher(None, ours, theirs, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                times[i1 + k] = (words[j1 + k].start_s, words[j1 + k].end_s)
        elif op == "replace":  # n tokens said as m words: spread the span over the tokens
            _spread(times, tokens, i1, i2, words[j1].start_s, words[j2 - 1].end_s)
    index = 0
    while index < len(tokens):
        if times[index] is not None:
            index += 1
            continue
        end = index
        while end < len(tokens) and times[end] is None:
            end += 1
        before = times[index - 1] if index > 0 else None
        after = times[end] if end < len(tokens) else None
        lo = before[1] if before else (after[0] if after else 0.0)
        hi = after[0] if after else lo
        _spread(times, tokens, index, end, lo, max(lo, hi))
        index = end
    return [
        WordTiming(token, round(t[0], 3), round(t[1], 3))
        for token, t in zip(tokens, times, strict=True)
        if t is not None
    ]


def _spread(
    times: list[tuple[float, float] | None],
    tokens: Sequence[str],
    i1: int,
    i2: int,
    start_s: float,
    end_s: float,
) -> None:
    weights = [len(tokens[i]) + 1 for i in range(i1, i2)]
    total, t = sum(weights), start_s
    for i, weight in zip(range(i1, i2), weights, strict=True):
        step = (end_s - start_s) * weight / total
        times[i] = (t, t + step)
        t += step


def shifted(words: Sequence[WordTiming], offset_s: float) -> list[WordTiming]:
    return [
        WordTiming(w.word, round(w.start_s + offset_s, 3), round(w.end_s + offset_s, 3))
        for w in words
    ]
