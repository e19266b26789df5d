"""Password reset: the use cases behind RequestPasswordReset and ResetPassword.

RequestPasswordReset answers the same way, in about the same time, whether or not the
address belongs to an account: the work done for a real account (a token row, an outbox
event, an audit row) is hidden behind a fixed response-time floor, so neither the answer
nor its timing tells an attacker which addresses are registered.

ResetPassword sets the new password, spends the token, drops older unused links and ends
every session of the user, all in one transaction with its audit row.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from chatmesh.events.v1 import identity_events_pb2
from google.protobuf import timestamp_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.login import resolve_tenant
from identity.domain.origin import Origin
from identity.domain.passwords import hash_password, password_problems
from identity.domain.reset import (
    MAX_RESET_REQUESTS_PER_HOUR,
    RESET_TOKEN_TTL,
    ResetTokenState,
    check_reset_token,
    hash_reset_token,
    new_reset_token,
    parse_reset_token,
    reset_url,
)
from identity.domain.users import email_problem, normalize_email
from identity.store import audit, outbox
from identity.store import reset as reset_store
from identity.store import user_queries as user_store
from identity.store.reset import ResetTokenRow
from identity.store.user_queries import UserRow
from mesh.errors import FieldViolation, InvalidArgument
from mesh.events import outbox as events_outbox

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["MIN_REQUEST_SECONDS", "request_password_reset", "reset_password"]

# Longer than the slowest path (two inserts and an outbox row) usually takes.
MIN_REQUEST_SECONDS = 0.3
MAX_TENANT_REF_LENGTH = 255
PLACEHOLDER_DOMAIN = ".invalid"


def _invalid(violations: list[FieldViolation], reason: str | None = None) -> InvalidArgument:
    return InvalidArgument(
        f"invalid {', '.join(dict.fromkeys(v.field for v in violations))}", violations, reason=reason
    )


async def request_password_reset(deps: IdentityDeps, *, email: str, tenant_ref: str, origin: Origin) -> None:
    """Validate the input (format only), then issue a token if the account exists; always returns."""
    normalized = normalize_email(email)
    violations = []
    problem = email_problem(normalized) if normalized else "is required"
    if problem:
        violations.append(FieldViolation("email", problem))
    if len(tenant_ref) > MAX_TENANT_REF_LENGTH:
        violations.append(FieldViolation("tenant", f"must be at most {MAX_TENANT_REF_LENGTH} characters"))
    if violations:
        raise _invalid(violations)
    started = time.monotonic()
    try:
        await _issue_if_account(deps, normalized, tenant_ref, origin)
    finally:
        await asyncio.sleep(max(0.0, MIN_REQUEST_SECONDS - (time.monotonic() - started)))


async def _issue_if_account(deps: IdentityDeps, email: str, tenant_ref: str, origin: Origin) -> None:
    async with deps.sessions.begin() as db:
        tenant = await resolve_tenant(db, tenant_ref)
        if tenant is None or tenant.status != "active":
            return
        user = await user_store.user_by_email(db, tenant.id, email)
        if user is None or user.status != "active" or user.email.endswith(PLACEHOLDER_DOMAIN):
            return
        now = datetime.now(UTC)
        recent = await reset_store.count_recent_requests(db, user.id, now - timedelta(hours=1))
        if recent >= MAX_RESET_REQUESTS_PER_HOUR:
            await _audit(
                db, user, origin, "auth.password_reset_request", "denied", {"reason": "rate_limited"}
            )
            return
        raw, digest = new_reset_token()
        expires_at = now + RESET_TOKEN_TTL
        await reset_store.insert_token(
            db, user_id=user.id, token_hash=digest, expires_at=expires_at, ip=origin.ip
        )
        expire_time = timestamp_pb2.Timestamp()
        expire_time.FromDatetime(expires_at)
        event = identity_events_pb2.PasswordResetRequested(
            user_id=str(user.id),
            email=user.email,
            locale=user.locale,
            reset_url=reset_url(_reset_page(deps), raw),
            expire_time=expire_time,
        )
        await events_outbox.add(
            db, outbox, source="identity", event=event, tenant_id=str(user.tenant_id), subject=str(user.id)
        )
        await _audit(db, user, origin, "auth.password_reset_request", "success", {})


def _reset_page(deps: IdentityDeps) -> str:
    return deps.config.password_reset_url or f"{deps.settings.gateway_url}/reset-password"


async def reset_password(deps: IdentityDeps, *, token: str, new_password: str, origin: Origin) -> int:
    """Set the password from a reset token; returns how many sessions were ended."""
    violations: list[FieldViolation] = []
    raw = ""
    try:
        raw = parse_reset_token(token)
    except InvalidArgument as exc:
        violations += exc.violations
    if not new_password:
        violations.append(FieldViolation("new_password", "is required"))
    if violations:
        raise _invalid(violations, "RESET_TOKEN_INVALID" if not raw else None)
    digest = hash_reset_token(raw)
    async with deps.sessions() as db:
        row = await reset_store.find_token(db, digest)
        user = await user_store.get_user(db, row.user_id) if row else None
    _check(row, user)
    assert user is not None
    problems = password_problems(new_password, email=user.email, username=user.username)
    if problems:
        raise _invalid([FieldViolation("new_password", p) for p in problems], "PASSWORD_POLICY")
    new_hash = await asyncio.to_thread(hash_password, new_password)
    async with deps.sessions.begin() as db:
        row = await reset_store.find_token(db, digest, for_update=True)
        locked = await user_store.get_user(db, user.id, for_update=True)
        _check(row, locked)
        assert row is not None
        await user_store.set_password_hash(db, user.id, new_hash)
        await reset_store.mark_used(db, row.id)
        await reset_store.discard_other_tokens(db, user.id, keep=row.id)
        revoked = await deps.tokens.revoke_user_sessions(user.id, db=db, reason="password_reset")
        await _audit(db, user, origin, "auth.password_reset", "success", {"revoked_sessions": revoked})
    return revoked


def _check(row: ResetTokenRow | None, user: UserRow | None) -> None:
    state = None
    if row is not None and user is not None:
        active = user.status == "active" and user.tenant_status == "active"
        state = ResetTokenState(expires_at=row.expires_at, used_at=row.used_at, user_active=active)
    check_reset_token(state, datetime.now(UTC))


async def _audit(
    db: AsyncSession,
    user: UserRow,
    origin: Origin,
    action: str,
    outcome: Literal["success", "failure", "denied"],
    metadata: dict[str, object],
) -> None:
    await audit.record(
        db,
        tenant_id=user.tenant_id,
        actor_id=user.id,
        action=action,
        resource=("user", str(user.id)),
        outcome=outcome,
        ip=origin.ip,
        user_agent=origin.user_agent,
        metadata=metadata,
    )
