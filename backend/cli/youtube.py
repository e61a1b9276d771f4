"""``ytempire youtube``: the owner's Google OAuth client, channel connections, quota."""

from __future__ import annotations

import uuid
from pathlib import Path

import typer
from rich.table import Table

from backend.cli.common import console, run, session_scope, settings
from backend.publishing import oauth, repository, service
from backend.publishing.errors import InvalidClientFile
from backend.publishing.quota import QuotaLedger

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


def _channel(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a channel id (a UUID)") from exc


@app.command("connect")
def connect(
    channel_id: str = typer.Argument(..., help="The channel's id (`ytempire channel list`)."),
    code: str | None = typer.Option(None, "--code", help="The redirect URL or code, no prompt."),
) -> None:
    """Connect a channel on a headless box: open the URL anywhere, paste where it lands."""
    channel = _channel(channel_id)

    async def _connect() -> None:
        answer = code
        if answer is None:  # start a consent and wait for its answer here
            async with session_scope() as session:
                start = await service.begin_connect(session, settings(), channel)
            console.print("Open this address in a browser signed in to the channel's account:")
            console.print(start.url, soft_wrap=True)
            console.print("(or stop here and run this again later with --code)")
            answer = typer.prompt("Paste the address you were sent to (or its code)")
        got_code, state = oauth.parse_pasted(answer)
        async with session_scope() as session:
            row = await service.complete_connect(
                session,
                settings(),
                code=got_code,
                state=state,
                channel_id=channel,
                console_code=True,
            )
            title, youtube_id = row.youtube_channel_title, row.youtube_channel_id
        console.print(f"connected to YouTube channel [bold]{title}[/bold] ({youtube_id})")

    run(_connect)


@app.command("disconnect")
def disconnect(channel_id: str = typer.Argument(...)) -> None:
    """Revoke the channel's grant at Google and wipe it here."""
    channel = _channel(channel_id)

    async def _disconnect() -> None:
        async with session_scope() as session:
            done = await service.disconnect(session, settings(), channel)
        console.print("disconnected" if done else "the channel was not connected")

    run(_disconnect)


@app.command("quota")
def quota() -> None:
    """Data API units used and left today (Pacific time) for the client's project."""

    async def _quota() -> None:
        from backend.db.engine import create_engine, create_sessionmaker

        cfg = settings()
        engine = create_engine(cfg, pooled=False)
        try:
            sessions = create_sessionmaker(engine)
            async with sessions() as session:
                row = await repository.get_client(session)
            if row is None:
                raise InvalidClientFile("No OAuth client is set (`ytempire youtube client set`)")
            ledger = QuotaLedger(
                sessions, project_id=row.project_id, daily_units=cfg.youtube_upload_quota
            )
            used, exhausted = await ledger.used_today()
            left = await ledger.remaining()
        finally:
            await engine.dispose()
        note = " (YouTube said quotaExceeded)" if exhausted else ""
        console.print(f"project {row.project_id}: {used} used, {left} left today{note}")

    run(_quota)
