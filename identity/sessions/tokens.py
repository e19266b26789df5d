"""Token lifecycle: issuing access/refresh pairs, rotating refresh tokens, revoking sessions.

A *session* is one login and its refresh-token family. Each refresh token is
single-use: exchanging it marks it used and issues the next one in the same
session. Presenting a used one again means someone else holds a copy, so the
whole session is revoked (its refresh tokens stop working and its access tokens
are refused mesh-wide through ``token:revoked-session:<sid>``).

Revocations are written to Redis as soon as they are decided, before the
caller's transaction commits: if that transaction later rolls back, the user
merely has to log in again (the safe direction). If Redis cannot be written,
the revoking call fails (UNAVAILABLE) rather than claim a revocation that
other services would not see.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identity.domain.tokens import RefreshDecision, TokenPolicy, decide_refresh, encode_token, new_claims
from identity.sessions.keyring import Keyring
from identity.store import revocations
from identity.store import sessions as session_store
from identity.store.sessions import SessionRow
from mesh.errors import Unauthenticated, Unavailable
from mesh.jwt_claims import ACCESS, REFRESH, TokenClaims, decode_token, token_kid

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from mesh.auth_jwt import JwtVerifier
    from mesh.config import Settings

__all__ = ["Refreshed", "Subject", "TokenPair", "TokenService"]


@dataclass(frozen=True)
class Subject:
    """Who tokens are issued to: the user, its tenant and its role keys at this moment."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    roles: tuple[str, ...]


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID
    access: TokenClaims


@dataclass(frozen=True)
class Refreshed:
    """A decided refresh: the session it belongs to and, unless it was refused, the new pair."""

    session: SessionRow
    pair: TokenPair | None
    refusal: Unauthenticated | None
    family_revoked: bool


