"""Cleaning small-model output: markup out, repeats out, cut at a sentence end."""

from __future__ import annotations

import re

_MARKUP = re.compile(r"(```.*?```|`|\*\*|__|#+\s|^\s*[-*•]\s+|^\s*\d+[.)]\s+)", re.S | re.M)
_LABEL = re.compile(r"^\s*(title|hook|narration|scene \d+|voiceover|narrator)\s*:\s*", re.I)
# A sentence ends at . ! or ? -- not at the point of a decimal number ("7.5 minutes").
_SENTENCE = re.compile(r"(?:[^.!?]|\.(?=\d))+[.!?]+[\"')\]]*")
_SPEAKER = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_META = re.compile(r"^(here'?s|here is|sure|certainly|as an ai|i'm sorry|i can)\b", re.I)


def strip_markup(text: str) -> str:
    text = _MARKUP.sub(" ", text)
    text = _SPEAKER.sub(" ", text)
    lines = [_LABEL.sub("", line) for line in text.splitlines()]
    return re.sub(r"\s+", " ", " ".join(lines)).strip().strip('"“”').strip()


def sentences(text: str) -> list[str]:
    """Complete sentences only: a trailing fragment without end punctuation is dropped."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _key(sentence: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", sentence.lower()).strip()


def clean_narration(text: str, *, seen: set[str] | None = None, max_words: int = 60) -> str:
    """Plain prose: markup stripped, sentences already ``seen`` (or repeated) dropped,
    at most ``max_words`` words, ending at a sentence end. ``seen`` is updated."""
    seen = seen if seen is not None else set()
    kept: list[str] = []
    words = 0
    for sentence in sentences(strip_markup(text)):
        key = _key(sentence)
        count = len(sentence.split())
        if not key or key in seen or count < 3 or _META.match(sentence):
            continue
        if kept and words + count > max_words:
            break
        seen.add(key)
        kept.append(sentence)
        words += count
    return " ".join(kept)


def clean_title(text: str, *, max_chars: int = 90) -> str:
    first = next((ln for ln in text.splitlines() if strip_markup(ln)), "")
    line = strip_markup(first)
    line = re.split(r"(?<=[.!?])\s", line)[0].strip().strip("\"“”'").strip()
    if len(line) > max_chars:
        line = line[:max_chars].rsplit(" ", 1)[0]
    return line.rstrip(" .,:;-")


def key_phrases(text: str, limit: int = 6) -> list[str]:
    """Content words in order of first appearance (for image prompts and tags)."""
    words = re.findall(r"(?<!['A-Za-z])[A-Za-z][A-Za-z-]{3,}(?!['A-Za-z])", text)
    out: list[str] = []
    for word in words:
        lower = word.lower()
        if lower not in STOPWORDS and lower not in out:
            out.append(lower)
        if len(out) == limit:
            break
    return out


# A word list is easier to read and edit as text than as a list literal (SIM905 is off).
STOPWORDS = frozenset(
    """
about above after again against also among because been before being below between both
could does doing down during each either every few from further have having here hers
herself himself into itself just like make makes many more most much must myself only other
ours over same should some such than that their theirs them themselves then there these
they this those through under until very want what when where which while whom with would
your yours yourself will well even really thing things video today lets let's dont don't
we're you're it's that's know need right start started good great welcome watch
""".split()
)
