"""A scene's slide content from its own narration, and the layout it is shown in.

Deterministic derivations from the text, never made-up content: the strongest sentence as
the key fact, an enumeration (or the scene's sentences) as a list, a number as said with its
unit, a quoted passage (else a pull quote), a contrast ("while", "unlike", "compared to") as
a comparison, and numbers sharing a unit as a chart. What the LLM wrote is kept where the
narration backs it: a chart point or a big number whose number the narration does not say
is dropped. :func:`choose_layouts` then picks each scene's layout from what its content has,
the LLM's hint first, so that no two consecutive scenes share one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from backend.agents.text_cleanup import (
    STOPWORDS,
    key_phrases,
    names_topic,
    sentences,
    strip_markup,
)

if TYPE_CHECKING:
    from backend.agents.script import Layout, Scene

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])"
    r"(\s*(?:%|percent\b|per cent\b))?"
    r"(?:\s+(thousand|million|billion|trillion)\b)?",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_MONTH = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?)\.?\s+$",
    re.I,
)
_STOP_LABEL = frozenset("and or but while whereas so because which that than then".split())
_LEADING = frozenset(
    "of by in on for to at from about around nearly over almost the a an is are was were be "
    "it its as".split()
)
_CONTRAST = re.compile(
    r"\s*,?\s+\b(while|whereas|but|versus|vs\.?|compared (?:to|with)|instead of|rather than)\b\s+",
    re.I,
)
_UNLIKE = re.compile(r"^\s*unlike\s+([^,]{3,60}),\s*(.+)$", re.I)
_QUOTED = re.compile(r"[\"“]([^\"”]{12,280})[\"”]")
_LIST = re.compile(r"([^,;:.]+(?:,\s*[^,;:.]+){1,6},?\s+(?:and|or)\s+[^,;:.]+)")

KEY_FACT_WORDS = 14
LIST_WORDS = 12
# Framing per scene position, so consecutive pictures are not shot the same way.
COMPOSITIONS = (
    "wide establishing shot, subject in the left third",
    "close-up on the subject, shallow depth of field",
    "overhead view looking straight down",
    "low angle looking up at the subject",
    "medium shot, subject centred with space around it",
    "side view with strong leading lines",
    "detail shot filling the frame",
    "silhouette against a bright background",
)


@dataclass(frozen=True)
class SaidNumber:
    """A number as the narration says it."""

    text: str  # "93 million", "70%"
    value: float  # 93e6, 70
    bare: float  # 93, 70: the digits as written
    unit: str  # "%", "miles", "" when none follows
    after: str  # the words that follow it, up to the end of its clause
    before: str  # the words before it in its sentence
    sentence: str
    is_year: bool


def said_numbers(narration: str) -> list[SaidNumber]:
    found: list[SaidNumber] = []
    for sentence in sentences(strip_markup(narration)) or [narration]:
        for match in _NUMBER.finditer(sentence):
            digits, percent, scale = match.group(1), match.group(2), match.group(3)
            if _MONTH.search(sentence[: match.start()]):  # "October 28": a date, no quantity
                continue
            bare = float(digits.replace(",", ""))
            value = bare * _SCALES.get((scale or "").lower(), 1.0)
            rest = sentence[match.end() :]
            clause = re.split(r"[,;:.!?()]", rest, maxsplit=1)[0]
            words = _WORD.findall(clause)
            unit = "%" if percent else ""
            if not unit and words and words[0].lower() not in STOPWORDS | _STOP_LABEL | _LEADING:
                unit, words = words[0], words[1:]
            text = match.group(0).strip()
            if percent:
                text = f"{digits}%" + (f" {scale}" if scale else "")
            found.append(
                SaidNumber(
                    text=text,
                    value=value,
                    bare=bare,
                    unit=unit,
                    after=" ".join(words),
                    before=sentence[: match.start()].strip(),
                    sentence=sentence.strip(),
                    is_year=bool(
                        not percent
                        and not scale
                        and re.fullmatch(r"1[5-9]\d\d|20\d\d", digits)
                        and unit.lower() not in {"people", "km", "miles", "meters", "years"}
                    ),
                )
            )
    return found


def is_said(value: float, numbers: Sequence[SaidNumber]) -> bool:
    """Whether ``value`` is a number the narration says (as written, or with its scale)."""
    return any(
        abs(value - n.value) <= 1e-6 * max(1.0, abs(n.value))
        or abs(value - n.bare) <= 1e-6 * max(1.0, abs(n.bare))
        for n in numbers
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text)


_SUBORDINATE = re.compile(
    r"^(when|if|while|as|because|although|though|since|after|before|once|unless|until)\b", re.I
)


_QUALIFIER = re.compile(
    r"\s(?:that|which|who|whose|where|when|because|while|during|after|before|until|since)\s",
    re.I,
)


_COMPLEMENT = re.compile(
    r"\b(is|are|was|were|be|assume|think|believe|know|say|says|mean|means|shows?)$", re.I
)


def _head(text: str) -> str:
    """The sentence's opening clause, with the next one when it opens with "when", "if"...
    ("When eclipses began, they were rare", not "When eclipses began")."""
    clauses = re.split(r"[,;:]|\s[-\u2013\u2014]\s", text)
    head = clauses[0].strip()
    if _SUBORDINATE.match(head) and len(clauses) > 1:
        head = f"{head}, {clauses[1].strip()}"
    return head


def _clip(text: str, max_words: int, max_chars: int) -> str:
    """A short form of ``text``: its opening clause (:func:`_head`) when the whole has more
    than ``max_words`` words and that clause fits; else the whole, cut at a word only past
    ``max_chars`` (a whole sentence reads better than one cut mid-phrase)."""
    text = text.strip()
    if len(text.split()) > max_words or len(text) > max_chars:
        head = _head(text)
        if 4 <= len(head.split()) <= max_words and len(head) <= max_chars:
            text = head
        else:  # before a relative clause or a qualifier: "a rare event | that occurs when"
            cuts = [
                m.start()
                for m in _QUALIFIER.finditer(text)
                if 6 <= len(text[: m.start()].split()) <= max_words
                and not _COMPLEMENT.search(text[: m.start()])  # "is that ...": keep going
            ]
            if cuts:
                text = text[: cuts[0]]
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0]
    return text.rstrip(" ,;:-\u2013\u2014")


def _information(sentence: str) -> float:
    content = [w for w in _words(sentence.lower()) if len(w) > 3 and w not in STOPWORDS]
    numbers = len(_NUMBER.findall(sentence))
    length = len(sentence.split())
    return 2.0 * numbers + len(set(content)) - 0.2 * max(0, length - 22) - (3 if length < 4 else 0)


def strongest_sentence(narration: str) -> str:
    said = sentences(strip_markup(narration)) or [strip_markup(narration)]
    return max(said, key=_information)


def key_fact(narration: str) -> str:
    """The narration's most informative sentence, short, without its full stop."""
    return _clip(strongest_sentence(narration), KEY_FACT_WORDS, 160).rstrip(".")


