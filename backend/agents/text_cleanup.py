"""Cleaning small-model output: markup out, repeats out, cut at a sentence end."""

from __future__ import annotations

import re

_MARKUP = re.compile(r"(```.*?```|`|\*\*|__|#+\s|^\s*[-*•]\s+|^\s*\d+[.)]\s+)", re.S | re.M)
_LABEL = re.compile(
    r"^\s*(title|hook|narration|scene \d+|voiceover|narrator|answer|a|q)\s*:\s*", re.I
)
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


def sentence_keys(text: str) -> set[str]:
    """The comparison keys of ``text``'s sentences, as :func:`clean_narration`'s ``seen``."""
    return {_key(s) for s in sentences(strip_markup(text))}


def clean_narration(
    text: str, *, seen: set[str] | None = None, max_words: int = 60, topic: str | None = None
) -> str:
    """Plain prose: markup stripped, sentences already ``seen`` (or repeated) dropped,
    at most ``max_words`` words, ending at a sentence end. ``seen`` is updated. With a
    ``topic``, generic filler sentences (:func:`filler_reason`) are dropped too."""
    seen = seen if seen is not None else set()
    kept: list[str] = []
    words = 0
    for sentence in sentences(strip_markup(text)):
        key = _key(sentence)
        count = len(sentence.split())
        if not key or key in seen or count < 3 or _META.match(sentence):
            continue
        if topic is not None and filler_reason(sentence, topic):
            continue
        if kept and words + count > max_words:
            break
        seen.add(key)
        kept.append(sentence)
        words += count
    return " ".join(kept)


def clean_title(text: str, *, max_chars: int = 70) -> str:
    """The first line, unquoted, one sentence; a longer one is cut at its last clause
    boundary (", ", " - ", ": ") that leaves at least 20 characters, else at a word."""
    first = next((ln for ln in text.splitlines() if strip_markup(ln)), "")
    line = strip_markup(first)
    line = re.split(r"(?<=[.!?])\s", line)[0].strip().strip("\"“”'").strip()
    if len(line) > max_chars:
        cuts = [m.start() for m in re.finditer(r",\s|\s[-\u2013\u2014]\s|:\s", line)]
        cuts = [c for c in cuts if 20 <= c <= max_chars]
        line = line[: cuts[-1]] if cuts else line[:max_chars].rsplit(" ", 1)[0]
    line = line.rstrip(" .,:;-")
    # cut short by the token limit ("... A TRIVAL OF THE"): back to the last clause boundary
    if re.search(r"\b(of|the|a|an|and|or|to|in|on|for|with|by|at|from|that|is)$", line, re.I):
        cuts = [m.start() for m in re.finditer(r",\s|\s[-\u2013\u2014]\s|:\s", line)]
        cuts = [c for c in cuts if c >= 15]
        line = line[: cuts[-1]].rstrip(" .,:;-") if cuts else ""
    if line.isupper() and len(line) > 12:  # shouted: title case
        line = " ".join(w[:1].upper() + w[1:] for w in line.lower().split())
    return line


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


# --- what a text is about: stems, filler, lexical similarity ------------------------
_SUFFIXES = ("ingly", "edly", "ations", "ation", "ings", "ness", "ies", "ing", "ers", "est")
_SUFFIXES_SHORT = ("ed", "es", "ly", "er", "s")


def stem(word: str) -> str:
    """A crude English stem ("eclipses", "eclipsed" -> "eclips"; "studies" -> "study"), so
    that word forms of one word compare equal. Not linguistics: a comparison key."""
    word = word.lower().strip("'-")
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in (*_SUFFIXES, *_SUFFIXES_SHORT):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") if len(word) > 3 else word


# Words that carry no information of their own in a narration sentence.
GENERIC_WORDS = frozenset(
    """
thing things stuff ways lot lots people person important interesting fascinating amazing
incredible basics basic topic topics world many something everything everyone anyone
someone truly actually understand understanding explore exploring journey dive deep little
time times different various kind kinds part whole sure help helps need needs think look
looks also today channel guide subject aspect aspects concept concepts idea ideas fact facts
simple simply great best better most key essential crucial vital role everyday life lives
""".split()
)


def content_stems(text: str) -> set[str]:
    """The stems of the words that say something: no stopwords, no generic words."""
    words = re.findall(r"[A-Za-z][A-Za-z'-]+", text)
    return {
        stem(w)
        for w in words
        if len(w) > 2
        and w.lower() not in STOPWORDS
        and w.lower() not in GENERIC_WORDS
        and w.lower() not in _SHORT_STOP
    }


_SHORT_STOP = frozenset(
    "the and for are was were has had not but its our can you all any how why who".split()
)


