"""A Redis lease per (video, stage): one runner at a time, and a way to see a dead one.

The runner holds the lease while it works and a heartbeat thread renews it. A worker
killed with SIGKILL stops renewing, the lease expires within ``ttl_s``, and the
reconciler re-enqueues the stage.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from types import TracebackType

import redis

from backend.models import VideoStage

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def lease_key(video_id: uuid.UUID | str, stage: VideoStage) -> str:
    return f"ytempire:lease:{video_id}:{stage.value}"


def is_held(connection: redis.Redis, video_id: uuid.UUID | str, stage: VideoStage) -> bool:
    return bool(connection.exists(lease_key(video_id, stage)))


class StageLease:
    def __init__(
        self, connection: redis.Redis, video_id: uuid.UUID, stage: VideoStage, ttl_s: float = 15.0
    ) -> None:
        self._redis = connection
        self._key = lease_key(video_id, stage)
        self._token = uuid.uuid4().hex
        self._ttl_ms = int(ttl_s * 1000)
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self._redis.set(self._key, self._token, nx=True, px=self._ttl_ms):
            return False
        self._thread = threading.Thread(target=self._heartbeat, name="stage-lease", daemon=True)
        self._thread.start()
        return True

    def _heartbeat(self) -> None:
        interval = self._ttl_ms / 3000
        while not self._halt.wait(interval):
            try:
                self._redis.eval(_RENEW, 1, self._key, self._token, self._ttl_ms)
            except redis.RedisError:
                continue

    def release(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(2)
        with contextlib.suppress(redis.RedisError):  # otherwise it expires by itself
            self._redis.eval(_RELEASE, 1, self._key, self._token)

    def __enter__(self) -> StageLease:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
