"""The database part of a backup: dump, restore, count rows; PostgreSQL and SQLite.

PostgreSQL goes through ``pg_dump --format=custom`` / ``pg_restore`` (and ``psql``), run
with the connection in libpq environment variables, so the password never shows in a
process list. The dump and the row counts of the manifest come from one exported snapshot,
so they agree even while the appliance keeps writing. SQLite goes through its online
backup API; the counts are read from the copy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.engine import URL

SKIPPED_TABLES = frozenset({"alembic_version"})
_COPY = 1024 * 1024


class BackupDatabaseError(RuntimeError):
    """A database step of a backup, restore or verify failed; the message says which."""


@dataclass(frozen=True)
class DatabaseSnapshot:
    dialect: str  # "postgresql" | "sqlite"
    revision: str | None
    row_counts: dict[str, int]


def dialect_of(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupDatabaseError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupDatabaseError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL -----------------------------------------------------------------------


def _pg_url(database_url: str, database: str | None = None) -> URL:
    url = make_url(database_url).set(drivername="postgresql")
    return url.set(database=database) if database else url


def libpq_env(database_url: str, database: str | None = None) -> dict[str, str]:
    """The environment that points pg_dump/pg_restore/psql at the configured database.

    The URL is SQLAlchemy's (``postgresql+asyncpg://user:pw@host:port/db?ssl=require``).
    """
    url = _pg_url(database_url, database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    parts = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    env.update({k: str(v) for k, v in parts.items() if v})
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str) and ssl:
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl.lower(), ssl)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


async def _connect(database_url: str, database: str | None = None) -> asyncpg.Connection:
    url = _pg_url(database_url, database)
    try:
        return await asyncpg.connect(
            url.render_as_string(hide_password=False), timeout=10, command_timeout=600
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise BackupDatabaseError(
            f"cannot connect to PostgreSQL database {url.database!r} at {url.host}: {exc}"
        ) from exc


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupDatabaseError(
            f"{name} is not installed; install the PostgreSQL client tools of the server's "
            "major version (e.g. apt-get install postgresql-client-16)"
        )
    return path


async def _run(args: list[str], env: dict[str, str], timeout_s: float, what: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        raise BackupDatabaseError(
            f"{what} took longer than {timeout_s:.0f} s and was stopped"
        ) from exc
    if process.returncode != 0:
        detail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupDatabaseError(f"{what} failed (exit {process.returncode}): {' '.join(detail)}")


async def _pg_counts(conn: asyncpg.Connection) -> dict[str, int]:
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    counts: dict[str, int] = {}
    for row in tables:
        name = row["tablename"]
        if name not in SKIPPED_TABLES:
            counts[name] = int(await conn.fetchval(f"SELECT count(*) FROM {_quote(name)}"))  # noqa: S608
    return counts


async def _pg_revision(conn: asyncpg.Connection) -> str | None:
    exists = await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL")
    if not exists:
        return None
    value = await conn.fetchval("SELECT version_num FROM alembic_version LIMIT 1")
    return str(value) if value is not None else None


async def dump_postgres(database_url: str, dest: Path, timeout_s: float) -> DatabaseSnapshot:
    """``pg_dump --format=custom`` into ``dest``, with the row counts of the same snapshot."""
    pg_dump = _tool("pg_dump")
    conn = await _connect(database_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            counts = await _pg_counts(conn)
            revision = await _pg_revision(conn)
            await _run(
                [pg_dump, "--format=custom", "--no-owner", "--no-acl",
                 f"--snapshot={snapshot}", f"--file={dest}"],
                libpq_env(database_url),
                timeout_s,
                "pg_dump",
            )  # fmt: skip
    finally:
        await conn.close()
    return DatabaseSnapshot("postgresql", revision, counts)


async def postgres_tables_with_rows(database_url: str) -> list[str]:
    conn = await _connect(database_url)
    try:
        return [name for name, count in (await _pg_counts(conn)).items() if count]
    finally:
        await conn.close()


async def postgres_counts(database_url: str, database: str | None = None) -> dict[str, int]:
    conn = await _connect(database_url, database)
    try:
        return await _pg_counts(conn)
    finally:
        await conn.close()


async def restore_postgres(database_url: str, dump: Path, timeout_s: float) -> None:
    """Replace the configured database's ``public`` schema with the dump, in ONE transaction:
    ``pg_restore`` writes SQL that ``psql --single-transaction`` runs after dropping the
    schema, so a failure leaves the database as it was."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = libpq_env(database_url)
    reader = await asyncio.create_subprocess_exec(
        pg_restore, "--no-owner", "--no-acl", "--file=-", str(dump),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    writer = await asyncio.create_subprocess_exec(
        psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
        "--file=-",
        env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None and writer.stdin is not None

    async def pump() -> None:
        assert reader.stdout is not None and writer.stdin is not None
        try:
            writer.stdin.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
            while chunk := await reader.stdout.read(_COPY):
                writer.stdin.write(chunk)
                await writer.stdin.drain()
            writer.stdin.close()
        except (BrokenPipeError, ConnectionResetError):  # psql stopped: its stderr says why
            reader.kill()

    async def drain(stream: asyncio.StreamReader | None) -> bytes:
        return await stream.read() if stream is not None else b""

    try:
        _, restore_err, psql_err = await asyncio.wait_for(
            asyncio.gather(pump(), drain(reader.stderr), drain(writer.stderr)), timeout_s
        )
        await reader.wait()
        await writer.wait()
    except TimeoutError as exc:
        for process in (reader, writer):
            if process.returncode is None:
                process.kill()
                await process.wait()
        raise BackupDatabaseError(
            f"restoring the database took longer than {timeout_s:.0f} s and was stopped; "
            "its transaction was rolled back"
        ) from exc
    if writer.returncode != 0:
        raise BackupDatabaseError(
            "restoring the database failed and was rolled back: "
            f"{psql_err.decode(errors='replace').strip()[-300:]}"
        )
    if reader.returncode != 0:
        raise BackupDatabaseError(
            f"pg_restore failed: {restore_err.decode(errors='replace').strip()[-300:]}"
        )
    if writer.returncode != 0:
        raise BackupDatabaseError(
            "restoring the database failed and was rolled back: "
            f"{psql_err.decode(errors='replace').strip()[-300:]}"
        )


async def scratch_postgres_counts(
    database_url: str, dump: Path, timeout_s: float
) -> dict[str, int]:
    """Restore the dump into a temporary database, count its rows, drop it."""
    pg_restore = _tool("pg_restore")
    name = f"yte_verify_{uuid.uuid4().hex[:12]}"
    admin = await _connect(database_url)
    try:
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        except asyncpg.PostgresError as exc:
            raise BackupDatabaseError(
                f"cannot create the scratch database for verify ({exc}); the database user "
                "needs the CREATEDB privilege"
            ) from exc
        try:
            await _run(
                [pg_restore, "--no-owner", "--no-acl", "--single-transaction",
                 "--exit-on-error", f"--dbname={name}", str(dump)],
                libpq_env(database_url, name),
                timeout_s,
                "pg_restore into the scratch database",
            )  # fmt: skip
            return await postgres_counts(database_url, name)
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


# --- SQLite ---------------------------------------------------------------------------


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {
        name: int(conn.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0])  # noqa: S608
        for name in names
        if name not in SKIPPED_TABLES
    }


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if not found:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version LIMIT 1").fetchone()
    return str(row[0]) if row else None


def sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _sqlite_counts(conn)
    finally:
        conn.close()


def dump_sqlite(database_url: str, dest: Path) -> DatabaseSnapshot:
    """A consistent copy through SQLite's online backup API (writers may keep writing)."""
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise BackupDatabaseError(f"the SQLite database {source_path} does not exist")
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target, pages=4096)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        snapshot = DatabaseSnapshot("sqlite", _sqlite_revision(target), _sqlite_counts(target))
    finally:
        target.close()
        source.close()
    return snapshot


def sqlite_tables_with_rows(database_url: str) -> list[str]:
    path = sqlite_path(database_url)
    if not path.exists() or path.stat().st_size == 0:
        return []
    return [name for name, count in sqlite_counts(path).items() if count]


def restore_sqlite(database_url: str, copy: Path) -> None:
    """Replace the SQLite file (atomically, by rename) with the archived copy."""
    target = sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restore-{uuid.uuid4().hex[:8]}")
    shutil.copyfile(copy, staged)
    staged.chmod(0o600)
    with open(staged, "rb+") as handle:
        os.fsync(handle.fileno())
    for suffix in ("-wal", "-shm"):  # a stale WAL would be replayed over the restored file
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    fsync_dir(target.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
