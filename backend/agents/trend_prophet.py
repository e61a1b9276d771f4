"""TrendProphet: Prophet forecasts of topic interest; picks the fastest-rising topic for a
niche. TopicChooser: the channel's next topic, about its niche and not a repeat, ranked by
forecast growth x the revenue a video on it is expected to earn this channel.

Expected revenue (the loop): the channel's past videos with a known revenue over their first
``YTE_TOPIC_REVENUE_DAYS`` days (``backend/analytics/loop.py``), ``r_i``, their mean ``mu``,
and the cosine ``s_i`` between the candidate's and each past topic's embedding (pitch words
removed, as for relevance). A kernel-weighted average over the ``NEIGHBORS`` (5) most similar
past videos, shrunk toward the channel's mean::

    K_i  = exp(-(1 - s_i) / h)                  (h: YTE_TOPIC_REVENUE_BANDWIDTH, 0.15)
    E[r] = (m * mu + sum_i K_i * r_i) / (m + sum_i K_i)
                                                (m: YTE_TOPIC_REVENUE_PRIOR_WEIGHT, 0.25)
    rank = relevance x (1 + clamped growth) x E[r] / mu

With MiniLM a past video on the same subject in other words (s = 0.7) weighs 0.14, one on
another subject (s = 0.2) 0.005, and the mean counts as two such neighbours: a candidate near
past winners is expected to earn above the mean, one near past losers below it, one near
nothing the channel has made about the mean. Only the nearest neighbours count, so a long
back catalogue of loosely related videos does not average every candidate back to the mean.
Without past revenue (a new channel, or revenue unknown) or with a mean of 0 every factor
is 1: the ranking is relevance x growth, as before the loop.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import openai
import structlog

from ai.calls import chat, embed
from backend.agents.text_cleanup import strip_markup
from backend.costs.service import Charge, charge_of, provider_name
from backend.niches.trends.match import STOPWORDS, normalize_category
from backend.niches.trends.ranking import TopicPick, TopicRanker

__all__ = [
    "NoTopicAvailable",
    "PastVideo",
    "TopicChoice",
    "TopicChooser",
    "TopicPick",
    "TrendProphet",
    "expected_revenue",
]

log = structlog.get_logger(__name__)


class NoTopicAvailable(LookupError):
    """No topic is left for the niche; the message says what was tried and why not."""


class TrendProphet(TopicRanker):
    """Picks the fastest-rising topic for a channel's niche (ranking: :class:`TopicRanker`)."""

    def pick_topic(self, niche: str, exclude: Iterable[str] = ()) -> TopicPick:
        """The fastest-rising topic in the niche that the channel has not covered yet."""
        ranked = self.rank(niche, exclude)
        if not ranked:
            raise NoTopicAvailable(f"no topic left for niche {niche!r}: all are excluded")
        pick = ranked[0]
        log.info(
            "trend.pick",
            niche=niche,
            topic=pick.topic,
            category=pick.niche,
            growth=round(pick.growth, 4),
            match=pick.match,
        )
        return pick


# --- choosing a channel's next topic ---------------------------------------------------
# Relevance is the cosine of sentence embeddings of the niche and the topic with the words
# that only pitch a video ("for beginners", "explained", "tips") removed first: with them,
# "guitar for beginners" looks like "budgeting for beginners" (0.50 with MiniLM-L6), without
# them it does not (0.22), while "zero-based budgeting" stays close (0.64).
OFF_NICHE = "overall"  # a bundled series pick from no category matching the niche
GROWTH_WEIGHT = (-0.5, 1.0)  # growth is clamped to this before it weighs the relevance
PAST_TOPICS_SHOWN = 20  # past topics the text model is told not to repeat
_NUMBERING = re.compile(r"^\s*(?:topic\s*)?(?:\d+|[a-z])\s*[.):\]-]\s*|^\s*topic\s*:\s*", re.I)
_META_LINE = re.compile(r"^(here|sure|certainly|these|below|as an ai|i )\b", re.I)
# A line that echoes the request ("8 video topics for a knitting channel") is not a topic.
_ECHO = re.compile(r"\btopics?\b.*\bchannel\b|\bchannel\b.*\btopics?\b", re.I)
TOKENS_PER_PROPOSAL = 16  # a short title; the answer is cut at proposals x this (+ 32)