def list_items(narration: str) -> list[str]:
    """An enumeration the narration makes ("Mercury, Venus and Mars"), else its sentences
    (two or more) in short form."""
    text = strip_markup(narration)
    for match in _LIST.finditer(text):
        parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", match.group(1))
        parts = [p.strip() for p in parts if p.strip()]
        if len(parts) >= 3:
            # the list starts at the first part's last words, as many as the second has
            parts[0] = " ".join(parts[0].split()[-max(1, len(parts[1].split())) :])
            if all(1 <= len(p.split()) <= 6 for p in parts):
                return [p[:1].upper() + p[1:] for p in parts[:8]]
    said = sentences(text)
    if len(said) >= 2:
        return [_clip(s, LIST_WORDS, 120) for s in said[:6]]
    return []


def quoted(narration: str) -> str:
    """A passage the narration quotes, else its most informative sentence (a pull quote)."""
    match = _QUOTED.search(narration)
    if match:
        return match.group(1).strip()
    return _clip(strongest_sentence(narration), 30, 300)


def _label(text: str, limit: int = 3) -> str:
    words = [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS | _LEADING]
    return " ".join(words[:limit])[:40]


def comparison(narration: str) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """Two sides of a contrast the narration draws: ((label, text), (label, text))."""
    for sentence in sentences(strip_markup(narration)):
        unlike = _UNLIKE.match(sentence)
        if unlike:
            left, right = unlike.group(1), unlike.group(2)
        else:
            parts = _CONTRAST.split(sentence, maxsplit=1)
            if len(parts) != 3:
                continue
            left, right = parts[0], parts[2]
        left, right = left.strip(" ,.;"), right.strip(" ,.;")
        if len(left.split()) < 2 or len(right.split()) < 2:
            continue
        left_label, right_label = _label(left, 2), _label(right, 2)
        if not left_label or not right_label or left_label.lower() == right_label.lower():
            continue
        return (left_label, _clip(left, 20, 200)), (right_label, _clip(right, 20, 200))
    return None


