"""Backup, verify, restore, list and prune: one archive holds the whole appliance.

An archive (``ytempire-backup-<UTC time>.tar``, ``.tar.ytenc`` when encrypted) holds:

- ``db/postgresql.dump`` (``pg_dump --format=custom``) or ``db/sqlite.db`` (online backup),
- ``data/...``: every file of the data dir (videos' media, music, the generated
  ``secret.key`` and ``ai-gateway.key`` when they are files) except the SQLite database
  (it is in ``db/``), the backup dir and restore leftovers,
- ``manifest.json`` (last): sha256 and size per member, row counts per table, the schema
  revision, app version, created_at, the database dialect and where the secret key lives.

Model weights (``models_dir``) are not archived: ``ytempire models pull`` fetches them
again and ``ytempire models verify`` checks them; the registry ships with the code.

Next to each archive, ``<archive>.json`` (the sidecar) records its size, checksum, and
whether and when it verified. Scheduled-backup state lives in these files, not in the
database, so it survives restoring the database.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import structlog

from backend.backup import database as db
from backend.backup.archive import FORMAT, ArchiveError, ArchiveWriter, read_archive
from backend.settings import PLACEHOLDER_SECRETS, Settings

log = structlog.get_logger(__name__)

PREFIX = "ytempire-backup-"
PLAIN_SUFFIX, ENCRYPTED_SUFFIX = ".tar", ".tar.ytenc"
ARCHIVE_NAME = re.compile(r"^ytempire-backup-(\d{8}T\d{6}(?:\d{6})?Z)\.tar(\.ytenc)?$")
SIDECAR_SUFFIX = ".json"
KEY_FILES = ("secret.key", "ai-gateway.key")
STAGING = ".restore-"


class BackupError(RuntimeError):
    """A backup operation cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    size: int
    manifest: dict[str, Any]
    seconds: float
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VerifyResult:
    archive: Path
    members: int
    bytes: int
    rows: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    archive: Path
    files: int
    rows: int
    revision_before: str | None
    revision_after: str | None
    seconds: float
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime
    size: int
    encrypted: bool
    sidecar: dict[str, Any]

    @property
    def verified(self) -> bool | None:
        value = self.sidecar.get("verified")
        return bool(value) if value is not None else None


def app_version() -> str:
    try:
        return importlib.metadata.version("ytempire")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _now() -> datetime:
    return datetime.now(UTC)


# --- what goes in ---------------------------------------------------------------------


def _excluded(settings: Settings) -> list[Path]:
    out = [settings.resolved_backup_dir]
    if settings.is_sqlite:
        base = db.sqlite_path(settings.resolved_database_url).resolve()
        out += [base.with_name(base.name + s) for s in ("", "-wal", "-shm", "-journal")]
    return out


def data_files(settings: Settings) -> list[tuple[str, Path]]:
    """(member name, path) of every file of the data dir that belongs in a backup."""
    root = settings.data_dir
    if not root.is_dir():
        return []
    excluded = _excluded(settings)
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(STAGING) and (here / d).resolve() not in excluded
        )
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink() or not path.is_file() or path.resolve() in excluded:
                continue
            if name.startswith(".") and name.endswith(".partial"):
                continue
            found.append(("data/" + path.relative_to(root).as_posix(), path))
    return found


def secret_key_source(settings: Settings) -> str:
    """Where the key that encrypts stored secrets comes from: ``environment``
    (YTE_SECRET_KEY, NOT in the archive), ``file`` (the data dir's ``secret.key``, in the
    archive) or ``none`` (no key yet, so nothing is encrypted with one)."""
    key = (settings.secret_key or "").strip()
    if key and key.lower() not in PLACEHOLDER_SECRETS:
        return "environment"
    return "file" if (settings.data_dir / "secret.key").is_file() else "none"


# --- create ---------------------------------------------------------------------------


def archive_name(created: datetime, encrypted: bool) -> str:
    stamp = created.strftime("%Y%m%dT%H%M%S%fZ")
    return PREFIX + stamp + (ENCRYPTED_SUFFIX if encrypted else PLAIN_SUFFIX)


