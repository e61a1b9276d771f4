"""Image generation: local models through the micro-batcher, cloud per request."""

from __future__ import annotations

import asyncio
import base64
import io
import secrets
from dataclasses import dataclass

from PIL import Image

from ai.backends.base import CloudUsage, ImageJob, ImageModel
from ai.batching import MicroBatcher
from ai.gateway import Attempt, Gateway, Outcome
from ai.metrics import IMAGE_BATCH
from ai.registry import ModelSpec
from ai.schemas import ImageRequest, Usage

BatchKey = tuple[str, tuple[int, int, int | None, float | None]]


@dataclass(frozen=True)
class GeneratedImage:
    image: Image.Image
    seed: int

    def png_b64(self) -> str:
        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG", optimize=False)
        return base64.b64encode(buffer.getvalue()).decode()


@dataclass(frozen=True)
class _Rendered:
    image: Image.Image
    device: str
    seconds: float  # this image's share of its batch's device time


class ImageService:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        profile = gateway.profile
        self.batcher: MicroBatcher[BatchKey, ImageJob, _Rendered] = MicroBatcher(
            self._run_batch,
            profile.image_batch_window_ms / 1000,
            profile.image_max_batch,
            on_batch=lambda key, size: IMAGE_BATCH.labels(model=key[0]).observe(size),
        )
        self.batch_sizes: list[int] = []

    async def generate(self, request: ImageRequest) -> Outcome[list[GeneratedImage]]:
        width, height = request.dimensions()
        base_seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
        jobs = [
            ImageJob(
                prompt=request.prompt,
                width=width,
                height=height,
                seed=base_seed + i,
                negative_prompt=request.negative_prompt,
                steps=request.steps,
                guidance_scale=request.guidance_scale,
                slide=request.slide,
            )
            for i in range(request.n)
        ]

        async def attempt(spec: ModelSpec) -> Attempt[list[GeneratedImage]]:
            if spec.backend == "openai":
                images = await self.gateway.openai.images(spec, jobs)
                generated = [
                    GeneratedImage(img, job.seed) for img, job in zip(images, jobs, strict=True)
                ]
                return Attempt(generated, "cloud", cloud=CloudUsage(images=len(generated)))
            rendered = await asyncio.gather(
                *(self.batcher.submit((spec.id, job.batch_key), job) for job in jobs)
            )
            return Attempt(
                [GeneratedImage(r.image, job.seed) for r, job in zip(rendered, jobs, strict=True)],
                rendered[0].device,
                sum(r.seconds for r in rendered),
            )

        chain = self.gateway.chain_for("image", request.model)
        return await self.gateway.serve(
            "image",
            chain,
            attempt,
            units=lambda images: {"images": len(images)},
            usage=lambda images: Usage(images=len(images)),
        )

    async def _run_batch(self, key: BatchKey, jobs: list[ImageJob]) -> list[_Rendered]:
        spec = self.gateway.registry.get(key[0])
        assert spec is not None
        self.batch_sizes.append(len(jobs))
        images, device, seconds = await self.gateway.manager.run(
            spec, lambda model: _image_model(model).generate(jobs)
        )
        return [_Rendered(img, device, seconds / len(jobs)) for img in images]


def _image_model(model: object) -> ImageModel:
    if not hasattr(model, "generate"):
        raise TypeError(f"{type(model).__name__} is not an image model")
    return model  # type: ignore[return-value]
