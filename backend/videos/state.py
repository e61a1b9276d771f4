"""The video status machine. Every status change goes through :func:`transition`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.errors import Conflict
from backend.models import Video, VideoStatus

S = VideoStatus
TRANSITIONS: dict[VideoStatus, frozenset[VideoStatus]] = {
    S.queued: frozenset({S.running, S.cancelled}),
    S.running: frozenset({S.queued, S.ready, S.needs_review, S.failed, S.cancelled}),
    S.needs_review: frozenset({S.queued, S.cancelled}),
    # A video that failed at the upload stage goes back to publishing (retry) or to ready
    # (its upload given up); the videos service allows those two only for that stage.
    S.failed: frozenset({S.queued, S.cancelled, S.publishing, S.ready}),
    # Cancel is for work in flight; a finished video is discarded (and can be made again).
    S.ready: frozenset({S.publishing, S.discarded}),
    # publishing -> ready: the upload was cancelled, or is held (reasons in publish_holds).
    S.publishing: frozenset({S.published, S.scheduled, S.failed, S.ready}),
    # On YouTube, private until publish_at; then it is public (no way back from YouTube).
    S.scheduled: frozenset({S.published}),
    S.published: frozenset(),
    S.cancelled: frozenset({S.queued}),
    S.discarded: frozenset({S.queued}),
}
TERMINAL = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)


def allowed_sources(target: VideoStatus) -> frozenset[VideoStatus]:
    return frozenset(s for s, nexts in TRANSITIONS.items() if target in nexts)


def check(current: VideoStatus, target: VideoStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"A {current.value} video cannot become {target.value}",
            code="invalid_transition",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": sorted(s.value for s in TRANSITIONS[current]),
            },
        )


async def transition(
    session: AsyncSession,
    video: Video,
    target: VideoStatus,
    *,
    sources: Iterable[VideoStatus] | None = None,
    **values: Any,
) -> None:
    """Compare-and-set the status: concurrent changes cannot both win.

    The UPDATE only matches while the row still has a status from which ``target`` is
    reachable, so a video cancelled by its owner while a worker finishes a stage stays
    cancelled.
    """
    check(video.status, target)
    # Flush first: the refresh below would otherwise discard changes made to ``video``
    # (or any object of this session) that were not yet written.
    await session.flush()
    allowed = frozenset(sources) if sources is not None else allowed_sources(target)
    now = utcnow()
    stamps: dict[str, Any] = {"updated_at": now}
    if target == S.ready and video.status == S.running:  # made; not an upload given up
        stamps["completed_at"] = now
    elif target == S.failed:
        stamps["failed_at"] = now
    elif target == S.published:
        stamps["published_at"] = now
    result = await session.execute(
        update(Video)
        .where(Video.id == video.id, Video.status.in_(allowed))
        .values(status=target, **stamps, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(video)
        check(video.status, target)  # raises with the status someone else just set
        raise Conflict("The video changed concurrently; try again", code="concurrent_change")
    await session.refresh(video)
