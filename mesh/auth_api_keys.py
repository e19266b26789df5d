"""API keys (``sk-…``) as credentials of mesh services other than identity.

A service that receives ``Authorization: Bearer sk-…`` asks identity's
``AuthenticateApiKey`` who that is, stating the client's verified address
(:func:`mesh.auth.current_client_ip`) so a key limited to some networks works from them and
nowhere else. Answers are cached in process for a few seconds, keyed by the SHA-256 of the
key (the secret itself is never kept) and the address, and dropped as soon as identity
announces a change to that key on ``identity:apikey:changed`` (revoked, disabled, edited)
or the key expires. Refusals are not cached: a key that just became valid again works at
once. The principal carries the key's limits (allowed models and networks, expiry) for the
services that choose a model to enforce. Pass an instance as ``api_keys=`` to
``mesh.auth_jwt.JwtVerifier``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import grpc
from chatmesh.identity.v1 import api_keys_pb2
from redis.asyncio import Redis

from mesh.auth import Principal, current_client_ip
from mesh.errors import error_from_rpc
from mesh.invalidation import InvalidationListener

__all__ = ["APIKEY_CHANGED_CHANNEL", "RemoteApiKeyVerifier", "api_key_principal"]

APIKEY_CHANGED_CHANNEL = "identity:apikey:changed"
DEFAULT_TTL_SECONDS = 5.0
DEFAULT_MAX_ENTRIES = 10_000


def api_key_principal(reply: api_keys_pb2.AuthenticateApiKeyResponse, client_ip: str = "") -> Principal:
    """The principal of identity's answer for a key, its limits included."""
    found, expires = reply.principal, reply.principal.expire_time
    return Principal(
        kind="api_key",
        subject=found.user_id,
        tenant_id=found.tenant_id,
        roles=frozenset(found.role_ids),
        scopes=frozenset(found.permissions),
        token_id=found.api_key_id,
        allowed_models=tuple(found.allowed_models),
        allowed_cidrs=tuple(reply.api_key.allowed_cidrs),
        quota_remaining=None if reply.api_key.unlimited_quota else reply.api_key.remaining_quota,
        expires_at=expires.seconds + expires.nanos / 1e9 if found.HasField("expire_time") else None,
        client_ip=client_ip,
    )


class RemoteApiKeyVerifier:
    def __init__(
        self,
        stub: Any,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = stub
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._cache: OrderedDict[tuple[bytes, str], tuple[float, Principal]] = OrderedDict()
        self._epoch = 0
        self._listener: InvalidationListener | None = None

    async def verify(self, token: str) -> Principal:
        client_ip = current_client_ip()
        key = (hashlib.sha256(token.encode()).digest(), client_ip)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._clock() and not hit[1].expired():
            self._cache.move_to_end(key)
            return hit[1]
        epoch = self._epoch
        request = api_keys_pb2.AuthenticateApiKeyRequest(
            credential=token,
            source=api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER,
            client_ip=client_ip,
        )
        try:
            reply = await self._stub.AuthenticateApiKey(request)
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc(exc) from None
        principal = api_key_principal(reply, client_ip)
        if epoch == self._epoch:
            self._cache[key] = (self._clock() + self._ttl, principal)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return principal

    def evict(self, message: str) -> None:
        """``message`` is the hex SHA-256 of a changed key, as identity publishes it."""
        self._epoch += 1
        with contextlib.suppress(ValueError):
            digest = bytes.fromhex(message)
            for key in [key for key in self._cache if key[0] == digest]:
                self._cache.pop(key, None)

    def reset(self) -> None:
        self._epoch += 1
        self._cache.clear()

    async def listen(self, redis: Redis) -> None:
        if self._listener is None:
            self._listener = InvalidationListener(
                redis, {APIKEY_CHANGED_CHANNEL: self.evict}, on_reset=self.reset
            )
            await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