async def create_backup(
    settings: Settings, *, to: Path | None = None, passphrase: str | None = None
) -> BackupResult:
    """Write one consistent archive into ``to`` (default: the backup dir), atomically."""
    started = time.monotonic()
    passphrase = passphrase if passphrase is not None else settings.backup_passphrase
    directory = (to or settings.resolved_backup_dir).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    created = _now()
    final = directory / archive_name(created, bool(passphrase))
    partial = directory / f".{final.name}.partial"
    work = directory / f".work-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    notes: list[str] = []
    try:
        url = settings.resolved_database_url
        dialect = db.dialect_of(url)
        if dialect == "postgresql":
            dump, member = work / "postgresql.dump", "db/postgresql.dump"
            snapshot = await db.dump_postgres(url, dump, settings.backup_timeout_seconds)
        else:
            dump, member = work / "sqlite.db", "db/sqlite.db"
            snapshot = await asyncio.to_thread(db.dump_sqlite, url, dump)
        dump_seconds = time.monotonic() - started
        files = data_files(settings)
        _check_room(directory, dump.stat().st_size + sum(p.stat().st_size for _, p in files))
        key_source = secret_key_source(settings)
        if key_source == "environment":
            notes.append(
                "the secret key comes from YTE_SECRET_KEY (the environment) and is NOT in the "
                "archive: keep it with the archive, a restore needs it to decrypt stored "
                "OAuth tokens"
            )
        elif key_source == "file":
            notes.append("the secret key (data dir secret.key) is in the archive")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "app_version": app_version(),
            "created_at": created.isoformat(),
            "db_dialect": snapshot.dialect,
            "schema_revision": snapshot.revision,
            "row_counts": snapshot.row_counts,
            "secret_key": key_source,
            "key_files": [n for n, _ in files if n.removeprefix("data/") in KEY_FILES],
            "media_bytes": 0,
            "not_included": ["model weights (models_dir): `ytempire models pull` re-fetches"],
        }
        size = await asyncio.to_thread(
            _write_archive, partial, passphrase, member, dump, files, manifest
        )
        os.replace(partial, final)
        db.fsync_dir(directory)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - started
    write_sidecar(
        final,
        {
            "archive": final.name,
            "created_at": created.isoformat(),
            "size": size,
            "encrypted": bool(passphrase),
            "db_dialect": manifest["db_dialect"],
            "schema_revision": manifest["schema_revision"],
            "rows": sum(manifest["row_counts"].values()),
            "files": len(files),
            "media_bytes": manifest["media_bytes"],
            "secret_key": key_source,
            "create_seconds": round(seconds, 3),
            "dump_seconds": round(dump_seconds, 3),
            "verified": None,
        },
    )
    log.info(
        "backup.created",
        archive=final.name,
        size=size,
        seconds=round(seconds, 1),
        database_seconds=round(dump_seconds, 1),
    )
    return BackupResult(final, size, manifest, seconds, notes)


def _write_archive(
    partial: Path,
    passphrase: str | None,
    db_member: str,
    dump: Path,
    files: list[tuple[str, Path]],
    manifest: dict[str, Any],
) -> int:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        writer = ArchiveWriter(out, passphrase or None)
        writer.add_file(db_member, dump)
        for name, path in files:
            try:
                writer.add_file(name, path)
            except FileNotFoundError:  # removed since the walk (a pruned intermediate)
                continue
        manifest["media_bytes"] = sum(
            m.size for n, m in writer.members.items() if n.startswith("data/")
        )
        writer.close(manifest)
        out.flush()
        os.fsync(out.fileno())
    return writer.file.size


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _check_room(directory: Path, need: int) -> None:
    """Refuse to start what the disk cannot hold (with 64 MB to spare)."""
    free = shutil.disk_usage(directory).free
    if free < need + 64 * 1024 * 1024:
        raise BackupError(
            f"{directory} has {free / 1e9:.2f} GB free; this needs about {need / 1e9:.2f} GB"
        )


# --- sidecars, list, prune --------------------------------------------------------------


def sidecar_path(archive: Path) -> Path:
    return archive.with_name(archive.name + SIDECAR_SUFFIX)


