from __future__ import annotations

import sys

import typer
from email_validator import EmailNotValidError, validate_email
from rich.table import Table

from backend.auth.service import create_user
from backend.cli.common import console, run, session_scope, settings
from backend.models import UserRole
from backend.users import service
from backend.users.schemas import AdminUserUpdate

app = typer.Typer(help="Manage users.", no_args_is_help=True)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise typer.BadParameter("the password needs at least 10 characters")
    return password


def _email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise typer.BadParameter(f"{value!r} is not a valid email address: {exc}") from exc


@app.command("create")
def create(
    email: str,
    admin: bool = typer.Option(False, "--admin", help="Give the user the admin role."),
    name: str | None = typer.Option(None, "--name"),
    channel_limit: int | None = typer.Option(None, "--channel-limit", min=1, max=100),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
) -> None:
    """Create a user (prompts for the password)."""
    email = _email(email)
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
        table = Table("id", "email", "role", "active", "channel limit", "created")
        table.columns[0].no_wrap = True
        table.columns[1].overflow = "fold"
        for u in users:
            table.add_row(
                u.id.hex[:8],
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


def _admin_update(email: str, change: AdminUserUpdate, done: str) -> None:
    async def _apply() -> None:
        async with session_scope() as session:
            user = await service.get_by_email(session, email)
            await service.admin_update(session, user, change)
        console.print(f"[bold]{email}[/bold]: {done}")

    run(_apply)


@app.command("set-limit")
def set_limit(
    email: str,
    limit: int = typer.Argument(..., min=1, max=100, help="Channels the user may run (1-100)."),
) -> None:
    """Set how many channels a user may run."""
    _admin_update(email, AdminUserUpdate(channel_limit=limit), f"channel limit set to {limit}")


@app.command("set-role")
def set_role(
    email: str,
    role: UserRole = typer.Argument(..., help="admin or member."),
) -> None:
    """Make a user an admin or a member (the last active admin stays an admin)."""
    _admin_update(email, AdminUserUpdate(role=role), f"role set to {role.value}")


@app.command("deactivate")
def deactivate(email: str) -> None:
    """Stop a user: they cannot sign in, and their sessions and tokens stop working now."""
    _admin_update(
        email, AdminUserUpdate(is_active=False), "deactivated; every session of theirs has ended"
    )


@app.command("activate")
def activate(email: str) -> None:
    """Let a deactivated user sign in again."""
    _admin_update(email, AdminUserUpdate(is_active=True), "active again; they can sign in")
