"""CUDA paths of the local engines with the tiny models (skipped without a GPU)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from ai.backends.base import ChatMessage, ImageJob, TextParams
from ai.backends.image_sdxl import SDXLImages
from ai.backends.speech_vits import VitsSpeech
from ai.backends.text_transformers import TransformersText
from ai.hardware import GIB
from ai.loader import load_local
from ai.registry import ModelSpec
from ai.vram import ModelManager

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_tiny_llama_generates_on_cuda_in_bf16(tiny_dirs: dict[str, Path]) -> None:
    model = TransformersText.from_dir(tiny_dirs["llama"], "bfloat16", "cuda", 256)
    assert next(model.model.parameters()).dtype == torch.bfloat16
    result = model.generate([ChatMessage("user", "hello")], TextParams(max_tokens=6, temperature=0))
    assert result.completion_tokens == 6
    model.unload()


def test_tiny_sdxl_runs_on_cuda_in_fp16(tiny_dirs: dict[str, Path]) -> None:
    images = SDXLImages.from_dir(
        tiny_dirs["sdxl"], "float16", "cuda", {"steps": 2, "guidance_scale": 5.0}
    )
    assert images.pipe.unet.dtype == torch.float16
    out = images.generate([ImageJob("a cat", 128, 64, 1), ImageJob("a dog", 128, 64, 2)])
    assert [im.size for im in out] == [(128, 64), (128, 64)]
    images.unload()


def test_tiny_vits_speaks_on_cuda(tiny_dirs: dict[str, Path]) -> None:
    speech = VitsSpeech.from_dir(tiny_dirs["vits"], "float32", "cuda", {})
    audio = speech.synthesize("hello there", "alloy", 1.0)
    assert audio.duration_s and audio.duration_s > 0
    speech.unload()


async def test_eviction_gives_cuda_memory_back(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    common: dict[str, Any] = {"tier": "local-gpu", "device": "cuda", "vram_gb": 0.4}
    llama = ModelSpec(
        id="tiny-llama",
        modality="text",
        backend="transformers",
        path=str(tiny_dirs["llama"]),
        dtype="bfloat16",
        **common,
    )
    sdxl = ModelSpec(
        id="tiny-sdxl",
        modality="image",
        backend="diffusers-sdxl",
        path=str(tiny_dirs["sdxl"]),
        dtype="float16",
        **common,
    )
    manager = ModelManager(int(0.5 * GIB), lambda spec: load_local(spec, tmp_path))
    async with manager.use(llama):
        pass
    held = torch.cuda.memory_allocated()
    assert held > 0
    async with manager.use(sdxl):
        pass
    assert manager.evictions == ["tiny-llama"]
    await manager.unload_all()
    assert torch.cuda.memory_allocated() < held
