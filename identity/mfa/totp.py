"""TOTP enrolment and the second login step: the use cases behind the MFA RPCs.

Every accepted TOTP code moves the user's ``last_used_step`` forward in the same
transaction as the change it authorises, so a code works once; every wrong code counts
towards the per-user lockout in ``identity.domain.mfa``. Secrets are decrypted only
here, for the moment a code is checked.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.login import subject_of
from identity.domain.mfa import (
    PendingMfaLogin,
    generate_recovery_codes,
    new_totp_secret,
    otpauth_uri,
    require_recovery_code,
    require_totp_code,
    verify_totp,
)
from identity.domain.origin import Origin
from identity.domain.passwords import verify_password
from identity.mfa.challenge import check_mfa_lockout, consume_mfa_login, count_mfa_failure, peek_mfa_login
from identity.sessions.tokens import TokenPair
from identity.store import audit
from identity.store import mfa as mfa_store
from identity.store import user_queries as user_store
from identity.store.mfa import TotpRow
from identity.store.user_queries import UserRow
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, PermissionDenied, Unauthenticated

if TYPE_CHECKING:
    from identity.deps import IdentityDeps
    from mesh.secrets import SecretBox

__all__ = [
    "Enrollment",
    "MfaLogin",
    "complete_mfa_login",
    "confirm_totp",
    "disable_totp",
    "enroll_totp",
    "mfa_status",
    "regenerate_recovery_codes",
]

_SECRET_CONTEXT = b"identity.mfa_totp_secret"
_RECOVERY_CONTEXT = b"identity.mfa_recovery_code"
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class Enrollment:
    secret: str
    otpauth_uri: str


@dataclass(frozen=True)
class MfaLogin:
    user: UserRow
    pair: TokenPair


def _wrong_code(field: str = "code") -> InvalidArgument:
    return InvalidArgument(
        "the code is wrong or was already used",
        [FieldViolation(field, "is not a current code (or an unused recovery code)")],
        reason="MFA_CODE_INVALID",
    )


def _recovery_hash(box: SecretBox, code: str) -> bytes:
    return box.fingerprint(code, _RECOVERY_CONTEXT)


async def _accept_totp(box: SecretBox, db: AsyncSession, row: TotpRow, code: str) -> bool:
    """Check a code against the row (locked by the caller) and spend its time step."""
    secret = box.decrypt(row.secret_encrypted, _SECRET_CONTEXT).decode()
    step = verify_totp(secret, code, after_step=row.last_used_step)
    return step is not None and await mfa_store.advance_totp_step(db, row.user_id, step)


async def _fresh_codes(box: SecretBox, db: AsyncSession, user_id: uuid.UUID) -> list[str]:
    codes = generate_recovery_codes()
    await mfa_store.replace_recovery_codes(
        db, user_id, [_recovery_hash(box, c.replace("-", "")) for c in codes]
    )
    return codes


async def _audit(
    db: AsyncSession, user_id: uuid.UUID, tenant_id: uuid.UUID, action: str, origin: Origin
) -> None:
    await audit.record(
        db,
        tenant_id=tenant_id,
        actor_id=user_id,
        action=action,
        resource=("user", str(user_id)),
        outcome="success",
        ip=origin.ip,
        user_agent=origin.user_agent,
    )


async def mfa_status(db: AsyncSession, user_id: uuid.UUID) -> tuple[bool, int]:
    enabled = await mfa_store.totp_enabled(db, user_id)
    return enabled, await mfa_store.remaining_recovery_codes(db, user_id) if enabled else 0


async def enroll_totp(deps: IdentityDeps, user_id: uuid.UUID, origin: Origin) -> Enrollment:
    """A new pending secret (replacing a pending one); FAILED_PRECONDITION while TOTP is on."""
    secret = new_totp_secret()
    async with deps.sessions.begin() as db:
        user = await user_store.get_user(db, user_id)
        if user is None:
            raise Unauthenticated("the calling user no longer exists", reason="USER_INACTIVE")
        if not await mfa_store.upsert_pending_totp(
            db, user_id, deps.secrets.encrypt(secret, _SECRET_CONTEXT)
        ):
            raise FailedPrecondition(
                "TOTP is already enabled; disable it first", reason="TOTP_ALREADY_ENABLED"
            )
        await _audit(db, user.id, user.tenant_id, "mfa.totp_enroll", origin)
    return Enrollment(secret, otpauth_uri(secret, user.email))


async def confirm_totp(deps: IdentityDeps, user_id: uuid.UUID, code: str, origin: Origin) -> list[str]:
    """Turn TOTP on once a code proves the authenticator has the secret; returns recovery codes."""
    cleaned = require_totp_code(code)
    await check_mfa_lockout(deps.redis, user_id)
    async with deps.sessions.begin() as db:
        row = await mfa_store.get_totp(db, user_id, for_update=True)
        if row is None:
            raise FailedPrecondition(
                "no TOTP enrolment to confirm; call EnrollTotp first", reason="TOTP_NOT_ENROLLED"
            )
        if row.enabled:
            raise FailedPrecondition("TOTP is already enabled", reason="TOTP_ALREADY_ENABLED")
        accepted = await _accept_totp(deps.secrets, db, row, cleaned)
        if accepted:
            await mfa_store.confirm_totp(db, user_id)
            codes = await _fresh_codes(deps.secrets, db, user_id)
            user = await user_store.get_user(db, user_id)
            assert user is not None
            await _audit(db, user.id, user.tenant_id, "mfa.totp_enable", origin)
    if not accepted:
        await count_mfa_failure(deps.redis, user_id)
        raise _wrong_code()
    return codes


async def _verify_factor(deps: IdentityDeps, db: AsyncSession, row: TotpRow, code: str) -> bool:
    """A TOTP code, or (for anything that is not six digits) an unused recovery code, which is spent."""
    cleaned = code.replace(" ", "")
    if cleaned.isdigit():
        return await _accept_totp(deps.secrets, db, row, require_totp_code(cleaned))
    normalized = require_recovery_code(code, field="code")
    return await mfa_store.consume_recovery_code(db, row.user_id, _recovery_hash(deps.secrets, normalized))


async def disable_totp(
    deps: IdentityDeps, user_id: uuid.UUID, code: str, password: str, origin: Origin
) -> None:
    """Turn TOTP off after re-checking the password (when the user has one) and a code."""
    violations = []
    if not code.strip():
        violations.append(FieldViolation("code", "is required (a TOTP code or a recovery code)"))
    if len(password) > MAX_PASSWORD_LENGTH:
        violations.append(FieldViolation("password", f"must be at most {MAX_PASSWORD_LENGTH} characters"))
    async with deps.sessions() as db:
        user = await user_store.get_user(db, user_id)
    if user is None:
        raise Unauthenticated("the calling user no longer exists", reason="USER_INACTIVE")
    if user.password_hash and not password:
        violations.append(FieldViolation("password", "is required"))
    if violations:
        raise InvalidArgument(f"invalid {', '.join(v.field for v in violations)}", violations)
    await check_mfa_lockout(deps.redis, user_id)
    if user.password_hash and not await asyncio.to_thread(verify_password, user.password_hash, password):
        raise InvalidArgument("the password is wrong", [FieldViolation("password", "does not match")])
    async with deps.sessions.begin() as db:
        row = await mfa_store.get_totp(db, user_id, for_update=True)
        if row is None or not row.enabled:
            raise FailedPrecondition("TOTP is not enabled", reason="TOTP_NOT_ENABLED")
        accepted = await _verify_factor(deps, db, row, code)
        if accepted:
            await mfa_store.delete_totp(db, user_id)
            await _audit(db, user.id, user.tenant_id, "mfa.totp_disable", origin)
    if not accepted:
        await count_mfa_failure(deps.redis, user_id)
        raise _wrong_code()


async def regenerate_recovery_codes(
    deps: IdentityDeps, user_id: uuid.UUID, code: str, origin: Origin
) -> list[str]:
    """Replace every recovery code, after a current TOTP code."""
    cleaned = require_totp_code(code)
    await check_mfa_lockout(deps.redis, user_id)
    async with deps.sessions.begin() as db:
        row = await mfa_store.get_totp(db, user_id, for_update=True)
        if row is None or not row.enabled:
            raise FailedPrecondition("TOTP is not enabled", reason="TOTP_NOT_ENABLED")
        accepted = await _accept_totp(deps.secrets, db, row, cleaned)
        if accepted:
            codes = await _fresh_codes(deps.secrets, db, user_id)
            user = await user_store.get_user(db, user_id)
            assert user is not None
            await _audit(db, user.id, user.tenant_id, "mfa.recovery_codes_regenerate", origin)
    if not accepted:
        await count_mfa_failure(deps.redis, user_id)
        raise _wrong_code()
    return codes


async def complete_mfa_login(
    deps: IdentityDeps, *, mfa_token: str, totp_code: str | None, recovery_code: str | None, origin: Origin
) -> MfaLogin:
    """Trade an MFA token and one factor for tokens; the MFA token is spent on success."""
    violations = []
    if not mfa_token.strip():
        violations.append(FieldViolation("mfa_token", "is required"))
    if totp_code is None and recovery_code is None:
        violations.append(FieldViolation("totp_code", "a TOTP code or a recovery_code is required"))
    if violations:
        raise InvalidArgument(f"invalid {', '.join(v.field for v in violations)}", violations)
    if totp_code is not None:
        factor = require_totp_code(totp_code, field="totp_code")
    else:
        factor = require_recovery_code(recovery_code or "")
    pending = await peek_mfa_login(deps.redis, mfa_token)
    await check_mfa_lockout(deps.redis, pending.user_id)
    async with deps.sessions.begin() as db:
        row = await mfa_store.get_totp(db, pending.user_id, for_update=True)
        if row is None or not row.enabled:
            raise Unauthenticated(
                "MFA is no longer enabled for this account; log in again", reason="MFA_TOKEN_INVALID"
            )
        if totp_code is not None:
            accepted = await _accept_totp(deps.secrets, db, row, factor)
        else:
            accepted = await mfa_store.consume_recovery_code(
                db, row.user_id, _recovery_hash(deps.secrets, factor)
            )
        if accepted:
            return await _finish(
                deps, db, pending, origin, "totp" if totp_code is not None else "recovery_code"
            )
    await count_mfa_failure(deps.redis, pending.user_id, pending)
    await _audit_failure(deps, pending, origin)
    raise Unauthenticated("the code is wrong or was already used", reason="MFA_CODE_INVALID")


async def _finish(
    deps: IdentityDeps, db: AsyncSession, pending: PendingMfaLogin, origin: Origin, factor: str
) -> MfaLogin:
    user = await user_store.get_user(db, pending.user_id)
    if user is None or user.status != "active" or user.tenant_status != "active":
        raise PermissionDenied("this account cannot log in", reason="ACCOUNT_DISABLED")
    await consume_mfa_login(deps.redis, pending)
    pair = await deps.tokens.issue_pair(
        db, subject_of(user), ip=origin.ip, user_agent=origin.user_agent, mfa=True
    )
    await user_store.touch_login(db, user.id)
    await audit.record(
        db,
        tenant_id=user.tenant_id,
        actor_id=user.id,
        action="auth.mfa_login",
        resource=("user", str(user.id)),
        outcome="success",
        ip=origin.ip,
        user_agent=origin.user_agent,
        metadata={"method": pending.method, "factor": factor},
    )
    return MfaLogin(user, pair)


async def _audit_failure(deps: IdentityDeps, pending: PendingMfaLogin, origin: Origin) -> None:
    async with deps.sessions.begin() as db:
        await audit.record(
            db,
            tenant_id=pending.tenant_id,
            actor_id=pending.user_id,
            action="auth.mfa_login",
            resource=("user", str(pending.user_id)),
            outcome="failure",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={"method": pending.method, "reason": "wrong_code"},
        )
