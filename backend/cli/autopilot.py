"""``ytempire autopilot``: run one autopilot tick by hand and see what it made and why not.

The tick is the recurring job's own (``backend.autopilot.service.tick``). With a real
Redis it takes the same lock as the workers' tick and enqueues the new videos' first
stage; beside an embedded ``ytempire serve`` (whose queue lives in that process) the
videos are queued and that process's reconciler enqueues them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table

from backend.autopilot.service import ChannelTick, TickReport, tick
from backend.cli.common import console, run, settings
from backend.db.engine import create_engine, create_sessionmaker
from backend.pipeline.dispatch import PipelineDispatcher, ReconcilerDispatcher
from backend.redis_client import sync_redis
from backend.videos.service import Dispatcher

app = typer.Typer(help="The autopilot: keep each channel's buffer of videos.", no_args_is_help=True)


def _slot_times(result: ChannelTick) -> str:
    zone = ZoneInfo(result.timezone)
    return ", ".join(m.slot_at.astimezone(zone).strftime("%a %d %H:%M") for m in result.made)


def report_table(report: TickReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"autopilot tick at {_utc(report.at)}")
    for name in ("channel", "slots", "buffered", "made", "made for (local)", "stopped because"):
        table.add_column(name, overflow="fold")
    for result in report.channels:
        table.add_row(
            result.channel_name,
            str(result.wanted),
            str(result.buffered),
            str(len(result.made)),
            _slot_times(result) or "—",
            result.skip_reason or ("buffer full" if result.buffered >= result.wanted else "—"),
        )
    return table


def _utc(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


@app.command("tick")
def tick_command() -> None:
    """Run one autopilot tick now and print what it made and why it skipped."""

    async def _tick() -> TickReport:
        cfg = settings()
        connection = None if cfg.embedded else sync_redis(cfg)
        dispatcher: Dispatcher = (
            ReconcilerDispatcher() if connection is None else PipelineDispatcher(connection)
        )
        engine = create_engine(cfg, pooled=False)
        try:
            return await tick(create_sessionmaker(engine), connection, cfg, dispatcher)
        finally:
            await engine.dispose()
            if connection is not None:
                connection.close()

    report = run(_tick)
    if report.locked:
        console.print("another autopilot tick is running (its lock is held); nothing done")
        raise typer.Exit(1)
    if not report.channels:
        console.print("no channel has autopilot on (`ytempire channel` or the channel page)")
        return
    console.print(report_table(report))
    console.print(f"{report.made} video(s) queued")
