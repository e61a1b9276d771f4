"""Small torch helpers shared by the local backends."""

from __future__ import annotations

import gc
from collections.abc import Iterable

import torch

from ai.errors import BackendUnavailable

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def resolve_device(wanted: str) -> str:
    """``cuda``/``cpu``/``auto`` to a concrete device; a cuda model without CUDA is unavailable."""
    has_cuda = torch.cuda.is_available()
    if wanted == "cuda" and not has_cuda:
        raise BackendUnavailable("needs a CUDA device and none is available")
    if wanted == "auto":
        return "cuda" if has_cuda else "cpu"
    return wanted


def resolve_dtype(name: str, device: str) -> torch.dtype:
    """Half precision on CPU is slow or unsupported for many ops: use float32 there."""
    return torch.float32 if device == "cpu" else DTYPES[name]


def module_bytes(modules: Iterable[torch.nn.Module]) -> int:
    total = 0
    for module in modules:
        for tensor in [*module.parameters(), *module.buffers()]:
            total += tensor.numel() * tensor.element_size()
    return total


def release_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()