def _chart_label(number: SaidNumber) -> str:
    after = re.split(rf"\b(?:{'|'.join(_STOP_LABEL)})\b", number.after, maxsplit=1)[0]
    label = _label(after)
    if not label:
        label = " ".join(_label(number.before, 8).split()[-2:])
    return label


def chart_points(narration: str) -> list[tuple[str, float]]:
    """Label/value pairs for a bar chart: two or more numbers of the narration that share a
    unit (not years), each labelled by the words around it. Empty when there are none."""
    by_unit: dict[str, list[SaidNumber]] = {}
    for number in said_numbers(narration):
        if not number.is_year:
            by_unit.setdefault(number.unit.lower(), []).append(number)
    best = max(by_unit.values(), key=len, default=[])
    points: list[tuple[str, float]] = []
    for number in best:
        label = _chart_label(number) or number.text
        if label.lower() not in {p[0].lower() for p in points}:
            points.append((label, number.value))
    return points[:8] if len(points) >= 2 else []


def big_number(narration: str) -> tuple[str, str, str] | None:
    """(value as said, unit, label: its sentence) for the scene's most telling number."""
    numbers = said_numbers(narration)
    if not numbers:
        return None
    number = max(numbers, key=lambda n: (not n.is_year, bool(n.unit), n.value))
    return number.text, number.unit, _clip(number.sentence, 16, 80)


SETTINGS = (
    (r"\b(space|orbit|planet|star|sun|moon|galaxy|eclipse|telescope)s?\b", "in deep space"),
    (r"\b(ocean|sea|reef|coral|whale|shark|beach|wave)s?\b", "by the open ocean"),
    (r"\b(forest|tree|jungle|wood|leaf|leaves)s?\b", "in a forest"),
    (r"\b(city|street|building|traffic|town)s?\b", "on a city street"),
    (r"\b(kitchen|cook|recipe|meal|food|bake|baking)s?\b", "in a home kitchen"),
    (r"\b(lab|laboratory|scientist|experiment|cell|dna|molecule)s?\b", "in a laboratory"),
    (r"\b(office|market|money|bank|invest|stock|budget|finance)s?\b", "at a desk with charts"),
    (r"\b(computer|software|code|ai|robot|chip|data)s?\b", "in a modern tech workspace"),
    (r"\b(mountain|desert|river|valley|volcano|glacier)s?\b", "in a wide natural landscape"),
    (r"\b(body|health|heart|brain|sleep|exercise|muscle)s?\b", "in a bright clinic"),
    (r"\b(history|ancient|empire|war|king|queen|castle)s?\b", "in a historical scene"),
)


def derived_visual(narration: str, topic: str, style: str, index: int) -> dict[str, str]:
    """A visual description from the narration: its key fact as the subject, a setting its
    words name, a framing that varies with the scene's position, the channel's style."""
    fact = key_fact(narration)
    phrases = key_phrases(fact, limit=4)
    subject = f"{topic}: {fact}" if topic and not names_topic(fact, topic) else fact
    if len(subject.split()) > 24:
        subject = f"{topic}: " + " ".join(phrases) if phrases else subject[:200]
    lowered = f"{narration} {topic}".lower()
    setting = next((s for pattern, s in SETTINGS if re.search(pattern, lowered)), "")
    return {
        "subject": subject[:200],
        "setting": setting,
        "composition": COMPOSITIONS[index % len(COMPOSITIONS)],
        "style": style[:160],
    }


