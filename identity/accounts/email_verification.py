"""Proving email addresses: the verification link after signup or an email change, and its use.

The raw token leaves identity once, inside ``EmailVerificationRequested`` (the
notification service mails it to the address being proven). An email change also
emits ``UserEmailChanged`` so the OLD address hears of it: an admin or a thief who
changes someone's address cannot do it silently.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chatmesh.events.v1 import identity_events_pb2
from google.protobuf import timestamp_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.reset import hash_reset_token, new_reset_token
from identity.domain.reset import reset_url as link_with_token
from identity.domain.verification import (
    MAX_VERIFICATIONS_PER_HOUR,
    VERIFICATION_TTL,
    check_verification,
    parse_verification_token,
)
from identity.store import audit, outbox
from identity.store import email_verification as store
from identity.store import user_queries as user_store
from identity.store.user_queries import UserRow
from mesh.errors import FailedPrecondition
from mesh.events import outbox as events_outbox

if TYPE_CHECKING:
    from identity.deps import IdentityDeps
    from identity.domain.origin import Origin

__all__ = ["email_changed", "request_verification", "send_verification", "verify_email"]

PLACEHOLDER_DOMAIN = ".invalid"


def _page(deps: IdentityDeps) -> str:
    return f"{deps.settings.gateway_url}/verify-email"


async def send_verification(deps: IdentityDeps, db: AsyncSession, user: UserRow, *, reason: str) -> bool:
    """Store a token for the user's current address and emit the link, in ``db``'s transaction.

    Returns False (nothing sent) for placeholder addresses and past the hourly limit.
    """
    if user.email.endswith(PLACEHOLDER_DOMAIN):
        return False
    now = datetime.now(UTC)
    if await store.count_recent(db, user.id, now - timedelta(hours=1)) >= MAX_VERIFICATIONS_PER_HOUR:
        return False
    raw, digest = new_reset_token()
    expires_at = now + VERIFICATION_TTL
    await store.insert_token(db, user_id=user.id, email=user.email, token_hash=digest, expires_at=expires_at)
    expire_time = timestamp_pb2.Timestamp()
    expire_time.FromDatetime(expires_at)
    event = identity_events_pb2.EmailVerificationRequested(
        user_id=str(user.id),
        email=user.email,
        locale=user.locale,
        verify_url=link_with_token(_page(deps), raw),
        expire_time=expire_time,
        reason=reason,
    )
    await events_outbox.add(
        db, outbox, source="identity", event=event, tenant_id=str(user.tenant_id), subject=str(user.id)
    )
    return True


async def email_changed(
    deps: IdentityDeps, db: AsyncSession, before: UserRow, after: UserRow, *, actor_id: str
) -> None:
    """After an email change in ``db``: old links die, the old address gets a notice, the new one a link."""
    await store.discard_for_user(db, after.id)
    notice = identity_events_pb2.UserEmailChanged(
        user_id=str(after.id),
        old_email=before.email,
        new_email=after.email,
        locale=after.locale,
        actor_id=actor_id,
    )
    await events_outbox.add(
        db,
        outbox,
        source="identity",
        event=notice,
        tenant_id=str(after.tenant_id),
        subject=str(after.id),
        actor_id=actor_id,
    )
    await send_verification(deps, db, after, reason="email_change")


async def request_verification(deps: IdentityDeps, user_id: uuid.UUID) -> None:
    """Mail a fresh link for the caller's own unverified address (quietly nothing past the limit)."""
    async with deps.sessions.begin() as db:
        user = await user_store.get_user(db, user_id, for_update=True)
        if user is None:
            return
        if user.email_verified:
            raise FailedPrecondition("the email address is already verified", reason="EMAIL_ALREADY_VERIFIED")
        await send_verification(deps, db, user, reason="resend")


async def verify_email(deps: IdentityDeps, token: str, origin: Origin) -> None:
    digest = hash_reset_token(parse_verification_token(token))
    async with deps.sessions.begin() as db:
        row = await store.find_token(db, digest)
        user = await user_store.get_user(db, row.user_id, for_update=True) if row else None
        active = user is not None and user.status == "active" and user.tenant_status == "active"
        check_verification(
            found=row is not None,
            used=row is not None and row.used_at is not None,
            expires_at=row.expires_at if row else None,
            token_email=row.email if row else "",
            user_email=user.email if user is not None and active else None,
            now=datetime.now(UTC),
        )
        assert row is not None and user is not None
        await store.mark_used(db, row.id)
        await store.discard_for_user(db, user.id)
        await user_store.update_profile(db, user.id, {"email_verified": True})
        await audit.record(
            db,
            tenant_id=user.tenant_id,
            actor_id=user.id,
            action="user.email_verify",
            resource=("user", str(user.id)),
            outcome="success",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={"email": user.email},
        )
        event = identity_events_pb2.UserEmailVerified(user_id=str(user.id), email=user.email)
        await events_outbox.add(
            db, outbox, source="identity", event=event, tenant_id=str(user.tenant_id), subject=str(user.id)
        )
