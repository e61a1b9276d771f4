"""ORM models, one file per table. Importing this package registers every table."""

from backend.models.autopilot import AutopilotSlot, AutopilotTick
from backend.models.channel import Channel, ChannelStatus, Privacy, VideoFormat
from backend.models.cost_event import CostEvent
from backend.models.event import Event
from backend.models.metrics import ChannelDailyMetric
from backend.models.niche import Niche
from backend.models.quota_usage import QuotaUsage
from backend.models.refresh_token import RefreshToken
from backend.models.stage_run import StageRun, StageStatus
from backend.models.trend import Trend
from backend.models.upload_session import UploadSession, UploadStatus
from backend.models.user import User, UserRole
from backend.models.video import Video, VideoStage, VideoStatus
from backend.models.video_metrics import VideoDailyMetric, VideoStatSnapshot
from backend.models.watchlist import WatchlistEntry
from backend.models.youtube_authorization import YouTubeAuthorization
from backend.models.youtube_credential import ConnectionStatus, YouTubeCredential
from backend.models.youtube_oauth_client import YouTubeOAuthClient

__all__ = [
    "AutopilotSlot",
    "AutopilotTick",
    "Channel",
    "ChannelDailyMetric",
    "ChannelStatus",
    "ConnectionStatus",
    "CostEvent",
    "Event",
    "Niche",
    "Privacy",
    "QuotaUsage",
    "RefreshToken",
    "StageRun",
    "StageStatus",
    "Trend",
    "UploadSession",
    "UploadStatus",
    "User",
    "UserRole",
    "Video",
    "VideoDailyMetric",
    "VideoFormat",
    "VideoStage",
    "VideoStatSnapshot",
    "VideoStatus",
    "WatchlistEntry",
    "YouTubeAuthorization",
    "YouTubeCredential",
    "YouTubeOAuthClient",
]
