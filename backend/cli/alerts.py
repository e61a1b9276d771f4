"""``ytempire alerts``: the owner-facing alerts (open ones, a test send)."""

from __future__ import annotations

import typer

from backend.alerts.delivery import configured
from backend.alerts.service import open_alerts
from backend.alerts.tasks import send_test
from backend.cli.common import console, err_console, run, session_scope, settings
from backend.redis_client import sync_redis

app = typer.Typer(help="Alerts: what is open, and a test send.", no_args_is_help=True)


@app.command("test")
def test_command() -> None:
    """Send a test alert: admins' dashboards, webhook, e-mail. Exit 1 with the reason when
    a channel fails or none is configured."""
    config = settings()

    async def _send() -> bool:
        connection = sync_redis(config)
        try:
            async with session_scope() as session:
                results = await send_test(session, connection, config)
        finally:
            connection.close()
        for result in results:
            line = f"{result.channel}: {result.detail}"
            if result.ok:
                console.print(f"[green]sent[/green] {line} ({result.attempts} attempt(s))")
            else:
                err_console.print(f"[red]failed[/red] {line}")
        return all(r.ok for r in results)

    if not run(_send):
        raise typer.Exit(1)


@app.command("list")
def list_command() -> None:
    """The alerts open now (raised, not yet cleared), newest first."""

    async def _list() -> None:
        async with session_scope() as session:
            events = await open_alerts(session)
        seen: set[tuple[str, str]] = set()
        for event in events:
            key = (str(event.data.get("code")), str(event.data.get("subject")))
            if key in seen:  # one line per condition, not per recipient
                continue
            seen.add(key)
            console.print(f"{event.occurred_at:%Y-%m-%d %H:%M} [{event.severity}] {event.message}")
        if not seen:
            console.print("No open alerts.")
        channels = configured(settings())
        console.print(f"delivery: {', '.join(channels) if channels else 'dashboard only'}")

    run(_list)
