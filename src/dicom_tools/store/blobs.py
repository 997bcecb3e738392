"""The blob directory: one file per instance, named by the SHA-256 of its SOP Instance UID.

Layout: ``blobs/ab/cd/<64 hex>`` where ``abcd...`` is ``sha256(uid)``: no user-supplied text
is ever part of a path, and two levels of 256 folders keep each folder small. The instance id
the REST API shows is the first 32 hex digits of the same hash. A blob is written to
``blobs/tmp/<random>.tmp``, flushed and fsynced, then renamed into place (same file system, so
the rename is atomic) and its folder fsynced, so a crash leaves either no blob or a whole one.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20
TEMP_SUFFIX = ".tmp"


def uid_hash(uid: str) -> str:
    return hashlib.sha256(uid.encode("ascii", "replace")).hexdigest()


def instance_id(uid: str) -> str:
    """The opaque, URL-safe id of an instance: 32 hex digits of the SHA-256 of its UID."""
    return uid_hash(uid)[:32]


def is_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Blobs:
    """The blob files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp = root / "tmp"
        self.temp.mkdir(parents=True, exist_ok=True)

    def path(self, uid: str) -> Path:
        h = uid_hash(uid)
        return self.root / h[:2] / h[2:4] / h

    def write_temp(self, data: bytes | BinaryIO) -> tuple[Path, str, int]:
        """Write ``data`` (bytes, or a binary stream read to its end) to a new temp file,
        fsynced; returns (its path, the SHA-256 of the bytes, their count)."""
        temp = self.temp / f"{uuid.uuid4().hex}{TEMP_SUFFIX}"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(temp, "xb") as f:
                if isinstance(data, bytes | bytearray | memoryview):
                    f.write(data)
                    digest.update(data)
                    size = len(data)
                else:
                    while chunk := data.read(_CHUNK):
                        f.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                f.flush()
                os.fdatasync(f.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, digest.hexdigest(), size

    def place(self, temp: Path, uid: str) -> Path:
        """Rename ``temp`` to the blob of ``uid`` (replacing a stray one: callers hold the
        index row of ``uid``, so nobody else is placing it). Call ``settle`` after commit."""
        final = self.path(uid)
        if not final.parent.is_dir():  # a new folder's name made durable in its parent
            for folder in (final.parent.parent, final.parent):
                try:
                    folder.mkdir()
                except FileExistsError:
                    continue
                _fsync_dir(folder.parent)
        os.replace(temp, final)
        return final

    def settle(self, final: Path) -> None:
        """Make the rename into ``final``'s folder durable."""
        _fsync_dir(final.parent)

    def temp_files(self) -> list[Path]:
        return [p for p in self.temp.iterdir() if p.is_file()]

    def all(self) -> Iterator[Path]:
        """Every blob file in the layout (names that are not 64 hex digits are not ours)."""
        for first in self.root.iterdir():
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in first.iterdir():
                if not second.is_dir():
                    continue
                for blob in second.iterdir():
                    if len(blob.name) == 64 and blob.name.startswith(first.name + second.name):
                        yield blob
