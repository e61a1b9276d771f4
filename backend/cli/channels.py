from __future__ import annotations

import typer
from rich.table import Table

from backend.channels import repository
from backend.cli.common import console, run, session_scope
from backend.models import User

app = typer.Typer(help="Inspect channels.", no_args_is_help=True)


@app.command("list")
def list_channels() -> None:
    """List every channel with its owner, status and budgets."""

    async def _list() -> None:
        async with session_scope() as session:
            channels = await repository.list_all(session)
            owners = {c.owner_id: await session.get(User, c.owner_id) for c in channels}
        table = Table(
            "name", "owner", "niche", "format", "status", "per day", "budget/day", "budget/month"
        )
        for c in channels:
            owner = owners.get(c.owner_id)
            status = c.status.value + (f" ({c.pause_reason})" if c.pause_reason else "")
            table.add_row(
                c.name,
                owner.email if owner else "?",
                c.niche,
                c.format.value,
                status,
                f"{c.cadence_per_day:g}",
                f"${c.daily_budget_usd:.2f}",
                f"${c.monthly_budget_usd:.2f}",
            )
        console.print(table)

    run(_list)
