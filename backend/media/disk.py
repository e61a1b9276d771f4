"""Free space on the media disk, and the render's guard: a render that would not fit is
refused before it starts, with the reason, as a retryable try (the space may come back:
a prune, the owner deleting files).

The estimate is the planned duration times the configured bitrate (``render_estimate_mbps``,
video and audio together) plus the renderer's working space (stills, caption strips:
``render_workspace_mb``); after it, ``render_disk_reserve_fraction`` of the disk must stay
free for the database and everything else on it.
"""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backend.settings import Settings

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DiskUsage:
    path: Path
    total_bytes: int
    free_bytes: int

    @property
    def free_fraction(self) -> float:
        return self.free_bytes / self.total_bytes if self.total_bytes else 0.0


class InsufficientDiskSpace(RuntimeError):
    """Not enough room for a render right now.

    The stage runner names it among its transient errors (``TRANSIENT``): the try is
    recorded as failed with this message and retried, and the video fails with it only
    when its tries are used up (Retry restarts it)."""


def usage(path: Path) -> DiskUsage:
    """Usage of the filesystem holding ``path`` (its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    total, _used, free = shutil.disk_usage(probe)
    return DiskUsage(path=path, total_bytes=total, free_bytes=free)


def wav_seconds(paths: Iterable[Path]) -> float:
    """Total length of WAV files from their headers; a file that is not a readable WAV
    counts as 16-bit mono 16 kHz by its size (an over-estimate for any usual voice)."""
    total = 0.0
    for path in paths:
        try:
            with wave.open(str(path), "rb") as audio:
                total += audio.getnframes() / float(audio.getframerate() or 1)
        except (wave.Error, EOFError, OSError):
            total += os.path.getsize(path) / 32_000 if path.exists() else 0.0
    return total


def render_estimate_bytes(duration_s: float, settings: Settings) -> int:
    """Bytes a render of ``duration_s`` seconds is expected to need, output and work space."""
    output = duration_s * settings.render_estimate_mbps * 1_000_000 / 8
    return int(output + settings.render_workspace_mb * MB)


def ensure_room(path: Path, needed_bytes: int, settings: Settings) -> DiskUsage:
    """Raise :class:`InsufficientDiskSpace` unless ``needed_bytes`` fit on the disk of
    ``path`` and still leave ``render_disk_reserve_fraction`` of it free."""
    disk = usage(path)
    reserve = int(disk.total_bytes * settings.render_disk_reserve_fraction)
    if disk.free_bytes - needed_bytes < reserve:
        raise InsufficientDiskSpace(
            f"not enough disk space to render: needs about {needed_bytes / MB:,.0f} MB "
            f"and {reserve / MB:,.0f} MB kept free (YTE_RENDER_DISK_RESERVE_FRACTION="
            f"{settings.render_disk_reserve_fraction:g}), {disk.free_bytes / MB:,.0f} MB free "
            f"on the disk of {path}; free space (ytempire media prune) and retry"
        )
    return disk
