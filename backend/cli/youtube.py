"""``ytempire youtube``: the owner's Google OAuth client, channel connections, quota."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from backend.cli import channels
from backend.cli.common import console, run, session_scope, settings
from backend.publishing import oauth, service
from backend.publishing.errors import NoOAuthClient
from backend.publishing.quota import PACIFIC, quota_status

app = typer.Typer(
    help="YouTube publishing: OAuth client, connections, quota.", no_args_is_help=True
)
client_app = typer.Typer(help="The Google Cloud OAuth client uploads run on.", no_args_is_help=True)
app.add_typer(client_app, name="client")


@client_app.command("set")
def client_set(
    file: Path = typer.Option(..., "--file", help="client_secret.json from Google Cloud Console."),
) -> None:
    """Store the OAuth client (its secret encrypted with the secret key)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc.strerror}") from exc

    async def _set() -> None:
        async with session_scope() as session:
            config = await service.set_client(session, settings(), text)
        console.print(
            f"OAuth client [bold]{config.client_id}[/bold] (project {config.project_id}) stored."
        )
        redirect = oauth.redirect_uri(settings())
        if config.redirect_uris and redirect not in config.redirect_uris:
            console.print(
                f"[yellow]note:[/yellow] add {redirect} to the client's authorized redirect "
                "URIs in Google Cloud Console, or set YTE_OAUTH_REDIRECT_BASE_URL"
            )

    run(_set)


@client_app.command("show")
def client_show() -> None:
    """Show the stored OAuth client (never its secret)."""

    async def _show() -> None:
        async with session_scope() as session:
            config = await service.get_client(session, settings())
        table = Table("field", "value")
        table.add_row("client id", config.client_id)
        table.add_row("project", config.project_id)
        table.add_row("client secret", "stored, encrypted")
        table.add_row("redirect URIs", ", ".join(config.redirect_uris) or "-")
        table.add_row("this appliance's redirect", oauth.redirect_uri(settings()))
        console.print(table)

    run(_show)


@app.command("connect")
def connect(
    channel_id: str = typer.Argument(..., help="The channel (`ytempire channel list`)."),
    code: str | None = typer.Option(None, "--code", help="The redirect URL or code, no prompt."),
) -> None:
    """Connect a channel on a headless box (the same as `ytempire channel connect`)."""
    channels.connect_channel(channel_id, code)


@app.command("disconnect")
def disconnect(channel_id: str = typer.Argument(..., help="The channel.")) -> None:
    """Revoke the channel's grant at Google and wipe it (`ytempire channel disconnect`)."""
    channels.disconnect_channel(channel_id)


@app.command("quota")
def quota() -> None:
    """Data API units used and left today (Pacific time) for the client's project."""

    async def _quota() -> None:
        cfg = settings()
        async with session_scope() as session:
            status = await quota_status(session, cfg.youtube_upload_quota)
        if status.project_id is None:
            raise NoOAuthClient()
        note = " (YouTube answered quotaExceeded: nothing left until the reset)"
        reset = status.resets_at.astimezone(PACIFIC)
        console.print(
            f"project {status.project_id}, {status.day} (Pacific): {status.used} of "
            f"{status.limit} units used, {status.left} left{note if status.exhausted else ''}"
        )
        console.print(
            f"resets at {status.resets_at:%Y-%m-%d %H:%M} UTC (midnight Pacific, {reset:%Z})"
        )

    run(_quota)
