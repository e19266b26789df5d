"""The API key hot path: keys by secret hash from an in-process LRU, then Redis, then Postgres.

Every developer-API request authenticates a key, so a key check must not touch
Postgres once the key is warm. Two tiers: a small in-process LRU (entries live
``local_ttl`` seconds) in front of Redis (``redis_ttl`` seconds), both keyed by the
SHA-256 of the secret (never the secret itself).

A change to a key must take effect at once on every identity instance. After the
change commits, :meth:`ApiKeyCache.invalidate` writes a short-lived tombstone over
the Redis entry (so a reader that loaded the old row just before the commit cannot put
it back: readers fill Redis with SET NX), evicts the local entry, and publishes the
hash on ``identity:apikey:changed``; every instance's listener evicts its LRU entry.
A reader only fills its LRU if no invalidation arrived while it was loading. If Redis
is unreachable, lookups fall back to Postgres and the local TTL bounds staleness.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.domain.api_keys import KeyView
from identity.store.api_keys import key_by_hash, touch_last_used
from mesh.auth_api_keys import APIKEY_CHANGED_CHANNEL
from mesh.invalidation import publish

__all__ = ["APIKEY_CHANGED_CHANNEL", "ApiKeyCache", "LastUsedRecorder"]

log = logging.getLogger(__name__)

_REDIS_PREFIX = "identity:apikey:"
_TOMBSTONE = b"-"
DEFAULT_LOCAL_TTL = 10.0
DEFAULT_REDIS_TTL = 120.0
DEFAULT_NEGATIVE_TTL = 5.0
TOMBSTONE_SECONDS = 10
DEFAULT_MAX_ENTRIES = 50_000
# A sick Redis must not slow the hot path: each call is bounded, and after a failure
# Redis is skipped for a while (Postgres answers meanwhile).
REDIS_CALL_SECONDS = 0.25
REDIS_PAUSE_SECONDS = 5.0


class ApiKeyCache:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis | None,
        *,
        enabled: bool = True,
        local_ttl: float = DEFAULT_LOCAL_TTL,
        redis_ttl: float = DEFAULT_REDIS_TTL,
        negative_ttl: float = DEFAULT_NEGATIVE_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._enabled = enabled
        self._local_ttl = local_ttl
        self._redis_ttl = int(redis_ttl)
        self._negative_ttl = negative_ttl
        self._max = max_entries
        self._clock = clock
        self._local: OrderedDict[bytes, tuple[float, KeyView | None]] = OrderedDict()
        self._epoch = 0
        self._redis_paused_until = 0.0

    async def lookup(self, secret_hash: bytes) -> KeyView | None:
        """The key with this hash (deleted ones included: the caller decides), or None if unknown."""
        if not self._enabled:
            return await self._from_db(secret_hash)
        found, view = self._local_get(secret_hash)
        if found:
            return view
        epoch = self._epoch
        found, view = await self._redis_get(secret_hash)
        if not found:
            view = await self._from_db(secret_hash)
            if view is not None:
                await self._redis_fill(secret_hash, view)
        if epoch == self._epoch:
            self._local_put(secret_hash, view)
        return view

    async def invalidate(self, secret_hash: bytes) -> None:
        """Call after a change to the key committed: every instance forgets it now.

        Not subject to the pause: a tombstone that can be written must be.
        """
        self.evict(secret_hash.hex())
        if self._redis is None:
            return
        try:
            async with asyncio.timeout(REDIS_CALL_SECONDS * 4):
                await self._redis.set(_redis_key(secret_hash), _TOMBSTONE, ex=TOMBSTONE_SECONDS)
                await publish(self._redis, APIKEY_CHANGED_CHANNEL, secret_hash.hex())
        except (RedisError, OSError, TimeoutError):
            log.warning("could not announce a changed API key through Redis", exc_info=True)

    def evict(self, message: str) -> None:
        """Listener callback: ``message`` is the hex hash of a changed key."""
        self._epoch += 1
        with contextlib.suppress(ValueError):
            self._local.pop(bytes.fromhex(message), None)

    def reset(self) -> None:
        self._epoch += 1
        self._local.clear()

    def _local_get(self, secret_hash: bytes) -> tuple[bool, KeyView | None]:
        """(found, view): a cached "unknown key" is found with view None."""
        entry = self._local.get(secret_hash)
        if entry is None:
            return False, None
        if entry[0] <= self._clock():
            del self._local[secret_hash]
            return False, None
        self._local.move_to_end(secret_hash)
        return True, entry[1]

    def _local_put(self, secret_hash: bytes, view: KeyView | None) -> None:
        ttl = self._local_ttl if view is not None else self._negative_ttl
        self._local[secret_hash] = (self._clock() + ttl, view)
        self._local.move_to_end(secret_hash)
        while len(self._local) > self._max:
            self._local.popitem(last=False)

    async def _from_db(self, secret_hash: bytes) -> KeyView | None:
        async with self._sessions() as session:
            return await key_by_hash(session, secret_hash)

    def _redis_usable(self) -> Redis | None:
        return self._redis if self._redis_paused_until <= self._clock() else None

    def _pause_redis(self) -> None:
        if self._redis_paused_until <= self._clock():
            log.warning("API key cache: Redis unavailable, reading Postgres for a while", exc_info=True)
        self._redis_paused_until = self._clock() + REDIS_PAUSE_SECONDS

    async def _redis_get(self, secret_hash: bytes) -> tuple[bool, KeyView | None]:
        redis = self._redis_usable()
        if redis is None:
            return False, None
        try:
            async with asyncio.timeout(REDIS_CALL_SECONDS):
                raw = await redis.get(_redis_key(secret_hash))
        except (RedisError, OSError, TimeoutError):
            self._pause_redis()
            return False, None
        if raw is None or raw == _TOMBSTONE:
            return False, None
        try:
            return True, view_from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("API key cache: unreadable Redis entry ignored")
            return False, None

    async def _redis_fill(self, secret_hash: bytes, view: KeyView) -> None:
        redis = self._redis_usable()
        if redis is None:
            return
        try:
            async with asyncio.timeout(REDIS_CALL_SECONDS):
                await redis.set(_redis_key(secret_hash), view_to_json(view), ex=self._redis_ttl, nx=True)
        except (RedisError, OSError, TimeoutError):
            self._pause_redis()


def _redis_key(secret_hash: bytes) -> str:
    return _REDIS_PREFIX + secret_hash.hex()


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def view_to_json(view: KeyView) -> bytes:
    return json.dumps(
        {
            "id": str(view.id),
            "tenant_id": str(view.tenant_id),
            "owner_id": str(view.owner_id),
            "name": view.name,
            "prefix": view.prefix,
            "status": view.status,
            "deleted_at": _stamp(view.deleted_at),
            "expire_at": _stamp(view.expire_at),
            "unlimited_quota": view.unlimited_quota,
            "remaining_quota": view.remaining_quota,
            "used_quota": view.used_quota,
            "allowed_models": list(view.allowed_models),
            "allowed_cidrs": list(view.allowed_cidrs),
            "last_used_at": _stamp(view.last_used_at),
            "created_at": _stamp(view.created_at),
            "updated_at": _stamp(view.updated_at),
        },
        separators=(",", ":"),
    ).encode()


def view_from_json(raw: bytes | str) -> KeyView:
    d: dict[str, Any] = json.loads(raw)
    created = _parse(d["created_at"])
    updated = _parse(d["updated_at"])
    assert created is not None and updated is not None
    return KeyView(
        id=uuid.UUID(d["id"]),
        tenant_id=uuid.UUID(d["tenant_id"]),
        owner_id=uuid.UUID(d["owner_id"]),
        name=d["name"],
        prefix=d["prefix"],
        status=d["status"],
        deleted_at=_parse(d["deleted_at"]),
        expire_at=_parse(d["expire_at"]),
        unlimited_quota=bool(d["unlimited_quota"]),
        remaining_quota=int(d["remaining_quota"]),
        used_quota=int(d["used_quota"]),
        allowed_models=tuple(d["allowed_models"]),
        allowed_cidrs=tuple(d["allowed_cidrs"]),
        last_used_at=_parse(d["last_used_at"]),
        created_at=created,
        updated_at=updated,
    )


class LastUsedRecorder:
    """Collects "key used at" in memory and writes them in one batch every ``interval`` seconds.

    Writing on every call would put a Postgres write on the hot path; a key's last-used
    time is informational, so losing the last interval's worth in a crash is acceptable.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, interval: float = 30.0) -> None:
        self._sessions = sessions
        self._interval = interval
        self._pending: dict[uuid.UUID, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def touch(self, key_id: uuid.UUID, when: datetime | None = None) -> None:
        self._pending[key_id] = when or datetime.now(UTC)

    def pending(self, key_id: uuid.UUID) -> datetime | None:
        return self._pending.get(key_id)

    async def flush(self) -> None:
        batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            async with self._sessions.begin() as session:
                await touch_last_used(session, batch)
        except Exception:
            log.warning("could not record API key last-used times", exc_info=True)
            for key_id, when in batch.items():
                self._pending.setdefault(key_id, when)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="api-key-last-used")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()
