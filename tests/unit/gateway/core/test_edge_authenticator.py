"""EdgeAuthenticator against a stand-in JWT verifier and a fake identity stub."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2
from starlette.requests import Request

from gateway.edge_auth import EdgeAuthenticator, PassThroughAuthenticator, find_credential
from mesh.auth import Principal
from mesh.errors import PermissionDenied, Unauthenticated, to_rpc_status

Source = api_keys_pb2.ApiKeyCredentialSource
GOOD_JWT = "header.payload.signature"


def request(headers: dict[str, str] | None = None, query: str = "", client: str = "198.51.100.4") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/x",
        "headers": raw,
        "query_string": query.encode(),
        "client": (client, 1234),
    }
    return Request(scope)


class StandInVerifier:
    """What mesh.auth_jwt.JwtVerifier does, for one known token."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def verify(self, token: str) -> Principal:
        self.seen.append(token)
        if token != GOOD_JWT:
            raise Unauthenticated("token expired", reason="TOKEN_EXPIRED")
        return Principal(
            kind="user", subject="u1", tenant_id="t1", roles=frozenset({"member"}), token_id="jti-1"
        )


def rpc_failure(err: Any) -> grpc.aio.AioRpcError:
    status = to_rpc_status(err, "identity")
    trailer = grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString()))
    return grpc.aio.AioRpcError(err.code, grpc.aio.Metadata(), trailer, err.message, err.message)


class FakeIdentity:
    def __init__(self) -> None:
        self.requests: list[api_keys_pb2.AuthenticateApiKeyRequest] = []
        self.failure: Any = None

    def stub(self, service: str) -> FakeIdentity:
        assert service == "identity"
        return self

    async def AuthenticateApiKey(
        self, request: Any, **options: Any
    ) -> api_keys_pb2.AuthenticateApiKeyResponse:
        self.requests.append(request)
        if self.failure is not None:
            raise rpc_failure(self.failure)
        principal = auth_pb2.Principal(
            kind=auth_pb2.PRINCIPAL_KIND_API_KEY,
            tenant_id="t2",
            user_id="owner",
            api_key_id="key-1",
            role_ids=["member"],
            permissions=["chat:create"],
        )
        return api_keys_pb2.AuthenticateApiKeyResponse(principal=principal)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts() -> tuple[EdgeAuthenticator, StandInVerifier, FakeIdentity, Clock]:
    verifier, identity, clock = StandInVerifier(), FakeIdentity(), Clock()
    return EdgeAuthenticator(verifier, identity, cache_seconds=30, clock=clock), verifier, identity, clock


def test_credentials_are_found_in_every_place_clients_put_them() -> None:
    cases = [
        ({"authorization": "Bearer sk-a"}, "", Source.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER),
        ({"x-api-key": "sk-b"}, "", Source.API_KEY_CREDENTIAL_SOURCE_X_API_KEY_HEADER),
        ({"x-goog-api-key": "sk-c"}, "", Source.API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER),
        ({}, "key=sk-d", Source.API_KEY_CREDENTIAL_SOURCE_QUERY_KEY),
        ({}, "token=sk-e", Source.API_KEY_CREDENTIAL_SOURCE_QUERY_TOKEN),
    ]
    for headers, query, source in cases:
        found = find_credential(request(headers, query))
        assert found is not None and found.source == source and found.is_api_key
    both = find_credential(request({"authorization": "Bearer jwt", "x-api-key": "sk-x"}))
    assert both is not None and both.token == "jwt" and both.received == "Bearer jwt"
    assert find_credential(request()) is None
    with pytest.raises(Unauthenticated):
        find_credential(request({"authorization": "Basic dXNlcjpwYXNz"}))


async def test_a_jwt_is_verified_locally_and_forwarded(parts: Any) -> None:
    authenticator, verifier, identity, _ = parts
    caller = await authenticator.authenticate(request({"authorization": f"Bearer {GOOD_JWT}"}))
    assert caller.principal.user_id == "u1"
    assert caller.metadata == (("authorization", f"Bearer {GOOD_JWT}"),)
    assert verifier.seen == [GOOD_JWT]
    assert identity.requests == []
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(request({"authorization": "Bearer stale"}))


async def test_missing_credentials_are_refused_except_on_public_rpcs(parts: Any) -> None:
    authenticator, *_ = parts
    with pytest.raises(Unauthenticated) as caught:
        await authenticator.authenticate(request())
    assert caught.value.reason == "CREDENTIALS_MISSING"
    anonymous = await authenticator.authenticate(request(), public=True)
    assert not anonymous.principal.is_authenticated and anonymous.metadata == ()
    stale = await authenticator.authenticate(request({"authorization": "Bearer stale"}), public=True)
    assert not stale.principal.is_authenticated and stale.metadata == ()


async def test_api_keys_are_exchanged_through_identity_and_cached(parts: Any) -> None:
    authenticator, _, identity, clock = parts
    first = await authenticator.authenticate(request({"x-goog-api-key": "sk-live"}), model="gpt-4o")
    assert first.principal.kind == "api_key"
    assert first.principal.user_id == "owner"
    assert first.api_key_id == "key-1"
    assert first.principal.tenant_id == "t2"
    assert first.metadata == (("authorization", "Bearer sk-live"),)
    sent = identity.requests[0]
    assert (sent.credential, sent.source, sent.client_ip, sent.model) == (
        "sk-live",
        Source.API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER,
        "198.51.100.4",
        "gpt-4o",
    )
    again = await authenticator.authenticate(request({"authorization": "Bearer sk-live"}), model="gpt-4o")
    assert again == first
    assert len(identity.requests) == 1
    clock.now += 31
    await authenticator.authenticate(request({"authorization": "Bearer sk-live"}), model="gpt-4o")
    assert len(identity.requests) == 2
    await authenticator.authenticate(
        request({"authorization": "Bearer sk-live"}, client="192.0.2.1"), model="gpt-4o"
    )
    assert len(identity.requests) == 3


async def test_refused_keys_are_remembered_briefly_and_errors_keep_their_kind(parts: Any) -> None:
    authenticator, _, identity, clock = parts
    identity.failure = Unauthenticated("unknown key", reason="API_KEY_INVALID")
    for _ in range(2):
        with pytest.raises(Unauthenticated) as caught:
            await authenticator.authenticate(request({"x-api-key": "sk-bad"}))
        assert caught.value.reason == "API_KEY_INVALID"
    assert len(identity.requests) == 1
    clock.now += 6
    identity.failure = PermissionDenied("model not allowed", reason="MODEL_NOT_ALLOWED")
    with pytest.raises(PermissionDenied):
        await authenticator.authenticate(request({"x-api-key": "sk-bad"}))
    with pytest.raises(PermissionDenied):
        await authenticator.authenticate(request({"x-api-key": "sk-bad"}))
    assert len(identity.requests) == 3


async def test_the_cache_is_bounded() -> None:
    identity = FakeIdentity()
    authenticator = EdgeAuthenticator(StandInVerifier(), identity, max_entries=2)
    for key in ("sk-1", "sk-2", "sk-3", "sk-1"):
        await authenticator.authenticate(request({"x-api-key": key}))
    assert len(identity.requests) == 4


async def test_pass_through_forwards_what_came() -> None:
    authenticator = PassThroughAuthenticator()
    caller = await authenticator.authenticate(request({"x-api-key": "sk-z"}))
    assert caller.metadata == (("authorization", "Bearer sk-z"),)
    assert not caller.principal.is_authenticated
    assert (await authenticator.authenticate(request())).metadata == ()