def read_sidecar(archive: Path) -> dict[str, Any]:
    try:
        data = json.loads(sidecar_path(archive).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_sidecar(archive: Path, data: dict[str, Any]) -> None:
    path = sidecar_path(archive)
    temp = path.with_name(f".{path.name}.partial")
    temp.write_text(json.dumps(data, indent=1, sort_keys=True))
    with open(temp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, path)


def update_sidecar(archive: Path, **changes: Any) -> None:
    write_sidecar(archive, {**read_sidecar(archive), **changes})


def list_backups(directory: Path) -> list[BackupInfo]:
    """The archives in ``directory``, newest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = ARCHIVE_NAME.match(path.name)
        if not match or not path.is_file():
            continue
        stamp = match.group(1)
        fmt = "%Y%m%dT%H%M%S%fZ" if len(stamp) > 16 else "%Y%m%dT%H%M%SZ"
        created = datetime.strptime(stamp, fmt).replace(tzinfo=UTC)
        found.append(
            BackupInfo(path, created, path.stat().st_size, bool(match.group(2)), read_sidecar(path))
        )
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives (and their sidecars); return those gone."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    gone = []
    for info in list_backups(directory)[keep:]:
        info.path.unlink(missing_ok=True)
        sidecar_path(info.path).unlink(missing_ok=True)
        gone.append(info.path)
    if gone:
        log.info("backup.pruned", removed=[p.name for p in gone], kept=keep)
    return gone


# --- verify ---------------------------------------------------------------------------


def _compare_counts(expected: dict[str, int], got: dict[str, int], where: str) -> None:
    if expected != got:
        diff = sorted(
            f"{t}: {got.get(t, 'missing')} rows, manifest {expected.get(t, 'missing')}"
            for t in set(expected) | set(got)
            if expected.get(t) != got.get(t)
        )
        raise ArchiveError(f"{where}: row counts differ from the manifest ({'; '.join(diff[:5])})")


async def verify_backup(
    settings: Settings, archive: Path, *, passphrase: str | None = None
) -> VerifyResult:
    """Every checksum, then a restore of the database into a scratch database (dropped
    afterwards) whose row counts must match the manifest. The sidecar records the verdict."""
    started = time.monotonic()
    passphrase = passphrase if passphrase is not None else settings.backup_passphrase
    work = archive.parent / f".verify-{uuid.uuid4().hex[:8]}"
    try:
        work.mkdir()
        db_copy: dict[str, Path] = {}

        def sink(name: PurePosixPath) -> Path | None:
            if name.parts[0] == "db":
                db_copy[str(name)] = work / name.name
                return db_copy[str(name)]
            return None

        manifest = await asyncio.to_thread(read_archive, archive, passphrase, sink)
        expected = {k: int(v) for k, v in manifest["row_counts"].items()}
        if manifest["db_dialect"] == "postgresql":
            dump = db_copy.get("db/postgresql.dump")
            if dump is None:
                raise ArchiveError("db/postgresql.dump: missing from the archive")
            if not settings.resolved_database_url.startswith("postgresql"):
                raise BackupError(
                    "verifying a PostgreSQL archive needs YTE_DATABASE_URL set to a PostgreSQL "
                    "server (its scratch database is created there)"
                )
            got = await db.scratch_postgres_counts(
                settings.resolved_database_url, dump, settings.backup_timeout_seconds
            )
        else:
            copy = db_copy.get("db/sqlite.db")
            if copy is None:
                raise ArchiveError("db/sqlite.db: missing from the archive")
            got = await asyncio.to_thread(_sqlite_check, copy)
        _compare_counts(expected, got, "database")
    except (ArchiveError, db.BackupDatabaseError, BackupError, ValueError) as exc:
        _record_verdict(archive, False, str(exc))
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - started
    _record_verdict(archive, True, None, seconds)
    members = manifest["members"]
    return VerifyResult(
        archive,
        len(members),
        sum(int(m["size"]) for m in members.values()),
        sum(expected.values()),
        seconds,
    )


def _sqlite_check(copy: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if verdict != "ok":
        raise ArchiveError(f"db/sqlite.db: the database copy fails its integrity check ({verdict})")
    return db.sqlite_counts(copy)


def _record_verdict(archive: Path, ok: bool, error: str | None, seconds: float = 0.0) -> None:
    if not archive.is_file() or not ARCHIVE_NAME.match(archive.name):
        return
    update_sidecar(
        archive,
        verified=ok,
        verified_at=_now().isoformat(),
        verify_error=error,
        verify_seconds=round(seconds, 3),
    )


# --- restore --------------------------------------------------------------------------


async def tables_with_rows(settings: Settings) -> list[str]:
    url = settings.resolved_database_url
    if db.dialect_of(url) == "postgresql":
        return await db.postgres_tables_with_rows(url)
    return await asyncio.to_thread(db.sqlite_tables_with_rows, url)


def _media_present(settings: Settings) -> bool:
    media = settings.media_dir
    return media.is_dir() and any(p.is_file() for p in media.rglob("*"))


async def restore_backup(
    settings: Settings, archive: Path, *, passphrase: str | None = None, force: bool = False
) -> RestoreResult:
    """Bring this machine to the archive's state: database, data dir files, key files.

    Refuses (without ``force``) a database holding rows or a media dir holding files. The
    archive is read and checked in full into a staging dir first; only then is the database
    replaced (one transaction on PostgreSQL, a rename on SQLite), migrated to head if the
    archive is older, and the data dir's entries swapped in by rename.
    """
    started = time.monotonic()
    passphrase = passphrase if passphrase is not None else settings.backup_passphrase
    url = settings.resolved_database_url
    target_dialect = db.dialect_of(url)
    if not force:
        busy = await tables_with_rows(settings)
        if busy:
            raise BackupError(
                f"the target database is not empty ({', '.join(busy[:6])} hold rows); "
                "restore replaces everything in it: pass --force to do that"
            )
        if _media_present(settings):
            raise BackupError(
                f"the media dir {settings.media_dir} holds files; pass --force to replace them"
            )
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    _check_room(data_dir, _size(archive))
    staging = data_dir / f"{STAGING}{token}"
    staging.mkdir()
    notes: list[str] = []
    try:

        def sink(name: PurePosixPath) -> Path | None:
            if name.parts[0] not in ("db", "data") or len(name.parts) < 2:
                raise ArchiveError(f"{name}: unexpected member")
            return staging.joinpath(*name.parts)

        manifest = await asyncio.to_thread(read_archive, archive, passphrase, sink)
        dialect = manifest["db_dialect"]
        if dialect != target_dialect:
            raise BackupError(
                f"the archive holds a {dialect} database but YTE_DATABASE_URL is {target_dialect}"
            )
        revision = manifest.get("schema_revision")
        _check_revision(revision)
        expected = {k: int(v) for k, v in manifest["row_counts"].items()}
        if dialect == "postgresql":
            await db.restore_postgres(
                url, staging / "db" / "postgresql.dump", settings.backup_timeout_seconds
            )
            got = await db.postgres_counts(url)
        else:
            copy = staging / "db" / "sqlite.db"
            await asyncio.to_thread(db.restore_sqlite, url, copy)
            got = await asyncio.to_thread(db.sqlite_counts, db.sqlite_path(url))
        _compare_counts(expected, got, "restored database")
        files = _swap_in(settings, staging / "data", token)
        after = await _migrate_to_head(settings, revision)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if manifest.get("secret_key") == "environment":
        notes.append(
            "the archive's secret key came from YTE_SECRET_KEY: set the same value here, "
            "or stored OAuth tokens cannot be decrypted"
        )
    if after != revision:
        notes.append(f"migrated the database from {revision} to {after}")
    seconds = time.monotonic() - started
    log.info("backup.restored", archive=archive.name, files=files, seconds=round(seconds, 1))
    return RestoreResult(archive, files, sum(expected.values()), revision, after, seconds, notes)


def _check_revision(revision: str | None) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from backend.db.migrate import alembic_config

    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError as exc:
        raise BackupError(
            f"the archive's schema revision {revision} is unknown to this version "
            f"({app_version()}): restore it with the version that made it, or newer"
        ) from exc


async def _migrate_to_head(settings: Settings, revision: str | None) -> str | None:
    from backend.db import migrate
    from backend.db.engine import create_engine

    engine = create_engine(settings, pooled=False)
    try:
        if revision != migrate.head_revision():
            await migrate.upgrade(engine)
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def _swap_in(settings: Settings, staged: Path, token: str) -> int:
    """Replace the data dir's entries (all but the database and backups) with the staged
    ones, by rename: the old ones are moved aside first and removed once all are in."""
    data_dir = settings.data_dir
    excluded = _excluded(settings)
    old = data_dir / f"{STAGING}old-{token}"
    old.mkdir()
    count = sum(1 for p in staged.rglob("*") if p.is_file()) if staged.is_dir() else 0
    moved: list[str] = []
    try:
        for entry in sorted(data_dir.iterdir()):
            if entry.name.startswith(STAGING) or entry.resolve() in excluded:
                continue
            if any(x.is_relative_to(entry.resolve()) for x in excluded):
                continue  # a folder holding the database or the backups stays
            os.replace(entry, old / entry.name)
            moved.append(entry.name)
        if staged.is_dir():
            for entry in sorted(staged.iterdir()):
                os.replace(entry, data_dir / entry.name)
        db.fsync_dir(data_dir)
    except OSError:
        for name in moved:  # put the old files back; the new ones stay in the staging dir
            if not (data_dir / name).exists():
                os.replace(old / name, data_dir / name)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return count
