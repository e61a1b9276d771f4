"""QualityGuardian: a 0..1 score from weighted checks, with reasons a person can act on."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import openai
import structlog
from pydantic import BaseModel, Field

from ai.calls import embed
from backend.agents.script import WORDS_PER_MINUTE, Script
from backend.agents.text_cleanup import (
    content_stems,
    filler_reason,
    lexical_similarity,
    names_topic,
    sentences,
    topic_coverage,
)
from backend.costs.service import Charge, OnCharge, charge_of

log = structlog.get_logger(__name__)

WEIGHTS = {
    "length": 0.2,
    "structure": 0.15,
    "repetition": 0.15,
    "policy": 0.15,
    "originality": 0.1,
    "topic": 0.1,
    "scene_variety": 0.1,
    "filler": 0.05,
}
SIMILARITY_OK, SIMILARITY_COPY = 0.80, 0.95  # cosine to a past script: fine below, a copy above
# A check below 0.5 caps the score whatever else is good: a policy violation at 0.5; a
# script off its topic, with scenes that repeat one another, mostly filler, or under 70 % /
# over 140 % of its target length at 0.6.
GATES = {"policy": 0.5, "topic": 0.6, "scene_variety": 0.6, "filler": 0.6, "length": 0.6}
# Title and topic: the title names the topic (``names_topic``: its words, stemmed), or its
# embedding is this close (all-MiniLM-L6-v2: a title naming it ~0.75, "The Lunar Eclipse of
# August 2024" to "solar eclipses" 0.66, "The Sun's Umbra" 0.43, an unrelated one < 0.1).
# A scene is on topic with a topic word or an embedding this close to the topic (on-topic
# scenes 0.25-0.75, another subject < 0.1); without embeddings, with a word it shares with
# the rest of the script.
TITLE_TOPIC_COSINE, SCENE_TOPIC_COSINE = 0.7, 0.2
# Two scenes repeat one another at this overlap of their words (the topic's set aside) or
# this embedding cosine (different scenes of one topic up to ~0.8, a rewording > 0.9).
SCENE_REPEAT_OVERLAP, SCENE_REPEAT_COSINE = 0.4, 0.85
FILLER_SHARE_FAIL = 0.3  # this share of the scenes' sentences being filler fails the script

# Terms a channel must not publish (policy) or that read as clickbait. Maintained here;
# each entry: (pattern, why). Matched case-insensitively on word boundaries.
BANNED_TERMS: tuple[tuple[str, str], ...] = (
    (r"guaranteed (returns?|profits?|income)", "financial guarantee"),
    (r"get rich quick", "financial guarantee"),
    (r"risk[- ]free (investment|returns?)", "financial guarantee"),
    (r"(cures?|heals?) (cancer|diabetes|covid|autism)", "medical claim"),
    (r"miracle cure", "medical claim"),
    (r"stop taking your (medication|medicine)", "medical claim"),
    (r"you won'?t believe", "clickbait"),
    (r"doctors hate (him|her|this)", "clickbait"),
    (r"this one weird trick", "clickbait"),
    (r"(kill|murder|shoot) (them|him|her|yourself)", "violence"),
    (r"ethnic cleansing", "hate"),
    (r"(inferior|subhuman) (race|people)", "hate"),
)


class QualityReport(BaseModel):
    score: float = Field(ge=0, le=1)
    passed: bool
    reasons: list[str]
    checks: dict[str, float]


class QualityGuardian:
    def __init__(
        self, embedding_model: str = "embeddings", on_charge: OnCharge | None = None
    ) -> None:
        """``on_charge`` gets the embeddings call's charge as soon as it is served."""
        self.embedding_model = embedding_model
        self.on_charge = on_charge

    async def review(
        self,
        client: openai.AsyncOpenAI | None,
        script: Script,
        *,
        past_scripts: Sequence[str] = (),
        threshold: float = 0.75,
        target_seconds: float | None = None,
        topic: str | None = None,
    ) -> tuple[QualityReport, list[Charge]]:
        """``topic``: what the video is about; without it the title/scene topic check is
        skipped. With a ``client`` one embeddings call serves originality (against
        ``past_scripts``), the topic check and the scenes' similarity to one another."""
        reasons: list[str] = []
        checks = {
            "length": check_length(script, target_seconds, reasons),
            "structure": check_structure(script, reasons),
            "repetition": check_repetition(script, reasons),
            "policy": check_policy(script, reasons),
        }
        usages: list[Charge] = []
        weights = dict(WEIGHTS)
        meaning: Meaning | None = None
        if client is not None:
            meaning, usage = await self._meaning(client, script, past_scripts, topic)
            usages.append(usage)
        if meaning is None or not past_scripts:
            weights.pop("originality")
            checks["originality_skipped"] = 1.0
        else:
            checks["max_similarity"] = round(meaning.max_past_similarity, 4)
            checks["originality"] = originality(meaning.max_past_similarity, reasons)
        if topic and topic.strip():
            checks["topic"] = check_topic(script, topic.strip(), reasons, meaning)
        else:
            weights.pop("topic")
            checks["topic_skipped"] = 1.0
        checks["scene_variety"] = check_scene_variety(script, reasons, topic or "", meaning)
        checks["filler"] = check_filler(script, reasons, topic or "")
        score = sum(checks[k] * w for k, w in weights.items()) / sum(weights.values())
        for check, cap in GATES.items():
            if check in weights and checks[check] < 0.5:
                score = min(score, cap)
        score = round(score, 4)
        report = QualityReport(
            score=score,
            passed=score >= threshold,
            reasons=reasons,
            checks={k: round(v, 4) for k, v in checks.items()},
        )
        log.info("quality.reviewed", score=score, passed=report.passed, reasons=len(reasons))
        return report, usages

    async def _meaning(
        self,
        client: openai.AsyncOpenAI,
        script: Script,
        past: Sequence[str],
        topic: str | None,
    ) -> tuple[Meaning, Charge]:
        """One embeddings call: the narration, the past scripts, the topic, the title and
        each scene; the cosines the checks need."""
        scenes = [s.narration for s in script.scenes]
        texts = [
            script.narration_text(),
            *past,
            topic or script.title,
            script.title,
            *scenes,
        ]
        result = await embed(client, [_for_embedding(t) for t in texts], model=self.embedding_model)
        usage = charge_of("embeddings", result.usage, result.served)
        if self.on_charge is not None:
            await self.on_charge(usage)
        vectors = np.array(result.vectors)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms == 0, 1, norms)
        n_past = len(past)
        topic_vec, title_vec = unit[1 + n_past], unit[2 + n_past]
        scene_vecs = unit[3 + n_past :]
        return (
            Meaning(
                max_past_similarity=float(np.max(unit[1 : 1 + n_past] @ unit[0])) if past else 0.0,
                title_topic=float(title_vec @ topic_vec),
                scene_topic=[float(v @ topic_vec) for v in scene_vecs],
                scene_pairs=(scene_vecs @ scene_vecs.T).tolist(),
            ),
            usage,
        )


