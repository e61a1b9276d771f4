"""How long a stage may run, and how many times it may be tried.

A stage's time limit is ``YTE_<STAGE>_TIMEOUT_SECONDS`` when set. Otherwise::

    timeout = (BASE[stage] + PER_MINUTE[stage] * target_minutes) * HARDWARE_FACTOR

with ``target_minutes`` the channel's target length (0.75 for shorts), and
``HARDWARE_FACTOR`` 1.0 on the CPU profile and 0.5 on a GPU profile (never below
``MIN_TIMEOUT_S``). The table is 4-7x what each stage took on a 2-core CPU box
under a load of 8 (script 94 s, images 22 s, render 21 s for a 30-second video),
so a slow machine finishes and only a stuck stage hits the limit.
The RQ job gets ``JOB_GRACE_S`` more, so the runner's own limit fires first and
records why; RQ's is the backstop for a stage that does not yield (a killed horse).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from backend.models import VideoStage
from backend.models.channel import CHANNEL_DEFAULTS as D
from backend.settings import Settings

BASE_S: dict[VideoStage, float] = {
    VideoStage.topic: 120.0,
    VideoStage.script: 240.0,  # the CPU strategist writes 7-10 parts whatever the length
    VideoStage.quality: 60.0,
    VideoStage.voice: 60.0,
    VideoStage.images: 60.0,
    VideoStage.render: 60.0,
    VideoStage.thumbnail: 60.0,
    VideoStage.upload: 300.0,
}
PER_MINUTE_S: dict[VideoStage, float] = {
    VideoStage.topic: 0.0,
    VideoStage.script: 120.0,
    VideoStage.quality: 60.0,
    VideoStage.voice: 60.0,
    VideoStage.images: 120.0,
    VideoStage.render: 180.0,
    VideoStage.thumbnail: 0.0,
    VideoStage.upload: 60.0,
}
GPU_FACTOR = 0.5
MIN_TIMEOUT_S = 60.0
JOB_GRACE_S = 60.0
SHORT_MINUTES = 0.75


def setting_name(stage: VideoStage) -> str:
    return f"YTE_{stage.value.upper()}_TIMEOUT_SECONDS"


def target_minutes(video_format: str, style: dict[str, object] | None) -> float:
    if video_format == "short":
        return SHORT_MINUTES
    raw = (style or {}).get("target_minutes", D.target_minutes)
    try:
        return max(0.1, float(raw))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0


def stage_timeout(settings: Settings, stage: VideoStage, minutes: float) -> float:
    """Seconds one try of ``stage`` may take for a video of ``minutes``."""
    configured: float | None = getattr(settings, f"{stage.value}_timeout_seconds")
    if configured is not None:
        return float(configured)
    seconds = BASE_S[stage] + PER_MINUTE_S[stage] * minutes
    if gpu_profile(settings.ai_profile, settings.ai_hardware_dir):
        seconds = max(MIN_TIMEOUT_S, seconds * GPU_FACTOR)
    return round(seconds, 1)


def job_timeout(stage_timeout_s: float) -> int:
    """RQ's limit for the job that runs one try: the stage's own limit fires first."""
    return int(stage_timeout_s + JOB_GRACE_S)


@lru_cache(maxsize=8)
def gpu_profile(profile: str | None, hardware_dir: Path | None) -> bool:
    """Whether the models run on a GPU profile: the configured one, else an NVIDIA GPU here.

    Detection reads /proc (no CUDA initialisation: RQ forks after this runs).
    """
    if profile:
        from ai.hardware import resolve_profile

        try:
            return resolve_profile(profile, hardware_dir).match.gpu
        except (LookupError, OSError, ValueError):
            return False
    gpus = Path("/proc/driver/nvidia/gpus")
    return gpus.is_dir() and any(gpus.iterdir()) and os.environ.get("CUDA_VISIBLE_DEVICES") != ""


def stage_delay(settings: Settings, stage: VideoStage) -> float:
    """The deliberate delay ``YTE_STAGE_DELAY_SECONDS`` asks for before ``stage`` (tests)."""
    for item in settings.stage_delay_seconds.split(","):
        name, _, seconds = item.partition("=")
        if name.strip() == stage.value:
            try:
                return max(0.0, float(seconds))
            except ValueError:
                return 0.0
    return 0.0
