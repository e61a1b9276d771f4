"""``ytempire media``: prune the media of published videos past their channel's retention."""

from __future__ import annotations

import redis
import typer
from rich.table import Table

from backend.cli.common import console, run, session_scope, settings
from backend.media.disk import usage
from backend.media.retention import prune
from backend.redis_client import sync_redis

app = typer.Typer(help="Media on disk: retention and free space.", no_args_is_help=True)

MB = 1024 * 1024


@app.command("prune")
def prune_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be deleted."),
) -> None:
    """Delete intermediates of videos published longer ago than their channel's retention
    (stills, voice, word timings, temporaries); the MP4 too where the channel says so."""
    config = settings()

    async def _prune() -> None:
        connection: redis.Redis | None = None if dry_run else sync_redis(config)
        try:
            async with session_scope() as session:
                report = await prune(
                    session, config.media_dir, dry_run=dry_run, connection=connection
                )
        finally:
            if connection is not None:
                connection.close()
        table = Table("video", "files", "MB")
        for video in report.videos:
            table.add_row(str(video.video_id), str(video.files), f"{video.bytes / MB:,.1f}")
        if report.videos:
            console.print(table)
        for video_id, reason in report.skipped.items():
            console.print(f"skipped {video_id}: {reason}")
        verb = "would free" if dry_run else "freed"
        console.print(
            f"{len(report.videos)} video(s), {report.files} file(s): {verb} "
            f"{report.bytes / MB:,.1f} MB"
        )
        disk = usage(config.media_dir)
        console.print(
            f"media disk: {disk.free_bytes / MB / 1024:,.1f} GB free "
            f"({disk.free_fraction:.0%} of {disk.total_bytes / MB / 1024:,.1f} GB)"
        )

    run(_prune)
