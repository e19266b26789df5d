"""The mesh-wide access-token verifier: every service checks its callers' JWTs locally.

``JwtVerifier`` implements :class:`mesh.auth.TokenVerifier`. For each token it checks,
in this order: header (EdDSA only, a ``kid``), signature with identity's public key,
``exp``/``nbf`` (with a small leeway), ``iss``, ``aud``, ``typ == "access"``, and
revocation in Redis. Public keys come from a :class:`JwksSource` (identity's
``GetJwks`` RPC for other services, the in-process keyring inside identity) and are
cached; a token with an unknown ``kid`` triggers one refetch (at most once per
``UNKNOWN_KID_REFETCH_SECONDS``, so random kids cannot hammer identity). Tokens seen
before skip the signature check (a bounded memo of token → claims, dropped when a key
is withdrawn); expiry and revocation are checked on every call.

Revocation: a token is revoked when ``token:blacklist:<jti>`` (one token, e.g. after
Logout) or ``token:revoked-session:<sid>`` (its whole session, e.g. refresh-token
reuse, LogoutAll, disabled user) exists. Both keys live only as long as the tokens
they cover could, so Redis holds no garbage. Concurrent checks are pipelined into
one Redis round trip.

Redis outage policy (fail closed): if Redis cannot answer, a token is accepted only
when Redis said "not revoked" for that same token within the last
``settings.revocation_cache_seconds`` (at most 5 s; a tiny per-process cache).
Any other token is refused with UNAVAILABLE (reason ``REVOCATION_CHECK_UNAVAILABLE``,
RetryInfo 1 s), never let through and never a crash. Revocation writes
(identity) fail closed too: the RPC that revokes fails rather than pretend.

API keys (``sk-…``) are not JWTs: when an ``api_keys`` verifier is given, such
credentials are handed to it, so one verifier serves both forms as mesh.auth expects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.json_format import MessageToDict

from mesh.auth import Principal, TokenVerifier, current_client_ip
from mesh.auth_api_keys import RemoteApiKeyVerifier
from mesh.clients import ServiceClients
from mesh.errors import Unauthenticated, Unavailable
from mesh.jwt_claims import ACCESS, TokenClaims, decode_token, public_key_from_jwk, token_kid
from mesh.redis_client import connect_redis

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from mesh.config import Settings
    from mesh.discovery import Discovery

__all__ = [
    "BLACKLIST_PREFIX",
    "REVOKED_SESSION_PREFIX",
    "ClientJwksSource",
    "JwksSource",
    "JwtVerifier",
    "blacklist_key",
    "remote_verifier",
    "revoked_session_key",
]

log = logging.getLogger(__name__)

BLACKLIST_PREFIX = "token:blacklist:"
REVOKED_SESSION_PREFIX = "token:revoked-session:"
UNKNOWN_KID_REFETCH_SECONDS = 10.0
JWKS_MAX_AGE_SECONDS = 300.0
_RECENT_LIMIT = 50_000
VERIFIED_MEMO_SIZE = 8192
# A Redis that hangs instead of refusing counts as an outage after this long.
REVOCATION_CHECK_TIMEOUT_SECONDS = 1.0


def blacklist_key(jti: str) -> str:
    return f"{BLACKLIST_PREFIX}{jti}"


def revoked_session_key(session_id: str) -> str:
    return f"{REVOKED_SESSION_PREFIX}{session_id}"


class JwksSource(Protocol):
    """Where public signing keys come from: a list of JWK dicts (RFC 7517 member names)."""

    async def fetch_jwks(self) -> Sequence[Mapping[str, str]]: ...


class ClientJwksSource:
    """identity's ``GetJwks`` over the mesh (discovery, retries and deadlines from mesh.clients)."""

    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients

    async def fetch_jwks(self) -> Sequence[Mapping[str, str]]:
        from chatmesh.identity.v1 import auth_pb2

        stub: Any = self._clients.stub("identity")
        response = await stub.GetJwks(auth_pb2.GetJwksRequest())
        return [MessageToDict(key, preserving_proto_field_name=True) for key in response.keys]