@dataclass(frozen=True)
class Meaning:
    """Embedding cosines of a script: to past videos, title and scenes to the topic, and
    the scenes to one another (a matrix)."""

    max_past_similarity: float
    title_topic: float
    scene_topic: list[float]
    scene_pairs: list[list[float]]


def _for_embedding(text: str) -> str:
    return text.strip()[:4000] or "(empty)"


def check_length(script: Script, target_seconds: float | None, reasons: list[str]) -> float:
    if target_seconds is None:
        return 1.0
    seconds = script.word_count() / WORDS_PER_MINUTE * 60
    ratio = seconds / target_seconds
    if 0.8 <= ratio <= 1.25:
        return 1.0
    if ratio < 0.8:
        reasons.append(
            f"too short: {script.word_count()} words ≈ {seconds:.0f} s at "
            f"{WORDS_PER_MINUTE} wpm, target {target_seconds:.0f} s"
        )
    else:
        reasons.append(
            f"too long: {script.word_count()} words ≈ {seconds:.0f} s, "
            f"target {target_seconds:.0f} s"
        )
    deviation = abs(math.log(ratio))
    return max(0.0, 1.0 - deviation / math.log(2))  # half or double the target scores 0


def check_structure(script: Script, reasons: list[str]) -> float:
    score = 1.0
    hook_words = len(script.hook.split())
    if hook_words < 6:
        reasons.append(f"the hook is only {hook_words} words; open with a full sentence")
        score -= 0.25
    if len(script.scenes) < 4:
        reasons.append(f"only {len(script.scenes)} scenes; use at least 4")
        score -= 0.25
    counts = [len(s.narration.split()) for s in script.scenes]
    if max(counts) > 3 * max(1, min(counts)) and max(counts) > 30:
        reasons.append(f"scene lengths are unbalanced ({min(counts)} to {max(counts)} words)")
        score -= 0.25
    if not 15 <= len(script.title) <= 100:
        reasons.append(f"the title has {len(script.title)} characters; aim for 15-100")
        score -= 0.25
    return max(0.0, score)


