"""Build a local backend from its registry entry (runs in a worker thread)."""

from __future__ import annotations

from pathlib import Path

from ai.backends.base import LocalModel
from ai.backends.torch_utils import resolve_device
from ai.errors import BackendUnavailable
from ai.registry import ModelSpec

GGUF_CACHE = ".cache/gguf"


def missing_weights(spec: ModelSpec, models_dir: Path) -> str | None:
    """Why the model's files are not here, or None when they are (cheap, no loading)."""
    if spec.backend in ("slides", "openai", "elevenlabs"):
        return None
    try:
        folder = spec.local_dir(models_dir)
    except FileNotFoundError as exc:
        return str(exc)
    if folder is None:
        return f"{spec.id} names no path or package"
    target = folder / spec.file if spec.file else folder
    if not target.exists():
        hint = " (run `ytempire models pull " + spec.id + "`)" if spec.hf_repo else ""
        return f"weights not found at {target}{hint}"
    return None


def load_local(spec: ModelSpec, models_dir: Path) -> LocalModel:
    problem = missing_weights(spec, models_dir)
    if problem:
        raise BackendUnavailable(problem)
    device = resolve_device(spec.device)
    folder = spec.local_dir(models_dir)
    max_context = int(spec.options.get("max_context", 4096))
    if spec.backend == "slides":
        from ai.backends.slides import SlideRenderer

        return SlideRenderer()
    assert folder is not None
    if spec.backend == "gguf":
        from ai.backends.text_transformers import TransformersText

        gguf_file = folder / (spec.file or "")
        return TransformersText.from_gguf(
            gguf_file, models_dir / GGUF_CACHE, spec.dtype, device, max_context
        )
    if spec.backend == "transformers":
        from ai.backends.text_transformers import TransformersText

        return TransformersText.from_dir(
            folder, spec.dtype, device, max_context, bool(spec.options.get("compile", False))
        )
    if spec.backend == "diffusers-sdxl":
        from ai.backends.image_sdxl import SDXLImages

        unet = next((w for w in spec.extra_weights if w.get("target") == "unet"), None)
        unet_path = folder / unet["file"] if unet else None
        if unet_path is not None and not unet_path.exists():
            raise BackendUnavailable(f"UNet weights not found at {unet_path}")
        return SDXLImages.from_dir(folder, spec.dtype, device, spec.options, unet_path)
    if spec.backend == "vits":
        from ai.backends.speech_vits import VitsSpeech

        return VitsSpeech.from_dir(folder, spec.dtype, device, spec.voices)
    if spec.backend == "kokoro":
        from ai.backends.speech_kokoro import KokoroSpeech

        return KokoroSpeech.from_dir(
            folder, spec.file or "kokoro-v1_0.pth", device, spec.speakers, spec.voices, spec.options
        )
    if spec.backend == "espeak":
        from ai.backends.speech_espeak import EspeakSpeech

        return EspeakSpeech(spec.package or "espeakng_loader", spec.voices)
    if spec.backend == "sentence-embeddings":
        from ai.backends.embeddings_transformers import SentenceEmbeddings

        path = folder / spec.file if spec.file else folder
        return SentenceEmbeddings.from_dir(
            path, spec.dtype, device, str(spec.options.get("pooling", "mean"))
        )
    raise BackendUnavailable(f"{spec.backend} is not a local backend")
