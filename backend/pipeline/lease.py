"""A Redis lease per (video, stage): one runner at a time, a way to see a dead one, and the
fence in the database that keeps a runner which lost its lease from recording anything.

The runner holds the lease while it works and a heartbeat thread renews it. A worker
killed with SIGKILL stops renewing, the lease expires within ``ttl_s``, and the
reconciler re-enqueues the stage. A lease that vanished while its holder was still
renewing (Redis restarted empty) is taken back by the heartbeat if no one else took it.

The lease alone cannot stop a runner that stalled past it (a long pause, a partition):
by the time it wakes up another runner may hold the stage. So each start claims the
stage's next attempt in the database (``repository.claim_attempt``: ``stage_runs.attempts``
goes from the value read to one more, compare-and-set), and that attempt number is the
runner's fencing token: every outcome it writes is an UPDATE whose WHERE names it
(``repository.fence``).
A runner whose attempt is no longer the stage's current one writes nothing; two runs of
one stage can never both commit. The runner also locks the video's row first in each of
its transactions (a start, an outcome), so a start and an outcome of the same video never
interleave, and it reads what it checks only after that lock.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from types import TracebackType

import redis

from backend.models import VideoStage

# Renew our own lease; take it back if it is gone (expired, or Redis restarted empty) and
# nobody else holds it; 0 when another runner has it.
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
if not holder then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""
RETRY_RENEW_S = 0.5  # after a failed renewal (Redis away), try again this soon
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
        self.lost = False  # another runner holds the lease now (seen by the heartbeat)

    def acquire(self) -> bool:
        if not self._redis.set(self._key, self._token, nx=True, px=self._ttl_ms):
            return False
        self._thread = threading.Thread(target=self._heartbeat, name="stage-lease", daemon=True)
        self._thread.start()
        return True

    def _heartbeat(self) -> None:
        interval = self._ttl_ms / 3000
        wait_s = interval
        while not self._halt.wait(wait_s):
            try:
                renewed = self._redis.eval(_RENEW, 1, self._key, self._token, self._ttl_ms)
            except redis.RedisError:
                wait_s = min(interval, RETRY_RENEW_S)  # back soon, before the reconciler
                continue
            wait_s = interval
            self.lost = not renewed

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
