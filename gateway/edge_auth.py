"""Who is calling, established once at the edge and handed on to the services.

Bearer JWTs are verified locally (signature with identity's public keys, revocation), so
a bad token costs no hop. API keys (``sk-…``) can only be checked by identity, so they are
exchanged through ``IdentityService.AuthenticateApiKey`` and the answer is cached for a
short while in process: the hot path of an SDK client costs one dictionary lookup. Keys
arrive wherever clients put them: ``Authorization: Bearer``, ``x-api-key`` (Anthropic),
``x-goog-api-key`` (Gemini), ``?key=`` / ``?token=`` (WebSockets and EventSource).

Public RPCs (``(chatmesh.api.v1.public) = true`` in the contract) need no credential; one
that is sent anyway is tried, and a login still proceeds if it is stale. The services
verify the forwarded credential again themselves: the edge is a filter, not the trust root.

The client's address (settled by gateway.policies.client_ip) goes to the services sealed
next to the credential (mesh.client_ip), so an API key's network allow-list, login
throttling and audit logs see the real client on every hop, and nobody else can claim one.
A cached API-key answer is not used past the key's expiry.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from chatmesh.identity.v1 import api_keys_pb2
from starlette.requests import HTTPConnection

from mesh.auth import ANONYMOUS, Principal, TokenVerifier
from mesh.auth_api_keys import api_key_principal
from mesh.client_ip import ClientIpSeal
from mesh.errors import DomainError, Unauthenticated, error_from_rpc

__all__ = [
    "API_KEY_PREFIX",
    "Authenticator",
    "Credential",
    "EdgeAuthenticator",
    "EdgeCaller",
    "PassThroughAuthenticator",
    "find_credential",
]

log = logging.getLogger(__name__)

API_KEY_PREFIX = "sk-"
DEFAULT_CACHE_SECONDS = 30.0
NEGATIVE_CACHE_SECONDS = 5.0
DEFAULT_CACHE_ENTRIES = 10_000
API_KEY_CHECK_TIMEOUT = 5.0
Source = api_keys_pb2.ApiKeyCredentialSource
_HEADER_SOURCES = (
    ("x-api-key", Source.API_KEY_CREDENTIAL_SOURCE_X_API_KEY_HEADER),
    ("x-goog-api-key", Source.API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER),
)
_QUERY_SOURCES = (
    ("key", Source.API_KEY_CREDENTIAL_SOURCE_QUERY_KEY),
    ("token", Source.API_KEY_CREDENTIAL_SOURCE_QUERY_TOKEN),
)
_TOKEN = re.compile(r"[\x21-\x7e]+\Z")
_MISSING = Unauthenticated(
    "missing credentials: send 'Authorization: Bearer <token>' or an API key", reason="CREDENTIALS_MISSING"
)


@dataclass(frozen=True, slots=True)
class EdgeCaller:
    """The authenticated caller and the metadata that carries its credential to the services."""

    principal: Principal
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def api_key_id(self) -> str | None:
        if self.principal.kind != "api_key":
            return None
        return self.principal.token_id or None


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential as found: the bare token, the value exactly as received, and where."""

    token: str
    received: str
    source: api_keys_pb2.ApiKeyCredentialSource

    @property
    def is_api_key(self) -> bool:
        return self.token.startswith(API_KEY_PREFIX)

    def forward(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


class Authenticator(Protocol):
    """What routes (transcoded, OpenAI-compatible, WebSocket) call to learn who is calling."""

    async def authenticate(
        self, request: HTTPConnection, *, public: bool = False, model: str = ""
    ) -> EdgeCaller: ...


def _checked(token: str, received: str, source: api_keys_pb2.ApiKeyCredentialSource) -> Credential:
    """A credential is printable ASCII without spaces (it travels on as gRPC metadata)."""
    if not _TOKEN.match(token):
        raise Unauthenticated("the credential is malformed", reason="CREDENTIALS_MALFORMED")
    return Credential(token, received, source)


def find_credential(request: HTTPConnection) -> Credential | None:
    """The first credential in precedence order; Unauthenticated for one we cannot use."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "unsupported Authorization header: use 'Bearer <token>'", reason="CREDENTIALS_MALFORMED"
            )
        return _checked(token.strip(), authorization, Source.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER)
    for header, source in _HEADER_SOURCES:
        value = request.headers.get(header)
        if value and value.strip():
            return _checked(value.strip(), value, source)
    for name, source in _QUERY_SOURCES:
        value = request.query_params.get(name)
        if value and value.strip():
            return _checked(value.strip(), value, source)
    return None


def _client_ip(request: HTTPConnection) -> str:
    return request.client.host if request.client is not None else ""


def _sealed(
    client_ips: ClientIpSeal | None, request: HTTPConnection, credential: Credential | None
) -> tuple[tuple[str, str], ...]:
    """The credential's metadata plus the client's address sealed for it (when there is a seal)."""
    forwarded = credential.forward() if credential is not None else ()
    client_ip = _client_ip(request)
    if client_ips is None or not client_ip:
        return forwarded
    return (*forwarded, client_ips.seal(client_ip, credential.token if credential is not None else ""))


class IdentityStubs(Protocol):
    def stub(self, service: str) -> Any: ...


class EdgeAuthenticator:
    """JWTs through ``verifier``; API keys through identity (``clients.stub("identity")``), cached."""

    def __init__(
        self,
        verifier: TokenVerifier,
        clients: IdentityStubs,
        *,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        max_entries: int = DEFAULT_CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        client_ips: ClientIpSeal | None = None,
    ) -> None:
        self._verifier = verifier
        self._clients = clients
        self._client_ips = client_ips
        self._ttl = cache_seconds
        self._negative_ttl = min(cache_seconds, NEGATIVE_CACHE_SECONDS)
        self._max = max_entries
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str, str], tuple[float, EdgeCaller | DomainError]] = OrderedDict()

    async def authenticate(
        self, request: HTTPConnection, *, public: bool = False, model: str = ""
    ) -> EdgeCaller:
        try:
            credential = find_credential(request)
            if credential is None:
                if public:
                    return self._anonymous(request)
                raise _MISSING
            if credential.is_api_key:
                caller = await self._api_key(credential, _client_ip(request), model)
            else:
                caller = EdgeCaller(await self._verifier.verify(credential.token))
            return EdgeCaller(caller.principal, _sealed(self._client_ips, request, credential))
        except DomainError:
            if public:
                return self._anonymous(request)
            raise

    def _anonymous(self, request: HTTPConnection) -> EdgeCaller:
        """A public call without (usable) credentials; only its address travels on."""
        return EdgeCaller(ANONYMOUS, _sealed(self._client_ips, request, None))

    async def _api_key(self, credential: Credential, client_ip: str, model: str) -> EdgeCaller:
        key = (hashlib.sha256(credential.token.encode()).hexdigest(), client_ip, model)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now and not _expired(cached[1]):
            self._cache.move_to_end(key)
            outcome = cached[1]
            if isinstance(outcome, DomainError):
                raise outcome
            return outcome
        request = api_keys_pb2.AuthenticateApiKeyRequest(
            credential=credential.received, source=credential.source, client_ip=client_ip, model=model
        )
        try:
            reply = await self._clients.stub("identity").AuthenticateApiKey(
                request, timeout=API_KEY_CHECK_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            err = error_from_rpc(exc)
            if isinstance(err, Unauthenticated):
                self._remember(key, now + self._negative_ttl, err)
            raise err from None
        caller = EdgeCaller(api_key_principal(reply, client_ip), credential.forward())
        self._remember(key, now + self._ttl, caller)
        return caller

    def _remember(self, key: tuple[str, str, str], expires: float, outcome: EdgeCaller | DomainError) -> None:
        self._cache[key] = (expires, outcome)
        self._cache.move_to_end(key)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    def forget(self) -> None:
        """Drop every cached key decision (e.g. after a key was revoked, in tests)."""
        self._cache.clear()


def _expired(outcome: EdgeCaller | DomainError) -> bool:
    return isinstance(outcome, EdgeCaller) and outcome.principal.expired()


class PassThroughAuthenticator:
    """No verification at the edge: whatever credential came is forwarded for the services to judge.

    What the gateway runs with when no token verifier is configured; the services' own
    auth layer still rejects what it must. A call without credentials forwards nothing
    unless it is public (the compatible routes and the WebSocket refuse such calls).
    """

    def __init__(self, client_ips: ClientIpSeal | None = None) -> None:
        self._client_ips = client_ips

    async def authenticate(
        self, request: HTTPConnection, *, public: bool = False, model: str = ""
    ) -> EdgeCaller:
        try:
            credential = find_credential(request)
        except Unauthenticated:
            if public:
                return EdgeCaller(ANONYMOUS, _sealed(self._client_ips, request, None))
            raise
        if credential is None and not public:
            return EdgeCaller(ANONYMOUS)
        return EdgeCaller(ANONYMOUS, _sealed(self._client_ips, request, credential))
