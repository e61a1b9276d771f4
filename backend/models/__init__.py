"""ORM models, one file per table. Importing this package registers every table."""

from backend.models.channel import Channel, ChannelStatus, VideoFormat
from backend.models.cost_event import CostEvent
from backend.models.event import Event
from backend.models.metrics import ChannelDailyMetric
from backend.models.niche import Niche
from backend.models.refresh_token import RefreshToken
from backend.models.stage_run import StageRun, StageStatus
from backend.models.trend import Trend
from backend.models.user import User, UserRole
from backend.models.video import Video, VideoStage, VideoStatus
from backend.models.watchlist import WatchlistEntry

__all__ = [
    "Channel",
    "ChannelDailyMetric",
    "ChannelStatus",
    "CostEvent",
    "Event",
    "Niche",
    "RefreshToken",
    "StageRun",
    "StageStatus",
    "Trend",
    "User",
    "UserRole",
    "Video",
    "VideoFormat",
    "VideoStage",
    "VideoStatus",
    "WatchlistEntry",
]
