"""``ytempire doctor``: is this box fit to run the appliance, and if not, what to do.

Every check names what it looked at, whether it passed and, when not, the fix. Required
checks (the database, Redis, a writable media dir with room, ffmpeg with an H.264 encoder,
the active profile's models) make the command exit non-zero; the others (NVENC, the OAuth
client, the last backup, optional cloud keys) warn. Each check is bounded in time, so a
hung service is reported, not waited on.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from sqlalchemy import func, select

from ai.doctor import DoctorCheck, doctor_checks
from ai.settings import AISettings
from backend.db.engine import create_engine, create_sessionmaker
from backend.models import YouTubeOAuthClient
from backend.settings import Settings
from backend.system.service import database_checks

CHECK_TIMEOUT_S = 5.0
MIN_FREE_BYTES = 2 * 1024**3  # room for a few 1080p renders and their intermediates
STALE_BACKUP_S = 26 * 3600
GB = 1024**3


@dataclass(frozen=True)
class Check:
    group: str
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "fail" if self.required else "warn"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "status": self.status}


# What to do when one of the AI gateway's own checks fails (ai/doctor.py names them).
_AI_FIXES = {
    "ram": "the appliance needs at least 4 GB of RAM",
    "ffmpeg": "reinstall the environment (./scripts/bootstrap.sh): ffmpeg ships in imageio-ffmpeg",
    "espeak-ng": "reinstall the environment (./scripts/bootstrap.sh): espeakng-loader ships it",
    "profile": "set YTE_AI_PROFILE to a profile in hardware/ (or unset it to auto-detect)",
    "licences": "select models that allow commercial use in the profile (hardware/), or opt in "
    "with YTE_AI_ALLOW_NONCOMMERCIAL_MODELS=true (not for a monetized channel)",
}
_AI_OPTIONAL = {"openai key", "elevenlabs key", "cuda", "gpu", "torch", "cpu"}


def hardware_checks(ai_settings: AISettings) -> list[Check]:
    """The gateway's view of the machine: hardware, CUDA, ffmpeg, espeak, profile, models."""
    checks = []
    for check in doctor_checks(ai_settings):
        checks.append(_from_ai(check))
    return checks


def _from_ai(check: DoctorCheck) -> Check:
    if check.name.startswith("model "):
        model = check.name.removeprefix("model ")
        return Check(
            "models",
            model,
            check.ok,
            check.detail,
            fix=None
            if check.ok
            else f"on a connected machine: ytempire models pull {model}; then "
            f"ytempire models verify (weights go under YTE_MODELS_DIR)",
        )
    group = "ai" if check.name.endswith(" key") else "hardware"
    return Check(
        group,
        check.name,
        check.ok,
        check.detail,
        fix=None if check.ok else _AI_FIXES.get(check.name),
        required=check.name not in _AI_OPTIONAL,
    )


def encoder_checks(cuda: bool) -> list[Check]:
    """An H.264 encoder is required; NVENC is looked for where there is a GPU."""
    from backend.render.ffmpeg import ffmpeg_exe, nvenc_available

    try:
        listing = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-encoders"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return [
            Check(
                "render",
                "h264 encoder",
                False,
                f"ffmpeg did not run: {exc}",
                fix="reinstall the environment (./scripts/bootstrap.sh)",
            )
        ]
    found = [name for name in ("libx264", "h264_nvenc") if f" {name} " in listing]
    checks = [
        Check(
            "render",
            "h264 encoder",
            "libx264" in found,
            ", ".join(found) or "no H.264 encoder in this ffmpeg",
            fix=None if "libx264" in found else "use the ffmpeg shipped by imageio-ffmpeg",
        )
    ]
    if cuda:
        works = nvenc_available()
        checks.append(
            Check(
                "render",
                "nvenc",
                works,
                "h264_nvenc encodes on this GPU"
                if works
                else "h264_nvenc does not encode here; renders use libx264 on the CPU",
                fix=None
                if works
                else "give the worker the GPU with the video capability (Compose: runtime "
                "nvidia, NVIDIA_DRIVER_CAPABILITIES=compute,utility,video) and a driver with "
                "NVENC",
                required=False,
            )
        )
    return checks


async def service_checks(settings: Settings) -> list[Check]:
    """The database (reachable, migrations at head) and Redis."""
    checks: list[Check] = []
    engine = create_engine(settings, pooled=False)
    where = "SQLite" if settings.is_sqlite else "Postgres"
    try:
        found = await database_checks(engine)
        db_ok = found.get("database") == "ok"
        checks.append(
            Check(
                "services",
                "database",
                db_ok,
                f"{where} reachable" if db_ok else f"{where}: {found.get('database')}",
                fix=None
                if db_ok
                else "start the database (docker compose up -d postgres) and check "
                "YTE_DATABASE_URL",
            )
        )
        if db_ok:
            at_head = found.get("migrations") == "ok"
            checks.append(
                Check(
                    "services",
                    "migrations",
                    at_head,
                    "at head" if at_head else str(found.get("migrations")),
                    fix=None if at_head else "ytempire migrate",
                )
            )
            checks.append(await _oauth_client(engine))
    finally:
        await engine.dispose()
    checks.append(await _redis(settings))
    return checks


