from __future__ import annotations

import sys

import typer
from rich.table import Table

from backend.auth.service import create_user
from backend.cli.common import console, run, session_scope, settings
from backend.models import UserRole
from backend.users import service

app = typer.Typer(help="Manage users.", no_args_is_help=True)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise typer.BadParameter("the password needs at least 10 characters")
    return password


@app.command("create")
def create(
    email: str,
    admin: bool = typer.Option(False, "--admin", help="Give the user the admin role."),
    name: str | None = typer.Option(None, "--name"),
    channel_limit: int | None = typer.Option(None, "--channel-limit", min=1, max=100),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
) -> None:
    """Create a user (prompts for the password)."""
    password = _password(password_stdin)

    async def _create() -> None:
        async with session_scope() as session:
            user = await create_user(
                session,
                settings(),
                email=email,
                password=password,
                full_name=name,
                role=UserRole.admin if admin else UserRole.member,
                channel_limit=channel_limit,
            )
            console.print(f"created [bold]{user.email}[/bold] ({user.role.value}) id={user.id}")

    run(_create)


@app.command("list")
def list_users() -> None:
    """List users."""

    async def _list() -> None:
        async with session_scope() as session:
            users = await service.list_users(session)
        table = Table("email", "role", "active", "channel limit", "created")
        for u in users:
            table.add_row(
                u.email,
                u.role.value,
                "yes" if u.is_active else "no",
                str(u.channel_limit),
                u.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)

    run(_list)


@app.command("reset-password")
def reset_password(
    email: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
) -> None:
    """Set a new password; every session of the user is signed out."""
    password = _password(password_stdin)

    async def _reset() -> None:
        async with session_scope() as session:
            user = await service.get_by_email(session, email)
            await service.set_password(session, user, password)
        console.print(f"password reset for [bold]{email}[/bold]; existing sessions revoked")

    run(_reset)
