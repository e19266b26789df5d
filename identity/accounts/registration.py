"""Adding a user once admission has been decided: shared by registration, admin creation and OAuth sign-up.

The callers differ in how they validate and where the seat comes from; what a new account
is made of does not: the user row, its roles, an audit row and ``UserRegistered``, all in
the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from chatmesh.events.v1 import identity_events_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.origin import Origin
from identity.store import audit, outbox
from identity.store import user_queries as user_store
from identity.store.user_queries import UserRow
from mesh.events import outbox as events_outbox

__all__ = ["add_user"]


async def add_user(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    email: str,
    username: str,
    display_name: str,
    password_hash: str | None,
    role_ids: Iterable[uuid.UUID],
    origin: Origin,
    actor_id: str | None,
    signup_method: int,
    locale: str = "",
    avatar_url: str | None = None,
    email_verified: bool = False,
    provider_id: str = "",
    audit_metadata: Mapping[str, object] | None = None,
) -> UserRow:
    """Insert the user with ``role_ids``, audit it and emit UserRegistered.

    ``actor_id`` is the admin creating the account; None when the person signs up
    themselves (then the new user is the audit row's actor and the action is
    ``user.register`` rather than ``user.create``).
    """
    user_id = await user_store.insert_user(
        db,
        tenant_id=tenant_id,
        email=email,
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        locale=locale,
        avatar_url=avatar_url,
        email_verified=email_verified,
    )
    for role_id in role_ids:
        await user_store.grant_role(db, user_id, role_id)
    user = await user_store.get_user(db, user_id)
    assert user is not None
    await audit.record(
        db,
        tenant_id=tenant_id,
        actor_id=actor_id or user_id,
        action="user.register" if actor_id is None else "user.create",
        resource=("user", str(user_id)),
        outcome="success",
        ip=origin.ip,
        user_agent=origin.user_agent,
        metadata=audit_metadata,
    )
    event = identity_events_pb2.UserRegistered(
        user_id=str(user_id),
        email=user.email,
        username=user.username,
        display_name=user.display_name,
        locale=user.locale,
        signup_method=signup_method,  # type: ignore[arg-type]
        provider_id=provider_id,
    )
    await events_outbox.add(
        db,
        outbox,
        source="identity",
        event=event,
        tenant_id=str(tenant_id),
        subject=str(user_id),
        actor_id=actor_id or "",
    )
    return user
