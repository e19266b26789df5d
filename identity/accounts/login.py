"""Registration, password login and password change: the use cases behind those RPCs.

Each runs in one transaction: the user row, its role, the session, the audit
row and the outbox event commit together or not at all. Failed logins are
audited in a transaction of their own (nothing else changes then).
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.admission import check_seat, take_seat
from identity.accounts.email_verification import send_verification
from identity.accounts.registration import add_user
from identity.accounts.throttle import LoginThrottle
from identity.domain.origin import Origin
from identity.domain.passwords import hash_password, needs_rehash, password_problems, verify_password
from identity.domain.roles import USER
from identity.domain.signup import email_domain
from identity.domain.users import (
    DEFAULT_TENANT_SLUG,
    default_username,
    display_name_problem,
    email_key,
    email_problem,
    normalize_email,
    username_problem,
)
from identity.mfa.challenge import login_challenge
from identity.sessions.tokens import Subject, TokenPair
from identity.store import audit
from identity.store import tenant_queries as tenant_store
from identity.store import user_queries as user_store
from identity.store.sessions import SessionRow
from identity.store.tenant_queries import TenantRow
from identity.store.user_queries import UserRow
from mesh.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
)

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = [
    "LoginResult",
    "NewAccount",
    "Origin",
    "account_violations",
    "change_password",
    "create_account",
    "login",
    "resolve_tenant",
    "subject_for_refresh",
]

MAX_LOGIN_PASSWORD_LENGTH = 1024


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a miss costs the same Argon2 time as a hit."""
    return hash_password("chatmesh timing equaliser")


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str
    username: str = ""
    display_name: str = ""
    locale: str = ""
    tenant: str = ""


@dataclass(frozen=True)
class LoginResult:
    user: UserRow
    pair: TokenPair | None
    mfa_token: str = ""


def _invalid(violations: list[FieldViolation]) -> InvalidArgument:
    fields = ", ".join(dict.fromkeys(v.field for v in violations))
    return InvalidArgument(f"invalid {fields}", violations)


async def resolve_tenant(db: AsyncSession, ref: str, field: str = "tenant") -> TenantRow | None:
    """A tenant by slug or id (empty: the default tenant); None when there is no such tenant."""
    ref = ref.strip()
    if len(ref) > 255 or "\x00" in ref:
        return None  # no tenant is named so; and Postgres refuses NUL in text
    if not ref:
        return await tenant_store.tenant_by_slug(db, DEFAULT_TENANT_SLUG)
    try:
        return await tenant_store.get_tenant(db, uuid.UUID(ref))
    except ValueError:
        return await tenant_store.tenant_by_slug(db, ref.lower())


def account_violations(account: NewAccount, *, password_field: str = "password") -> list[FieldViolation]:
    """Every problem of a new account's fields, with the email normalised first."""
    email = normalize_email(account.email)
    username = account.username.strip() or default_username(email)
    problems = [
        ("email", email_problem(email)),
        ("username", username_problem(username)),
        ("display_name", display_name_problem(account.display_name)),
    ]
    violations = [FieldViolation(field, problem) for field, problem in problems if problem]
    violations += [
        FieldViolation(password_field, p)
        for p in password_problems(account.password, email=email, username=username)
    ]
    return violations


