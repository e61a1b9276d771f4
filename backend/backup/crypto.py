"""Passphrase encryption of a whole archive, streamed in chunks (never all in memory).

Format (``.ytenc``)::

    MAGIC | salt (16) | log2 N, r, p (3 bytes) | chunk size (4, big-endian) | check (32)
    then chunks: final flag (1) | length (4, big-endian) | AES-256-GCM ciphertext + tag

The key comes from scrypt(passphrase, salt); its first half encrypts, its second half
makes ``check`` (an HMAC of the header), so a wrong passphrase is told apart from a
damaged archive before anything is decrypted. Each chunk's nonce is its index (the key is
unique to the archive through its random salt) and its associated data is the header, the
index and the final flag: chunks cannot be reordered, dropped or cut off unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"YTEBACKUP-ENC1\n"
CHUNK = 1024 * 1024
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
_PARAMS = struct.Struct(">BBBI")
_FRAME = struct.Struct(">BI")
_TAG = 16
HEADER_LEN = len(MAGIC) + 16 + _PARAMS.size + 32


class BackupDecryptError(ValueError):
    """The archive cannot be decrypted: wrong passphrase, damage, or not encrypted."""


class PassphraseError(BackupDecryptError):
    """The passphrase is missing or wrong (nothing was decrypted)."""


def _keys(passphrase: str, salt: bytes, log_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    if not 10 <= log_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise BackupDecryptError("the archive's key-derivation parameters are out of range")
    kdf = Scrypt(salt=salt, length=64, n=2**log_n, r=r, p=p)
    key = kdf.derive(passphrase.encode())
    return key[:32], key[32:]


def is_encrypted(path: os.PathLike[str] | str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


class EncryptingWriter:
    """A write-only file object: what is written goes out encrypted, chunk by chunk."""

    def __init__(self, out: BinaryIO, passphrase: str, chunk_size: int = CHUNK) -> None:
        if not passphrase:
            raise ValueError("the backup passphrase is empty")
        salt = os.urandom(16)
        enc_key, check_key = _keys(passphrase, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
        prefix = MAGIC + salt + _PARAMS.pack(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, chunk_size)
        self._header = prefix + hmac.new(check_key, prefix, hashlib.sha256).digest()
        self._aead = AESGCM(enc_key)
        self._out = out
        self._chunk = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        out.write(self._header)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buffer += data
        while len(self._buffer) > self._chunk:  # keep at least one byte for the final chunk
            self._emit(bytes(self._buffer[: self._chunk]), final=False)
            del self._buffer[: self._chunk]
        return len(data)

    def _emit(self, plain: bytes, *, final: bool) -> None:
        flag = 1 if final else 0
        aad = self._header + struct.pack(">QB", self._index, flag)
        sealed = self._aead.encrypt(self._index.to_bytes(12, "big"), plain, aad)
        self._out.write(_FRAME.pack(flag, len(sealed)) + sealed)
        self._index += 1

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._closed = True


class DecryptingReader:
    """A read-only file object over an encrypted archive; raises on any damage."""

    def __init__(self, source: BinaryIO, passphrase: str) -> None:
        header = source.read(HEADER_LEN)
        if len(header) < HEADER_LEN or not header.startswith(MAGIC):
            raise BackupDecryptError("the archive is not a YTEMPIRE encrypted backup")
        salt = header[len(MAGIC) : len(MAGIC) + 16]
        params = header[len(MAGIC) + 16 : len(MAGIC) + 16 + _PARAMS.size]
        log_n, r, p, chunk = _PARAMS.unpack(params)
        if not passphrase:
            raise PassphraseError(
                "the archive is encrypted: give --passphrase-file or set YTE_BACKUP_PASSPHRASE"
            )
        enc_key, check_key = _keys(passphrase, salt, log_n, r, p)
        prefix = header[:-32]
        if not hmac.compare_digest(
            hmac.new(check_key, prefix, hashlib.sha256).digest(), header[-32:]
        ):
            raise PassphraseError("wrong passphrase for this archive")
        self._header = header
        self._aead = AESGCM(enc_key)
        self._source = source
        self._max_frame = chunk + _TAG
        self._index = 0
        self._buffer = b""
        self._pos = 0
        self._done = False
        self.offset = HEADER_LEN  # bytes of the encrypted file consumed so far

    def _next(self) -> None:
        frame = self._source.read(_FRAME.size)
        if len(frame) < _FRAME.size:
            raise BackupDecryptError(
                f"the archive is truncated at byte {self.offset} (chunk {self._index} missing)"
            )
        flag, length = _FRAME.unpack(frame)
        if flag not in (0, 1) or length > self._max_frame or length < _TAG:
            raise BackupDecryptError(f"chunk {self._index} at byte {self.offset} is damaged")
        sealed = self._source.read(length)
        aad = self._header + struct.pack(">QB", self._index, flag)
        try:
            plain = self._aead.decrypt(self._index.to_bytes(12, "big"), sealed, aad)
        except InvalidTag as exc:
            raise BackupDecryptError(
                f"chunk {self._index} at byte {self.offset} fails authentication "
                "(the archive is corrupted)"
            ) from exc
        self.offset += _FRAME.size + length
        self._index += 1
        self._buffer = self._buffer[self._pos :] + plain
        self._pos = 0
        if flag:
            self._done = True
            if self._source.read(1):
                raise BackupDecryptError("data follows the final chunk (the archive is damaged)")

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) - self._pos < size):
            self._next()
        end = len(self._buffer) if size < 0 else min(len(self._buffer), self._pos + size)
        out = self._buffer[self._pos : end]
        self._pos = end
        return out
