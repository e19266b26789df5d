"""The long-lived parts of identity's access area: API key cache, RBAC resolver, last-used writer.

Built once in ``identity/assembly.py`` (or by a test) and kept on ``IdentityDeps.access``.
:meth:`AccessRuntime.start` subscribes to the invalidation channels before the server
takes calls; :meth:`AccessRuntime.close` runs on shutdown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.store.api_key_cache import APIKEY_CHANGED_CHANNEL, ApiKeyCache, LastUsedRecorder
from identity.store.rbac_cache import RoleResolver
from mesh.authz import RBAC_CHANGED_CHANNEL
from mesh.invalidation import InvalidationListener, publish

__all__ = ["AccessRuntime"]


@dataclass
class AccessRuntime:
    api_keys: ApiKeyCache
    roles: RoleResolver
    last_used: LastUsedRecorder
    redis: Redis | None
    listener: InvalidationListener | None = None

    @classmethod
    def create(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis | None,
        *,
        cache: bool = True,
        last_used_interval: float = 30.0,
    ) -> AccessRuntime:
        """``cache=False`` sends every lookup to Postgres (the benchmark's baseline)."""
        return cls(
            api_keys=ApiKeyCache(sessions, redis, enabled=cache),
            roles=RoleResolver(sessions, enabled=cache),
            last_used=LastUsedRecorder(sessions, interval=last_used_interval),
            redis=redis,
        )

    async def start(self) -> None:
        self.last_used.start()
        if self.redis is not None and self.listener is None:
            self.listener = InvalidationListener(
                self.redis,
                {APIKEY_CHANGED_CHANNEL: self.api_keys.evict, RBAC_CHANGED_CHANNEL: self.roles.invalidate},
                on_reset=self._reset,
            )
            await self.listener.start()

    async def close(self) -> None:
        if self.listener is not None:
            await self.listener.close()
            self.listener = None
        await self.last_used.close()

    def _reset(self) -> None:
        self.api_keys.reset()
        self.roles.invalidate()

    async def roles_changed(self, user_id: uuid.UUID | None = None) -> None:
        """Announce an RBAC change after it committed: one user's roles, or (None) role definitions.

        Every identity instance drops the affected grants and every service's
        mesh.authz cache drops its decisions.
        """
        message = f"user:{user_id}" if user_id is not None else "*"
        self.roles.invalidate(message)
        await publish(self.redis, RBAC_CHANGED_CHANNEL, message)

    async def user_changed(self, user_id: uuid.UUID) -> None:
        """For the accounts area: call after a user is disabled, deleted or restored, so
        the user's API keys and permission decisions follow at once."""
        await self.roles_changed(user_id)
