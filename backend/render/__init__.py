"""The video renderer: scenes (image + narration) in, a YouTube-ready MP4, SRT and
thumbnail out. moviepy composes the soundtrack; ffmpeg does the per-frame work."""

from backend.render.errors import RenderError, RenderInputError, RenderVerificationError
from backend.render.models import MediaInfo, RenderResult, RenderScene, RenderSpec, StreamInfo
from backend.render.probe import probe, verify_render
from backend.render.renderer import render_video
from backend.render.thumbnail import make_thumbnail

__all__ = [
    "MediaInfo",
    "RenderError",
    "RenderInputError",
    "RenderResult",
    "RenderScene",
    "RenderSpec",
    "RenderVerificationError",
    "StreamInfo",
    "make_thumbnail",
    "probe",
    "render_video",
    "verify_render",
]
