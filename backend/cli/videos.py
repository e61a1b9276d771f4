"""``ytempire video``: list, show, retry, cancel, discard, approve and publish videos.

The commands act on any owner's video (this is the admin CLI) through the same services,
and so the same rules, as the API: an action the status machine refuses prints why and
exits 1. A video is named by its id or the first 8+ characters of it (``video list``).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import typer
from rich import box
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cli.common import console, err_console, run, session_scope, settings
from backend.db.engine import create_engine, create_sessionmaker
from backend.errors import BadRequest, NotFound
from backend.models import Channel, UploadSession, User, Video, VideoStatus
from backend.models.video import STAGE_ORDER
from backend.pipeline.dispatch import PipelineDispatcher, ReconcilerDispatcher
from backend.pipeline.repository import first_unfinished
from backend.redis_client import sync_redis
from backend.users import service as user_service
from backend.videos import repository, service
from backend.videos.schemas import VideoDetail
from backend.web.formats import fmt_money

app = typer.Typer(help="Inspect videos and act on them.", no_args_is_help=True)

VIDEO_HELP = "The video: its id or the first 8+ characters of it (as `video list` shows)."
HEX = re.compile(r"^[0-9a-f]{8,32}$")


def short_id(video_id: uuid.UUID) -> str:
    return video_id.hex[:8]


async def find_video(session: AsyncSession, ref: str) -> Video:
    ref = ref.strip().lower()
    try:
        return await service.get_any(session, uuid.UUID(ref))
    except ValueError:
        pass
    prefix = ref.replace("-", "")
    if not HEX.match(prefix):
        raise BadRequest(f"{ref!r} is not a video id (give the id, or its first 8+ characters)")
    matches = await repository.with_id_prefix(session, prefix)
    if not matches:
        raise NotFound("video", ref)
    if len(matches) > 1:
        ids = ", ".join(v.id.hex[:12] for v in matches)
        raise BadRequest(f"several videos start with {ref!r} ({ids}); give more of the id")
    return matches[0]


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# id, status, stage, done, quality: fixed widths; title and channel share the rest.
FIXED = (("id", 8), ("status", 12), ("stage", 9), ("done", 4), ("quality", 7))
GAP = "  "


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _video_lines(rows: list[tuple[Video, Channel]], width: int) -> list[str]:
    """One line per video, never wider than the terminal (long titles end in …)."""
    rest = width - sum(w for _, w in FIXED) - len(GAP) * len(FIXED) - 1
    channel_w = min(20, rest // 3) if rest >= 24 else 0
    title_w = max(8, rest - (channel_w + len(GAP) if channel_w else 0))
    header = [name.ljust(w) if name != "done" else name.rjust(w) for name, w in FIXED]
    lines = [GAP.join([*header, "title".ljust(title_w), *(["channel"] if channel_w else [])])]
    for video, channel in rows:
        cells = [
            short_id(video.id),
            video.status.value.ljust(12),
            (video.stage.value if video.stage else "—").ljust(9),
            _pct(video.stage_progress).rjust(4),
            _score(video.quality_score).rjust(7),
            _fit(video.title or video.topic or "(topic to be picked)", title_w).ljust(title_w),
        ]
        if channel_w:
            cells.append(_fit(channel.name, channel_w))
        lines.append(GAP.join(cells).rstrip())
    return [line.rstrip() for line in lines]


@app.command("list")
def list_videos(
    channel: str | None = typer.Option(None, "--channel", help="Only this channel (its id)."),
    status: VideoStatus | None = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="At most this many."),
) -> None:
    """The newest videos of every channel: id, status, stage, progress, quality, title."""

    async def _list() -> None:
        channel_id = None
        if channel:
            try:
                channel_id = uuid.UUID(channel)
            except ValueError as exc:
                raise BadRequest(f"{channel!r} is not a channel id (see `channel list`)") from exc
        async with session_scope() as session:
            rows = await repository.recent(
                session, channel_id=channel_id, status=status, limit=limit
            )
        if not rows:
            console.print("no videos" + (" match" if channel or status else " yet"))
            return
        for line in _video_lines(rows, console.width):
            console.print(line, markup=False, highlight=False, soft_wrap=True)

    run(_list)


def _describe(video: Video, channel: Channel | None, detail: VideoDetail) -> None:
    facts = Table(show_header=False, box=None, pad_edge=False)
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row("id", str(video.id))
    facts.add_row("title", video.title or "—")
    facts.add_row("topic", video.topic or "—")
    facts.add_row("channel", f"{channel.name} ({channel.id})" if channel else "—")
    facts.add_row("status", video.status.value)
    stage = video.stage.value if video.stage else "—"
    facts.add_row("stage", f"{stage} · {_pct(video.stage_progress)} done")
    facts.add_row("quality", _score(video.quality_score))
    for reason in video.quality_reasons or []:
        facts.add_row("", f"- {reason}")
    if video.approved_at is not None:
        facts.add_row(
            "approved",
            f"{video.approved_at:%Y-%m-%d %H:%M} UTC at {_score(video.approved_score)}"
            f" by {video.approved_by}",
        )
    if video.error:
        facts.add_row("error", video.error)
    cost = detail.cost
    if cost is not None:
        facts.add_row("cost", f"{fmt_money(cost.total_usd)} · {cost.device_seconds:.1f} device-s")
    facts.add_row("created", f"{video.created_at:%Y-%m-%d %H:%M} UTC")
    facts.add_row("actions", ", ".join(detail.actions).replace("_", " ") or "nothing now")
    console.print(facts)
    if detail.stages:
        stages = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for name in ("stage", "status", "tries", "time", "cost"):
            stages.add_column(
                name, no_wrap=True, justify="right" if name in ("tries", "time", "cost") else "left"
            )
        stages.add_column("error", overflow="fold")
        order = {s: i for i, s in enumerate(STAGE_ORDER)}
        for run_ in sorted(detail.stages, key=lambda r: order[r.stage]):
            stages.add_row(
                run_.stage.value,
                run_.status.value,
                str(run_.attempts),
                f"{run_.duration_s:.1f}s" if run_.duration_s is not None else "—",
                fmt_money(run_.cost_usd),
                (run_.error or "")[:300],
            )
        console.print(stages)


@app.command("show")
def show(video: str = typer.Argument(..., help=VIDEO_HELP)) -> None:
    """Status, stage, quality and its reasons, error, the stages and the cost."""

    async def _show() -> None:
        async with session_scope() as session:
            found = await find_video(session, video)
            channel = await session.get(Channel, found.channel_id)
            detail = await service.detail(session, found)
            _describe(found, channel, detail)

    run(_show)


Action = Callable[[AsyncSession, Video, service.Dispatcher], Awaitable[str]]


def _act(ref: str, action: Action) -> uuid.UUID:
    """Run one action in a transaction; the next stage is enqueued once it commits."""

    async def _run() -> uuid.UUID:
        cfg = settings()
        # The embedded Redis lives inside `ytempire serve`: its reconciler enqueues instead.
        connection = None if cfg.embedded else sync_redis(cfg)
        dispatcher: service.Dispatcher = (
            ReconcilerDispatcher() if connection is None else PipelineDispatcher(connection)
        )
        try:
            async with session_scope() as session:
                found = await find_video(session, ref)
                message = await action(session, found, dispatcher)
        finally:
            if connection is not None:
                connection.close()
        console.print(message)
        if connection is None and "queued" in message:
            console.print("the running `ytempire serve` picks it up within 15 s")
        return found.id

    return run(_run)


async def _next_stage(session: AsyncSession, video: Video) -> str:
    nxt = await first_unfinished(session, video.id)
    return nxt[0].value if nxt else "the end"


@app.command("retry")
def retry(video: str = typer.Argument(..., help=VIDEO_HELP)) -> None:
    """Queue a failed, cancelled or discarded video again (a discarded one is made again
    from the script stage, keeping the topic); a held one gets a new script."""

    async def _retry(session: AsyncSession, found: Video, dispatcher: service.Dispatcher) -> str:
        await service.retry(session, found, dispatcher=dispatcher)
        return (
            f"video {short_id(found.id)} queued; it resumes at {await _next_stage(session, found)}"
        )

    _act(video, _retry)


@app.command("cancel")
def cancel(video: str = typer.Argument(..., help=VIDEO_HELP)) -> None:
    """Cancel work in flight (queued, running, needs review); a running stage finishes."""

    async def _cancel(session: AsyncSession, found: Video, dispatcher: service.Dispatcher) -> str:
        await service.cancel(session, found)
        return f"video {short_id(found.id)} cancelled"

    _act(video, _cancel)


@app.command("discard")
def discard(video: str = typer.Argument(..., help=VIDEO_HELP)) -> None:
    """Throw a ready video away (`video retry` makes it again)."""

    async def _discard(session: AsyncSession, found: Video, dispatcher: service.Dispatcher) -> str:
        await service.discard(session, found)
        return f"video {short_id(found.id)} discarded"

    _act(video, _discard)


@app.command("approve")
def approve(
    video: str = typer.Argument(..., help=VIDEO_HELP),
    by: str | None = typer.Option(
        None, "--by", help="Record this user's email as the approver (default: the owner)."
    ),
) -> None:
    """Approve a script held for review: production continues at the voice."""

    async def _approve(session: AsyncSession, found: Video, dispatcher: service.Dispatcher) -> str:
        channel = await session.get(Channel, found.channel_id)
        approver_id = channel.owner_id if channel else None
        if by:
            approver: User = await user_service.get_by_email(session, by)
            approver_id = approver.id
        if approver_id is None:
            raise NotFound("channel", found.channel_id)
        await service.approve(session, found, approver_id, dispatcher=dispatcher)
        return (
            f"video {short_id(found.id)} approved at a score of {_score(found.approved_score)};"
            " queued for the voice"
        )

    _act(video, _approve)


def _publish_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO time; give one with its zone, e.g. 2026-12-24T18:00:00+01:00",
            param_hint="--at",
        ) from exc


@app.command("publish")
def publish(
    video: str = typer.Argument(..., help=VIDEO_HELP),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Publish at this time (ISO, with its zone: 2026-12-24T18:00:00+01:00), 2 minutes "
        "to a year ahead; YouTube keeps it private until then. Default: now.",
    ),
    wait: bool = typer.Option(
        False, "--wait", help="Follow the upload until it is published, scheduled or failed."
    ),
    timeout: float = typer.Option(
        3600.0, "--timeout", min=1, max=7 * 86400, help="With --wait: give up after S seconds."
    ),
) -> None:
    """Send a ready video to YouTube, now or at --at. Refused with every reason it is held
    (not connected, made-for-kids unset, paused, over budget, render or quality check).

    With --wait it exits 0 once the video is published or scheduled, and 1 when the upload
    failed, was held or cancelled, or is still going after --timeout (it goes on anyway).
    """
    when = _publish_time(at)

    async def _publish(session: AsyncSession, found: Video, dispatcher: service.Dispatcher) -> str:
        await service.publish(session, found, at=when, dispatcher=dispatcher)
        channel = await session.get(Channel, found.channel_id)
        privacy = channel.privacy.value if channel else "private"
        then = (
            f"scheduled for {when.isoformat()} (private until then)"
            if when
            else f"{privacy} once it is uploaded"
        )
        return f"video {short_id(found.id)} publishing: its upload is queued; {then}"

    video_id = _act(video, _publish)
    if wait:
        run(lambda: follow_upload(video_id, timeout_s=timeout))


FINAL = frozenset({VideoStatus.published, VideoStatus.scheduled})


async def follow_upload(video_id: uuid.UUID, *, timeout_s: float, poll_s: float = 1.0) -> None:
    """A progress bar over the bytes YouTube confirmed, read from the database (the worker
    records them after every chunk) until the video leaves ``publishing`` or time is up."""
    deadline = time.monotonic() + timeout_s
    engine = create_engine(settings(), pooled=False)
    sessions = create_sessionmaker(engine)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("waiting for the upload", total=None)
            while True:
                async with sessions() as session:
                    found = await service.get_any(session, video_id)
                    upload = await repository.upload_session(session, video_id)
                    _show_progress(progress, task, upload)
                if found.status != VideoStatus.publishing or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
    finally:
        await engine.dispose()
    _outcome(found, timeout_s)


def _show_progress(progress: Progress, task: TaskID, upload: UploadSession | None) -> None:
    if upload is None:
        return
    steps = {"pending": "starting the upload", "uploaded": "thumbnail and captions"}
    progress.update(
        task,
        description=steps.get(upload.status.value, "uploading"),
        total=max(upload.file_size, 1),
        completed=upload.confirmed_bytes,
    )


def _outcome(video: Video, timeout_s: float) -> None:
    ref = short_id(video.id)
    if video.status == VideoStatus.published:
        console.print(f"video {ref} published: {video_url(video)}")
    elif video.status == VideoStatus.scheduled:
        when = video.publish_at.isoformat() if video.publish_at else "its slot"
        console.print(f"video {ref} scheduled for {when}: {video_url(video)}")
    if video.publish_warning:
        console.print(f"[yellow]warning:[/yellow] {escape(video.publish_warning)}")
    if video.status in FINAL:
        return
    if video.status == VideoStatus.publishing:
        err_console.print(
            f"video {ref} is still publishing after {timeout_s:g} s; the upload goes on in the "
            f"worker (`ytempire video show {ref}`)"
        )
    elif video.status == VideoStatus.failed:
        err_console.print(f"[red]video {ref} failed to publish:[/red] {escape(video.error or '?')}")
    else:
        reasons = "; ".join(video.publish_holds or []) or "it was cancelled"
        err_console.print(f"video {ref} is {video.status.value}, not published: {escape(reasons)}")
    raise typer.Exit(1)


def video_url(video: Video) -> str:
    return f"https://www.youtube.com/watch?v={video.youtube_video_id}"
