"""``ytempire demo``: one video end to end on this machine, with nothing to set up.

It migrates the database, creates an owner and a channel, queues a video without a
topic (trend_prophet picks one from the bundled offline trend series: the demo runs in the
offline mode, ``YTE_OFFLINE_TOPICS``), runs every
production stage on the in-process worker and the CPU models, and copies the MP4,
thumbnail and SRT to the output folder.

It says what it is waiting on (the stage, its try and time limit, and the stage's own
progress: words written, frames encoded), prints each failed try with its reason, and
ends with the reason when the video fails. Ctrl-C stops it within a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import assemble
from backend.auth import repository as auth_repository
from backend.auth.service import create_user
from backend.channels import repository as channel_repository
from backend.channels import service as channel_service
from backend.channels.schemas import ChannelCreate, StyleSettings
from backend.cli.common import console, err_console
from backend.cli.process import exit_now
from backend.db.session import unit_of_work
from backend.events.bus import user_channel
from backend.jobs.worker import reconcile_job
from backend.models import (
    Channel,
    ChannelStatus,
    StageRun,
    StageStatus,
    User,
    UserRole,
    Video,
    VideoFormat,
    VideoStage,
    VideoStatus,
)
from backend.pipeline.dispatch import PipelineDispatcher, timeout_for
from backend.pipeline.stages import PRODUCTION_STAGES
from backend.settings import Settings, get_settings
from backend.videos import service as video_service
from backend.videos.schemas import VideoCreate

DEMO_EMAIL = "demo@ytempire.local"
DEMO_CHANNEL = "YTEMPIRE Demo"
DONE = (VideoStatus.ready, VideoStatus.needs_review, VideoStatus.failed, VideoStatus.cancelled)


@dataclass
class DemoOptions:
    out: Path | None
    niche: str
    topic: str | None
    fmt: str
    minutes: float
    timeout_s: float


def demo(
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: DATA_DIR/out)."),
    niche: str = typer.Option("science", "--niche", help="The demo channel's niche."),
    topic: str | None = typer.Option(None, "--topic", help="Skip trend_prophet and use this."),
    fmt: str = typer.Option("long", "--format", help="long (1920x1080) or short (1080x1920)."),
    minutes: float = typer.Option(1.0, "--minutes", min=0.25, max=10, help="Target length."),
    timeout_s: float = typer.Option(1800, "--timeout", help="Give up after this many seconds."),
) -> None:
    """Produce one video end to end on this machine (embedded mode, CPU models)."""
    if fmt not in ("long", "short"):
        raise typer.BadParameter("--format is long or short")
    options = DemoOptions(out, niche, topic, fmt, minutes, timeout_s)
    # The demo is the offline mode: its topic may come from the bundled synthetic series.
    offline = get_settings().model_copy(update={"offline_topics": True})
    try:
        ok = asyncio.run(_demo(offline, options))
    except KeyboardInterrupt:
        err_console.print(
            "[yellow]interrupted[/yellow]: the demo video stays queued; "
            "`ytempire demo` again starts a new one"
        )
        exit_now(130)
    except TimeoutError as exc:
        err_console.print(f"[red]gave up[/red]: {exc}")
        exit_now(1)
    exit_now(0 if ok else 1)


async def _demo(settings: Settings, options: DemoOptions) -> bool:
    # Wired the way `serve` wires the app (backend.app.assemble). One video, start to
    # finish: no housekeeping or discovery runs beside it; the reconciler does, so a try
    # lost in the worker is tried again (up to the cap). A stage still running at the end
    # (Ctrl-C, a failure) is abandoned.
    async with assemble(
        settings,
        run_worker=True,
        recurring=[reconcile_job(settings)],
        migrate_first=True,
        worker_stop_s=0.5,
    ) as parts:
        started = time.perf_counter()
        sessions, connection = parts.sessions, parts.redis.sync
        video_id, owner_id, limits = await _queue(sessions, parts.dispatcher, settings, options)
        watch = _Watch(connection, owner_id, video_id, limits, settings.stage_max_attempts)
        try:
            final = await _follow(sessions, watch, options.timeout_s)
        finally:
            watch.close()
        return await _report(sessions, settings, video_id, final, options, started)


async def _queue(
    sessions: async_sessionmaker[AsyncSession],
    dispatcher: PipelineDispatcher,
    settings: Settings,
    options: DemoOptions,
) -> tuple[uuid.UUID, uuid.UUID, dict[VideoStage, float]]:
    """The demo owner, channel and video, queued (its first stage enqueued after commit)."""
    async with unit_of_work(sessions) as session:
        owner = await _owner(session, settings)
        channel = await _channel(session, owner, options)
        video = await video_service.create(
            session, channel, VideoCreate(topic=options.topic), dispatcher=dispatcher
        )
        video_id, channel_name, owner_id = video.id, channel.name, owner.id
        limits = {s: timeout_for(settings, channel, s) for s in PRODUCTION_STAGES}
    console.print(
        f"[bold]YTEMPIRE demo[/bold] — channel [cyan]{channel_name}[/cyan], video {video_id}"
    )
    return video_id, owner_id, limits


async def _owner(session: AsyncSession, settings: Settings) -> User:
    user = await auth_repository.get_user_by_email(session, DEMO_EMAIL)
    if user is not None:
        return user
    password = secrets.token_urlsafe(12)
    first = await auth_repository.count_users(session) == 0
    user = await create_user(
        session,
        settings,
        email=DEMO_EMAIL,
        password=password,
        full_name="Demo Owner",
        role=UserRole.admin if first else UserRole.member,
    )
    console.print(f"created owner [bold]{DEMO_EMAIL}[/bold] with password [bold]{password}[/bold]")
    return user


async def _channel(session: AsyncSession, owner: User, options: DemoOptions) -> Channel:
    for channel in await channel_repository.list_for_owner(session, owner.id):
        if channel.name == DEMO_CHANNEL:
            channel.niche = options.niche
            channel.format = VideoFormat(options.fmt)
            channel.style_settings = {**channel.style_settings, "target_minutes": options.minutes}
            if channel.status != ChannelStatus.active:
                channel_service.set_status(channel, ChannelStatus.active, reason=None)
            return channel
    data = ChannelCreate(
        name=DEMO_CHANNEL,
        niche=options.niche,
        format=options.fmt,
        style_settings=StyleSettings(target_minutes=options.minutes),
    )
    return await channel_service.create(session, owner, data)


class _Watch:
    """What the demo shows: the video's live stage events (from the owner's channel) and
    a line for each try of each stage (started, with its limit; failed, with why)."""

    def __init__(
        self,
        connection: redis.Redis,
        owner_id: uuid.UUID,
        video_id: uuid.UUID,
        limits: dict[VideoStage, float],
        max_tries: int,
    ) -> None:
        self.video_id = video_id
        self.limits = limits
        self.max_tries = max_tries
        self.detail = ""
        self.progress: float | None = None
        self._told: dict[VideoStage, tuple[int, StageStatus]] = {}
        self._errors: set[str] = set()
        self._pubsub = connection.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(user_channel(owner_id))

    def poll_events(self) -> None:
        while (message := self._pubsub.get_message(timeout=0)) is not None:
            if message.get("type") != "message":
                continue
            event: dict[str, Any] = json.loads(message["data"])
            if event.get("type") == "video.stage" and event.get("video_id") == str(self.video_id):
                self.detail = str(event.get("detail") or "")
                self.progress = float(event.get("progress") or 0.0)

    def tries_told(self, runs: dict[VideoStage, StageRun]) -> list[str]:
        lines = []
        for stage in PRODUCTION_STAGES:
            run = runs.get(stage)
            if run is None or self._told.get(stage) == (run.attempts, run.status):
                continue
            self._told[stage] = (run.attempts, run.status)
            if run.error and run.error not in self._errors:  # the last try's reason
                self._errors.add(run.error)
                lines.append(f"[yellow]{stage.value}: {run.error}[/yellow]")
            if run.status == StageStatus.running:
                self.detail = ""
                lines.append(
                    f"{stage.value}: try {run.tries}/{self.max_tries} "
                    f"(limit {self.limits[stage]:g} s)"
                )
        return lines

    def close(self) -> None:
        self._pubsub.close()


async def _follow(
    sessions: async_sessionmaker[AsyncSession], watch: _Watch, timeout_s: float
) -> Video:
    deadline = time.monotonic() + timeout_s
    columns = (
        TextColumn("[bold]{task.description:<10}"),
        BarColumn(bar_width=40),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("queued", total=1.0, detail="")
        while True:
            async with sessions() as session:
                video = await session.get(Video, watch.video_id)
                assert video is not None
                runs = {
                    r.stage: r
                    for r in await session.scalars(
                        select(StageRun).where(StageRun.video_id == watch.video_id)
                    )
                }
            for line in watch.tries_told(runs):
                progress.console.print(line)
            watch.poll_events()
            label = video.stage.value if video.stage else video.status.value
            shown = max(video.stage_progress, watch.progress or 0.0)
            progress.update(task, completed=shown, description=label, detail=watch.detail)
            if video.status in DONE:
                progress.update(task, description=video.status.value, detail="")
                return video
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the demo video did not finish in {timeout_s:.0f} s "
                    f"(it was at {label}; --timeout to wait longer)"
                )
            await asyncio.sleep(0.5)


async def _report(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    video_id: uuid.UUID,
    video: Video,
    options: DemoOptions,
    started: float,
) -> bool:
    async with sessions() as session:
        runs = {
            r.stage: r
            for r in await session.scalars(select(StageRun).where(StageRun.video_id == video_id))
        }
    table = Table(
        "stage",
        "status",
        "attempts",
        "time (s)",
        "device-s",
        "cost (USD)",
        title=f"{video.title or video.topic}",
    )
    total_s = total_dev = total_cost = 0.0
    for stage in PRODUCTION_STAGES:
        run = runs.get(stage)
        if run is None:
            table.add_row(stage.value, "—", "0", "", "", "")
            continue
        seconds, dev, cost = run.duration_s or 0.0, run.device_seconds, float(run.cost_usd)
        total_s, total_dev, total_cost = total_s + seconds, total_dev + dev, total_cost + cost
        table.add_row(
            stage.value,
            run.status.value,
            str(run.attempts),
            f"{seconds:.1f}",
            f"{dev:.1f}",
            f"{cost:.6f}",
        )
    table.add_row(
        "total", "", "", f"{total_s:.1f}", f"{total_dev:.1f}", f"{total_cost:.6f}", style="bold"
    )
    console.print(table)
    if video.status != VideoStatus.ready:
        err_console.print(
            f"[red]video ended {video.status.value}[/red]: "
            f"{video.error or '; '.join(video.quality_reasons)}"
        )
        return False
    out = options.out or settings.data_dir / "out"
    out.mkdir(parents=True, exist_ok=True)
    video_dir = settings.media_dir / str(video_id)
    wanted = {
        "video": runs[PRODUCTION_STAGES[5]].artifacts["video"],
        "subtitles": runs[PRODUCTION_STAGES[5]].artifacts["subtitles"],
        "thumbnail": runs[PRODUCTION_STAGES[6]].artifacts["thumbnail"],
    }
    files = Table("file", "path", "size")
    files.columns[1].overflow = "fold"
    for name, relative in wanted.items():
        source = video_dir / relative
        target = out / f"{video_id}-{Path(relative).name}"
        shutil.copy2(source, target)
        files.add_row(name, str(target), f"{target.stat().st_size / 1e6:.2f} MB")
    console.print(files)
    render_output = runs[PRODUCTION_STAGES[5]].output
    console.print(
        f"done in {time.perf_counter() - started:.0f}s — {render_output.get('duration_s', 0):.1f}s "
        f"of video at {render_output.get('width')}x{render_output.get('height')}"
    )
    return True
