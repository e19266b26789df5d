"""What the access RPCs share: who is calling (with grants), where from, ids, paging, timestamps.

Authorization inside identity is answered from the in-process RBAC resolver
(``deps.access.roles``), not through mesh.authz's RPC round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import grpc
from google.protobuf import timestamp_pb2

from identity.domain.origin import Origin
from identity.domain.rbac import Grants, outranked_by
from identity.store import api_keys as key_store
from identity.store import audit
from identity.store.access_runtime import AccessRuntime
from identity.store.paging import Cursor, decode_cursor
from mesh.auth import Principal, current_client_ip, current_principal
from mesh.client_ip import peer_address
from mesh.errors import (
    DomainError,
    FieldViolation,
    Internal,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
)
from mesh.paging import decode_offset, encode_offset

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Caller",
    "Origin",
    "decode_offset",
    "denials_audited",
    "encode_offset",
    "from_timestamp",
    "guard_target",
    "optional_id",
    "origin_of",
    "page_size",
    "parse_cursor",
    "parse_id",
    "resolve_caller",
    "resolve_person",
    "runtime",
    "standing_changed",
    "to_timestamp",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def runtime(deps: Any) -> AccessRuntime:
    access: AccessRuntime | None = deps.access
    if access is None:
        raise Internal("identity's access runtime is not configured", reason="ACCESS_NOT_CONFIGURED")
    return access


@dataclass(frozen=True)
class Caller:
    """An authenticated caller and what it holds."""

    principal: Principal
    grants: Grants

    @property
    def user_id(self) -> uuid.UUID:
        return self.grants.user_id

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.grants.tenant_id

    @property
    def actor_kind(self) -> Literal["user", "api_key"]:
        return "api_key" if self.principal.kind == "api_key" else "user"

    @property
    def actor_id(self) -> str:
        """Audit actor: the API key when one was used, else the user."""
        return self.principal.token_id if self.principal.kind == "api_key" else str(self.user_id)

    def can(self, permission: str, tenant_id: uuid.UUID | None = None) -> bool:
        return self.grants.allows(permission, tenant_id)

    def need(self, permission: str, tenant_id: uuid.UUID | None = None) -> None:
        if not self.can(permission, tenant_id):
            raise PermissionDenied(
                f"missing permission {permission}",
                reason="PERMISSION_MISSING",
                metadata={"permission": permission},
            )

    def sees_tenant(self, tenant_id: uuid.UUID | None) -> bool:
        """Whether things of ``tenant_id`` exist for this caller (its own tenant; super_admin: all)."""
        return tenant_id is None or tenant_id == self.tenant_id or self.grants.is_super_admin


async def resolve_caller(deps: Any) -> Caller:
    """The current principal with its grants; UNAUTHENTICATED for anonymous or unknown users."""
    principal = current_principal()
    if principal.kind not in ("user", "api_key") or not principal.subject:
        raise Unauthenticated("this call needs a user's credentials", reason="CREDENTIALS_MISSING")
    try:
        user_id = uuid.UUID(principal.subject)
    except ValueError as exc:
        raise Unauthenticated("credentials name no known user", reason="UNKNOWN_SUBJECT") from exc
    grants = await runtime(deps).roles.grants(user_id)
    if grants is None or not grants.active:
        raise Unauthenticated("the calling user is unknown or disabled", reason="USER_INACTIVE")
    return Caller(principal, grants)


async def resolve_person(deps: Any) -> Caller:
    """The calling user, logged in with its own token: never an API key.

    Credentials are managed by the person (keys, password, MFA, sessions, email): a key,
    however restricted, must not mint a new key or change how its owner logs in.
    """
    caller = await resolve_caller(deps)
    if caller.principal.kind != "user":
        raise PermissionDenied(
            "only a logged-in user can do this, not an API key", reason="USER_LOGIN_REQUIRED"
        )
    return caller


async def guard_target(deps: Any, caller: Caller, user_id: uuid.UUID, db: Any = None) -> None:
    """Refuse to act on another user who holds a permission the caller lacks.

    Managing a user (editing it, changing its roles or status, minting its keys, ending its
    sessions) may not reach above the caller: a tenant admin cannot manage a super_admin.
    """
    if user_id == caller.user_id:
        return
    target = await runtime(deps).roles.load(user_id, db)
    if target is None:
        return
    beyond = outranked_by(caller.grants.permissions, target.permissions)
    if beyond:
        raise PermissionDenied(
            "this user holds permissions you do not hold",
            reason="PROTECTED_USER",
            metadata={"permissions": ",".join(beyond[:20])},
        )


async def standing_changed(
    deps: Any, *, user_id: uuid.UUID | None = None, tenant_id: uuid.UUID | None = None
) -> None:
    """After a commit changing who may act (one user's roles or status, a tenant's status):
    every instance and service forgets the cached grants and the API keys concerned, so
    none of them is honoured on a stale answer."""
    access = runtime(deps)
    async with deps.sessions() as db:
        hashes = await key_store.key_hashes(db, owner_id=user_id, tenant_id=tenant_id)
    await access.roles_changed(user_id)
    for secret_hash in hashes:
        await access.api_keys.invalidate(secret_hash)


def origin_of(context: grpc.aio.ServicerContext) -> Origin:
    """Caller address and user agent for login throttling, sessions and the audit log.

    The address is the one mesh.auth established: sealed by the gateway (which alone decides
    how far to believe ``X-Forwarded-For``), else the transport peer. A header a caller sets
    itself (``x-forwarded-for``) is never believed: it would let anyone dodge the per-address
    login limit or lock out someone else's address.
    """
    user_agent = None
    for key, value in context.invocation_metadata() or ():
        if key == "user-agent" and isinstance(value, str):
            user_agent = value
    return Origin(current_client_ip() or peer_address(context.peer()) or None, user_agent)


@asynccontextmanager
async def denials_audited(
    deps: Any, context: grpc.aio.ServicerContext, action: str, resource: tuple[str, str]
) -> AsyncIterator[None]:
    """Record a refused attempt (outcome ``denied``) at a privilege or credential change.

    The attempt changed nothing, so its row is written in a transaction of its own after
    the refused one rolled back; then the refusal goes on to the caller.
    """
    try:
        yield
    except PermissionDenied as denied:
        await _record_denied(deps, context, action, resource, denied)
        raise


async def _record_denied(
    deps: Any, context: grpc.aio.ServicerContext, action: str, resource: tuple[str, str], denied: DomainError
) -> None:
    try:
        caller = await resolve_caller(deps)
    except DomainError:
        return
    origin = origin_of(context)
    async with deps.sessions.begin() as session:
        await audit.record(
            session,
            tenant_id=caller.tenant_id,
            actor_id=caller.actor_id,
            actor_kind=caller.actor_kind,
            action=action,
            resource=(resource[0], resource[1][:64]),
            outcome="denied",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={"reason": denied.reason, **denied.metadata},
        )


def parse_id(value: str, field: str) -> uuid.UUID:
    if not value:
        raise InvalidArgument(f"{field} is required", [FieldViolation(field, "required")])
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"{field} is not an id", [FieldViolation(field, "not a valid id")]) from exc


def optional_id(value: str, field: str) -> uuid.UUID | None:
    return parse_id(value, field) if value else None


def page_size(value: int) -> int:
    if value < 0:
        raise InvalidArgument("page_size must not be negative", [FieldViolation("page_size", "must be >= 0")])
    return min(value or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def parse_cursor(token: str) -> Cursor | None:
    if not token:
        return None
    try:
        return decode_cursor(token)
    except ValueError as exc:
        raise InvalidArgument(
            "bad page_token", [FieldViolation("page_token", "not a token from this list")]
        ) from exc


def page_of(items: Sequence[Any], token: str, size: int) -> tuple[Sequence[Any], str]:
    start = decode_offset(token)
    end = start + size
    return items[start:end], encode_offset(end) if end < len(items) else ""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """Aware datetime → Timestamp; plain arithmetic, because ``FromDatetime`` (calendar.timegm)
    is the costliest step of an AuthenticateApiKey reply."""
    if value is None:
        return None
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(
        seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000
    )


def from_timestamp(stamp: timestamp_pb2.Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)
