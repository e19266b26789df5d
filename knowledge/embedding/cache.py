"""A content-hash cache in front of any embedder.

The same text embedded by the same model gives the same vector, so re-indexing a knowledge
base, uploading a near-duplicate document or repeating a query costs nothing the second
time. The key hashes model, dimension, input type and text (SHA-256); the value is the
vector as little-endian float32 bytes (1.5 KB for 384 dimensions). Storage is the service's
choice through :class:`EmbeddingCacheStore` (Redis, Postgres); an in-memory LRU is here for
tests and single processes.
"""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict
from typing import Protocol

from knowledge.embedding.base import Embedder, InputType

__all__ = ["CachedEmbedder", "EmbeddingCacheStore", "MemoryCacheStore", "cache_key", "pack", "unpack"]


class EmbeddingCacheStore(Protocol):
    """Batch get/set of opaque values; ``get_many`` answers None for a miss, in key order."""

    async def get_many(self, keys: list[str]) -> list[bytes | None]: ...

    async def set_many(self, items: dict[str, bytes]) -> None: ...


def cache_key(model: str, dimension: int, input_type: str, text: str) -> str:
    digest = hashlib.sha256(f"{model}\0{dimension}\0{input_type}\0".encode() + text.encode()).hexdigest()
    return f"emb:{digest}"


def pack(vector: list[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack(data: bytes, dimension: int) -> list[float] | None:
    """The vector, or None when the stored value does not have the expected size."""
    if len(data) != 4 * dimension:
        return None
    return list(struct.unpack(f"<{dimension}f", data))


class CachedEmbedder:
    """Wraps an embedder: hits come from the store, misses are embedded once (duplicates in
    one call included) and written back. A failing store never fails the embedding."""

    def __init__(self, inner: Embedder, store: EmbeddingCacheStore) -> None:
        self.inner = inner
        self.model = inner.model
        self.dimension = inner.dimension
        self._store = store

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> list[list[float]]:
        keys = [cache_key(self.model, self.dimension, input_type, t) for t in texts]
        found = await self._get(keys)
        vectors: list[list[float] | None] = [
            None if raw is None else unpack(raw, self.dimension) for raw in found
        ]
        missing: dict[str, str] = {}
        for key, text, vector in zip(keys, texts, vectors, strict=True):
            if vector is None:
                missing.setdefault(key, text)
        if missing:
            fresh = await self.inner.embed(list(missing.values()), input_type=input_type)
            computed = dict(zip(missing, fresh, strict=True))
            await self._set({key: pack(vector) for key, vector in computed.items()})
            vectors = [computed[k] if v is None else v for k, v in zip(keys, vectors, strict=True)]
        return [v for v in vectors if v is not None]

    async def _get(self, keys: list[str]) -> list[bytes | None]:
        try:
            found = await self._store.get_many(keys)
        except Exception:  # the cache is an optimisation: a broken store means misses
            return [None] * len(keys)
        return found if len(found) == len(keys) else [None] * len(keys)

    async def _set(self, items: dict[str, bytes]) -> None:
        try:
            await self._store.set_many(items)
        except Exception:
            return


class MemoryCacheStore:
    """A bounded in-process LRU (tests, single-process use)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._max = max_entries

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        out: list[bytes | None] = []
        for key in keys:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            out.append(value)
        return out

    async def set_many(self, items: dict[str, bytes]) -> None:
        for key, value in items.items():
            self._items[key] = value
            self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