async def create_account(
    deps: IdentityDeps,
    db: AsyncSession,
    account: NewAccount,
    *,
    tenant: TenantRow,
    origin: Origin,
    actor_id: str | None,
    signup: int,
    role_names: tuple[str, ...] = (USER,),
    role_ids: tuple[uuid.UUID, ...] = (),
    password_hash: str | None = None,
    seat_hold: uuid.UUID | None = None,
) -> UserRow:
    """Validate, hash (unless ``password_hash`` is given) and insert a user with its roles, an
    audit row, UserRegistered and a verification link, in ``db``. The tenant's user limit is
    exact: the seat is ``seat_hold`` (held beforehand), else counted under the tenant's lock."""
    violations = account_violations(account)
    if violations:
        raise _invalid(violations)
    if tenant.status != "active":
        raise InvalidArgument(
            "the tenant does not accept new users", [FieldViolation("tenant", "is not active")]
        )
    email = normalize_email(account.email)
    if await user_store.user_by_email(db, tenant.id, email) is not None:
        raise AlreadyExists("an account with this email already exists", reason="EMAIL_TAKEN")
    if seat_hold is None:
        await check_seat(db, tenant)
    if password_hash is None:
        password_hash = await asyncio.to_thread(hash_password, account.password)
    # Without a held seat the tenant row stays locked from here to commit (when it has a
    # user limit): keep what follows short.
    await take_seat(db, tenant, seat_hold)
    username = account.username.strip() or default_username(email)
    granted = [role_id for name in role_names if (role_id := await user_store.built_in_role_id(db, name))]
    user = await add_user(
        db,
        tenant_id=tenant.id,
        email=email,
        username=username,
        display_name=account.display_name.strip() or username,
        password_hash=password_hash,
        locale=account.locale,
        role_ids=[*granted, *role_ids],
        origin=origin,
        actor_id=actor_id,
        signup_method=signup,
    )
    await send_verification(deps, db, user, reason="registration")
    return user


def unproven_domain_address(tenant: TenantRow, user: UserRow) -> bool:
    """In a tenant admitting by email domain, an address of those domains logs in once proven."""
    return (
        tenant.signup_mode == "email_domains"
        and not user.email_verified
        and email_domain(user.email) in tenant.signup_domains
    )


def subject_of(user: UserRow) -> Subject:
    return Subject(user_id=user.id, tenant_id=user.tenant_id, roles=user.role_ids)


async def subject_for_refresh(db: AsyncSession, session: SessionRow) -> Subject | None:
    """The session's user as it is now (roles may have changed), or None if it may not log in."""
    user = await user_store.get_user(db, session.user_id)
    if user is None or user.status != "active" or user.tenant_status != "active":
        return None
    return subject_of(user)


async def login(
    deps: IdentityDeps, *, email: str, password: str, tenant_ref: str, origin: Origin, throttle: LoginThrottle
) -> LoginResult:
    """Throttle check, then the password (Argon2 off the event loop), then tokens or an MFA challenge."""
    normalized = normalize_email(email)
    violations = []
    if not normalized:
        violations.append(FieldViolation("email", "is required"))
    elif email_problem(normalized):
        violations.append(FieldViolation("email", "must look like name@example.com"))
    if not password:
        violations.append(FieldViolation("password", "is required"))
    elif len(password) > MAX_LOGIN_PASSWORD_LENGTH:
        violations.append(
            FieldViolation("password", f"must be at most {MAX_LOGIN_PASSWORD_LENGTH} characters")
        )
    if violations:
        raise _invalid(violations)
    key = email_key(normalized)
    async with deps.sessions() as db:
        tenant = await resolve_tenant(db, tenant_ref)
        tenant_key = str(tenant.id) if tenant else f"unknown:{tenant_ref.strip().lower()}"
        await throttle.check(tenant_key, key, origin.ip)
        user = await user_store.user_by_email(db, tenant.id, normalized) if tenant else None
    stored = user.password_hash if user and user.password_hash else _dummy_hash()
    matches = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not user.password_hash or not matches:
        await throttle.failed(tenant_key, key, origin.ip)
        await _audit_failure(deps, tenant, user, origin, "invalid_credentials")
        raise Unauthenticated("invalid email or password", reason="INVALID_CREDENTIALS")
    assert tenant is not None
    if user.status != "active" or tenant.status != "active":
        await _audit_failure(deps, tenant, user, origin, f"account_{user.status}_tenant_{tenant.status}")
        raise PermissionDenied("this account cannot log in", reason="ACCOUNT_DISABLED")
    if unproven_domain_address(tenant, user):
        await _audit_failure(deps, tenant, user, origin, "email_not_verified")
        raise FailedPrecondition(
            "verify your email address first (follow the link mailed to you)", reason="EMAIL_NOT_VERIFIED"
        )
    rehash = await asyncio.to_thread(hash_password, password) if needs_rehash(user.password_hash) else None
    result = await _finish_login(deps, user, origin, rehash)
    await throttle.succeeded(tenant_key, key)
    return result


