"""The archive file: a tar stream (optionally encrypted), each member hashed on its way.

Members are written and read strictly in order (tar stream mode), so a 2 GB archive
passes through a few megabytes of memory. ``manifest.json`` is the LAST member: it holds
the sha256 and size of every member before it, known only once they are written. A
reader checks each member against it and refuses names that could escape the target
(absolute paths, ``..``, links, devices).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from backend.backup.crypto import (
    BackupDecryptError,
    DecryptingReader,
    EncryptingWriter,
    PassphraseError,
    is_encrypted,
)

MANIFEST = "manifest.json"
FORMAT = "ytempire-backup/1"
BUFFER = 1024 * 1024


class ArchiveError(ValueError):
    """The archive is damaged, incomplete or not a YTEMPIRE backup; the message names the
    member (file) concerned where there is one."""


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


class _Hashing:
    """Reads through ``source`` (exactly ``size`` bytes), hashing what passes."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.digest.update(data)
        self.count += len(data)
        return data


class _CountingWriter:
    """The archive file itself: counts the bytes that reach the disk."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._out.write(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._out.flush()


class ArchiveWriter:
    """Adds files to the archive one by one, recording each one's checksum."""

    def __init__(self, out: BinaryIO, passphrase: str | None) -> None:
        self.file = _CountingWriter(out)
        self._encryptor = EncryptingWriter(self.file, passphrase) if passphrase else None  # type: ignore[arg-type]
        target: Any = self._encryptor or self.file
        self._tar = tarfile.open(  # noqa: SIM115 - closed by close()
            fileobj=target, mode="w|", format=tarfile.PAX_FORMAT, bufsize=BUFFER
        )
        self._tar.copybufsize = BUFFER  # type: ignore[attr-defined]
        self.members: dict[str, Member] = {}

    def add_file(self, name: str, path: Path) -> Member:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            info = tarfile.TarInfo(name)
            info.size = stat.st_size
            info.mtime = int(stat.st_mtime)
            info.mode = stat.st_mode & 0o777
            source = _Hashing(handle)
            try:
                self._tar.addfile(info, source)
            except OSError as exc:
                raise ArchiveError(f"{name}: changed while it was being backed up ({exc})") from exc
        member = Member(source.digest.hexdigest(), info.size)
        self.members[name] = member
        return member

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        self._tar.addfile(info, io.BytesIO(data))

    def close(self, manifest: dict[str, Any]) -> None:
        manifest["members"] = {k: m.as_json() for k, m in self.members.items()}
        self.add_bytes(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        self._tar.close()
        if self._encryptor is not None:
            self._encryptor.close()
        self.file.flush()


def safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise ArchiveError(f"{name}: unsafe member name (the archive is not trustworthy)")
    return path


@contextmanager
def open_archive(path: Path, passphrase: str | None) -> Iterator[tarfile.TarFile]:
    """The archive's tar stream (decrypted when it is encrypted)."""
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive")
    with open(path, "rb") as raw:
        source: Any = raw
        if is_encrypted(path):
            source = DecryptingReader(raw, passphrase or "")
        try:
            tar = tarfile.open(fileobj=source, mode="r|", bufsize=BUFFER)  # noqa: SIM115
        except tarfile.TarError as exc:
            raise ArchiveError(f"{path.name}: not a readable backup archive ({exc})") from exc
        with tar:
            yield tar


# Where a member's bytes go: a path to write them to, or None to only check them.
Sink = Callable[[PurePosixPath], Path | None]


def read_archive(path: Path, passphrase: str | None, sink: Sink) -> dict[str, Any]:
    """Stream every member through its checksum (into ``sink``'s path, if any) and return
    the manifest once every member matched it; any mismatch raises naming the member."""
    seen: dict[str, Member] = {}
    manifest: dict[str, Any] | None = None
    current = "(start of archive)"
    try:
        with open_archive(path, passphrase) as tar:
            for info in tar:
                current = info.name
                if manifest is not None:
                    raise ArchiveError(f"{info.name}: found after the manifest")
                if not info.isfile():
                    raise ArchiveError(f"{info.name}: not a regular file (links are refused)")
                if info.name == MANIFEST:
                    handle = tar.extractfile(info)
                    assert handle is not None
                    manifest = json.loads(handle.read())
                    continue
                name = safe_name(info.name)
                seen[info.name] = _copy_member(tar, info, sink(name))
    except (ArchiveError, PassphraseError):
        raise
    except BackupDecryptError as exc:
        raise ArchiveError(f"{current}: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(f"{current}: the archive is damaged here ({exc})") from exc
    if manifest is None:
        raise ArchiveError(f"{MANIFEST}: missing (the archive is incomplete)")
    if manifest.get("format") != FORMAT:
        raise ArchiveError(f"{MANIFEST}: unknown format {manifest.get('format')!r}")
    expected = {k: Member(v["sha256"], int(v["size"])) for k, v in manifest["members"].items()}
    for name, member in expected.items():
        got = seen.get(name)
        if got is None:
            raise ArchiveError(f"{name}: listed in the manifest but missing from the archive")
        if got.size != member.size:
            raise ArchiveError(f"{name}: {got.size} bytes, the manifest says {member.size}")
        if got.sha256 != member.sha256:
            raise ArchiveError(f"{name}: checksum mismatch (the file is corrupted)")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise ArchiveError(f"{extra[0]}: in the archive but not in the manifest")
    return manifest


def _copy_member(tar: tarfile.TarFile, info: tarfile.TarInfo, dest: Path | None) -> Member:
    handle = tar.extractfile(info)
    assert handle is not None
    digest = hashlib.sha256()
    size = 0
    out: BinaryIO | None = None
    if dest is not None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        out = open(dest, "wb")  # noqa: SIM115 - closed below
    try:
        while chunk := handle.read(BUFFER):
            digest.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
    finally:
        if out is not None:
            out.close()
    if dest is not None:
        os.chmod(dest, info.mode & 0o777 or 0o600)
        os.utime(dest, (info.mtime, info.mtime))
    return Member(digest.hexdigest(), size)
