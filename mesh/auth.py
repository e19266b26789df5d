"""Who is calling: the principal of the current RPC and how it is established.

Every service verifies its caller itself (zero trust inside the mesh). The server's auth
layer reads ``authorization: Bearer <token>`` or ``x-api-key: <key>`` from the call
metadata and hands the raw credential to a :class:`TokenVerifier`. One verifier handles
both forms because OpenAI-compatible clients send ``sk-`` API keys as Bearer tokens: the
verifier tells JWTs and API keys apart by their shape. The identity issue supplies the
real (JWT / API key) verifier; this module only defines the seam.

Handlers read the result with :func:`current_principal`.

Besides who is calling, the principal carries what limits the caller: an API key's allowed
models and networks and its expiry (enforced with :mod:`mesh.key_limits` wherever a model
is chosen), and the client's address as the edge verified it (:mod:`mesh.client_ip`), so
login throttling, audit logs and a key's network allow-list see the real client on every hop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal, Protocol, runtime_checkable

import grpc
import grpc.aio
from google.protobuf import descriptor_pool

from mesh.client_ip import ClientIpSeal, peer_address
from mesh.dependency_errors import dependency_unavailable
from mesh.errors import DomainError, Internal, Unauthenticated, abort
from mesh.handlers import StreamBehavior, UnaryBehavior
from mesh.interceptors import is_ops_method
from mesh.key_limits import model_allowed

__all__ = [
    "ANONYMOUS",
    "PUBLIC_OPTION",
    "AuthLayer",
    "Principal",
    "PrincipalKind",
    "TokenVerifier",
    "credential_from_metadata",
    "current_client_ip",
    "current_principal",
    "is_public_method",
    "outgoing_credentials",
    "reset_principal",
    "set_principal",
]

PrincipalKind = Literal["user", "api_key", "service", "anonymous"]
PUBLIC_OPTION = "chatmesh.api.v1.public"
AUTHORIZATION_HEADER = "authorization"
API_KEY_HEADER = "x-api-key"
# The metadata pair a credential arrived in, kept to forward it to the next hop.
Credential = tuple[tuple[str, str], ...]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated (or anonymous) caller.

    ``subject`` is the user id for users and API keys (the key's owner), the service name
    for service identities, and empty for anonymous callers. ``token_id`` is the JWT
    ``jti`` or the API key id, which revocation and audit logs refer to.

    ``allowed_models`` / ``allowed_cidrs`` are an API key's limits (empty: none) and
    ``quota_remaining`` the quota identity granted it (None: unlimited, or not a key);
    ``expires_at`` (Unix seconds) is when the credential stops being valid; ``client_ip`` is
    the client's address as the edge verified it (or the transport peer for a direct caller).
    """

    kind: PrincipalKind
    subject: str = ""
    tenant_id: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str = ""
    allowed_models: tuple[str, ...] = ()
    allowed_cidrs: tuple[str, ...] = ()
    expires_at: float | None = None
    quota_remaining: int | None = None
    client_ip: str = ""

    @property
    def user_id(self) -> str | None:
        return self.subject if self.kind in ("user", "api_key") and self.subject else None

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def may_use_model(self, model: str) -> bool:
        return model_allowed(self.allowed_models, model)

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (time.time() if now is None else now)


ANONYMOUS = Principal(kind="anonymous")


@runtime_checkable
class TokenVerifier(Protocol):
    """Turns a raw credential into a principal.

    Raise :class:`mesh.errors.Unauthenticated` for a credential that is malformed, expired,
    revoked or unknown; other DomainErrors (e.g. ``Unavailable``) pass through to the caller.
    """

    async def verify(self, token: str) -> Principal: ...


_principal: ContextVar[Principal] = ContextVar("chatmesh_principal", default=ANONYMOUS)
_credential: ContextVar[Credential] = ContextVar("chatmesh_credential", default=())
_client_ip: ContextVar[str] = ContextVar("chatmesh_client_ip", default="")
# (seal, address, credential token): the client address to hand on, sealed only when a call is made.
_forwarded_ip: ContextVar[tuple[ClientIpSeal, str, str] | None] = ContextVar(
    "chatmesh_forwarded_ip", default=None
)


def current_principal() -> Principal:
    """The caller of the RPC being handled (``ANONYMOUS`` outside an RPC or without a verifier)."""
    return _principal.get()


def current_client_ip() -> str:
    """The client's verified address for the RPC being handled ("" when unknown).

    Set before the credential is verified, so an API key verifier can check the key's
    network allow-list against it.
    """
    return _client_ip.get() or _principal.get().client_ip


def set_principal(
    principal: Principal, credential: Credential = ()
) -> tuple[Token[Principal], Token[Credential]]:
    return _principal.set(principal), _credential.set(credential)


def reset_principal(tokens: tuple[Token[Principal], Token[Credential]]) -> None:
    """Undo :func:`set_principal`; tolerant of a generator finalised in another context."""
    try:
        _principal.reset(tokens[0])
        _credential.reset(tokens[1])
    except ValueError:
        _principal.set(ANONYMOUS)
        _credential.set(())


def outgoing_credentials() -> Credential:
    """The caller's own credential metadata, for a client that calls the next hop on its behalf,
    with the client's address sealed for it (mesh.client_ip) when the RPC established one.

    Kept out of :class:`Principal` so a principal can be logged without leaking a token.
    """
    forwarded = _forwarded_ip.get()
    if forwarded is None:
        return _credential.get()
    seal, client_ip, token = forwarded
    return (*_credential.get(), seal.seal(client_ip, token))


