"""Concurrent-turn counts shared by every orchestrator instance, as leases in Redis.

Each user and tenant with a limit has a sorted set of the turns it runs, scored by when
the lease runs out (Redis server time, so instance clocks do not matter). Taking a lease
drops expired members, checks every count and adds the turn to every set in one script,
so two instances cannot both take the last place. The instance holding a turn renews its
lease every third of the lease time; an instance that dies stops renewing, and its turns
stop counting within ``lease_seconds``. Without Redis the counts are kept in this process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mesh.tasks import cancel_and_wait
from orchestrator.domain.turn_limits import TurnLimits

__all__ = ["Lease", "TurnLeases"]

log = logging.getLogger(__name__)

PREFIX = "orchestrator:turns:"

# KEYS: the sets; ARGV: member, lease ms, then one limit per key. Returns 0, or the 1-based
# index of the first key whose limit is reached.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZSCORE', key, ARGV[1]) == false and redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[1])
  redis.call('PEXPIRE', key, lease * 2)
end
return 0
"""

# KEYS: the sets; ARGV: member, lease ms. Pushes the member's expiry out where it is still held.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]) * 2)
end
return 0
"""


@dataclass(frozen=True)
class Lease:
    """A turn's place in its user's and tenant's counts; ``keys`` is empty when nothing is limited."""

    member: str
    keys: tuple[str, ...]


def _keys(tenant_id: str, user_id: str, limits: TurnLimits) -> list[tuple[str, str, int]]:
    scopes = []
    if limits.user:
        scopes.append(("user", f"{PREFIX}user:{tenant_id}:{user_id}", limits.user))
    if limits.tenant:
        scopes.append(("tenant", f"{PREFIX}tenant:{tenant_id}", limits.tenant))
    return scopes


class TurnLeases:
    def __init__(self, redis: Redis | None, *, lease_seconds: float = 15.0) -> None:
        self._redis = redis
        self._lease_ms = max(int(lease_seconds * 1000), 1000)
        self._held: dict[str, Lease] = {}
        self._local: dict[str, set[str]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._acquire = redis.register_script(_ACQUIRE) if redis is not None else None
        self._renew = redis.register_script(_RENEW) if redis is not None else None

    async def start(self) -> None:
        if self._redis is not None and self._task is None:
            self._task = asyncio.create_task(self._renewing(), name="orchestrator-turn-leases")

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        for lease in list(self._held.values()):
            await self.release(lease)

    async def acquire(
        self, member: str, tenant_id: str, user_id: str, limits: TurnLimits
    ) -> tuple[Lease | None, tuple[str, int] | None]:
        """``(lease, None)`` when the turn may run, ``(None, (scope, limit))`` when a limit is reached.

        Redis being unreachable admits the turn (fairness is not worth refusing every turn).
        """
        scopes = _keys(tenant_id, user_id, limits)
        lease = Lease(member, tuple(key for _, key, _ in scopes))
        if not scopes:
            return lease, None
        if self._acquire is None:
            for scope, key, limit in scopes:
                if member not in self._local[key] and len(self._local[key]) >= limit:
                    return None, (scope, limit)
            for _, key, _ in scopes:
                self._local[key].add(member)
            self._held[member] = lease
            return lease, None
        try:
            full = int(
                await self._acquire(
                    keys=list(lease.keys), args=[member, self._lease_ms, *(s[2] for s in scopes)]
                )
            )
        except (RedisError, OSError):
            log.warning("could not count concurrent turns; admitting the turn", exc_info=True)
            return lease, None
        if full:
            scope, _, limit = scopes[full - 1]
            return None, (scope, limit)
        self._held[member] = lease
        return lease, None

    async def release(self, lease: Lease) -> None:
        self._held.pop(lease.member, None)
        if not lease.keys:
            return
        if self._redis is None:
            for key in lease.keys:
                self._local[key].discard(lease.member)
                if not self._local[key]:
                    del self._local[key]
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in lease.keys:
                    pipe.zrem(key, lease.member)
                await pipe.execute()
        except (RedisError, OSError):
            log.warning("could not release a turn lease (it expires by itself)", exc_info=True)

    async def renew_all(self) -> None:
        """Pushes out the expiry of every lease this instance holds (one round trip)."""
        if self._redis is None or self._renew is None or not self._held:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for lease in list(self._held.values()):
                await self._renew(keys=list(lease.keys), args=[lease.member, self._lease_ms], client=pipe)
            await pipe.execute()

    async def _renewing(self) -> None:
        interval = self._lease_ms / 3000
        while True:
            await asyncio.sleep(interval)
            started = time.monotonic()
            try:
                await self.renew_all()
            except (RedisError, OSError):
                log.warning("could not renew turn leases", exc_info=True)
            log.debug("renewed %d turn leases in %.3f s", len(self._held), time.monotonic() - started)