def lexical_similarity(a: str, b: str, ignore: frozenset[str] | set[str] = frozenset()) -> float:
    """Jaccard overlap of two texts' content stems, ``ignore`` (e.g. the topic's) left out."""
    left, right = content_stems(a) - ignore, content_stems(b) - ignore
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def topic_coverage(text: str, topic: str) -> float:
    """The share of the topic's content stems that ``text`` uses (1.0: all of them)."""
    wanted = content_stems(topic) or {stem(w) for w in re.findall(r"[A-Za-z]+", topic)}
    if not wanted:
        return 1.0
    return len(wanted & content_stems(text)) / len(wanted)


def names_topic(title: str, topic: str) -> bool:
    """Whether ``title`` names ``topic``: every one of its words (stemmed) for a topic of one
    or two words ("solar eclipses" is not "lunar eclipse"), three in five for a longer one."""
    wanted = content_stems(topic)
    need = 1.0 if len(wanted) <= 2 else 0.6
    return topic_coverage(title, topic) >= need


# Phrases that fill airtime without saying anything. Each entry: (pattern, what it is).
FILLER_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\b(in|for) (this|today'?s) video\b", "announces the video"),
    (r"\blet'?s (dive|get started|jump|take a (closer )?look|explore|begin)\b", "announces"),
    (r"\bwithout further ado\b", "stock phrase"),
    (
        r"\b(it'?s|it is) (important|worth|interesting) (to note|noting|to mention)\b",
        "stock phrase",
    ),
    (r"\bwhen it comes to\b", "stock phrase"),
    (r"\bat the end of the day\b", "stock phrase"),
    (r"\b(like|subscribe)\b.*\b(subscribe|button|notifications?|bell)\b", "call to action"),
    (r"\bstay tuned\b", "call to action"),
    (r"\b(thanks|thank you) for watching\b", "call to action"),
    (r"\bmake sure (to|you)\b", "stock phrase"),
    (r"\bin conclusion\b", "stock phrase"),
    (r"\bin the realm of\b", "stock phrase"),
    (r"\bdon'?t forget to\b", "call to action"),
    (r"^\s*(I|I'm|I am|I've|I have|let me|we'll|we will)\b", "the narrator talks about itself"),
    (
        r"\bI (was|am|have|had|first|started|love|think|believe|want)\b",
        "the narrator talks about itself",
    ),
    (r"\b(share|tell) (with )?you\b|\bwith you\b", "talks to the viewer, not about the topic"),
    (r"\bas we all know\b", "stock phrase"),
    (r"\b(it'?s|it is) no secret\b", "stock phrase"),
    (
        r"\bha(s|ve) (long )?(captivated|fascinated|intrigued|amazed) "
        r"(humanity|people|us|mankind|humans)\b",
        "stock phrase",
    ),
    (
        r"\b(is|are) (a|an|one) (truly )?(fascinating|interesting|amazing|important|exciting|"
        r"complex|rare|remarkable) (topic|subject|thing|phenomenon|area|world|event|occurrence)\b",
        "says nothing specific",
    ),
    (r"\bthe key (is|to) (understanding|knowing|understand|know)\b", "says nothing specific"),
    (r"\bunderstanding the basics\b", "says nothing specific"),
    (r"\bplays? (a|an) (crucial|vital|important|key|big|major) role\b", "stock phrase"),
    (r"\bin (the|today'?s) (fast-paced |modern |digital )?(world|age|era)\b", "stock phrase"),
    (r"\bwhether you'?re (a )?(beginner|expert|new|seasoned)\b", "stock phrase"),
    (r"\b(game[- ]changer|next level|unlock (the|your) (potential|secrets?))\b", "hype"),
    (r"\bthe (possibilities|options) are endless\b", "hype"),
    (
        r"\bthere are (many|lots of|a lot of|so many) (things|ways|reasons|aspects)\b",
        "says nothing specific",
    ),
    (r"\bone of the most (important|interesting|fascinating|amazing)\b", "says nothing specific"),
    (r"\b(everything|all) you need to know\b", "stock phrase"),
    (
        r"\bhas been (occurring|happening|around) for (centuries|years|ages|decades)\b",
        "says nothing specific",
    ),
)
_FILLER = [(re.compile(p, re.I), why) for p, why in FILLER_PATTERNS]


def filler_reason(sentence: str, topic: str = "") -> str | None:
    """Why ``sentence`` is generic filler (a stock phrase, or too little information once the
    topic's own words are set aside), else None."""
    for pattern, why in _FILLER:
        if pattern.search(sentence):
            return why
    words = sentence.split()
    informative = content_stems(sentence) - content_stems(topic)
    if len(words) >= 4 and len(informative) < 2:
        return "too little information"
    return None
