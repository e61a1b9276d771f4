"""``ytempire``: the admin CLI."""

from __future__ import annotations

import os

import typer
import uvicorn
from rich.progress import Progress, SpinnerColumn, TextColumn

from ai.cli import ai_app, doctor, models_app
from backend.cli import channels, demo, users, videos
from backend.cli.common import console, err_console, run, settings
from backend.db import migrate as migrations
from backend.db.engine import create_engine
from backend.observability.logging import configure_logging
from backend.redis_client import sync_redis
from backend.settings import ConfigurationError

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
app.command("doctor")(doctor)


@app.callback()
def main(
    log_level: str = typer.Option("INFO", "--log-level", envvar="YTE_LOG_LEVEL"),
    json_logs: bool = typer.Option(False, "--json-logs", envvar="YTE_JSON_LOGS"),
) -> None:
    configure_logging(log_level.upper(), json=json_logs)


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
    console.print(f"YTEMPIRE API on http://{host}:{port}  (docs at /docs)")
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
        )
        return
    application = create_app(cfg, run_worker=bool(embedded or cfg.embedded))
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)


@app.command("worker")
def worker(
    queues: list[str] = typer.Argument(None, help="Queues to serve (default: all)."),
    burst: bool = typer.Option(False, "--burst", help="Quit when the queues are empty."),
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
