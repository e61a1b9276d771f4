"""``ytempire``: the admin CLI."""

from __future__ import annotations

import contextlib
import os
import sys

import typer
import uvicorn
from rich.progress import Progress, SpinnerColumn, TextColumn

from ai.cli import ai_app, models_app
from backend.backup import cli as backup_cli
from backend.cli import (
    alerts,
    analytics,
    autopilot,
    channels,
    demo,
    doctor,
    media,
    users,
    videos,
    youtube,
)
from backend.cli.common import console, err_console, run, settings
from backend.cli.process import exit_now
from backend.db import migrate as migrations
from backend.db.engine import create_engine
from backend.observability.logging import configure_logging
from backend.redis_client import sync_redis
from backend.settings import ConfigurationError, Settings

app = typer.Typer(
    help="YTEMPIRE: self-hosted YouTube production appliance.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(users.app, name="user")
app.add_typer(channels.app, name="channel")
app.add_typer(videos.app, name="video")
app.command("demo")(demo.demo)
app.add_typer(ai_app, name="ai")
app.add_typer(models_app, name="models")
app.command("doctor")(doctor.doctor)
app.add_typer(youtube.app, name="youtube")
app.add_typer(autopilot.app, name="autopilot")
app.add_typer(analytics.app, name="analytics")
app.add_typer(backup_cli.app, name="backup")
app.add_typer(alerts.app, name="alerts")
app.add_typer(media.app, name="media")


# Long-running services log their work; other commands print their own output, and their
# logs (always on stderr) only say something when it is a warning or worse.
SERVICE_COMMANDS = frozenset({"serve", "worker"})


@app.callback()
def main(
    ctx: typer.Context,
    log_level: str | None = typer.Option(
        None,
        "--log-level",
        envvar="YTE_LOG_LEVEL",
        help="Log level on stderr (default: INFO for serve and worker, WARNING otherwise).",
    ),
    json_logs: bool = typer.Option(False, "--json-logs", envvar="YTE_JSON_LOGS", metavar=""),
) -> None:
    service = ctx.invoked_subcommand in SERVICE_COMMANDS or (
        ctx.invoked_subcommand == "ai" and "serve" in sys.argv[1:]  # the gateway
    )
    if not service:  # model loading bars would cut into the command's own output
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    default = "INFO" if service else "WARNING"
    level = (log_level or default).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise typer.BadParameter(
            f"{log_level!r} is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL",
            param_hint="--log-level",
        )
    configure_logging(level, json=json_logs)


@app.command("migrate")
def migrate(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Bring the database to the latest schema (or to REVISION)."""

    async def _migrate() -> None:
        engine = create_engine(settings(), pooled=False)
        try:
            before = await migrations.current_revision(engine)
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
            ) as progress:
                progress.add_task(f"migrating {engine.dialect.name} to {revision}")
                await migrations.upgrade(engine, revision)
            after = await migrations.current_revision(engine)
        finally:
            await engine.dispose()
        console.print(f"database at [bold]{after}[/bold] (was {before or 'empty'})")

    run(_migrate)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    embedded: bool = typer.Option(
        False,
        "--embedded",
        help="Also run the worker in this process (always on with the embedded Redis stand-in).",
        metavar="",
    ),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Bring the database to head before serving."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="API processes (needs a real Redis; not embedded)."
    ),
) -> None:
    """Run the API (and, embedded, the worker)."""
    from backend.app import create_app

    cfg = settings()
    try:
        cfg.resolved_secret_key()
    except ConfigurationError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if migrate_first:
        migrate("head")
    base = f"http://{host}:{port}"
    console.print(f"YTEMPIRE dashboard: [bold]{base}/[/bold]")
    console.print(f"API docs: {base}/docs  (REST under {base}/api/v1)")
    if workers > 1:
        if cfg.embedded or embedded:
            err_console.print(
                "[red]error:[/red] --workers needs YTE_REDIS_URL (the embedded "
                "queue lives in one process)"
            )
            raise typer.Exit(2)
        uvicorn.run(
            "backend.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=3,
            proxy_headers=trusted_proxies(cfg) is not None,
            forwarded_allow_ips=trusted_proxies(cfg),
        )
        return
    application = create_app(cfg, run_worker=bool(embedded or cfg.embedded))
    # uvicorn stops on SIGINT/SIGTERM, then raises the signal again (SIGINT: here).
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=3,
            proxy_headers=trusted_proxies(cfg) is not None,
            forwarded_allow_ips=trusted_proxies(cfg),
        )
    err_console.print("stopped")
    exit_now(0)


def trusted_proxies(cfg: Settings) -> str | None:
    """The proxies whose X-Forwarded-* uvicorn believes (YTE_TRUSTED_PROXIES); None: no one."""
    trusted = [p.strip() for p in cfg.trusted_proxies.split(",") if p.strip()]
    return ",".join(trusted) or None


@app.command("worker")
def worker(
    queues: list[str] = typer.Argument(None, help="Queues to serve (default: all)."),
    burst: bool = typer.Option(
        False, "--burst", help="Quit when the queues are empty.", metavar=""
    ),
) -> None:
    """Run an RQ worker over the configured Redis."""
    from backend.jobs.worker import run_worker

    cfg = settings()
    if cfg.embedded:
        err_console.print(
            "[red]error:[/red] the embedded Redis lives inside `ytempire serve`; "
            "set YTE_REDIS_URL to run separate workers"
        )
        raise typer.Exit(2)
    console.print(f"worker pid {os.getpid()} on {', '.join(queues or ['all queues'])}")
    run_worker(sync_redis(cfg), cfg, queues, burst)


if __name__ == "__main__":
    app()
