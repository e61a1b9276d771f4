"""Semantic dedup: topics embedded through the AI gateway, grouped by cosine similarity."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ai.calls import embed
from ai.client import make_openai_client
from backend.settings import Settings

BATCH = 64


@dataclass
class TopicGroup:
    """Near-duplicate topics; ``topic`` is the first (highest-priority) member."""

    topic: str
    vector: np.ndarray
    members: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)


async def embed_texts(settings: Settings, texts: list[str]) -> list[list[float]]:
    """Unit vectors for ``texts`` from the gateway's embedding model (all-MiniLM-L6-v2 on CPU)."""
    if not texts:
        return []
    client = make_openai_client(settings)
    try:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            result = await embed(client, texts[start : start + BATCH])
            vectors.extend(result.vectors)
    finally:
        await client.close()
    return [normalise(v).tolist() for v in vectors]


def normalise(vector: list[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


def group(
    items: list[tuple[str, str]], vectors: list[list[float]], threshold: float
) -> list[TopicGroup]:
    """Greedy grouping: each (topic, source) joins the most similar group at or above
    ``threshold``, else starts one. Exact repeats (case-insensitive) always merge."""
    if len(items) != len(vectors):
        raise ValueError("one vector per item is needed")
    groups: list[TopicGroup] = []
    by_text: dict[str, TopicGroup] = {}
    for (topic, source), raw in zip(items, vectors, strict=True):
        key = " ".join(topic.lower().split())
        target = by_text.get(key)
        vector = normalise(raw)
        if target is None and groups:
            sims = np.stack([g.vector for g in groups]) @ vector
            best = int(np.argmax(sims))
            if float(sims[best]) >= threshold:
                target = groups[best]
        if target is None:
            target = TopicGroup(topic, vector)
            groups.append(target)
        if topic not in target.members:
            target.members.append(topic)
        target.sources.add(source)
        by_text[key] = target
    return groups


def nearest(vector: list[float], candidates: list[list[float]]) -> tuple[int, float]:
    """Index and cosine similarity of the closest candidate (-1, 0.0 when there is none)."""
    if not candidates:
        return -1, 0.0
    sims = np.stack([normalise(c) for c in candidates]) @ normalise(vector)
    best = int(np.argmax(sims))
    return best, float(sims[best])
