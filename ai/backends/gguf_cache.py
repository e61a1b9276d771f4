"""Convert a GGUF checkpoint once into a transformers folder, so later loads take seconds.

transformers can read GGUF directly, but it dequantizes every tensor and rebuilds the
tokenizer on each load (tens of seconds on a small CPU). The cache folder is keyed by
the GGUF file's name, size and mtime, written to a temporary folder and renamed into
place, so a crash never leaves a half-written cache behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog
import torch

log = structlog.get_logger(__name__)
COMPLETE_MARKER = ".complete"


def cache_dir_for(gguf_file: Path, cache_root: Path) -> Path:
    stat = gguf_file.stat()
    key = f"{gguf_file.name}:{stat.st_size}:{int(stat.st_mtime)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_root / f"{gguf_file.stem}-{digest}"


def ensure_converted(gguf_file: Path, cache_root: Path) -> Path:
    """The transformers folder for ``gguf_file``, converting it on first use."""
    target = cache_dir_for(gguf_file, cache_root)
    if (target / COMPLETE_MARKER).exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=cache_root))
    try:
        folder, name = str(gguf_file.parent), gguf_file.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model: Any = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, dtype=torch.float32
        )
        # the weights are dequantized to float32 by now; drop the GGUF quantizer marker so
        # transformers agrees to serialize them as plain safetensors
        model.hf_quantizer = None
        model.config.__dict__.pop("quantization_config", None)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / COMPLETE_MARKER).write_text(gguf_file.name)
        if target.exists() and not (target / COMPLETE_MARKER).exists():
            shutil.rmtree(target, ignore_errors=True)  # a crashed conversion's leftovers
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / COMPLETE_MARKER).exists():
                raise  # not a concurrent converter finishing first

    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info(
        "ai.gguf.converted",
        gguf=str(gguf_file),
        cache=str(target),
        seconds=round(time.perf_counter() - started, 2),
    )
    return target
