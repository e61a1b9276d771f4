"""videos.insert over YouTube's resumable protocol, crash-safe and exactly once per video.

The session URI is recorded (committed) before the first byte goes out, and the last byte
YouTube confirmed after every chunk. A new process resumes by asking the session for its
state (``PUT`` with ``Content-Range: bytes */N``): a 308 tells how far YouTube got, a 200/201
means the upload had already finished and returns the video, so a crash after YouTube
accepted the last chunk but before we recorded the id still leaves one video, whose id is
recovered. A new session is only started when none was recorded, or when the recorded one is
gone (404/410) before its last chunk was ever sent.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from backend.publishing.clients import YouTubeApi
from backend.publishing.errors import PublishingError, UploadOutcomeUnknown, YouTubeRejected
from backend.publishing.metrics import UPLOAD_BYTES
from backend.publishing.policy import CallPolicy
from backend.publishing.quota import QuotaLedger

log = structlog.get_logger(__name__)

CHUNK_GRANULARITY = 256 * 1024  # YouTube wants every chunk but the last in multiples of this
UPLOAD_PARTS = "snippet,status"


@dataclass
class UploadState:
    """What must survive a crash, as the store keeps it (see ``UploadSession``)."""

    video_id: uuid.UUID
    channel_id: uuid.UUID
    file_path: str
    file_size: int
    file_mtime_ns: int
    request_body: dict[str, Any]
    status: str = "pending"
    session_uri: str | None = None
    confirmed_bytes: int = 0
    final_chunk_sent: bool = False
    sessions_started: int = 0
    retries: int = 0
    youtube_video_id: str | None = None
    privacy_requested: str | None = None
    privacy_reported: str | None = None
    error: str | None = None
    resource: dict[str, Any] = field(default_factory=dict)


class UploadStore(Protocol):
    """Durable upload state: ``save`` must have committed when it returns."""

    async def load(self, video_id: uuid.UUID) -> UploadState | None: ...

    async def create(self, state: UploadState) -> None: ...

    async def save(self, state: UploadState) -> None: ...


@dataclass
class _Flags:
    unsure: bool


class ChunkedFile(MediaFileUpload):
    """MediaFileUpload(resumable=True) whose chunks are read as bytes, not a stream slice.

    A bytes body can be sent again as is by httplib2 when a connection drops mid-request; a
    half-read stream slice cannot.
    """

    def has_stream(self) -> bool:
        return False


@dataclass
class UploadResult:
    youtube_video_id: str
    resource: dict[str, Any]
    privacy_requested: str | None
    privacy_reported: str | None
    resumed: bool
    sessions_started: int
    bytes_sent: int  # bytes this process put on the wire (chunks, counted once per send)
    retries: int
    # status.publishAt as YouTube answered it, else as we asked for it (the resource of an
    # upload finished in an earlier process is not kept, only its request)
    publish_at: str | None = None

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_video_id}"


Progress = Callable[[int, int], Awaitable[None] | None]


def validate_chunk_size(chunk_bytes: int) -> int:
    if chunk_bytes <= 0 or chunk_bytes % CHUNK_GRANULARITY:
        raise ValueError(
            f"chunk size {chunk_bytes} is not a positive multiple of 256 KiB "
            f"({CHUNK_GRANULARITY} bytes), which YouTube requires"
        )
    return chunk_bytes


class Uploader:
    def __init__(
        self,
        api: YouTubeApi,
        store: UploadStore,
        policy: CallPolicy,
        quota: QuotaLedger,
        *,
        chunk_bytes: int = 8 * 1024 * 1024,
        on_progress: Progress | None = None,
    ) -> None:
        self.api = api
        self.store = store
        self.policy = policy
        self.quota = quota
        self.chunk_bytes = validate_chunk_size(chunk_bytes)
        self.on_progress = on_progress
        self.bytes_sent = 0

    async def upload(
        self,
        *,
        video_id: uuid.UUID,
        channel_id: uuid.UUID,
        file_path: Path,
        body: dict[str, Any],
        mimetype: str = "video/mp4",
    ) -> UploadResult:
        try:
            stat = os.stat(file_path)
        except FileNotFoundError as exc:
            raise PublishingError(f"The video file {file_path} does not exist") from exc
        if stat.st_size == 0:
            raise PublishingError(f"The video file {file_path} is empty")
        state = await self.store.load(video_id)
        if state is not None and state.status == "uploaded" and state.youtube_video_id:
            log.info("youtube.upload.already_done", video_id=str(video_id))
            return self._result(state, resumed=False)
        if state is None:
            state = UploadState(
                video_id=video_id,
                channel_id=channel_id,
                file_path=str(file_path),
                file_size=stat.st_size,
                file_mtime_ns=stat.st_mtime_ns,
                request_body=body,
                privacy_requested=(body.get("status") or {}).get("privacyStatus"),
            )
            await self.store.create(state)
        elif state.session_uri and (
            state.file_size != stat.st_size or state.file_mtime_ns != stat.st_mtime_ns
        ):
            raise PublishingError(
                f"{file_path} changed since its upload began ({state.file_size} bytes then, "
                f"{stat.st_size} now); the YouTube session cannot take a different file"
            )
        elif not state.session_uri:  # nothing went out yet: the latest file and metadata win
            state.file_path, state.file_size = str(file_path), stat.st_size
            state.file_mtime_ns, state.request_body = stat.st_mtime_ns, body
            state.privacy_requested = (body.get("status") or {}).get("privacyStatus")
        resumed = state.session_uri is not None

        media = ChunkedFile(
            str(file_path), mimetype=mimetype, chunksize=self.chunk_bytes, resumable=True
        )
        request = self.api.resource.videos().insert(
            part=UPLOAD_PARTS, body=state.request_body, media_body=media, notifySubscribers=True
        )
        if state.session_uri is not None:
            request.resumable_uri = state.session_uri  # the recorded session, resumed
            request.resumable_progress = state.confirmed_bytes
        flags = _Flags(unsure=resumed)

        def mark_unsure(_: object) -> None:
            flags.unsure = True  # after any failure, ask the session where it stands

        try:
            resource: dict[str, Any] | None = None
            while resource is None:
                if state.session_uri is None:
                    await self._start_session(request, state)
                    flags.unsure = False
                kind, value = await self.policy.run(
                    lambda: self._step(request, state, flags),
                    what="upload",
                    before_retry=mark_unsure,
                    fresh=False,
                )
                if kind == "done":
                    resource = value
                elif kind == "gone":
                    await self._session_gone(state)
                    request.resumable_uri = None
                elif kind == "final":
                    state.final_chunk_sent = True  # from here a lost session may hide a video
                    await self.store.save(state)
                else:
                    await self._confirmed(state, int(value))
        except YouTubeRejected as exc:
            state.status, state.error = "failed", exc.message
            state.retries = self.policy.retries
            await self.store.save(state)
            raise
        return await self._finish(state, resource, resumed)

    def _step(self, request: Any, state: UploadState, flags: _Flags) -> tuple[str, Any]:
        """One blocking step: a status query when unsure, else the next chunk."""
        if flags.unsure:
            outcome = self._status_query(request, state.file_size)
            flags.unsure = False
            # googleapiclient would repeat the status query itself; we just made it.
            request._in_error_state = False
            if isinstance(outcome, dict):
                return "done", outcome
            if outcome == "gone":
                return "gone", None
            request.resumable_progress = int(outcome)
            return "progress", int(outcome)
        start = int(request.resumable_progress)
        length = min(self.chunk_bytes, state.file_size - start)
        if start + length >= state.file_size and not state.final_chunk_sent:
            return "final", None
        self.bytes_sent += length
        status, response = request.next_chunk(num_retries=0)
        if response is not None:
            return "done", dict(response)
        return "progress", int(status.resumable_progress)

    async def _start_session(self, request: Any, state: UploadState) -> None:
        def initiate() -> str:
            # googleapiclient's first next_chunk() would initiate *and* send the first chunk;
            # we initiate alone so that the session URI is committed before any byte goes.
            headers = dict(request.headers)
            headers["X-Upload-Content-Type"] = request.resumable.mimetype()
            headers["X-Upload-Content-Length"] = str(request.resumable.size())
            headers["content-length"] = str(len(request.body or ""))
            resp, content = self.api.http.request(
                request.uri, method=request.method, body=request.body, headers=headers
            )
            if resp.status == 200 and "location" in resp:
                return str(resp["location"])
            raise HttpError(resp, content, uri=request.uri)

        await self.quota.spend("videos.insert")
        uri = await self.policy.run(initiate, what="upload initiate", fresh=False)
        request.resumable_uri = uri
        request.resumable_progress = 0
        state.session_uri, state.status, state.confirmed_bytes = uri, "uploading", 0
        state.final_chunk_sent = False
        state.sessions_started += 1
        await self.store.save(state)
        log.info("youtube.upload.session", video_id=str(state.video_id), size=state.file_size)

    def _status_query(self, request: Any, size: int) -> dict[str, Any] | int | str:
        resp, content = self.api.http.request(
            request.resumable_uri,
            method="PUT",
            body=b"",
            headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"},
        )
        if resp.status in (200, 201):
            return dict(json.loads(content))
        if resp.status == 308:
            header = resp.get("range")
            return int(header.rsplit("-", 1)[1]) + 1 if header else 0
        if resp.status in (404, 410):
            return "gone"
        raise HttpError(resp, content, uri=request.resumable_uri)

    async def _session_gone(self, state: UploadState) -> None:
        if state.final_chunk_sent:
            raise UploadOutcomeUnknown(
                "The upload's last chunk was sent but YouTube no longer knows its session, so "
                "we cannot tell whether the video exists. Check the channel's uploads in "
                "YouTube Studio; retry only if the video is not there.",
                details={"video_id": str(state.video_id)},
            )
        log.warning("youtube.upload.session_gone", video_id=str(state.video_id))
        state.session_uri, state.confirmed_bytes, state.status = None, 0, "pending"
        await self.store.save(state)

    async def _confirmed(self, state: UploadState, confirmed: int) -> None:
        if confirmed > state.confirmed_bytes:
            self.policy.progressed()
        UPLOAD_BYTES.inc(max(0, confirmed - state.confirmed_bytes))
        state.confirmed_bytes = confirmed
        state.retries = self.policy.retries
        await self.store.save(state)
        if self.on_progress is not None:
            result = self.on_progress(confirmed, state.file_size)
            if result is not None:
                await result

    async def _finish(
        self, state: UploadState, resource: dict[str, Any], resumed: bool
    ) -> UploadResult:
        video_id = resource.get("id")
        if not video_id:
            raise PublishingError("YouTube finished the upload but its answer has no video id")
        state.youtube_video_id = str(video_id)
        state.status, state.confirmed_bytes, state.error = "uploaded", state.file_size, None
        state.privacy_reported = (resource.get("status") or {}).get("privacyStatus")
        state.retries = self.policy.retries
        state.resource = resource
        await self.store.save(state)
        log.info("youtube.upload.done", video_id=str(state.video_id), youtube_id=video_id)
        return self._result(state, resumed=resumed)

    def _result(self, state: UploadState, *, resumed: bool) -> UploadResult:
        assert state.youtube_video_id is not None
        return UploadResult(
            youtube_video_id=state.youtube_video_id,
            resource=state.resource,
            privacy_requested=state.privacy_requested,
            privacy_reported=state.privacy_reported,
            resumed=resumed,
            sessions_started=state.sessions_started,
            bytes_sent=self.bytes_sent,
            retries=state.retries,
            publish_at=((state.resource or state.request_body).get("status") or {}).get(
                "publishAt"
            ),
        )
