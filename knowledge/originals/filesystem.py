"""Originals as files under one directory (``<data_dir>/knowledge/originals`` by default).

Keys are ``<tenant>/<knowledge base>/<document>``, made of ids the service generated, so
they never contain ``..``; the check below refuses anything else anyway.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from knowledge.originals.base import SpooledUpload

__all__ = ["FilesystemStore"]


class FilesystemStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._spool = root / ".spool"

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"bad storage key {key!r}")
        return self.root.joinpath(*parts)

    def spool(self) -> SpooledUpload:
        return SpooledUpload(self._spool)

    async def put(self, key: str, upload: SpooledUpload) -> None:
        target = self._path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(upload.path, target)

        await asyncio.to_thread(move)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._path(prefix), True)
