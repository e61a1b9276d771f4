"""Embeddings: vectors are L2-normalized; the response names the model that made them."""

from __future__ import annotations

from ai.backends.base import CloudUsage, Embeddings
from ai.backends.embeddings_transformers import SentenceEmbeddings
from ai.gateway import Attempt, Gateway, Outcome
from ai.registry import ModelSpec
from ai.schemas import Usage


async def embed(gateway: Gateway, texts: list[str], model: str | None) -> Outcome[Embeddings]:
    async def attempt(spec: ModelSpec) -> Attempt[Embeddings]:
        if spec.backend == "openai":
            result = await gateway.openai.embeddings(spec, texts)
            return Attempt(result, "cloud", cloud=CloudUsage(input_tokens=result.tokens))
        return await gateway.run_local(spec, lambda m: _embedding_model(m).embed(texts))

    chain = gateway.chain_for("embeddings", model)
    return await gateway.serve(
        "embeddings",
        chain,
        attempt,
        units=lambda e: {"prompt_tokens": e.tokens},
        usage=lambda e: Usage(prompt_tokens=e.tokens, total_tokens=e.tokens),
    )


def _embedding_model(model: object) -> SentenceEmbeddings:
    assert isinstance(model, SentenceEmbeddings)
    return model
