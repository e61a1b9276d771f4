"""Application settings: one class, read once, env prefix ``YTE_``.

Embedded mode (the default on a fresh machine) needs no configuration at all:
SQLite in the data dir, an in-process Redis stand-in, the AI gateway in-process,
and a secret key generated on first run and kept in the data dir.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from ai.settings import AISettings

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "changethis", "replace-me"})
MIN_SECRET_LENGTH = 32
EMBEDDED = "embedded"


class ConfigurationError(RuntimeError):
    """The settings cannot run the appliance; the message says what to change."""


class Settings(AISettings):
    model_config = SettingsConfigDict(
        env_prefix="YTE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str = EMBEDDED
    secret_key: str | None = None

    # auth
    access_token_minutes: int = Field(default=30, ge=1)
    refresh_token_days: int = Field(default=14, ge=1)
    open_registration: bool = False
    default_channel_limit: int = Field(default=5, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Failures from one address before it is refused (several people may share one address;
    # accounts are throttled on their own, with a lockout that doubles on each further failure).
    login_max_failures_per_address: int = Field(default=100, ge=1)
    login_max_lockout_seconds: int = Field(default=3600, ge=1)
    # Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated
    # IPs or CIDRs, "*" for any). Default: none, so a client cannot pick its throttle bucket.
    trusted_proxies: str = ""

    # request limits (backend/limits.py): refused before the body is parsed
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=32, ge=2)

    # queue
    budget_watch_interval_seconds: int = Field(default=300, ge=10)
    embedded_worker: bool = True
    # `ytempire worker` serves /metrics (its own and its work horses') on this port; 0: none.
    worker_metrics_port: int = Field(default=9100, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"  # the address it binds (0.0.0.0 in Compose)

    # pipeline
    render_watts: float = Field(default=120.0, ge=0, description="CPU power while rendering")
    # Pace of the narration voice at speed 1.0 (espeak-ng speaks ~170 words per minute); the
    # script length is planned for it so the video lands near the channel's target length.
    narration_wpm: float = Field(default=170.0, ge=60, le=300)
    stage_lease_seconds: float = Field(default=15.0, ge=3)
    reconcile_interval_seconds: int = Field(default=15, ge=5)
    # Per-stage time limits (backend/pipeline/limits.py). None: a default scaled by the
    # channel's target length and the hardware profile (CPU slower than GPU).
    topic_timeout_seconds: float | None = Field(default=None, gt=0)
    script_timeout_seconds: float | None = Field(default=None, gt=0)
    quality_timeout_seconds: float | None = Field(default=None, gt=0)
    voice_timeout_seconds: float | None = Field(default=None, gt=0)
    images_timeout_seconds: float | None = Field(default=None, gt=0)
    render_timeout_seconds: float | None = Field(default=None, gt=0)
    thumbnail_timeout_seconds: float | None = Field(default=None, gt=0)
    upload_timeout_seconds: float | None = Field(default=None, gt=0)
    # Tries of one stage (runner retries, timeouts and killed workers together) before the
    # video fails; a new round starts when the stage succeeds or the owner retries.
    stage_max_attempts: int = Field(default=3, ge=1, le=20)
    # Diagnostics and tests: "stage=seconds,..." makes those stages wait that long first.
    stage_delay_seconds: str = ""

    # discovery (backend/niches/discovery): sources, quotas, score weights
    youtube_api_key: str | None = None  # YouTube Data API v3 key; None: the source is skipped
    youtube_daily_quota: int = Field(default=10_000, ge=1)  # units per Pacific-time day
    youtube_quota_reserve: int = Field(default=500, ge=0)  # units never spent by discovery
    google_trends_url: str = "https://trends.google.com"  # "": the source is skipped
    google_trends_geo: str = ""  # "" worldwide, or e.g. "US"
    google_trends_property: str = "youtube"  # "youtube" (YouTube search) or "" (web search)
    reddit_client_id: str | None = None  # app-only OAuth; None: the source is skipped
    reddit_client_secret: str | None = None
    reddit_user_agent: str = "ytempire-discovery/0.1 (self-hosted)"
    discovery_rss_feeds: str = ""  # "category=url,category=url"; "": the source is skipped
    discovery_bundled_series: bool = False  # also use the synthetic offline sample series
    discovery_rate_youtube_per_minute: int = Field(default=60, ge=1)
    discovery_rate_trends_per_minute: int = Field(default=6, ge=1)
    discovery_rate_reddit_per_minute: int = Field(default=60, ge=1)
    discovery_rate_rss_per_minute: int = Field(default=30, ge=1)
    discovery_max_retries: int = Field(default=3, ge=0)
    discovery_backoff_seconds: float = Field(default=2.0, ge=0)
    discovery_max_backoff_seconds: float = Field(default=120.0, ge=0)
    discovery_timeout_seconds: float = Field(default=20.0, gt=0)
    discovery_cache_seconds: int = Field(default=6 * 3600, ge=0)
    discovery_weight_trend: float = Field(default=0.30, ge=0)
    discovery_weight_competition: float = Field(default=0.25, ge=0)
    discovery_weight_monetization: float = Field(default=0.25, ge=0)
    discovery_weight_volume: float = Field(default=0.20, ge=0)
    discovery_dedup_threshold: float = Field(default=0.80, gt=0, le=1)
    discovery_daily_niche_limit: int = Field(default=1000, ge=1)
    discovery_interval_seconds: int = Field(default=86_400, ge=60)

    # autopilot (backend/autopilot): each channel with autopilot on keeps a buffer of videos
    autopilot_interval_seconds: int = Field(default=300, ge=30)
    # Appliance-wide: the autopilot makes no video that would take today's spend (every
    # channel's ledger plus the forecast of videos in flight) over this many USD.
    autopilot_daily_spend_cap_usd: float = Field(default=25.0, ge=0)
    # The forecast of one video before any channel has finished one (autopilot/forecast.py).
    autopilot_default_video_cost_usd: float = Field(default=0.5, ge=0)
    # A slot sooner than this is not given a new video (it could not be produced in time).
    autopilot_min_lead_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # Publish slots are spread over these local hours of the channel's day [start, end).
    autopilot_day_start_hour: int = Field(default=8, ge=0, le=23)
    autopilot_day_end_hour: int = Field(default=22, ge=1, le=24)

    # topics (backend/agents/trend_prophet.py): where the topic step finds a topic
    # true (the demo sets it): the bundled synthetic interest series may supply topics.
    # Never in production: there the niche store, then the text model, or the video fails.
    offline_topics: bool = False
    # Cosine similarity (embeddings, generic words removed) of a topic to the channel's niche:
    # a topic the store or the series filed under the niche needs the floor, one proposed by
    # the text model the minimum; a topic this close to a past one is a repeat.
    topic_relevance_floor: float = Field(default=0.15, ge=-1, le=1)
    topic_min_relevance: float = Field(default=0.30, ge=-1, le=1)
    topic_dedup_threshold: float = Field(default=0.85, gt=0, le=1)
    # A stored trend older than this (days since it was fetched) is not fresh.
    topic_fresh_days: int = Field(default=30, ge=1)
    # Topics the text model is asked for when the store has none for the niche.
    topic_llm_proposals: int = Field(default=8, ge=1, le=30)

    # dashboard
    dashboard_cache_seconds: float = Field(default=5.0, ge=0)

    # --- AI gateway (ai/) -------------------------------------------------
    # Inherited from ai.settings.AISettings (same YTE_AI_* / YTE_MODELS_DIR / YTE_OPENAI_* /
    # YTE_ELEVENLABS_* / YTE_ELECTRICITY_USD_PER_KWH variables): the gateway owns them.
    # --- end AI gateway -----------------------------------------------------

    # publishing (backend/publishing) ---------------------------------------
    # Google's endpoints are settings so that a local server can stand in for them in tests.
    youtube_api_url: str = "https://youtube.googleapis.com/"
    youtube_analytics_api_url: str = "https://youtubeanalytics.googleapis.com/"
    google_oauth_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
    google_oauth_revoke_url: str = "https://oauth2.googleapis.com/revoke"
    # CA bundle for those endpoints; None: the system's (tests point it at the fake's cert).
    google_ca_certs: Path | None = None
    google_http_timeout_seconds: float = Field(default=60.0, gt=0)
    # Data API units per Google Cloud project per Pacific-time day (Google's default 10,000).
    youtube_upload_quota: int = Field(default=10_000, ge=1)
    youtube_upload_chunk_mb: int = Field(default=8, ge=1, le=1024)  # multiple of 256 KiB
    youtube_upload_max_retries: int = Field(default=8, ge=0, le=30)
    youtube_upload_backoff_seconds: float = Field(default=1.0, ge=0)
    youtube_upload_max_backoff_seconds: float = Field(default=64.0, ge=0)
    # Where Google sends the owner back after consent: <base>/oauth/youtube/callback.
    oauth_redirect_base_url: str = "http://127.0.0.1:8000"
    # --- end publishing -----------------------------------------------------

    # analytics sync (backend/analytics) ------------------------------------
    # The YouTube Analytics sync of every connected channel, and how far back a new one goes.
    analytics_sync_interval_seconds: int = Field(default=86_400, ge=300)
    analytics_backfill_days: int = Field(default=90, ge=1, le=3650)
    # Days fetched again on every run: YouTube Analytics keeps revising the last days.
    analytics_refetch_days: int = Field(default=3, ge=1, le=30)
    analytics_sync_concurrency: int = Field(default=4, ge=1, le=32)  # channels at once
    analytics_max_retries: int = Field(default=5, ge=0, le=30)  # per call, then the channel fails
    analytics_job_timeout_seconds: int = Field(default=1800, ge=60)  # one channel's sync job
    # Fresh uploads: videos.list(part=statistics) every interval for their first hours (1 unit
    # per 50 videos of a channel); the poll leaves the reserve of Data API units to uploads.
    analytics_stats_poll_interval_seconds: int = Field(default=3600, ge=60)
    analytics_stats_poll_hours: int = Field(default=48, ge=1, le=720)
    analytics_stats_quota_reserve: int = Field(default=500, ge=0)
    # --- end analytics ------------------------------------------------------

    # the money loop (backend/niches/monetization.py, backend/agents) ----------
    # Monetization score: the category table's RPM counts as this many views of evidence
    # against the RPM measured on the owner's channels, rpm = (k*prior + views*measured) /
    # (k + views); the measurement is the last rpm_window_days days with known revenue.
    rpm_prior_views: int = Field(default=10_000, ge=0)
    rpm_window_days: int = Field(default=90, ge=1, le=3650)
    # Topic choice: a past video's revenue is its first topic_revenue_days days; a candidate's
    # expected revenue is its 5 nearest past videos' revenue weighted exp(-(1 - cosine) /
    # bandwidth), shrunk toward the channel's mean (weighing topic_revenue_prior_weight).
    topic_revenue_days: int = Field(default=14, ge=1, le=365)
    topic_revenue_bandwidth: float = Field(default=0.15, gt=0, le=10)
    topic_revenue_prior_weight: float = Field(default=0.25, ge=0)
    # Publish time: the channel's best hours are learnt from its videos' first-48-hour views
    # once this many videos have them (before that: the category's table hour).
    publish_hours_min_videos: int = Field(default=10, ge=1)
    # --- end money loop -----------------------------------------------------

    # backups (backend/backup) ----------------------------------------------
    backup_dir: Path | None = None  # archives and their sidecar files; None: <data_dir>/backups
    backup_interval_seconds: int = Field(default=86_400, ge=600)  # the scheduled backup
    backup_keep: int = Field(default=7, ge=1, le=1000)  # archives kept by the scheduled backup
    # Encrypts scheduled archives (and `backup create` without --passphrase-file); None: plain.
    backup_passphrase: str | None = None
    # Bound of each database tool run (pg_dump, pg_restore) and of the scheduled job.
    backup_timeout_seconds: int = Field(default=3600, ge=60)
    # --- end backups --------------------------------------------------------

    # alerts (backend/alerts): the owner-facing watcher and its optional delivery ----------
    alert_watch_interval_seconds: int = Field(default=60, ge=10)
    alert_queue_backlog: int = Field(default=1000, ge=1)  # jobs waiting, all queues
    alert_quota_left_fraction: float = Field(default=0.10, ge=0, le=1)
    # Stage failure rate: failed / ended productions over the window, once enough ended.
    alert_failure_rate: float = Field(default=0.5, gt=0, le=1)
    alert_failure_window_minutes: int = Field(default=60, ge=5)
    alert_failure_min_videos: int = Field(default=4, ge=1)
    alert_stuck_grace_seconds: float = Field(default=120.0, ge=0)  # past the stage's limit
    alert_backup_max_age_hours: float = Field(default=26.0, gt=0)
    alert_webhook_url: str | None = None  # POSTed JSON, signed with alert_webhook_secret
    alert_webhook_secret: SecretStr | None = None
    alert_smtp_host: str | None = None
    alert_smtp_port: int = Field(default=587, ge=1, le=65535)
    alert_smtp_starttls: bool = True
    alert_smtp_user: str | None = None
    alert_smtp_password: SecretStr | None = None
    alert_smtp_from: str | None = None
    alert_smtp_to: str = ""  # comma-separated addresses
    alert_delivery_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    alert_delivery_attempts: int = Field(default=3, ge=1, le=10)

    # media retention and disk (backend/media/retention.py, disk.py) ---------------------
    media_prune_interval_seconds: int = Field(default=21_600, ge=60)
    disk_free_alert_fraction: float = Field(default=0.10, ge=0, le=1)
    # A render starts only when its estimate (duration x bitrate + working space) fits and
    # leaves render_disk_reserve_fraction of the disk free.
    render_estimate_mbps: float = Field(default=12.0, gt=0)
    render_workspace_mb: int = Field(default=512, ge=0)
    render_disk_reserve_fraction: float = Field(default=0.02, ge=0, le=1)

    @field_validator("stage_delay_seconds")
    @classmethod
    def _stage_delays(cls, value: str) -> str:
        stages = ("topic", "script", "quality", "voice", "images", "render", "thumbnail", "upload")
        for item in filter(None, (i.strip() for i in value.split(","))):
            name, _, seconds = item.partition("=")
            try:
                ok = name.strip() in stages and float(seconds) >= 0
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"YTE_STAGE_DELAY_SECONDS: {item!r} is not stage=seconds "
                    f"(stages: {', '.join(stages)})"
                )
        return value

    @model_validator(mode="after")
    def _autopilot_day(self) -> Settings:
        if self.autopilot_day_start_hour >= self.autopilot_day_end_hour:
            raise ValueError(
                "YTE_AUTOPILOT_DAY_START_HOUR must be before YTE_AUTOPILOT_DAY_END_HOUR"
            )
        return self

    @field_validator("data_dir", "models_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def embedded(self) -> bool:
        return self.redis_url == EMBEDDED

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def resolved_backup_dir(self) -> Path:
        return (self.backup_dir or self.data_dir / "backups").expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'ytempire.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The signing/encryption secret; embedded mode generates and keeps one."""
        key = (self.secret_key or "").strip()
        if key and key.lower() not in PLACEHOLDER_SECRETS:
            if len(key) < MIN_SECRET_LENGTH:
                raise ConfigurationError(
                    f"YTE_SECRET_KEY is too short ({len(key)} chars); use at least "
                    f"{MIN_SECRET_LENGTH}, e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`"
                )
            return key
        if not self.embedded:
            raise ConfigurationError(
                "YTE_SECRET_KEY is missing or a placeholder. Set it to a random value of at "
                f"least {MIN_SECRET_LENGTH} characters (see .env.example); only embedded mode "
                "generates one by itself."
            )
        return _embedded_secret(self.data_dir)


def _embedded_secret(data_dir: Path) -> str:
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


_current: Settings | None = None


@lru_cache
def _from_environment() -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The process's settings: those installed by :func:`use_settings`, else the environment."""
    return _current or _from_environment()


def use_settings(settings: Settings | None) -> None:
    """Install the settings of this process (the app does; in-process jobs then agree)."""
    global _current
    _current = settings
