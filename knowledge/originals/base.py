"""The storage interface for originals.

An upload is spooled to a local temporary file while it streams in (hashed and counted on
the way), so nothing holds a whole file in memory and nothing reaches the store before its
size and checksum are verified. ``put`` then moves the spooled file under its final key; an
S3-compatible store would upload it there instead.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

__all__ = ["OriginalStore", "SpooledUpload"]


class SpooledUpload:
    """A temporary file receiving an upload, with its running SHA-256 and size."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self.sha256 = ""

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def finish(self) -> str:
        """Close the file; returns the hex SHA-256."""
        self._file.close()
        self.sha256 = self._hash.hexdigest()
        return self.sha256

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class OriginalStore(Protocol):
    def spool(self) -> SpooledUpload:
        """A new temporary file for an incoming upload."""
        ...

    async def put(self, key: str, upload: SpooledUpload) -> None:
        """Keep the finished upload under ``key`` (the spooled file is consumed)."""
        ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; missing keys are fine (deletes are retried)."""
        ...

    async def delete_prefix(self, prefix: str) -> None: ...
