"""GPU benchmark for the AI gateway's engines, in one run (one device call).

1. The CUDA paths of all three engines with the tiny test models (text, image, speech),
   through the same backend classes the gateway uses.
2. Real-size architectures with random weights (no downloads):
   - SDXL UNet + VAE at 1024x1024, fp16: seconds per UNet step (with CFG) and per 30-step
     image at batch 1 and 4; eager and torch.compile'd.
   - An 8B Llama-architecture LLM, bf16: decode tokens/s at batch 1 and 8 with plain
     ``generate`` (dynamic cache) and with a static KV cache + torch.compile.
   - VITS (MMS-size config): real-time factor of synthesis.

Prints one table at the end. ``--smoke`` shrinks every model so the script's logic can be
checked on a CPU in a minute (the numbers are then meaningless).

    python scripts/gpu_bench.py            # on the GPU box
    python scripts/gpu_bench.py --smoke    # anywhere
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Row:
    section: str
    metric: str
    value: str


ROWS: list[Row] = []


def record(section: str, metric: str, value: str) -> None:
    ROWS.append(Row(section, metric, value))
    print(f"[{section}] {metric}: {value}", flush=True)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def timed(device: str, fn: Callable[[], Any], repeat: int = 1) -> float:
    sync(device)
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    sync(device)
    return (time.perf_counter() - started) / repeat


def guarded(section: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # keep going: one broken section must not hide the others
        record(section, "error", f"{type(exc).__name__}: {exc}"[:160])
        traceback.print_exc()
    finally:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


# --- 1. tiny models through the gateway backends ----------------------------------------
def bench_tiny_engines(device: str) -> None:
    from ai.backends.base import ChatMessage, ImageJob, TextParams
    from ai.backends.image_sdxl import SDXLImages
    from ai.backends.speech_vits import VitsSpeech
    from ai.backends.text_transformers import TransformersText
    from tests.ai.tiny_models import build_tiny_llama, build_tiny_sdxl, build_tiny_vits

    half = "bfloat16" if device == "cuda" else "float32"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        text = TransformersText.from_dir(build_tiny_llama(root / "llama"), half, device, 256)
        result = text.generate(
            [ChatMessage("user", "hello")], TextParams(max_tokens=16, temperature=0)
        )
        record("tiny engines", f"text on {device}", f"{result.completion_tokens} tokens ok")
        images = SDXLImages.from_dir(
            build_tiny_sdxl(root / "sdxl"), "float16", device, {"steps": 2, "guidance_scale": 5.0}
        )
        out = images.generate([ImageJob("a cat", 128, 64, 1), ImageJob("a dog", 128, 64, 2)])
        record("tiny engines", f"image on {device}", f"{len(out)} x {out[0].size} ok")
        speech = VitsSpeech.from_dir(build_tiny_vits(root / "vits"), "float32", device, {})
        audio = speech.synthesize("hello there", "alloy", 1.0)
        record("tiny engines", f"speech on {device}", f"{audio.duration_s:.2f} s audio ok")
        for model in (text, images, speech):
            model.unload()


# --- 2a. SDXL UNet + VAE ---------------------------------------------------------------
SDXL_UNET = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20),
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
}
SDXL_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "sample_size": 1024,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
}
SMOKE_UNET = {
    **SDXL_UNET,
    "block_out_channels": (32, 64, 64),
    "transformer_layers_per_block": (1, 1, 1),
    "attention_head_dim": (2, 4, 4),
    "cross_attention_dim": 64,
    "addition_time_embed_dim": 8,
    "projection_class_embeddings_input_dim": 6 * 8 + 64,
    "layers_per_block": 1,
    "norm_num_groups": 16,
}
SMOKE_VAE = {
    **SDXL_VAE,
    "block_out_channels": (16, 32, 32, 32),
    "layers_per_block": 1,
    "norm_num_groups": 16,
}


def bench_sdxl(device: str, smoke: bool, compile_too: bool) -> None:
    from diffusers import AutoencoderKL, UNet2DConditionModel

    dtype = torch.float16 if device == "cuda" else torch.float32
    unet: Any = UNet2DConditionModel(**(SMOKE_UNET if smoke else SDXL_UNET))
    vae: Any = AutoencoderKL(**(SMOKE_VAE if smoke else SDXL_VAE))
    unet.to(device, dtype).eval()
    vae.to(device, dtype).eval()
    if device == "cuda":
        unet.to(memory_format=torch.channels_last)
    side = 256 if smoke else 1024
    latent = side // 8
    ctx_dim = unet.config.cross_attention_dim
    pooled_dim = (
        unet.config.projection_class_embeddings_input_dim - 6 * unet.config.addition_time_embed_dim
    )
    record("sdxl", "UNet params", f"{sum(p.numel() for p in unet.parameters()) / 1e9:.2f} B")

    def step_fn(model: Any, batch: int) -> Callable[[], Any]:
        rows = 2 * batch  # classifier-free guidance: conditional + unconditional
        sample = torch.randn(rows, 4, latent, latent, device=device, dtype=dtype)
        ctx = torch.randn(rows, 77, ctx_dim, device=device, dtype=dtype)
        added = {
            "text_embeds": torch.randn(rows, pooled_dim, device=device, dtype=dtype),
            "time_ids": torch.tensor(
                [[side, side, 0, 0, side, side]] * rows, device=device, dtype=dtype
            ),
        }
        t = torch.tensor([500] * rows, device=device)

        def run() -> Any:
            with torch.inference_mode():
                return model(sample, t, encoder_hidden_states=ctx, added_cond_kwargs=added).sample

        return run

    def decode_fn(batch: int) -> Callable[[], Any]:
        latents = torch.randn(batch, 4, latent, latent, device=device, dtype=dtype)

        def run() -> Any:
            with torch.inference_mode():
                return vae.decode(latents / vae.config.scaling_factor).sample

        return run

    variants: list[tuple[str, Any]] = [("eager", unet)]
    if compile_too and device == "cuda":
        variants.append(
            ("compiled", torch.compile(unet, mode="max-autotune-no-cudagraphs", fullgraph=True))
        )
    repeat = 2 if smoke else 10
    for batch in (1, 4):
        decode = decode_fn(batch)
        decode()
        vae_s = timed(device, decode, 1 if smoke else 3)
        record("sdxl", f"VAE decode {side}px batch {batch}", f"{vae_s:.3f} s")
        for name, model in variants:
            run = step_fn(model, batch)
            for _ in range(2 if name == "eager" else 3):  # warm-up (compile on first call)
                run()
            step = timed(device, run, repeat)
            record("sdxl", f"UNet step+CFG {name} batch {batch}", f"{step:.4f} s")
            record(
                "sdxl",
                f"30-step image(s) {name} batch {batch}",
                f"{30 * step + vae_s:.2f} s for {batch} ({(30 * step + vae_s) / batch:.2f} "
                "s/image)",
            )


# --- 2b. 8B Llama decode -----------------------------------------------------------------
def bench_llm(device: str, smoke: bool, compile_too: bool) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    if smoke:
        config = LlamaConfig(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            vocab_size=1000,
            max_position_embeddings=512,
        )
    else:  # Llama 3.1 8B
        config = LlamaConfig(
            hidden_size=4096,
            intermediate_size=14336,
            num_hidden_layers=32,
            num_attention_heads=32,
            num_key_value_heads=8,
            vocab_size=128256,
            max_position_embeddings=8192,
        )
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config).eval()
    finally:
        torch.set_default_dtype(previous)
    record("llm", "params", f"{sum(p.numel() for p in model.parameters()) / 1e9:.2f} B")
    new_tokens = 16 if smoke else 256
    prompt_len = 32 if smoke else 128

    def decode_rate(batch: int, static: bool) -> float:
        ids = torch.randint(0, config.vocab_size, (batch, prompt_len), device=device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": new_tokens,
            "min_new_tokens": new_tokens,
            "do_sample": False,
            "pad_token_id": 0,
        }
        if static:
            kwargs["cache_implementation"] = "static"
        with torch.inference_mode():
            model.generate(ids, **{**kwargs, "max_new_tokens": 8, "min_new_tokens": 8})
            if static:  # compile warm-up at the full length
                model.generate(ids, **kwargs)
            seconds = timed(device, lambda: model.generate(ids, **kwargs))
        return batch * new_tokens / seconds

    for batch in (1, 8):
        record(
            "llm", f"decode plain generate batch {batch}", f"{decode_rate(batch, False):.1f} tok/s"
        )
    if compile_too and device == "cuda":
        model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
        for batch in (1, 8):
            record(
                "llm",
                f"decode static cache + compile batch {batch}",
                f"{decode_rate(batch, True):.1f} tok/s",
            )


# --- 2c. TTS real-time factor ------------------------------------------------------------
def bench_tts(device: str, smoke: bool) -> None:
    from transformers import VitsConfig, VitsModel

    config = (
        VitsConfig(vocab_size=40)
        if not smoke
        else VitsConfig(
            vocab_size=40,
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            ffn_dim=32,
            flow_size=16,
            upsample_initial_channel=16,
            prior_encoder_num_flows=2,
        )
    )
    model: Any = VitsModel(config)
    model.to(device).eval()
    torch.manual_seed(0)
    ids = torch.randint(1, config.vocab_size, (1, 400), device=device)  # ~ a long sentence

    def run() -> Any:
        with torch.inference_mode():
            return model(input_ids=ids).waveform

    run()
    seconds = timed(device, run, 3)
    audio_s = run().shape[-1] / config.sampling_rate
    record("tts", "VITS (MMS-size) synthesis", f"{seconds:.3f} s for {audio_s:.1f} s audio")
    record("tts", "real-time factor", f"{seconds / max(audio_s, 1e-6):.4f}")
    guarded("tts", lambda: bench_kokoro(device, smoke))


KOKORO_82M = {  # hexgrad/Kokoro-82M's config.json, less its vocab (the tests' copy is used)
    "istftnet": {
        "upsample_kernel_sizes": [20, 12],
        "upsample_rates": [10, 6],
        "gen_istft_hop_size": 5,
        "gen_istft_n_fft": 20,
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11],
        "upsample_initial_channel": 512,
    },
    "dim_in": 64,
    "dropout": 0.2,
    "hidden_dim": 512,
    "max_conv_dim": 512,
    "max_dur": 50,
    "multispeaker": True,
    "n_layer": 3,
    "n_mels": 80,
    "n_token": 178,
    "style_dim": 128,
    "text_encoder_kernel_size": 5,
    "plbert": {
        "hidden_size": 768,
        "num_attention_heads": 12,
        "intermediate_size": 2048,
        "max_position_embeddings": 512,
        "num_hidden_layers": 12,
        "dropout": 0.1,
    },
}


def bench_kokoro(device: str, smoke: bool) -> None:
    """Kokoro-82M (the GPU profiles' voice) at its real size, random weights: one pass of
    ~400 phonemes (the backend's pass limit), seconds per second of audio."""
    from kokoro.model import KModel

    from tests.ai.test_speech_kokoro import VOCAB, tiny_config

    config = tiny_config() if smoke else {**KOKORO_82M, "vocab": VOCAB}
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.pth"
        torch.save({}, empty)  # nothing loaded from it: the weights stay random
        torch.manual_seed(0)
        model: Any = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    model.to(device).eval()
    params = sum(p.numel() for p in model.parameters()) / 1e6
    symbols = [s for s in VOCAB if s.strip() and s.isalpha()]
    phonemes = " ".join(
        "".join(symbols[(i * 7 + j * 3) % len(symbols)] for j in range(5)) for i in range(66)
    )[:400]
    style = torch.randn(1, 256, device=device) * 0.2

    def run() -> Any:
        with torch.inference_mode():
            return model(phonemes, style, 1.0, return_output=True)

    run()
    seconds = timed(device, run, 3)
    audio_s = run().audio.shape[-1] / 24_000
    record(
        "tts",
        f"Kokoro{'-82M' if not smoke else ' (smoke size)'} ({params:.0f}M params) synthesis",
        f"{seconds:.3f} s for {audio_s:.1f} s audio",
    )
    record("tts", "Kokoro real-time factor", f"{seconds / max(audio_s, 1e-6):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check the script")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile variants")
    parser.add_argument("--only", choices=["tiny", "sdxl", "llm", "tts"], action="append")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        record("device", "gpu", f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    else:
        record("device", "cpu", f"no CUDA; torch {torch.__version__}")
    sections = args.only or ["tiny", "sdxl", "llm", "tts"]
    compile_too = not args.no_compile
    if "tiny" in sections:
        guarded("tiny engines", lambda: bench_tiny_engines(device))
    if "sdxl" in sections:
        guarded("sdxl", lambda: bench_sdxl(device, args.smoke, compile_too))
    if "llm" in sections:
        guarded("llm", lambda: bench_llm(device, args.smoke, compile_too))
    if "tts" in sections:
        guarded("tts", lambda: bench_tts(device, args.smoke))
    width = max(len(r.metric) for r in ROWS)
    print("\n" + "=" * 80)
    print(f"{'section':14} {'metric':{width}}  value")
    for row in ROWS:
        print(f"{row.section:14} {row.metric:{width}}  {row.value}")


if __name__ == "__main__":
    main()
