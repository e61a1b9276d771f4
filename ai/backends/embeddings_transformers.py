"""Sentence embeddings with a transformers encoder (mean or CLS pooling, L2-normalized)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from ai.backends.base import Embeddings
from ai.backends.torch_utils import module_bytes, release_memory, resolve_dtype

BATCH = 32


class SentenceEmbeddings:
    def __init__(
        self, model: Any, tokenizer: Any, device: str, pooling: str, max_length: int
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.pooling = pooling
        self.max_length = max_length

    @classmethod
    def from_dir(cls, path: Path, dtype: str, device: str, pooling: str) -> SentenceEmbeddings:
        tokenizer: Any = AutoTokenizer.from_pretrained(path)
        model: Any = AutoModel.from_pretrained(path, dtype=resolve_dtype(dtype, device))
        model.to(device).eval()
        max_length = min(int(getattr(tokenizer, "model_max_length", 512)), 512)
        return cls(model, tokenizer, device, pooling, max_length)

    def memory_bytes(self) -> int:
        return module_bytes([self.model])

    def unload(self) -> None:
        del self.model
        release_memory()

    def embed(self, texts: list[str]) -> Embeddings:
        vectors: list[np.ndarray] = []
        tokens = 0
        for start in range(0, len(texts), BATCH):
            batch = self.tokenizer(
                texts[start : start + BATCH],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            tokens += int(batch["attention_mask"].sum())
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state.float()
            if self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            vectors.append(pooled.cpu().numpy().astype(np.float32))
        return Embeddings(np.concatenate(vectors, axis=0), tokens)
