"""The thumbnail variants of a video and the owner's pick (``videos.thumbnail_variant``).

The thumbnail stage stores its variants as artifacts (``VARIANT_ARTIFACTS``, in order)
and lists each with its checks in its output (``thumbnails``). The pick is an index into
that list; None means the first. Upload sends the picked one (:func:`artifact_name`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import Conflict, NotFound
from backend.models import Video, VideoStage, VideoStatus
from backend.videos import repository

VARIANT_FILES = ("thumbnail.jpg", "thumbnail_b.jpg")
VARIANT_ARTIFACTS = ("thumbnail", "thumbnail_b")
# once uploaded, YouTube has the thumbnail: a later pick would not reach it
UPLOADED = frozenset({VideoStatus.publishing, VideoStatus.scheduled, VideoStatus.published})


def artifact_name(variant: int | None) -> str:
    """The artifact of the picked variant (the first when none or an unknown one is set)."""
    if variant is None or not 0 <= variant < len(VARIANT_ARTIFACTS):
        return VARIANT_ARTIFACTS[0]
    return VARIANT_ARTIFACTS[variant]


class ThumbnailPick(BaseModel):
    variant: int = Field(ge=0, le=len(VARIANT_ARTIFACTS) - 1)


class ThumbnailVariant(BaseModel):
    index: int
    artifact: str
    headline: str = ""
    passed: bool | None = None
    contrast: float | None = None
    cap_px_small: float | None = None
    picked: bool = False


class ThumbnailsOut(BaseModel):
    picked: int
    variants: list[ThumbnailVariant]


async def variants(session: AsyncSession, video: Video) -> ThumbnailsOut:
    """The variants the thumbnail stage made (none before it has run)."""
    runs = await repository.stage_runs_by_stage(session, video.id)
    run = runs.get(VideoStage.thumbnail)
    artifacts = (run.artifacts or {}) if run is not None else {}
    checks: list[dict[str, Any]] = list(((run.output or {}) if run else {}).get("thumbnails") or [])
    picked = video.thumbnail_variant or 0
    out: list[ThumbnailVariant] = []
    for index, name in enumerate(VARIANT_ARTIFACTS):
        if name not in artifacts:
            continue
        check = checks[index] if index < len(checks) else {}
        out.append(
            ThumbnailVariant(
                index=index,
                artifact=name,
                headline=str(check.get("headline") or ""),
                passed=check.get("passed"),
                contrast=check.get("contrast"),
                cap_px_small=check.get("cap_px_small"),
                picked=index == picked,
            )
        )
    return ThumbnailsOut(picked=picked, variants=out)


async def pick(session: AsyncSession, video: Video, variant: int) -> ThumbnailsOut:
    """Set the variant upload will send; refused once the video is on YouTube, or for a
    variant the thumbnail stage did not make."""
    if video.status in UPLOADED:
        raise Conflict(
            "the video is already uploaded with its thumbnail", code="thumbnail_uploaded"
        )
    made = await variants(session, video)
    if variant not in {v.index for v in made.variants}:
        raise NotFound("thumbnail_variant", variant)
    video.thumbnail_variant = variant
    await session.flush()
    return await variants(session, video)
