"""Guarding RPCs with RBAC permissions: ``await require("conversations:update")`` or ``@require(...)``.

Every service authorizes its callers itself. The caller's principal (set by the auth
layer) names the user; whether that user holds a ``resource:action`` permission is
identity's decision (roles, inheritance, wildcards, tenant scoping), asked through its
``Check`` RPC with the caller's own credentials and cached here briefly. Identity
itself answers from its own resolver, in process. Role changes are announced on the
Redis channel :data:`RBAC_CHANGED_CHANNEL`; :meth:`Authorizer.listen` clears the cache
when one arrives, and the TTL bounds staleness if Redis is unreachable.

Wiring, in a service's ``__main__``::

    authorizer = await remote_authorizer(clients.stub("identity"), redis)
    mesh.authz.install(authorizer)          # and on shutdown: await authorizer.close()

Handlers then use :func:`require` (or :func:`holds` for a yes/no). Without an installed
authorizer ``require`` fails closed (INTERNAL); if identity cannot be reached, the call fails
with its error. ``mesh.wiring.build_service`` installs one for every service and refuses to
start a service without one, so a missing installation is a start-up failure, not a 500.

This is the one authorization path: decisions never read the JWT ``roles`` claim, which
stays as it was issued until the token expires. A question about another tenant (or
:data:`EVERY_TENANT`) passes ``tenant_id``; identity grants nothing outside the caller's own
tenant except to ``super_admin``, so "may act across tenants" is ``holds(p, tenant_id=EVERY_TENANT)``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, Protocol, TypeVar, cast

from chatmesh.identity.v1 import rbac_pb2
from redis.asyncio import Redis

from mesh.auth import Principal, current_principal
from mesh.errors import Internal, PermissionDenied, Unauthenticated
from mesh.invalidation import InvalidationListener

__all__ = [
    "EVERY_TENANT",
    "RBAC_CHANGED_CHANNEL",
    "Authorizer",
    "IdentityCheck",
    "PermissionChecker",
    "holds",
    "install",
    "installed",
    "remote_authorizer",
    "require",
    "require_for_users",
    "uninstall",
]

RBAC_CHANGED_CHANNEL = "identity:rbac:changed"
DEFAULT_TTL_SECONDS = 5.0
DEFAULT_MAX_ENTRIES = 10_000
# No tenant has this id, so identity answers a question about it as one about "any tenant but
# the caller's own": only a cross-tenant role (super_admin) is granted anything there.
EVERY_TENANT = "00000000-0000-0000-0000-000000000000"

F = TypeVar("F", bound=Callable[..., Any])
CacheKey = tuple[str, str, str, str, str]


class PermissionChecker(Protocol):
    """Decides one permission for one principal (identity's Check, or its local resolver).

    ``tenant_id`` is passed (as a keyword) only for a question about a tenant other than the
    principal's own, so a checker that only answers own-tenant questions may omit it.
    """

    async def check(self, principal: Principal, permission: str) -> bool: ...


class IdentityCheck:
    """Asks identity's ``Check`` RPC; the caller's credentials travel with the call (mesh.clients)."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    async def check(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        if tenant_id and not _is_uuid(tenant_id):
            # A caller-supplied id no tenant can have (identity's ids are UUIDs, and its Check
            # refuses anything else): as for any tenant but the caller's own.
            tenant_id = EVERY_TENANT
        response = await self._stub.Check(rbac_pb2.CheckRequest(permission=permission, tenant_id=tenant_id))
        return bool(response.allowed)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class Authorizer:
    """Permission decisions with a short TTL cache, coalesced misses and pub/sub invalidation."""

    def __init__(
        self,
        checker: PermissionChecker,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._checker = checker
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._cache: OrderedDict[CacheKey, tuple[float, bool]] = OrderedDict()
        self._pending: dict[CacheKey, asyncio.Future[bool]] = {}
        self._epoch = 0
        self._listener: InvalidationListener | None = None

    async def allowed(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        """Whether ``principal`` holds ``permission`` in its own tenant, or in ``tenant_id``."""
        if not principal.is_authenticated:
            return False
        if tenant_id == principal.tenant_id:
            tenant_id = ""
        key = (principal.kind, principal.subject, principal.tenant_id, permission, tenant_id)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._clock():
            self._cache.move_to_end(key)
            return hit[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        epoch = self._epoch
        try:
            if tenant_id:
                decision = await cast(Any, self._checker).check(principal, permission, tenant_id=tenant_id)
            else:
                decision = await self._checker.check(principal, permission)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a future nobody awaited does not warn
            raise
        finally:
            self._pending.pop(key, None)
        future.set_result(decision)
        if epoch == self._epoch:
            self._store(key, decision)
        return decision

    def _store(self, key: CacheKey, decision: bool) -> None:
        self._cache[key] = (self._clock() + self._ttl, decision)
        self._cache.move_to_end(key)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def require(
        self, *permissions: str, principal: Principal | None = None, tenant_id: str = ""
    ) -> None:
        """Raise unless the caller holds every permission: UNAUTHENTICATED, then PERMISSION_DENIED."""
        who = principal or current_principal()
        if not who.is_authenticated:
            raise Unauthenticated("this call needs credentials", reason="CREDENTIALS_MISSING")
        decisions = await asyncio.gather(*(self.allowed(who, p, tenant_id) for p in permissions))
        missing = [p for p, ok in zip(permissions, decisions, strict=True) if not ok]
        if missing:
            raise PermissionDenied(
                f"missing permission {', '.join(missing)}",
                reason="PERMISSION_MISSING",
                metadata={"permission": ",".join(missing)},
            )

    def invalidate(self, message: str = "") -> None:
        """Drop every cached decision (any role change may affect any decision)."""
        self._epoch += 1
        self._cache.clear()

    async def listen(self, redis: Redis) -> None:
        """Clear the cache whenever identity announces an RBAC change (until :meth:`close`)."""
        if self._listener is None:
            self._listener = InvalidationListener(
                redis, {RBAC_CHANGED_CHANNEL: self.invalidate}, on_reset=self.invalidate
            )
            await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None


async def remote_authorizer(
    identity_stub: Any, redis: Redis | None, *, ttl: float = DEFAULT_TTL_SECONDS
) -> Authorizer:
    """An authorizer asking identity's Check, listening for RBAC changes when Redis is given."""
    authorizer = Authorizer(IdentityCheck(identity_stub), ttl=ttl)
    if redis is not None:
        await authorizer.listen(redis)
    return authorizer


_installed: Authorizer | None = None


def install(authorizer: Authorizer | None) -> None:
    """Make ``authorizer`` the one :func:`require` uses in this process (None uninstalls)."""
    global _installed
    _installed = authorizer


def uninstall(authorizer: Authorizer) -> None:
    """Uninstall ``authorizer`` if it is the installed one (a process may build several services)."""
    global _installed
    if _installed is authorizer:
        _installed = None


def installed() -> Authorizer:
    if _installed is None:
        raise Internal("authorization is not configured in this service", reason="AUTHZ_NOT_CONFIGURED")
    return _installed


class _Requirement:
    """What :func:`require` returns: await it inside a handler, or use it as a decorator."""

    def __init__(self, permissions: tuple[str, ...], tenant_id: str = "") -> None:
        if not permissions:
            raise ValueError("require() needs at least one permission")
        self._permissions = permissions
        self._tenant_id = tenant_id

    def __await__(self) -> Generator[Any, None, None]:
        return installed().require(*self._permissions, tenant_id=self._tenant_id).__await__()

    def __call__(self, handler: F) -> F:
        permissions = self._permissions
        if inspect.isasyncgenfunction(handler):

            @functools.wraps(handler)
            async def streaming(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                await installed().require(*permissions)
                async for item in handler(*args, **kwargs):
                    yield item

            return cast(F, streaming)
        if not inspect.iscoroutinefunction(handler):
            raise TypeError("require() decorates async handlers only")

        @functools.wraps(handler)
        async def unary(*args: Any, **kwargs: Any) -> Any:
            await installed().require(*permissions)
            return await handler(*args, **kwargs)

        return cast(F, unary)


async def holds(permission: str, *, tenant_id: str = "", principal: Principal | None = None) -> bool:
    """Whether the caller (or ``principal``) holds ``permission``, in ``tenant_id`` when given.

    For decisions that widen or narrow what a caller sees rather than refuse the call
    (e.g. a tenant admin sees the tenant's records, a user only their own).
    """
    return await installed().allowed(principal or current_principal(), permission, tenant_id)


async def require_for_users(*permissions: str) -> None:
    """:func:`require` for RPCs that mesh services also call on their own account.

    A service principal passes (it acts for the tenant its request names, and has no roles
    at identity). So does the anonymous caller of a process with no authorizer installed:
    only a service started bare (a test, a tool) has none, since ``mesh.wiring`` installs one
    for every service and a service with a verifier never lets an anonymous caller reach a
    non-public handler. Everyone else must hold every permission.
    """
    who = current_principal()
    if who.kind == "service" or (not who.is_authenticated and _installed is None):
        return
    await installed().require(*permissions, principal=who)


def require(*permissions: str, tenant_id: str = "") -> _Requirement:
    """``await require("a:b", "c:d")`` in a handler, or ``@require("a:b")`` on one: the caller
    must hold every permission listed (checked with the installed :class:`Authorizer`), in
    ``tenant_id`` when given (only awaited, not as a decorator)."""
    return _Requirement(permissions, tenant_id)
