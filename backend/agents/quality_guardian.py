"""QualityGuardian: a 0..1 score from weighted checks, with reasons a person can act on."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import openai
import structlog
from pydantic import BaseModel, Field

from ai.calls import embed
from backend.agents.script import WORDS_PER_MINUTE, Script
from backend.agents.text_cleanup import sentences
from backend.costs.service import Charge, OnCharge, charge_of

log = structlog.get_logger(__name__)

WEIGHTS = {"length": 0.25, "structure": 0.2, "repetition": 0.2, "policy": 0.2, "originality": 0.15}
SIMILARITY_OK, SIMILARITY_COPY = 0.80, 0.95  # cosine to a past script: fine below, a copy above

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
    ) -> tuple[QualityReport, list[Charge]]:
        reasons: list[str] = []
        checks = {
            "length": check_length(script, target_seconds, reasons),
            "structure": check_structure(script, reasons),
            "repetition": check_repetition(script, reasons),
            "policy": check_policy(script, reasons),
        }
        usages: list[Charge] = []
        weights = dict(WEIGHTS)
        if client is None or not past_scripts:
            weights.pop("originality")
            checks["originality_skipped"] = 1.0
        else:
            similarity, usage = await self._similarity(client, script, past_scripts)
            usages.append(usage)
            checks["max_similarity"] = round(similarity, 4)
            checks["originality"] = originality(similarity, reasons)
        score = sum(checks[k] * w for k, w in weights.items()) / sum(weights.values())
        if checks["policy"] == 0.0:
            score = min(score, 0.5)  # a policy violation fails whatever else is good
        score = round(score, 4)
        report = QualityReport(
            score=score,
            passed=score >= threshold,
            reasons=reasons,
            checks={k: round(v, 4) for k, v in checks.items()},
        )
        log.info("quality.reviewed", score=score, passed=report.passed, reasons=len(reasons))
        return report, usages

    async def _similarity(
        self, client: openai.AsyncOpenAI, script: Script, past: Sequence[str]
    ) -> tuple[float, Charge]:
        texts = [_for_embedding(script.narration_text()), *(_for_embedding(p) for p in past)]
        result = await embed(client, texts, model=self.embedding_model)
        usage = charge_of("embeddings", result.usage, result.served)
        if self.on_charge is not None:
            await self.on_charge(usage)
        vectors = np.array(result.vectors)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms == 0, 1, norms)
        return float(np.max(unit[1:] @ unit[0])), usage


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
