"""Identity's own RBAC resolver: a user's grants (roles, inheritance, standing), briefly cached.

One user's grants answer every permission question about that user, so they are the
cached unit (not single decisions). Entries live a few seconds and are dropped when an
RBAC change is announced on ``identity:rbac:changed``: ``user:<id>`` drops one user,
anything else drops everything (a role's permissions or parents changed).
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.domain.rbac import Grants
from identity.store.rbac import load_graph, user_standing
from mesh.auth import Principal

__all__ = ["RoleResolver"]

DEFAULT_TTL_SECONDS = 10.0
DEFAULT_MAX_USERS = 10_000


class RoleResolver:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_users: int = DEFAULT_MAX_USERS,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl if enabled else 0.0
        self._max = max_users
        self._clock = clock
        self._cache: OrderedDict[uuid.UUID, tuple[float, Grants | None]] = OrderedDict()
        self._epoch = 0

    async def grants(self, user_id: uuid.UUID) -> Grants | None:
        """The user's grants, or None for an unknown user."""
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] > self._clock():
            self._cache.move_to_end(user_id)
            return hit[1]
        epoch = self._epoch
        grants = await self.load(user_id)
        if epoch == self._epoch and self._ttl > 0:
            self._cache[user_id] = (self._clock() + self._ttl, grants)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return grants

    async def load(self, user_id: uuid.UUID, session: AsyncSession | None = None) -> Grants | None:
        """Uncached grants, read in ``session`` when given (to see a transaction's own changes)."""
        if session is None:
            async with self._sessions() as own:
                return await self.load(user_id, own)
        standing = await user_standing(session, user_id)
        if standing is None:
            return None
        graph = await load_graph(session, standing.tenant_id)
        return Grants.of(standing.user_id, standing.tenant_id, standing.active, standing.role_ids, graph)

    async def check(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        """mesh.authz's PermissionChecker, answered in process (inside identity)."""
        grants = await self.for_principal(principal)
        return grants is not None and grants.allows(permission, _uuid(tenant_id or principal.tenant_id))

    async def for_principal(self, principal: Principal) -> Grants | None:
        user_id = _uuid(principal.subject) if principal.kind in ("user", "api_key") else None
        return None if user_id is None else await self.grants(user_id)

    def invalidate(self, message: str = "") -> None:
        kind, _, ident = message.partition(":")
        user_id = _uuid(ident) if kind == "user" else None
        self._epoch += 1
        if user_id is not None:
            self._cache.pop(user_id, None)
        else:
            self._cache.clear()


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