def core_text(text: str) -> str:
    """The words of ``text`` that say what it is about (pitch and stop words removed)."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    kept = [w for w in words if w not in STOPWORDS and _singular(w) not in STOPWORDS]
    return " ".join(kept) or text.strip().lower() or "(empty)"


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def parse_proposals(text: str, limit: int) -> list[str]:
    """Topic lines from a model's answer: numbering, bullets, labels and markup removed;
    intro lines, sentences and fragments dropped; a "Title: explanation" kept as its title."""
    found: list[str] = []
    for raw in text.splitlines():
        line = _NUMBERING.sub("", strip_markup(raw)).strip()
        line = (
            re.split(r"\s[-\u2013\u2014]\s|:\s", line, maxsplit=1)[0].strip().strip("\"“”'").strip()
        )
        line = line.rstrip(" .,;:!")
        words = line.split()
        if not 2 <= len(words) <= 12 or len(line) > 100:
            continue
        if _META_LINE.match(line) or _ECHO.search(line):
            continue
        if normalize_category(line) not in {normalize_category(f) for f in found}:
            found.append(line)
        if len(found) == limit:
            break
    return found


# Gets each call's charge the moment it is served (the stage's ledger: StageContext.charged).
ChargeSink = Callable[[Charge], Awaitable[object]]


class PastVideo(Protocol):
    """One of the channel's past videos and what it earned (``analytics.loop.VideoRevenue``)."""

    @property
    def topic(self) -> str: ...

    @property
    def revenue_usd(self) -> float: ...


NEIGHBORS = 5  # the past videos nearest a candidate that its expected revenue comes from


def expected_revenue(
    similarities: np.ndarray,
    revenues: np.ndarray,
    *,
    bandwidth: float,
    prior_weight: float,
    neighbors: int = NEIGHBORS,
) -> tuple[np.ndarray, float]:
    """E[r] per candidate (rows of ``similarities``: cosine to each past video) and the
    channel's mean ``mu`` (see the module docstring)."""
    if revenues.size == 0:
        return np.zeros(similarities.shape[0], dtype=float), 0.0
    mean = float(revenues.mean())
    kernel = np.exp(-(1.0 - similarities) / bandwidth)
    if revenues.size > neighbors:  # keep each row's nearest: zero the rest
        order = np.argsort(-similarities, axis=1, kind="stable")[:, :neighbors]
        nearest = np.zeros_like(kernel, dtype=bool)
        np.put_along_axis(nearest, order, True, axis=1)
        kernel = np.where(nearest, kernel, 0.0)
    weight = kernel.sum(axis=1)
    expected = (prior_weight * mean + kernel @ revenues) / np.maximum(prior_weight + weight, 1e-12)
    return expected, mean


@dataclass
class TopicChoice:
    pick: TopicPick
    relevance: float
    charges: list[Charge]
    considered: dict[str, int]
    expected_revenue_usd: float | None = None  # None: no past revenue to expect from
    revenue_factor: float = 1.0  # E[r] / channel mean (1: no evidence either way)
    past_videos: int = 0  # past videos with a known revenue it was judged against


@dataclass(frozen=True, slots=True)
class _Scored:
    relevance: float
    closest: float  # cosine to the nearest past topic
    expected_usd: float | None  # E[r]; None without past revenue
    factor: float  # E[r] / mean


@dataclass(slots=True)
class _Ranked:
    rank: float
    pick: TopicPick
    relevance: float
    expected_usd: float | None
    factor: float


@dataclass
class _Tally:
    candidates: int = 0
    off_niche: int = 0
    repeats: int = 0
    failure: str | None = None  # the text model's call failed: why

    def line(self, what: str) -> str:
        if self.failure is not None:
            return f"the text model failed ({self.failure})"
        return (
            f"{what} {self.candidates} (off the niche: {self.off_niche}, "
            f"repeats of past topics: {self.repeats})"
        )


