"""``ytempire analytics``: the YouTube Analytics sync, by hand."""

from __future__ import annotations

import uuid

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backend.analytics.sync import ChannelSync, SyncReport, channels_to_sync, sync_all
from backend.cli.common import console, err_console, run, settings
from backend.db.engine import create_engine, create_sessionmaker
from backend.errors import NotFound
from backend.models import Channel

app = typer.Typer(
    help="YouTube Analytics: views, watch time, subscribers and revenue.", no_args_is_help=True
)


def _channel_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a channel id (a UUID)") from exc


@app.command("sync")
def sync(
    channel: str | None = typer.Option(
        None, "--channel", help="One channel's id (default: every connected channel)."
    ),
    days: int | None = typer.Option(
        None,
        "--days",
        min=1,
        max=3650,
        help="Fetch the last N days (default: since the last sync, the last 3 days again; "
        "90 days for a channel never synced).",
    ),
) -> None:
    """Fetch YouTube Analytics now for the connected channels and store the daily rows."""
    chosen = _channel_id(channel) if channel else None

    async def _sync() -> SyncReport:
        cfg = settings()
        engine = create_engine(cfg, pooled=False)
        try:
            sessions = create_sessionmaker(engine)
            if chosen is not None:
                async with sessions() as session:
                    if await session.get(Channel, chosen) is None:
                        raise NotFound("channel", chosen)
            ids = [chosen] if chosen else await channels_to_sync(sessions)
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("syncing channels", total=len(ids))

                def done(result: ChannelSync) -> None:
                    progress.advance(task)

                return await sync_all(sessions, cfg, channel_ids=ids, days=days, on_channel=done)
        finally:
            await engine.dispose()

    report = run(_sync)
    if not report.channels:
        console.print("No channel is connected to YouTube (`ytempire youtube connect`).")
        return
    table = Table("channel", "outcome", "days", "rows written", "revenue", "note")
    for result in sorted(report.channels, key=lambda r: str(r.channel_id)):
        window = result.window
        table.add_row(
            str(result.channel_id),
            result.outcome,
            f"{window.start}..{window.end}" if window else "-",
            str(result.rows_written),
            "known" if result.revenue_known else "unknown",
            result.error or result.revenue_note or "",
        )
    console.print(table)
    summary = report.as_dict()
    console.print(
        f"{summary['synced']} of {summary['channels']} channels synced, "
        f"{summary['rows_written']} rows written in {summary['seconds']:.1f} s"
    )
    if summary["synced"] != summary["channels"]:
        err_console.print("[yellow]some channels were not synced; see the outcome column[/yellow]")
        raise typer.Exit(1)
