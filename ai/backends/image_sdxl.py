"""SDXL through diffusers, from a local folder (base weights plus an optional UNet swap)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog
import torch
from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
from PIL import Image
from safetensors.torch import load_file

from ai.backends.base import ImageJob
from ai.backends.torch_utils import module_bytes, release_memory, resolve_dtype

log = structlog.get_logger(__name__)
SIZE_MULTIPLE = 64  # the VAE downsamples 8x and the UNet 4x more


class SDXLImages:
    def __init__(self, pipe: StableDiffusionXLPipeline, device: str, options: dict[str, Any]):
        self.pipe: Any = pipe
        self.device = device
        self.default_steps = int(options.get("steps", 30))
        self.default_guidance = float(options.get("guidance_scale", 5.0))

    @classmethod
    def from_dir(
        cls,
        path: Path,
        dtype: str,
        device: str,
        options: dict[str, Any],
        unet_weights: Path | None = None,
    ) -> SDXLImages:
        torch_dtype = resolve_dtype(dtype, device)
        variant = options.get("variant")
        if variant and not any(path.glob(f"*/*.{variant}.safetensors")):
            variant = None
        pipe: Any = StableDiffusionXLPipeline.from_pretrained(
            path, dtype=torch_dtype, variant=variant, use_safetensors=True
        )
        if unet_weights is not None:
            pipe.unet.load_state_dict(load_file(str(unet_weights)))
        if options.get("timestep_spacing"):
            pipe.scheduler = EulerDiscreteScheduler.from_config(
                pipe.scheduler.config, timestep_spacing=options["timestep_spacing"]
            )
        pipe.set_progress_bar_config(disable=True)
        pipe.to(device)
        if device == "cuda":
            pipe.unet.to(memory_format=torch.channels_last)
            pipe.vae.enable_slicing()  # decode a batch one image at a time: flat VAE peak
        return cls(pipe, device, options)

    def memory_bytes(self) -> int:
        parts = [self.pipe.unet, self.pipe.vae, self.pipe.text_encoder, self.pipe.text_encoder_2]
        return module_bytes(p for p in parts if p is not None)

    def unload(self) -> None:
        del self.pipe
        release_memory()

    def generate(self, jobs: list[ImageJob]) -> list[Image.Image]:
        first = jobs[0]
        width, height = _round_up(first.width), _round_up(first.height)
        if width * height > 1536 * 1536 and self.device == "cuda":
            self.pipe.vae.enable_tiling()
        else:
            self.pipe.vae.disable_tiling()
        generators = [torch.Generator(device="cpu").manual_seed(j.seed) for j in jobs]
        guidance = self.default_guidance
        if first.guidance_scale is not None:
            guidance = first.guidance_scale
        negative = [j.negative_prompt for j in jobs] if guidance > 1 else None
        with torch.inference_mode():
            output = self.pipe(
                prompt=[j.prompt for j in jobs],
                negative_prompt=negative,
                width=width,
                height=height,
                num_inference_steps=first.steps or self.default_steps,
                guidance_scale=guidance,
                generator=generators,
                output_type="pil",
            )
        images: list[Image.Image] = list(output.images)
        return [_center_crop(img, first.width, first.height) for img in images]


def _round_up(value: int) -> int:
    return -(-value // SIZE_MULTIPLE) * SIZE_MULTIPLE


def _center_crop(image: Image.Image, width: int, height: int) -> Image.Image:
    if image.size == (width, height):
        return image
    left = (image.width - width) // 2
    top = (image.height - height) // 2
    return image.crop((left, top, left + width, top + height))