async def _finish_login(deps: IdentityDeps, user: UserRow, origin: Origin, rehash: str | None) -> LoginResult:
    async with deps.sessions.begin() as db:
        if rehash is not None:
            await user_store.set_password_hash(db, user.id, rehash)
        challenge = await login_challenge(
            db,
            deps.redis,
            user_id=user.id,
            tenant_id=user.tenant_id,
            method="password",
            ip=origin.ip,
            user_agent=origin.user_agent,
        )
        pair = None
        if challenge is None:
            pair = await deps.tokens.issue_pair(
                db, subject_of(user), ip=origin.ip, user_agent=origin.user_agent
            )
            await user_store.touch_login(db, user.id)
        await audit.record(
            db,
            tenant_id=user.tenant_id,
            actor_id=user.id,
            action="auth.login",
            resource=("user", str(user.id)),
            outcome="success",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={
                "method": "password",
                "mfa_required": challenge is not None,
                "rehashed": rehash is not None,
            },
        )
    return LoginResult(user, pair, challenge.mfa_token if challenge else "")


async def _audit_failure(
    deps: IdentityDeps, tenant: TenantRow | None, user: UserRow | None, origin: Origin, why: str
) -> None:
    async with deps.sessions.begin() as db:
        await audit.record(
            db,
            tenant_id=tenant.id if tenant else None,
            actor_id=user.id if user else None,
            action="auth.login",
            resource=("user", str(user.id) if user else ""),
            outcome="failure",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={"reason": why},
        )


async def change_password(
    deps: IdentityDeps,
    *,
    user_id: uuid.UUID,
    current: str,
    new: str,
    keep_session_id: uuid.UUID | None,
    revoke_others: bool,
    origin: Origin,
) -> None:
    """Check the current password and the policy for the new one, store it; maybe end other sessions."""
    async with deps.sessions() as db:
        user = await user_store.get_user(db, user_id)
    if user is None:
        raise Unauthenticated("the calling user no longer exists", reason="USER_INACTIVE")
    violations = []
    if not current:
        violations.append(FieldViolation("current_password", "is required"))
    violations += [
        FieldViolation("new_password", p)
        for p in password_problems(new, email=user.email, username=user.username)
    ]
    if new and new == current:
        violations.append(FieldViolation("new_password", "must differ from the current password"))
    if violations:
        raise _invalid(violations)
    if not user.password_hash or not await asyncio.to_thread(verify_password, user.password_hash, current):
        await _audit_password_change(deps, user, origin, "failure")
        raise InvalidArgument(
            "the current password is wrong", [FieldViolation("current_password", "does not match")]
        )
    new_hash = await asyncio.to_thread(hash_password, new)
    async with deps.sessions.begin() as db:
        await user_store.set_password_hash(db, user.id, new_hash)
        revoked = 0
        if revoke_others:
            revoked = await deps.tokens.revoke_user_sessions(
                user.id, db=db, reason="password_change", keep_session_id=keep_session_id
            )
        await _record_password_change(db, user, origin, "success", revoked)


async def _audit_password_change(deps: IdentityDeps, user: UserRow, origin: Origin, outcome: str) -> None:
    async with deps.sessions.begin() as db:
        await _record_password_change(db, user, origin, outcome, 0)


async def _record_password_change(
    db: AsyncSession, user: UserRow, origin: Origin, outcome: str, revoked: int
) -> None:
    await audit.record(
        db,
        tenant_id=user.tenant_id,
        actor_id=user.id,
        action="auth.password_change",
        resource=("user", str(user.id)),
        outcome="success" if outcome == "success" else "failure",
        ip=origin.ip,
        user_agent=origin.user_agent,
        metadata={"revoked_sessions": revoked},
    )