# --- completing scenes and choosing layouts -----------------------------------------
def _complete(scene: Scene) -> Scene:
    from backend.agents.script import BigNumber, ChartPoint, Comparison, ComparisonSide

    numbers = said_numbers(scene.narration)
    update: dict[str, object] = {}
    chart = [p for p in scene.chart if is_said(p.value, numbers)]
    if len(chart) < 2:
        chart = [
            ChartPoint(label=label, value=value) for label, value in chart_points(scene.narration)
        ]
    update["chart"] = chart
    big = scene.big_number
    if big is not None and not _big_number_said(big.value, numbers):
        big = None
    if big is None:
        derived = big_number(scene.narration)
        big = BigNumber(value=derived[0], unit=derived[1], label=derived[2]) if derived else None
    update["big_number"] = big
    if not scene.key_fact:
        update["key_fact"] = key_fact(scene.narration)
    if len(scene.items) < 2:
        update["items"] = list_items(scene.narration)
    if not scene.quote:
        update["quote"] = quoted(scene.narration)
    if scene.comparison is None:
        sides = comparison(scene.narration)
        if sides:
            (ll, lt), (rl, rt) = sides
            update["comparison"] = Comparison(
                left=ComparisonSide(label=ll, text=lt), right=ComparisonSide(label=rl, text=rt)
            )
    return scene.model_copy(update=update)


def _big_number_said(value: str, numbers: Sequence[SaidNumber]) -> bool:
    match = _NUMBER.search(value)
    if not match:
        return False
    bare = float(match.group(1).replace(",", ""))
    scaled = bare * _SCALES.get((match.group(3) or "").lower(), 1.0)
    return is_said(bare, numbers) or is_said(scaled, numbers)


def supported_layouts(scene: Scene) -> list[Layout]:
    """The layouts a scene's content can fill, the most specific first."""
    layouts: list[Layout] = []
    if len(scene.chart) >= 2:
        layouts.append("chart")
    if scene.comparison is not None:
        layouts.append("comparison")
    if scene.big_number is not None:
        layouts.append("big_number")
    if len(scene.items) >= 2:
        layouts.append("list")
    if scene.quote:
        layouts.append("quote")
    layouts.append("key_fact")
    return layouts


def choose_layouts(scenes: Sequence[Scene]) -> list[Layout]:
    """One layout per scene from what it supports: the scene's own hint when it is
    supported and differs from the previous scene's, else the supported layout used least so
    far (the most specific on a tie). Never the previous scene's layout: every scene
    supports ``key_fact`` and ``quote`` (its narration gives both)."""
    chosen: list[Layout] = []
    used: dict[str, int] = {}
    for scene in scenes:
        previous = chosen[-1] if chosen else None
        options = [layout for layout in supported_layouts(scene) if layout != previous]
        if not options:  # a scene without a quote after a key-fact scene
            options = cast("list[Layout]", ["quote"])
        if scene.layout in options:
            pick = scene.layout
        else:
            pick = min(options, key=lambda layout: (used.get(layout, 0), options.index(layout)))
        chosen.append(pick)
        used[pick] = used.get(pick, 0) + 1
    return chosen


def complete_scenes(scenes: Sequence[Scene]) -> list[Scene]:
    """Scenes with their slide content completed and a layout each, no two consecutive
    ones the same. Idempotent: a completed script completes to itself."""
    completed = [_complete(scene) for scene in scenes]
    layouts = choose_layouts(completed)
    out: list[Scene] = []
    for scene, layout in zip(completed, layouts, strict=True):
        if layout == "quote" and not scene.quote:
            scene = scene.model_copy(update={"quote": quoted(scene.narration)})
        out.append(scene.model_copy(update={"layout": layout}))
    return out
