"""What the accounts RPCs share: the caller's token claims, target users, update masks.

Tenant isolation rule for every id a request carries: a user or tenant outside
the caller's own tenant does not exist for the caller (NOT_FOUND) unless the
caller is super_admin; inside the tenant, missing permissions are PERMISSION_DENIED.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy.ext.asyncio import AsyncSession

from identity.api.access_support import Caller
from identity.store import user_queries as user_store
from identity.store.user_queries import UserRow
from mesh.auth import credential_from_metadata, outgoing_credentials
from mesh.errors import FieldViolation, InvalidArgument, NotFound
from mesh.jwt_claims import TokenClaims

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = [
    "ME",
    "caller_claims",
    "invalid",
    "mask_paths",
    "target_user",
]

ME = "me"


def invalid(violations: Iterable[FieldViolation]) -> InvalidArgument:
    found = list(violations)
    return InvalidArgument(f"invalid {', '.join(dict.fromkeys(v.field for v in found))}", found)


async def caller_claims(deps: IdentityDeps) -> TokenClaims | None:
    """The claims of the access token this RPC came with (None for API keys): session id, expiry."""
    token, _ = credential_from_metadata(outgoing_credentials())
    if token is None or token.startswith("sk-"):
        return None
    return await deps.verifier.decode(token)


def _not_found(what: str = "user") -> NotFound:
    return NotFound(f"{what} not found", reason=f"{what.upper()}_NOT_FOUND")


async def target_user(
    db: AsyncSession,
    caller: Caller,
    raw_id: str,
    *,
    permission: str,
    self_permission: str | None = None,
    field: str = "user_id",
    for_update: bool = False,
) -> UserRow:
    """The user a request names (an id or ``me``), visible to and allowed for the caller.

    Acting on oneself needs ``self_permission`` (None: nothing beyond being logged in);
    acting on others needs ``permission`` in their tenant. Other tenants' users are
    NOT_FOUND for everyone but super_admin.
    """
    if not raw_id:
        raise invalid([FieldViolation(field, "is required (a user id, or 'me')")])
    if raw_id == ME:
        user_id = caller.user_id
    else:
        try:
            user_id = uuid.UUID(raw_id)
        except ValueError:
            raise invalid([FieldViolation(field, "is not a user id (or 'me')")]) from None
    user = await user_store.get_user(db, user_id, for_update=for_update)
    if user is None or not caller.sees_tenant(user.tenant_id):
        raise _not_found()
    if user.id == caller.user_id:
        if self_permission is not None:
            caller.need(self_permission)
        return user
    caller.need(permission, user.tenant_id)
    return user


def mask_paths(
    mask: FieldMask, allowed: Collection[str], *, populated: Iterable[str] = (), field: str = "update_mask"
) -> list[str]:
    """The paths to write: the mask's (each must be allowed), or, for an empty mask, the populated fields."""
    paths = list(dict.fromkeys(mask.paths)) if mask.paths else [p for p in populated if p in allowed]
    unknown = [p for p in paths if p not in allowed]
    if unknown:
        allowed_list = ", ".join(sorted(allowed))
        raise invalid(
            FieldViolation(field, f"unknown or read-only path {p!r} (writable: {allowed_list})")
            for p in unknown
        )
    if not paths:
        raise invalid([FieldViolation(field, "names no field to update")])
    return paths