class _RevocationCheck:
    """Answers "is this token revoked?" from Redis, pipelining concurrent questions into one round trip."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pending: list[tuple[str, str, asyncio.Future[bool]]] = []

    async def revoked(self, jti: str, session_id: str) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((jti, session_id, future))
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._flush(batch))
        task.add_done_callback(_retrieve)

    async def _flush(self, batch: list[tuple[str, str, asyncio.Future[bool]]]) -> None:
        """One EXISTS over every key of the batch: zero (the usual answer) clears them all at once;
        otherwise each token is asked about on its own, pipelined."""
        try:
            keys = [k for jti, sid, _ in batch for k in (blacklist_key(jti), revoked_session_key(sid))]
            async with asyncio.timeout(REVOCATION_CHECK_TIMEOUT_SECONDS):
                total = int(await self._redis.exists(*keys))
            results: list[int] = [0] * len(batch) if total == 0 else [total]
            if total and len(batch) > 1:
                async with (
                    asyncio.timeout(REVOCATION_CHECK_TIMEOUT_SECONDS),
                    self._redis.pipeline(transaction=False) as pipe,
                ):
                    for jti, sid, _ in batch:
                        pipe.exists(blacklist_key(jti), revoked_session_key(sid))
                    results = await pipe.execute()
        except Exception as exc:  # any Redis failure is an outage for the policy above
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (*_, future), count in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(int(count) > 0)


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("revocation flush failed", exc_info=task.exception())


class JwtVerifier:
    """Verifies identity's access tokens; see the module docstring for the checks and the outage policy."""

    def __init__(
        self,
        settings: Settings,
        jwks_source: JwksSource,
        redis: Redis,
        *,
        api_keys: TokenVerifier | None = None,
    ) -> None:
        self._settings = settings
        self._source = jwks_source
        self._revocations = _RevocationCheck(redis)
        self._api_keys = api_keys
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._keys_loaded_at = float("-inf")
        self._last_unknown_fetch = float("-inf")
        self._fetch_lock = asyncio.Lock()
        # jti -> monotonic time Redis last said "not revoked"; only consulted during an outage.
        self._recent: OrderedDict[str, float] = OrderedDict()
        # token -> its claims, for tokens whose signature already verified (default audience only).
        self._verified: dict[str, TokenClaims] = {}

    async def verify(self, token: str) -> Principal:
        if token.startswith("sk-"):
            if self._api_keys is None:
                raise Unauthenticated("API keys are not accepted here", reason="API_KEY_NOT_ACCEPTED")
            return await self._api_keys.verify(token)
        claims = await self.verify_claims(token)
        return Principal(
            kind="user",
            subject=claims.subject,
            tenant_id=claims.tenant_id,
            roles=frozenset(claims.roles),
            token_id=claims.token_id,
            expires_at=float(claims.expires_at),
            client_ip=current_client_ip(),
        )

    async def verify_claims(self, token: str, audience: str | None = None) -> TokenClaims:
        """All checks, returning the claims (identity's VerifyToken and Logout need more than a Principal)."""
        claims = await self.decode(token, audience=audience)
        await self._check_not_revoked(claims)
        return claims

    async def decode(self, token: str, *, audience: str | None = None) -> TokenClaims:
        """Signature and claim checks only, without the revocation lookup.

        A token seen before (the same string, so the same signature) skips the signature
        check; its expiry is checked every time. The memo is dropped whenever the key set
        loses a key, so a withdrawn key stops its tokens at the next refresh.
        """
        default = audience is None or audience == self._settings.jwt_audience
        known = self._verified.get(token) if default and not self._stale() else None
        if known is not None:
            if known.expires_at <= time.time() - self._settings.jwt_leeway_seconds:
                self._verified.pop(token, None)
                raise Unauthenticated("token expired", reason="TOKEN_EXPIRED")
            return known
        await self._ensure_key(token_kid(token))
        claims = decode_token(
            token,
            self._keys.get,
            audience=audience or self._settings.jwt_audience,
            issuer=self._settings.jwt_issuer,
            expected_type=ACCESS,
            leeway=self._settings.jwt_leeway_seconds,
        )
        if default:
            if len(self._verified) >= VERIFIED_MEMO_SIZE:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = claims
        return claims

    async def _ensure_key(self, kid: str) -> None:
        """Load keys when stale (or never loaded); refetch for an unknown kid at most once per interval."""
        if not self._needs_fetch(kid):
            return
        async with self._fetch_lock:
            if not self._needs_fetch(kid):
                return
            if not self._stale():
                self._last_unknown_fetch = time.monotonic()
            await self._refresh_keys(keep_on_failure=bool(self._keys))

    def _stale(self) -> bool:
        return time.monotonic() - self._keys_loaded_at > JWKS_MAX_AGE_SECONDS

    def _needs_fetch(self, kid: str) -> bool:
        if self._stale():
            return True
        if kid in self._keys:
            return False
        return time.monotonic() - self._last_unknown_fetch >= UNKNOWN_KID_REFETCH_SECONDS

    async def _refresh_keys(self, *, keep_on_failure: bool) -> None:
        try:
            jwks = await self._source.fetch_jwks()
        except Exception as exc:
            if keep_on_failure:
                log.warning("could not refresh signing keys; keeping the cached ones", exc_info=True)
                return
            raise Unavailable(
                "cannot fetch token signing keys", retry_after=1.0, reason="JWKS_UNAVAILABLE"
            ) from exc
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in jwks:
            try:
                keys[jwk["kid"]] = public_key_from_jwk(jwk)
            except (KeyError, ValueError):
                log.warning("ignoring an unusable JWK", extra={"kid": jwk.get("kid", "")})
        if set(self._keys) - set(keys):
            self._verified.clear()
        self._keys = keys
        self._keys_loaded_at = time.monotonic()

    async def _check_not_revoked(self, claims: TokenClaims) -> None:
        try:
            revoked = await self._revocations.revoked(claims.token_id, claims.session_id)
        except Exception:
            if self._recently_clear(claims.token_id):
                return
            log.warning("revocation check failed; refusing a token not seen recently", exc_info=True)
            raise Unavailable(
                "cannot check token revocation right now",
                retry_after=1.0,
                reason="REVOCATION_CHECK_UNAVAILABLE",
            ) from None
        if revoked:
            self._recent.pop(claims.token_id, None)
            raise Unauthenticated("token has been revoked", reason="TOKEN_REVOKED")
        self._remember_clear(claims.token_id)

    def _remember_clear(self, jti: str) -> None:
        if self._settings.revocation_cache_seconds <= 0:
            return
        self._recent[jti] = time.monotonic()
        self._recent.move_to_end(jti)
        while len(self._recent) > _RECENT_LIMIT:
            self._recent.popitem(last=False)

    def _recently_clear(self, jti: str) -> bool:
        seen = self._recent.get(jti)
        return seen is not None and time.monotonic() - seen <= self._settings.revocation_cache_seconds

    def forget_revocation_answers(self) -> None:
        """Drop cached "not revoked" answers (identity calls this after revoking in-process)."""
        self._recent.clear()


async def remote_verifier(
    settings: Settings, discovery: Discovery
) -> tuple[JwtVerifier, Callable[[], Awaitable[None]]]:
    """The verifier of a service other than identity, and the hook that closes what it opened.

    JWT keys come from identity's GetJwks over the mesh, revocation from Redis; ``sk-``
    API keys are resolved by identity's AuthenticateApiKey (briefly cached, evicted on change).
    """
    redis = connect_redis(settings)
    clients = ServiceClients(settings, discovery)
    api_keys = RemoteApiKeyVerifier(clients.stub("identity"))
    try:
        await api_keys.listen(redis)
    except Exception:
        await clients.close()
        await redis.aclose()
        raise
    verifier = JwtVerifier(settings, ClientJwksSource(clients), redis, api_keys=api_keys)

    async def close() -> None:
        await api_keys.close()
        await clients.close()
        await redis.aclose()

    return verifier, close