class TopicChooser:
    """The channel's next topic: the niche store's (or, offline, the bundled series') best
    fresh candidate that is about the niche and not a repeat; else one the text model
    proposes for the niche, kept only if it is about the niche and not a repeat; else
    :class:`NoTopicAvailable` with what was tried and why each was left out."""

    def __init__(
        self,
        *,
        relevance_floor: float = 0.15,
        min_relevance: float = 0.30,
        dedup_threshold: float = 0.85,
        proposals: int = 8,
        model: str = "text",
        embedding_model: str = "embeddings",
        on_charge: ChargeSink | None = None,
        revenue_bandwidth: float = 0.15,
        revenue_prior_weight: float = 0.25,
    ) -> None:
        if revenue_bandwidth <= 0 or revenue_prior_weight < 0:
            raise ValueError("the revenue bandwidth must be positive, the prior weight >= 0")
        self.revenue_bandwidth = revenue_bandwidth
        self.revenue_prior_weight = revenue_prior_weight
        self.on_charge = on_charge
        self.relevance_floor = relevance_floor
        self.min_relevance = min_relevance
        self.dedup_threshold = dedup_threshold
        self.proposals = proposals
        self.model = model
        self.embedding_model = embedding_model

    async def choose(
        self,
        client: openai.AsyncOpenAI,
        *,
        niche: str,
        candidates: Sequence[TopicPick],
        past_topics: Sequence[str] = (),
        stale: int = 0,
        past_videos: Sequence[PastVideo] = (),
    ) -> TopicChoice:
        """``past_videos``: the channel's past videos with their revenue (winners and
        losers); candidates near winners rank higher (see the module docstring)."""
        charges: list[Charge] = []
        earned = [v for v in past_videos if v.topic and math.isfinite(v.revenue_usd)]
        store = _Tally(candidates=len(candidates))
        on_niche = [c for c in candidates if c.match != OFF_NICHE]
        store.off_niche = len(candidates) - len(on_niche)
        if on_niche:
            scored = await self._score(
                client, niche, [c.topic for c in on_niche], past_topics, earned, charges
            )
            best = self._best(on_niche, scored, self.relevance_floor, store)
            if best is not None:
                return self._choice(best, charges, self._considered(store), len(earned))
        model = _Tally()
        proposed, served = await self._propose(client, niche, past_topics, charges, model)
        model.candidates = len(proposed)
        if proposed:
            picks = [self._proposal(topic, niche, served) for topic in proposed]
            scored = await self._score(client, niche, proposed, past_topics, earned, charges)
            best = self._best(picks, scored, self.min_relevance, model)
            if best is not None:
                best.pick.reason = (
                    f"the niche store has no fresh topic for {niche!r}; proposed by the text "
                    f"model ({served}), relevance {best.relevance:.2f} to the niche"
                )
                return self._choice(best, charges, self._considered(store, model), len(earned))
        stale_note = f", {stale} more not fresh" if stale else ""
        raise NoTopicAvailable(
            f"no topic for niche {niche!r}: {store.line('the niche store had')}{stale_note}; "
            f"{model.line('the text model proposed')}. Queue the video with a topic, or add "
            "stored niches for it (ytempire's niche discovery)"
        )

    @staticmethod
    def _choice(
        best: _Ranked, charges: list[Charge], considered: dict[str, int], past: int
    ) -> TopicChoice:
        return TopicChoice(
            best.pick,
            best.relevance,
            charges,
            considered,
            expected_revenue_usd=best.expected_usd,
            revenue_factor=best.factor,
            past_videos=past,
        )

    async def _score(
        self,
        client: openai.AsyncOpenAI,
        niche: str,
        topics: Sequence[str],
        past: Sequence[str],
        earned: Sequence[PastVideo],
        charges: list[Charge],
    ) -> list[_Scored]:
        """Per topic: relevance to the niche, closeness to the nearest past topic, and the
        revenue expected from the past videos' (one embeddings call for all texts)."""
        texts = [
            core_text(niche),
            *(core_text(t) for t in topics),
            *(core_text(p) for p in past),
            *(core_text(v.topic) for v in earned),
        ]
        result = await embed(client, texts, model=self.embedding_model)
        await self._charged(charge_of("embeddings", result.usage, result.served), charges)
        vectors = np.array(result.vectors, dtype=float)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms == 0, 1, norms)
        first_past, first_earned = 1 + len(topics), 1 + len(topics) + len(past)
        topic_vecs = unit[1:first_past]
        past_vecs = unit[first_past:first_earned]
        earned_vecs = unit[first_earned:]
        relevance = topic_vecs @ unit[0]
        closest = (
            (topic_vecs @ past_vecs.T).max(axis=1)
            if len(past_vecs)
            else np.zeros(len(topics), dtype=float)
        )
        revenues = np.array([v.revenue_usd for v in earned], dtype=float)
        expected, mean = expected_revenue(
            topic_vecs @ earned_vecs.T if len(earned) else np.zeros((len(topics), 0)),
            revenues,
            bandwidth=self.revenue_bandwidth,
            prior_weight=self.revenue_prior_weight,
        )
        return [
            _Scored(
                float(r),
                float(c),
                float(e) if len(earned) else None,
                float(e) / mean if len(earned) and mean > 0 else 1.0,
            )
            for r, c, e in zip(relevance, closest, expected, strict=True)
        ]

    def _best(
        self,
        picks: Sequence[TopicPick],
        scored: Sequence[_Scored],
        minimum: float,
        tally: _Tally,
    ) -> _Ranked | None:
        """The highest of relevance x (1 + clamped growth) x expected-revenue factor among
        the picks that are about the niche (relevance >= ``minimum``) and not repeats."""
        kept: list[_Ranked] = []
        for pick, score in zip(picks, scored, strict=True):
            if score.relevance < minimum:
                tally.off_niche += 1
                continue
            if score.closest >= self.dedup_threshold:
                tally.repeats += 1
                continue
            growth = min(max(pick.growth, GROWTH_WEIGHT[0]), GROWTH_WEIGHT[1])
            rank = score.relevance * (1 + growth) * score.factor
            kept.append(_Ranked(rank, pick, score.relevance, score.expected_usd, score.factor))
        if not kept:
            return None
        best = max(kept, key=lambda k: k.rank)
        log.info(
            "topic.chosen",
            topic=best.pick.topic,
            source=best.pick.source,
            relevance=round(best.relevance, 3),
            expected_revenue_usd=None if best.expected_usd is None else round(best.expected_usd, 4),
            revenue_factor=round(best.factor, 3),
            kept=len(kept),
            of=len(picks),
        )
        return best

    async def _propose(
        self,
        client: openai.AsyncOpenAI,
        niche: str,
        past: Sequence[str],
        charges: list[Charge],
        tally: _Tally,
    ) -> tuple[list[str], str]:
        """The text model's topic ideas for the niche (parsed) and who served them."""
        avoid = "; ".join(list(past)[-PAST_TOPICS_SHOWN:])
        prompt = (
            f"List {self.proposals} specific YouTube video topics for a channel about "
            f"{niche}. One topic per line, each a short title of 3 to 10 words, no "
            "numbering and no explanations."
            + (f" Do not repeat these past topics: {avoid}." if avoid else "")
        )
        messages = [
            {"role": "system", "content": "You suggest YouTube video topics. Be concise."},
            {"role": "user", "content": prompt},
        ]
        try:
            reply = await chat(
                client,
                messages,
                model=self.model,
                max_tokens=TOKENS_PER_PROPOSAL * self.proposals + 32,
                temperature=0.7,
                top_p=0.9,
            )
        except (openai.InternalServerError, openai.RateLimitError):
            raise  # transient: the stage tries again
        except openai.APIStatusError as exc:
            log.warning("topic.model_failed", status=exc.status_code, error=str(exc)[:200])
            why = re.sub(r"^Error code: \d+ - ", "", exc.message)
            tally.failure = f"{exc.status_code}: {why}"[:200]
            return [], self.model
        await self._charged(charge_of("text", reply.usage, reply.served), charges)
        served = provider_name(reply.served.backend, reply.served.model or self.model)
        return parse_proposals(reply.text, self.proposals), served

    async def _charged(self, charge: Charge, charges: list[Charge]) -> None:
        charges.append(charge)
        if self.on_charge is not None:
            await self.on_charge(charge)

    @staticmethod
    def _proposal(topic: str, niche: str, served: str) -> TopicPick:
        return TopicPick(
            topic=topic,
            niche=niche,
            growth=0.0,
            forecast=[],
            source=f"llm:{served}",
            reason="",
            match="llm",
        )

    @staticmethod
    def _considered(store: _Tally, model: _Tally | None = None) -> dict[str, int]:
        out = {
            "store_candidates": store.candidates,
            "store_off_niche": store.off_niche,
            "store_repeats": store.repeats,
        }
        if model is not None:
            out |= {
                "model_proposals": model.candidates,
                "model_off_niche": model.off_niche,
                "model_repeats": model.repeats,
            }
        return out
