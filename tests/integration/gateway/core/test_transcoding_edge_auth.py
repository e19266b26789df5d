"""Edge authentication and the rate limit on transcoded routes, with identity as a real gRPC peer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest
import redis.asyncio as aredis
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, identity_pb2_grpc
from gwcore_echo import EchoState
from gwcore_support import gateway_for

from gateway.edge_auth import EdgeAuthenticator
from mesh.auth import Principal
from mesh.errors import Unauthenticated, abort
from mesh.stubs import unimplemented

JWT = "a.jwt.token"


class StandInVerifier:
    """Plays mesh.auth_jwt.JwtVerifier: one token verifies, everything else is expired."""

    async def verify(self, token: str) -> Principal:
        if token != JWT:
            raise Unauthenticated("token expired", reason="TOKEN_EXPIRED")
        return Principal(kind="user", subject="u1", tenant_id="t1")


class ApiKeys(unimplemented(identity_pb2_grpc.IdentityServiceServicer, "test")):  # type: ignore[misc]
    def __init__(self) -> None:
        self.calls: list[api_keys_pb2.AuthenticateApiKeyRequest] = []

    async def AuthenticateApiKey(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.calls.append(request)
        if request.credential.endswith("sk-good") or request.credential == "sk-good":
            principal = auth_pb2.Principal(user_id="owner", tenant_id="t9", api_key_id="k1")
            return api_keys_pb2.AuthenticateApiKeyResponse(principal=principal)
        await abort(context, Unauthenticated("unknown API key", reason="API_KEY_INVALID"), "identity")


@pytest.fixture
async def identity() -> AsyncIterator[tuple[ApiKeys, str]]:
    server = grpc.aio.server()
    servicer = ApiKeys()
    identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(None)


@pytest.fixture
async def guarded(
    echo: tuple[EchoState, str], identity: tuple[ApiKeys, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, EchoState, ApiKeys]]:
    state, address = echo
    keys, identity_address = identity
    settings = {"static_addresses": {"identity": identity_address}}

    def authenticator(clients: Any) -> EdgeAuthenticator:
        return EdgeAuthenticator(StandInVerifier(), clients)

    async with gateway_for(
        address, as_service="analytics", settings=settings, authenticator=authenticator
    ) as (
        app,
        _,
    ):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http, state, keys


async def test_no_credentials_is_401_before_any_call(guarded: Any) -> None:
    http, state, _ = guarded
    response = await http.get("/v1/echo/x")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["code"] == 16
    assert body["details"][0]["reason"] == "CREDENTIALS_MISSING"
    assert state.metadata == []


async def test_a_public_rpc_needs_nothing_and_ignores_a_stale_token(guarded: Any) -> None:
    http, state, _ = guarded
    assert (await http.get("/v1/echo/special")).status_code == 200
    stale = await http.get("/v1/echo/special", headers={"authorization": "Bearer old"})
    assert stale.status_code == 200
    assert "authorization" not in dict(state.metadata)


async def test_a_verified_jwt_is_forwarded_and_a_bad_one_refused(guarded: Any) -> None:
    http, state, _ = guarded
    ok = await http.get("/v1/echo/x", headers={"authorization": f"Bearer {JWT}"})
    assert ok.status_code == 200
    assert dict(state.metadata)["authorization"] == f"Bearer {JWT}"
    bad = await http.get("/v1/echo/x", headers={"authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["details"][0]["reason"] == "TOKEN_EXPIRED"


async def test_api_keys_in_any_place_are_checked_by_identity_once(guarded: Any) -> None:
    http, state, keys = guarded
    for headers, query in (
        ({"x-api-key": "sk-good"}, ""),
        ({"x-goog-api-key": "sk-good"}, ""),
        ({}, "?key=sk-good"),
        ({"authorization": "Bearer sk-good"}, ""),
    ):
        response = await http.get(f"/v1/echo/x{query}", headers=headers)
        assert response.status_code == 200, (headers, query, response.text)
        assert dict(state.metadata)["authorization"] == "Bearer sk-good"
    assert len(keys.calls) == 1
    assert keys.calls[0].client_ip == "203.0.113.9"
    refused = await http.get("/v1/echo/x", headers={"x-api-key": "sk-bad"})
    assert refused.status_code == 401
    assert refused.json()["details"][0]["reason"] == "API_KEY_INVALID"


async def test_transcoded_routes_are_rate_limited_after_auth(
    echo: tuple[EchoState, str], core_redis_url: str
) -> None:
    _, address = echo
    redis = aredis.Redis.from_url(core_redis_url)
    await redis.flushdb()
    rule = {"match": "chatmesh.gwtest.v1.EchoService/*", "scope": "ip", "limit": 2, "window_seconds": 60}
    try:
        async with gateway_for(address, settings={"gateway_rate_limits": [rule]}, redis=redis) as (app, _):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                answers = [await http.get("/v1/echo/x") for _ in range(3)]
                stream = await http.get("/v1/streams/s?i32=1")
    finally:
        await redis.aclose()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "2"
    limited = answers[2]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == 8
    assert stream.status_code == 429