def credential_from_metadata(metadata: Iterable[Any] | None) -> tuple[str | None, Credential]:
    """(raw token, the metadata pair it came from); ``authorization`` wins over ``x-api-key``."""
    api_key: tuple[str, str] | None = None
    for key, value in metadata or ():
        if key == AUTHORIZATION_HEADER and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip(), ((key, value),)
        elif key == API_KEY_HEADER and isinstance(value, str) and value.strip() and api_key is None:
            api_key = (key, value)
    if api_key is not None:
        return api_key[1].strip(), (api_key,)
    return None, ()


@lru_cache(maxsize=1024)
def is_public_method(full_method: str) -> bool:
    """True when the RPC's MethodOptions carry ``(chatmesh.api.v1.public) = true``.

    ``full_method`` is the gRPC path ``/package.Service/Method``. The option is read from
    the default descriptor pool, which holds every generated module imported so far (a
    servicer's module is imported before its server starts, and it imports options.proto).
    Unknown methods, or a pool without the extension, count as not public: failing closed.
    """
    service, _, method = full_method.lstrip("/").partition("/")
    pool = descriptor_pool.Default()
    try:
        extension = pool.FindExtensionByName(PUBLIC_OPTION)
        descriptor = pool.FindMethodByName(f"{service}.{method}")
    except KeyError:
        return False
    if not descriptor.has_options:
        return False
    options: Any = descriptor.GetOptions()
    return bool(options.Extensions[extension])


class AuthLayer:
    """Establishes :func:`current_principal` for each RPC.

    Without a verifier (the state until the identity issue lands) every caller is
    ``ANONYMOUS`` and nothing is rejected: services can be built and tested before tokens
    exist, and no RPC pretends to check a credential it cannot check. With a verifier, a
    non-public RPC without a valid credential is rejected with UNAUTHENTICATED; a public
    one proceeds as anonymous even if a stale token was sent (a login must not fail
    because of an expired token). Health and reflection are always open: Consul, the
    launcher and grpcurl call them without credentials.
    """

    def __init__(
        self,
        verifier: TokenVerifier | None,
        service: str | None = None,
        client_ips: ClientIpSeal | None = None,
    ) -> None:
        self._verifier = verifier
        self._service = service
        self._client_ips = client_ips

    def _applies(self, method: str) -> bool:
        return self._verifier is not None and not is_ops_method(method)

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        if not self._applies(method):
            return behavior
        public = is_public_method(method)

        async def authenticated(request: Any, context: grpc.aio.ServicerContext) -> Any:
            tokens = await self._enter(context, public)
            try:
                return await behavior(request, context)
            finally:
                _leave(tokens)

        return authenticated

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        if not self._applies(method):
            return behavior
        public = is_public_method(method)

        async def authenticated(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            tokens = await self._enter(context, public)
            try:
                async for response in behavior(request, context):
                    yield response
            finally:
                _leave(tokens)

        return authenticated

    async def _enter(self, context: grpc.aio.ServicerContext, public: bool) -> _Entered:
        metadata = context.invocation_metadata()
        token, credential = credential_from_metadata(metadata)
        client_ip = self._client_ip(context, metadata, token)
        ip_token = _client_ip.set(client_ip)
        try:
            principal = await self._authenticate(context, token, public)
        except BaseException:
            _client_ip.reset(ip_token)
            raise
        if principal.client_ip != client_ip:
            # Verifiers that know the address (mesh's own) set it themselves; this copy is the slow path.
            principal = replace(principal, client_ip=client_ip)
        forwarded = credential if principal.is_authenticated else ()
        sealing = None
        if self._client_ips is not None and client_ip:
            sealing = (self._client_ips, client_ip, (token or "") if forwarded else "")
        return ip_token, _forwarded_ip.set(sealing), set_principal(principal, forwarded)

    def _client_ip(self, context: grpc.aio.ServicerContext, metadata: Any, token: str | None) -> str:
        """The address the edge sealed for this credential, else the transport peer."""
        if self._client_ips is not None:
            sealed = self._client_ips.from_metadata(metadata, token or "")
            if sealed is not None:
                return sealed
        return peer_address(context.peer())

    async def _authenticate(
        self, context: grpc.aio.ServicerContext, token: str | None, public: bool
    ) -> Principal:
        assert self._verifier is not None
        if token is None:
            if public:
                return _anonymous()
            await abort(context, _MISSING, self._service)
        try:
            return await self._verifier.verify(token)
        except Unauthenticated as err:
            if public:
                return _anonymous()
            await abort(context, err, self._service)
        except DomainError as err:
            await abort(context, err, self._service)
        except Exception as exc:
            unavailable = dependency_unavailable(exc)  # its Redis or database: retryable, not a bug
            if unavailable is not None:
                log.warning("token verifier: %s (%s: %s)", unavailable.reason, type(exc).__name__, exc)
                await abort(context, unavailable, self._service)
            log.exception("token verifier failed")
            await abort(context, Internal("could not verify credentials"), self._service)


_Entered = tuple[
    Token[str], Token[tuple[ClientIpSeal, str, str] | None], tuple[Token[Principal], Token[Credential]]
]


def _anonymous() -> Principal:
    """An anonymous caller of a public RPC, with its address (a login throttles on it)."""
    client_ip = _client_ip.get()
    return Principal(kind="anonymous", client_ip=client_ip) if client_ip else ANONYMOUS


def _leave(tokens: _Entered) -> None:
    reset_principal(tokens[2])
    try:
        _client_ip.reset(tokens[0])
        _forwarded_ip.reset(tokens[1])
    except ValueError:  # a generator finalised in another context
        _client_ip.set("")
        _forwarded_ip.set(None)


_MISSING = Unauthenticated(
    "missing credentials: send 'authorization: Bearer <token>' or 'x-api-key: <key>'",
    reason="CREDENTIALS_MISSING",
)
