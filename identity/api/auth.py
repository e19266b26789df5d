"""Register, Login, Refresh, Logout, LogoutAll, ChangePassword, VerifyToken, GetJwks, RotateSigningKey."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.events.v1 import identity_events_pb2
from chatmesh.identity.v1 import auth_pb2, users_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.admission import check_seat, hold_seat, release_hold, signup_role_id
from identity.accounts.login import (
    LoginResult,
    NewAccount,
    account_violations,
    change_password,
    create_account,
    login,
    resolve_tenant,
    subject_for_refresh,
    subject_of,
)
from identity.accounts.throttle import LoginThrottle
from identity.api.access_support import origin_of, resolve_caller, resolve_person
from identity.api.account_messages import jwk_message, principal_message, user_message
from identity.api.account_support import caller_claims, invalid
from identity.domain.passwords import hash_password
from identity.domain.signup import SignupDecision, signup_decision
from identity.domain.users import normalize_email
from identity.store import audit
from identity.store.tenant_queries import TenantRow
from identity.store.user_queries import user_by_email
from mesh.errors import FieldViolation, PermissionDenied, Unauthenticated
from mesh.jwt_claims import MAX_TOKEN_LENGTH

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["AuthApi"]

BEARER = "Bearer"
MAX_TENANT_REF = 255


def _pending(email: str) -> auth_pb2.RegisterResponse:
    """A registration waiting for the address to be proven: no tokens, nothing about the account."""
    return auth_pb2.RegisterResponse(user=users_pb2.User(email=email), email_verification_required=True)


class AuthApi:
    deps: IdentityDeps

    async def Register(self, request: auth_pb2.RegisterRequest, context: grpc.aio.ServicerContext) -> Any:
        """Self-registration under the tenant's signup policy.

        The input is checked before any tenant is looked up, and a tenant that does not exist
        answers exactly like one whose signup is closed, so the answers reveal neither.
        """
        where = origin_of(context)
        account = NewAccount(
            email=request.email,
            password=request.password,
            username=request.username,
            display_name=request.display_name,
            tenant=request.tenant,
        )
        violations = account_violations(account)
        if len(request.tenant) > MAX_TENANT_REF:
            violations.append(FieldViolation("tenant", f"must be at most {MAX_TENANT_REF} characters"))
        if violations:
            raise invalid(violations)
        email = normalize_email(request.email)
        async with self.deps.sessions() as db:
            tenant, _ = await self._admitted(db, request.tenant, email, seat=True)
        # Argon2 outside any transaction: no connection or tenant lock waits on a hash.
        password_hash = await asyncio.to_thread(hash_password, request.password)
        hold = None
        try:
            hold = await hold_seat(self.deps.sessions, tenant)
            async with self.deps.sessions.begin() as db:
                tenant, decision = await self._admitted(db, request.tenant, email, seat=False)
                if decision.verify_first and await user_by_email(db, tenant.id, email) is not None:
                    # Same answer, after the same work, as a new account: the address's owner
                    # already has one, and nobody learns that here.
                    await release_hold(self.deps.sessions, hold)
                    return _pending(email)
                role_id = await signup_role_id(db, tenant)
                user = await create_account(
                    self.deps,
                    db,
                    account,
                    tenant=tenant,
                    origin=where,
                    actor_id=None,
                    signup=identity_events_pb2.SIGNUP_METHOD_PASSWORD,
                    role_names=(),
                    role_ids=(role_id,) if role_id is not None else (),
                    password_hash=password_hash,
                    seat_hold=hold,
                )
                if decision.verify_first:
                    return _pending(email)
                pair = await self.deps.tokens.issue_pair(
                    db, subject_of(user), ip=where.ip, user_agent=where.user_agent
                )
        except BaseException:
            await release_hold(self.deps.sessions, hold)
            raise
        return auth_pb2.RegisterResponse(
            user=user_message(user),
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            token_type=BEARER,
        )

    async def _admitted(
        self, db: AsyncSession, tenant_ref: str, email: str, *, seat: bool
    ) -> tuple[TenantRow, SignupDecision]:
        """The tenant and its policy's decision for ``email``; SIGNUP_CLOSED alike for a closed
        tenant and for none at all. ``seat``: also refuse early when the tenant is full."""
        tenant = await resolve_tenant(db, tenant_ref)
        decision = (
            signup_decision(
                tenant.signup_mode, tenant.signup_domains, email, tenant_active=tenant.status == "active"
            )
            if tenant is not None
            else SignupDecision(allowed=False)
        )
        if tenant is None or not decision.allowed:
            raise PermissionDenied(
                "self-registration is not open for this tenant; ask its administrator for an invitation",
                reason="SIGNUP_CLOSED",
            )
        if seat:
            await check_seat(db, tenant)
        return tenant, decision

    async def Login(self, request: auth_pb2.LoginRequest, context: grpc.aio.ServicerContext) -> Any:
        result: LoginResult = await login(
            self.deps,
            email=request.email,
            password=request.password,
            tenant_ref=request.tenant,
            origin=origin_of(context),
            throttle=LoginThrottle(self.deps.config, self.deps.redis),
        )
        if result.pair is None:
            return auth_pb2.LoginResponse(
                user=user_message(result.user, mfa_enabled=True),
                mfa_required=True,
                mfa_token=result.mfa_token,
            )
        return auth_pb2.LoginResponse(
            user=user_message(result.user),
            access_token=result.pair.access_token,
            refresh_token=result.pair.refresh_token,
            expires_in=result.pair.expires_in,
            token_type=BEARER,
        )

    async def Refresh(self, request: auth_pb2.RefreshRequest, context: grpc.aio.ServicerContext) -> Any:
        raw = request.refresh_token.strip()
        if not raw:
            raise invalid([FieldViolation("refresh_token", "is required")])
        if len(raw) > MAX_TOKEN_LENGTH:
            raise invalid([FieldViolation("refresh_token", "is not a refresh token")])
        claims = await self.deps.tokens.decode_refresh(raw)
        where = origin_of(context)
        async with self.deps.sessions.begin() as db:
            outcome = await self.deps.tokens.refresh(db, claims, subject_for_refresh)
            if outcome.family_revoked:
                await audit.record(
                    db,
                    tenant_id=outcome.session.tenant_id,
                    actor_id=outcome.session.user_id,
                    action="auth.session_revoke",
                    resource=("session", str(outcome.session.id)),
                    outcome="success",
                    ip=where.ip,
                    user_agent=where.user_agent,
                    metadata={"reason": outcome.refusal.reason if outcome.refusal else ""},
                )
        if outcome.refusal is not None or outcome.pair is None:
            raise outcome.refusal or Unauthenticated("refresh refused")
        return auth_pb2.RefreshResponse(
            access_token=outcome.pair.access_token,
            refresh_token=outcome.pair.refresh_token,
            expires_in=outcome.pair.expires_in,
            token_type=BEARER,
        )

    async def Logout(self, request: auth_pb2.LogoutRequest, context: grpc.aio.ServicerContext) -> Any:
        caller = await resolve_caller(self.deps)
        claims = await caller_claims(self.deps)
        families: list[uuid.UUID] = []
        if claims is not None:
            families.append(uuid.UUID(claims.session_id))
        if request.refresh_token.strip():
            refresh = await self.deps.tokens.decode_refresh(request.refresh_token.strip())
            if refresh.subject != str(caller.user_id):
                raise invalid([FieldViolation("refresh_token", "belongs to another account")])
            families.append(uuid.UUID(refresh.session_id))
        where = origin_of(context)
        async with self.deps.sessions.begin() as db:
            revoked = await self.deps.tokens.revoke_sessions(
                db, list(dict.fromkeys(families)), reason="logout"
            )
            await audit.record(
                db,
                tenant_id=caller.tenant_id,
                actor_id=caller.actor_id,
                actor_kind=caller.actor_kind,  # type: ignore[arg-type]
                action="auth.logout",
                resource=("session", claims.session_id if claims else ""),
                outcome="success",
                ip=where.ip,
                user_agent=where.user_agent,
                metadata={"revoked_sessions": revoked},
            )
        if claims is not None:
            await self.deps.tokens.blacklist_access(claims)
        return auth_pb2.LogoutResponse()

    async def LogoutAll(self, request: auth_pb2.LogoutAllRequest, context: grpc.aio.ServicerContext) -> Any:
        caller = await resolve_person(self.deps)
        claims = await caller_claims(self.deps)
        where = origin_of(context)
        async with self.deps.sessions.begin() as db:
            revoked = await self.deps.tokens.revoke_user_sessions(caller.user_id, db=db, reason="logout_all")
            await audit.record(
                db,
                tenant_id=caller.tenant_id,
                actor_id=caller.actor_id,
                actor_kind=caller.actor_kind,  # type: ignore[arg-type]
                action="auth.logout_all",
                resource=("user", str(caller.user_id)),
                outcome="success",
                ip=where.ip,
                user_agent=where.user_agent,
                metadata={"revoked_sessions": revoked},
            )
        if claims is not None:
            await self.deps.tokens.blacklist_access(claims)
        return auth_pb2.LogoutAllResponse(revoked_sessions=revoked)

    async def ChangePassword(
        self, request: auth_pb2.ChangePasswordRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_person(self.deps)
        caller.need("profile:update")
        claims = await caller_claims(self.deps)
        await change_password(
            self.deps,
            user_id=caller.user_id,
            current=request.current_password,
            new=request.new_password,
            keep_session_id=uuid.UUID(claims.session_id) if claims else None,
            revoke_others=request.revoke_other_sessions,
            origin=origin_of(context),
        )
        return auth_pb2.ChangePasswordResponse()

    async def VerifyToken(
        self, request: auth_pb2.VerifyTokenRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        token = request.token.strip()
        if not token:
            raise invalid([FieldViolation("token", "is required")])
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        claims = await self.deps.verifier.verify_claims(token, audience=request.audience or None)
        permissions: tuple[str, ...] = ()
        if self.deps.access is not None:
            grants = await self.deps.access.roles.grants(uuid.UUID(claims.subject))
            if grants is None or not grants.active:
                raise Unauthenticated("the token's user can no longer log in", reason="USER_INACTIVE")
            permissions = grants.permissions
        return auth_pb2.VerifyTokenResponse(principal=principal_message(claims, permissions))

    async def GetJwks(self, request: auth_pb2.GetJwksRequest, context: grpc.aio.ServicerContext) -> Any:
        keys = await self.deps.tokens.keyring.fetch_jwks()
        return auth_pb2.GetJwksResponse(keys=[jwk_message(k) for k in keys])

    async def RotateSigningKey(
        self, request: auth_pb2.RotateSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_person(self.deps)
        caller.need("signing_keys:rotate")
        key = await self.deps.tokens.keyring.rotate()
        where = origin_of(context)
        async with self.deps.sessions.begin() as db:
            await audit.record(
                db,
                tenant_id=caller.tenant_id,
                actor_id=caller.actor_id,
                action="signing_key.rotate",
                resource=("signing_key", key.kid),
                outcome="success",
                ip=where.ip,
                user_agent=where.user_agent,
            )
        return auth_pb2.RotateSigningKeyResponse(key=jwk_message(key.jwk()))
