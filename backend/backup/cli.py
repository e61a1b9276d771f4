"""``ytempire backup create|verify|restore|list``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from backend.backup import service
from backend.backup.archive import ArchiveError
from backend.backup.crypto import BackupDecryptError
from backend.backup.database import BackupDatabaseError
from backend.settings import ConfigurationError, Settings, get_settings

app = typer.Typer(help="Back up and restore the database, media and key material.")
console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

PASSPHRASE_FILE = typer.Option(
    None,
    "--passphrase-file",
    exists=True,
    dir_okay=False,
    help="File holding the archive passphrase (default: YTE_BACKUP_PASSPHRASE).",
)


def _passphrase(settings: Settings, path: Path | None) -> str | None:
    if path is None:
        return settings.backup_passphrase or None
    value = path.read_text().rstrip("\r\n")
    if not value:
        raise typer.BadParameter(f"{path} is empty", param_hint="--passphrase-file")
    return value


def _run(work: Awaitable[T]) -> T:
    try:
        return asyncio.run(work)  # type: ignore[arg-type]
    except (
        service.BackupError,
        ArchiveError,
        BackupDecryptError,
        BackupDatabaseError,
        ConfigurationError,
    ) as exc:
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc
    except OSError as exc:  # a full disk, a folder that cannot be written
        err_console.print(f"[red]error:[/red] {exc.strerror or exc}: {exc.filename or ''}")
        raise typer.Exit(1) from exc


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


@app.command("create")
def create(
    to: Path | None = typer.Option(
        None, "--to", file_okay=False, help="Folder for the archive (default: YTE_BACKUP_DIR)."
    ),
    passphrase_file: Path | None = PASSPHRASE_FILE,
) -> None:
    """Write one consistent, timestamped archive (database, media, key material)."""
    settings = get_settings()
    passphrase = _passphrase(settings, passphrase_file)
    target = to.expanduser().resolve() if to else None
    result = _run(service.create_backup(settings, to=target, passphrase=passphrase))
    manifest = result.manifest
    console.print(f"backup written: [bold]{result.archive}[/bold]", soft_wrap=True)
    console.print(
        f"  {manifest['db_dialect']} at {manifest['schema_revision']}, "
        f"{sum(manifest['row_counts'].values()):,} rows; {len(manifest['members']) - 1:,} "
        f"files ({_mb(manifest['media_bytes'])}); archive {_mb(result.size)}"
        f"{', encrypted' if passphrase else ''}; {result.seconds:.1f} s"
    )
    for note in result.notes:
        console.print(f"  note: {note}", soft_wrap=True)


@app.command("verify")
def verify(
    archive: Path = typer.Argument(..., help="The archive to check."),
    passphrase_file: Path | None = PASSPHRASE_FILE,
) -> None:
    """Check every checksum and restore the database into a scratch database."""
    settings = get_settings()
    passphrase = _passphrase(settings, passphrase_file)
    result = _run(
        service.verify_backup(settings, archive.expanduser().resolve(), passphrase=passphrase)
    )
    console.print(
        f"verified: {result.members:,} members ({_mb(result.bytes)}) match their checksums; "
        f"the database restores with {result.rows:,} rows as recorded ({result.seconds:.1f} s)"
    )


@app.command("restore")
def restore(
    archive: Path = typer.Argument(..., help="The archive to restore."),
    force: bool = typer.Option(
        False, "--force", help="Replace a database and media dir that are not empty."
    ),
    passphrase_file: Path | None = PASSPHRASE_FILE,
) -> None:
    """Bring this machine to the archive's state. Stop `serve` and workers first."""
    settings = get_settings()
    passphrase = _passphrase(settings, passphrase_file)
    result = _run(
        service.restore_backup(
            settings, archive.expanduser().resolve(), passphrase=passphrase, force=force
        )
    )
    console.print(
        f"restored {result.archive.name}: {result.rows:,} rows, {result.files:,} files; "
        f"database at {result.revision_after} ({result.seconds:.1f} s)"
    )
    for note in result.notes:
        console.print(f"  note: {note}", soft_wrap=True)


@app.command("list")
def list_archives(
    directory: Path | None = typer.Option(
        None, "--dir", file_okay=False, help="Folder to list (default: YTE_BACKUP_DIR)."
    ),
) -> None:
    """Archives in the backup dir, newest first, with size, age and verification."""
    folder = (directory or get_settings().resolved_backup_dir).expanduser().resolve()
    backups = service.list_backups(folder)
    if not backups:
        console.print(f"no backups in {folder} (make one: ytempire backup create)")
        return
    table = Table("archive", "size", "age", "verified", title=str(folder))
    now = datetime.now(UTC)
    for info in backups:
        verdict = {True: "[green]yes[/green]", False: "[red]FAILED[/red]", None: "not yet"}[
            info.verified
        ]
        table.add_row(info.path.name, _mb(info.size), _age(now - info.created_at), verdict)
    console.print(table)


def _age(delta: object) -> str:
    seconds = int(delta.total_seconds())  # type: ignore[attr-defined]
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} d"