def check_repetition(script: Script, reasons: list[str]) -> float:
    text = script.narration_text()
    said = [re.sub(r"[^a-z0-9 ]", "", s.lower()) for s in sentences(text)]
    repeated_sentences = sum(c - 1 for c in Counter(said).values() if c > 1)
    words = re.findall(r"[a-z0-9']+", text.lower())
    grams = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    repeated = sum(c - 1 for c in grams.values() if c > 1)
    ratio = repeated / max(1, len(words) - 3)
    if repeated_sentences:
        reasons.append(f"{repeated_sentences} sentence(s) repeated word for word")
    if ratio > 0.08:
        top = " ".join(grams.most_common(1)[0][0])
        reasons.append(f"repetitive wording: {ratio:.0%} of 4-word phrases repeat (e.g. '{top}')")
    penalty = min(1.0, ratio * 4 + 0.25 * repeated_sentences)
    return max(0.0, 1.0 - penalty)


def check_policy(script: Script, reasons: list[str]) -> float:
    text = " ".join(
        [script.title, script.description, script.narration_text(), " ".join(script.tags)]
    ).lower()
    found = [
        (m.group(0), why)
        for pattern, why in BANNED_TERMS
        for m in [re.search(rf"\b{pattern}\b", text)]
        if m
    ]
    for term, why in found:
        reasons.append(f"banned term ({why}): '{term}'")
    return 0.0 if found else 1.0


def originality(similarity: float, reasons: list[str]) -> float:
    if similarity <= SIMILARITY_OK:
        return 1.0
    reasons.append(f"too similar to a past video of this channel (cosine {similarity:.2f})")
    return max(0.0, (SIMILARITY_COPY - similarity) / (SIMILARITY_COPY - SIMILARITY_OK))


def check_topic(script: Script, topic: str, reasons: list[str], meaning: Meaning | None) -> float:
    """Half for a title that names the topic, half for the share of scenes about it."""
    coverage = topic_coverage(script.title, topic)
    cosine = meaning.title_topic if meaning is not None else None
    title_ok = names_topic(script.title, topic) or (
        cosine is not None and cosine >= TITLE_TOPIC_COSINE
    )
    if not title_ok:
        said = f", similarity {cosine:.2f}" if cosine is not None else ""
        reasons.append(
            f"the title does not match the topic '{topic}' ({coverage:.0%} of its words{said})"
        )
    off: list[int] = []
    for index, scene in enumerate(script.scenes):
        on = topic_coverage(scene.narration, topic) > 0
        if not on and meaning is not None:
            on = meaning.scene_topic[index] >= SCENE_TOPIC_COSINE
        elif not on:
            rest = [script.title, script.hook, *(s.narration for s in script.scenes if s != scene)]
            on = bool(content_stems(scene.narration) & content_stems(" ".join(rest)))
        if not on:
            off.append(index + 1)
    if off:
        reasons.append(
            f"scene{'s' if len(off) > 1 else ''} {_numbers(off)} drift{'' if len(off) > 1 else 's'}"
            f" off the topic '{topic}'"
        )
    on_share = 1 - len(off) / len(script.scenes)
    score = 0.5 * title_ok + 0.5 * on_share
    if not title_ok or len(off) > len(script.scenes) / 3:
        score = min(score, 0.4)  # a title, or a third of the video, about something else fails
    return score


def check_scene_variety(
    script: Script, reasons: list[str], topic: str, meaning: Meaning | None
) -> float:
    """Scenes that say the same thing in other words: pairwise overlap of their words (the
    topic's set aside), or embeddings nearly equal."""
    ignore = content_stems(topic)
    texts = [s.narration for s in script.scenes]
    pairs: list[tuple[int, int, float]] = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            overlap = lexical_similarity(texts[i], texts[j], ignore)
            cosine = meaning.scene_pairs[i][j] if meaning is not None else 0.0
            if overlap >= SCENE_REPEAT_OVERLAP or cosine >= SCENE_REPEAT_COSINE:
                pairs.append((i + 1, j + 1, max(overlap, cosine)))
    for i, j, similarity in pairs[:3]:
        reasons.append(f"scenes {i} and {j} repeat one another (similarity {similarity:.2f})")
    if len(pairs) > 3:
        reasons.append(f"{len(pairs) - 3} more pairs of scenes repeat one another")
    return max(0.0, 1.0 - 0.6 * len(pairs))


def check_filler(script: Script, reasons: list[str], topic: str) -> float:
    """Sentences that fill time: stock phrases, or too little information of their own."""
    said = [s for scene in script.scenes for s in sentences(scene.narration)]
    if not said:
        return 1.0
    found = [(s, why) for s in said for why in [filler_reason(s, topic)] if why]
    share = len(found) / len(said)
    if found:
        example, why = found[0]
        short = example if len(example) <= 70 else example[:67].rsplit(" ", 1)[0] + "..."
        reasons.append(
            f"{len(found)} of {len(said)} sentences are generic filler ({why}: '{short}')"
        )
    if share >= FILLER_SHARE_FAIL:
        return min(0.4, 1.0 - share)
    return 1.0 - share


def _numbers(values: Sequence[int]) -> str:
    names = [str(v) for v in values]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