async def _oauth_client(engine: object) -> Check:
    sessions = create_sessionmaker(engine)  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), sessions() as session:
            count = await session.scalar(select(func.count()).select_from(YouTubeOAuthClient))
    except Exception as exc:
        return Check(
            "publishing",
            "oauth client",
            False,
            f"could not read it: {type(exc).__name__}",
            fix="ytempire migrate",
            required=False,
        )
    ok = bool(count)
    return Check(
        "publishing",
        "oauth client",
        ok,
        "configured" if ok else "no Google OAuth client: channels cannot connect to YouTube",
        fix=None
        if ok
        else "Settings > YouTube in the dashboard, or ytempire youtube client set --file "
        "client_secret.json",
        required=False,
    )


async def _redis(settings: Settings) -> Check:
    if settings.embedded:
        return Check("services", "redis", True, "embedded stand-in (in-process queue)")
    client = aioredis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S
    )
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await client.ping()
        return Check("services", "redis", True, f"reachable at {_redacted(settings.redis_url)}")
    except Exception as exc:
        return Check(
            "services",
            "redis",
            False,
            f"{_redacted(settings.redis_url)}: {type(exc).__name__}: {exc}",
            fix="start Redis (docker compose up -d redis, or systemctl start redis-server) "
            "and check YTE_REDIS_URL",
        )
    finally:
        await client.aclose()


def _redacted(url: str) -> str:
    """A URL without its password."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


def media_checks(settings: Settings) -> list[Check]:
    """The media dir exists or can be made, is writable, and has room."""
    media = settings.media_dir
    try:
        media.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=media, prefix=".doctor-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return [
            Check(
                "media",
                "media dir",
                False,
                f"{media}: {exc.strerror or exc}",
                fix=f"make {media} writable by this user, or point YTE_DATA_DIR elsewhere",
            )
        ]
    usage = shutil.disk_usage(media)
    free_pct = 100.0 * usage.free / usage.total if usage.total else 0.0
    threshold = float(getattr(settings, "disk_min_free_percent", 10.0))
    room = usage.free >= MIN_FREE_BYTES and free_pct >= threshold
    return [
        Check("media", "media dir", True, f"{media} writable"),
        Check(
            "media",
            "free space",
            room,
            f"{usage.free / GB:.1f} GB free ({free_pct:.0f} %) of {usage.total / GB:.0f} GB",
            fix=None
            if room
            else f"free disk space (keep >= {threshold:g} % and 2 GB): ytempire media prune, or "
            "move YTE_DATA_DIR to a bigger disk",
        ),
    ]


def backup_check(settings: Settings, now: datetime | None = None) -> Check:
    """The newest backup in the backup dir, from the archives and their sidecar records."""
    from backend.backup.service import list_backups

    now = now or datetime.now(UTC)
    try:
        backups = list_backups(settings.resolved_backup_dir)
    except OSError as exc:
        return Check(
            "backups",
            "last backup",
            False,
            f"could not read {settings.resolved_backup_dir}: {exc}",
            fix="check YTE_BACKUP_DIR",
            required=False,
        )
    if not backups:
        return Check(
            "backups",
            "last backup",
            False,
            f"no backup in {settings.resolved_backup_dir}",
            fix="ytempire backup create (a worker also makes one daily)",
            required=False,
        )
    last = backups[0]
    age = (now - last.created_at).total_seconds()
    fresh = age <= STALE_BACKUP_S
    verified = bool(last.verified)
    detail = (
        f"{last.path.name}, {age / 3600:.1f} h old, {last.size / 1024**2:.1f} MB, "
        f"{'verified' if verified else 'not verified'}"
    )
    fix = None
    if not fresh:
        fix = "ytempire backup create; check that a worker is running (it makes one daily)"
    elif not verified:
        fix = f"ytempire backup verify {last.path}"
    return Check("backups", "last backup", fresh and verified, detail, fix=fix, required=False)


async def _bounded(
    name: str, group: str, check: Callable[[], Awaitable[list[Check]]]
) -> list[Check]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S * 3):
            return await check()
    except TimeoutError:
        return [Check(group, name, False, "did not answer in time", fix="see its logs")]


async def run_checks(settings: Settings, ai_settings: AISettings) -> list[Check]:
    """Every check, in the order the table shows them."""
    hardware = await asyncio.to_thread(hardware_checks, ai_settings)
    cuda = any(c.name == "cuda" and c.detail == "available" for c in hardware)
    checks = [c for c in hardware if c.group == "hardware"]
    checks += await asyncio.to_thread(encoder_checks, cuda)
    checks += await _bounded("services", "services", lambda: service_checks(settings))
    checks += await asyncio.to_thread(media_checks, settings)
    checks += [c for c in hardware if c.group == "models"]
    checks.append(await asyncio.to_thread(backup_check, settings))
    checks += [c for c in hardware if c.group == "ai"]
    return checks


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.required and not c.ok]
