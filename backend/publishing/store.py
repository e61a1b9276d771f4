"""The upload state in the database: every save is its own committed transaction.

This is the one place in the domain that commits by itself: the point of the record is that
it survives the process, so it cannot wait for a caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.session import unit_of_work
from backend.models import UploadSession, UploadStatus
from backend.publishing import repository
from backend.publishing.uploader import UploadState

_COLUMNS = (
    "status",
    "file_path",
    "file_size",
    "file_mtime_ns",
    "session_uri",
    "confirmed_bytes",
    "final_chunk_sent",
    "sessions_started",
    "retries",
    "request_body",
    "youtube_video_id",
    "privacy_requested",
    "privacy_reported",
    "error",
)


def _state(row: UploadSession) -> UploadState:
    return UploadState(
        video_id=row.video_id,
        channel_id=row.channel_id,
        file_path=row.file_path,
        file_size=row.file_size,
        file_mtime_ns=row.file_mtime_ns,
        request_body=dict(row.request_body or {}),
        status=row.status.value,
        session_uri=row.session_uri,
        confirmed_bytes=row.confirmed_bytes,
        final_chunk_sent=row.final_chunk_sent,
        sessions_started=row.sessions_started,
        retries=row.retries,
        youtube_video_id=row.youtube_video_id,
        privacy_requested=row.privacy_requested,
        privacy_reported=row.privacy_reported,
        error=row.error,
    )


def _values(state: UploadState) -> dict[str, Any]:
    data = asdict(state)
    values = {key: data[key] for key in _COLUMNS}
    values["status"] = UploadStatus(state.status)
    return values


class SqlUploadStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def load(self, video_id: uuid.UUID) -> UploadState | None:
        async with self.sessions() as session:
            row = await repository.get_upload(session, video_id)
            return _state(row) if row else None

    async def create(self, state: UploadState) -> None:
        async with unit_of_work(self.sessions) as session:
            await repository.add_upload(
                session,
                UploadSession(
                    video_id=state.video_id, channel_id=state.channel_id, **_values(state)
                ),
            )

    async def save(self, state: UploadState) -> None:
        extra: dict[str, Any] = {}
        if state.status == "uploaded":
            extra["uploaded_at"] = repository.utcnow()
        async with unit_of_work(self.sessions) as session:
            await repository.update_upload(session, state.video_id, **_values(state), **extra)
