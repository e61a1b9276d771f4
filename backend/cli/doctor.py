"""``ytempire doctor``: the machine, the services, the media dir, models, publishing, backups."""

from __future__ import annotations

import asyncio
import json

import typer
from rich.table import Table

from ai.cli import get_ai_settings
from backend.cli.common import console, settings
from backend.system.doctor import failed, run_checks

_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON.", metavar=""),
) -> None:
    """Check this box: hardware, ffmpeg and encoders, database, Redis, media dir, models,
    OAuth client, last backup. Exits 1 when a required check fails; each failure names
    its fix."""
    checks = asyncio.run(run_checks(settings(), get_ai_settings()))
    bad = failed(checks)
    if as_json:
        typer.echo(json.dumps({"ok": not bad, "checks": [c.as_dict() for c in checks]}, indent=2))
    else:
        table = Table(title="ytempire doctor")
        for column in ("group", "check", "", "detail", "fix"):
            table.add_column(column)
        for check in checks:
            table.add_row(
                check.group, check.name, _MARK[check.status], check.detail, check.fix or ""
            )
        console.print(table)
        if bad:
            console.print(
                f"[red]{len(bad)} required check(s) failed:[/] " + ", ".join(c.name for c in bad)
            )
        else:
            warned = sum(1 for c in checks if c.status == "warn")
            note = f" ({warned} warning(s))" if warned else ""
            console.print(f"[green]all required checks passed[/]{note}")
    if bad:
        raise typer.Exit(1)