SubjectLoader = Callable[[AsyncSession, SessionRow], Awaitable["Subject | None"]]


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class TokenService:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        keyring: Keyring,
        verifier: JwtVerifier | None = None,
    ) -> None:
        self.settings = settings
        self._sessions = sessions
        self._redis = redis
        self.keyring = keyring
        self._verifier = verifier
        self.policy = TokenPolicy(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_ttl=settings.access_token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
        )

    def attach_verifier(self, verifier: JwtVerifier) -> None:
        """The in-process verifier, whose outage cache is cleared after every revocation."""
        self._verifier = verifier

    async def issue_pair(
        self,
        db: AsyncSession,
        subject: Subject,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        mfa: bool = False,
    ) -> TokenPair:
        """Start a session for ``subject`` in the caller's transaction and issue its first pair."""
        now = int(time.time())
        session_id = await session_store.insert_session(
            db,
            tenant_id=subject.tenant_id,
            user_id=subject.user_id,
            ip_address=ip,
            user_agent=user_agent,
            mfa_verified=mfa,
            expires_at=_at(now + self.policy.refresh_ttl),
        )
        return await self._issue(db, subject, session_id, now=now, mfa=mfa, refreshed=False)

    async def _issue(
        self,
        db: AsyncSession,
        subject: Subject,
        session_id: uuid.UUID,
        *,
        now: int,
        mfa: bool,
        refreshed: bool,
    ) -> TokenPair:
        key = await self.keyring.signing_key()
        user, tenant, sid = str(subject.user_id), str(subject.tenant_id), str(session_id)
        access = new_claims(
            self.policy,
            type=ACCESS,
            subject=user,
            tenant_id=tenant,
            session_id=sid,
            now=now,
            roles=subject.roles,
            mfa=mfa,
        )
        refresh_id = uuid.uuid4()
        refresh = new_claims(
            self.policy,
            type=REFRESH,
            subject=user,
            tenant_id=tenant,
            session_id=sid,
            now=now,
            token_id=str(refresh_id),
        )
        await session_store.insert_refresh_token(
            db, token_id=refresh_id, session_id=session_id, expires_at=_at(refresh.expires_at)
        )
        await session_store.set_session_access(
            db,
            session_id,
            access_jti=access.token_id,
            access_expires_at=_at(access.expires_at),
            expires_at=_at(refresh.expires_at),
            refreshed=refreshed,
        )
        return TokenPair(
            access_token=encode_token(access, key),
            refresh_token=encode_token(refresh, key),
            expires_in=self.policy.access_ttl,
            session_id=session_id,
            access=access,
        )

    async def decode_refresh(self, raw: str) -> TokenClaims:
        """Signature, expiry, issuer, audience and ``typ == refresh``: what a token says about itself.

        The single-use rule needs the session's rows, so :meth:`refresh` enforces it under their lock.
        """
        key = await self.keyring.public_key_now(token_kid(raw))
        return decode_token(
            raw,
            lambda _kid: key,
            audience=self.policy.audience,
            issuer=self.policy.issuer,
            expected_type=REFRESH,
            leeway=self.settings.jwt_leeway_seconds,
        )

    async def refresh(self, db: AsyncSession, claims: TokenClaims, subject_of: SubjectLoader) -> Refreshed:
        """Decide a refresh in the caller's transaction (rows locked): rotate, or refuse and maybe revoke.

        ``subject_of(db, session)`` returns the user's current Subject, or None when the user
        may no longer log in (disabled, deleted, tenant suspended): the session is revoked then.
        """
        try:
            token_id = uuid.UUID(claims.token_id)
        except ValueError:
            raise Unauthenticated("refresh token is not known", reason="REFRESH_TOKEN_UNKNOWN") from None
        found = await session_store.refresh_token_for_update(db, token_id)
        if found is None or str(found[1].id) != claims.session_id or str(found[1].user_id) != claims.subject:
            raise Unauthenticated("refresh token is not known", reason="REFRESH_TOKEN_UNKNOWN")
        token, session = found
        subject = None
        if session.revoked_at is None and token.used_at is None:
            subject = await subject_of(db, session)
        decision = decide_refresh(
            used=token.used_at is not None,
            session_revoked=session.revoked_at is not None,
            subject_active=subject is not None,
        )
        if decision is RefreshDecision.SESSION_ENDED:
            return Refreshed(session, None, _refused("the session has ended", "SESSION_REVOKED"), False)
        if decision is RefreshDecision.REUSED:
            await self.revoke_sessions(db, [session.id], reason="refresh_token_reuse")
            refusal = _refused(
                "refresh token was already used; the session is revoked", "REFRESH_TOKEN_REUSED"
            )
            return Refreshed(session, None, refusal, True)
        if decision is RefreshDecision.ACCOUNT_INACTIVE or subject is None:
            await self.revoke_sessions(db, [session.id], reason="user_inactive")
            return Refreshed(session, None, _refused("the account cannot log in", "USER_INACTIVE"), True)
        await session_store.consume_refresh_token(db, token.id)
        pair = await self._issue(
            db, subject, session.id, now=int(time.time()), mfa=session.mfa_verified, refreshed=True
        )
        return Refreshed(session, pair, None, False)

    async def revoke_sessions(
        self, db: AsyncSession, session_ids: Sequence[uuid.UUID], *, reason: str
    ) -> int:
        """Revoke sessions (refresh families) in the caller's transaction and their access tokens in Redis."""
        revoked = await session_store.revoke_sessions(db, list(session_ids), reason)
        await self._publish(revoked)
        return len(revoked)

    async def revoke_family(self, db: AsyncSession, session_id: uuid.UUID, *, reason: str) -> bool:
        return await self.revoke_sessions(db, [session_id], reason=reason) > 0

    async def revoke_user_sessions(
        self,
        user_id: uuid.UUID,
        *,
        db: AsyncSession | None = None,
        reason: str,
        keep_session_id: uuid.UUID | None = None,
    ) -> int:
        """Revoke every live session of a user (password reset, disable, log out everywhere).

        Runs in ``db``'s transaction when given (the caller commits), else in its own.
        """
        if db is None:
            async with self._sessions.begin() as own:
                return await self.revoke_user_sessions(
                    user_id, db=own, reason=reason, keep_session_id=keep_session_id
                )
        live = await session_store.live_sessions_of_user(db, user_id)
        return await self.revoke_sessions(db, [s.id for s in live if s.id != keep_session_id], reason=reason)

    async def blacklist_access(self, claims: TokenClaims) -> None:
        """Refuse one access token mesh-wide until it would have expired anyway."""
        ttl = int(claims.remaining_seconds() + self.settings.jwt_leeway_seconds) + 1
        try:
            await revocations.revoke_access_token(self._redis, claims.token_id, ttl)
        except Exception as exc:
            raise Unavailable("cannot record the revocation right now", retry_after=1.0) from exc
        self._forget()

    async def _publish(self, revoked: Sequence[SessionRow]) -> None:
        if not revoked:
            return
        now = time.time()
        session_ttl = int(self.policy.access_ttl + self.settings.jwt_leeway_seconds) + 1
        sessions = [(str(session.id), session_ttl) for session in revoked]
        access_tokens = []
        for session in revoked:
            if session.access_jti and session.access_expires_at is not None:
                remaining = session.access_expires_at.timestamp() - now
                if remaining > 0:
                    access_tokens.append(
                        (session.access_jti, int(remaining + self.settings.jwt_leeway_seconds) + 1)
                    )
        try:
            await revocations.revoke_sessions(self._redis, sessions, access_tokens)
        except Exception as exc:
            raise Unavailable("cannot record the revocation right now", retry_after=1.0) from exc
        self._forget()

    def _forget(self) -> None:
        if self._verifier is not None:
            self._verifier.forget_revocation_answers()


def _refused(message: str, reason: str) -> Unauthenticated:
    return Unauthenticated(message, reason=reason)
