"""Service errors as grpc-gateway answers them, deadlines and the metadata the services receive."""

from __future__ import annotations

import base64

import httpx
from gwcore_support import Served, gateway_for

TYPE = "type.googleapis.com/google.rpc."


def detail(body: dict[str, object], name: str) -> dict[str, object]:
    details = body["details"]
    assert isinstance(details, list)
    return next(d for d in details if d["@type"] == TYPE + name)


async def test_invalid_argument_is_400_with_its_details_as_json(served: Served) -> None:
    response = await served.http.post("/v1/echo:fail", json={"name": "invalid"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 3
    assert body["message"] == "bad name"
    assert detail(body, "ErrorInfo")["reason"] == "INVALID_ARGUMENT"
    assert detail(body, "ErrorInfo")["domain"] == "chatmesh.gwtest"
    assert detail(body, "BadRequest")["fieldViolations"] == [{"field": "name", "description": "must be nice"}]


async def test_not_found_is_404(served: Served) -> None:
    response = await served.http.post("/v1/echo:fail", json={"name": "missing"})
    assert response.status_code == 404
    assert response.json()["code"] == 5


async def test_resource_exhausted_is_429_with_retry_after_from_retry_info(served: Served) -> None:
    response = await served.http.post("/v1/echo:fail", json={"name": "exhausted"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert detail(response.json(), "RetryInfo")["retryDelay"] == "2.500s"


async def test_unavailable_is_503_with_retry_after(served: Served) -> None:
    response = await served.http.post("/v1/echo:fail", json={"name": "unavailable"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


async def test_a_crashing_handler_is_the_services_500_not_the_gateways(served: Served) -> None:
    response = await served.http.post("/v1/echo:fail", json={"name": "boom"})
    assert response.status_code == 500
    assert response.json()["code"] == 2
    assert "Traceback" not in response.text


async def test_an_unreachable_service_is_503(echo: tuple[object, str]) -> None:
    async with gateway_for("127.0.0.1:1") as (app, _):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as http:
            response = await http.get("/v1/echo/x", headers={"grpc-timeout": "2S"})
    assert response.status_code == 503
    assert response.json()["code"] == 14


async def test_grpc_timeout_sets_the_deadline(served: Served) -> None:
    await served.http.get("/v1/echo/x", headers={"grpc-timeout": "2S"})
    remaining = served.state.deadlines[-1]
    assert remaining is not None and 1.0 < remaining <= 2.1
    await served.http.get("/v1/echo/x", headers={"grpc-timeout": "300m"})
    remaining = served.state.deadlines[-1]
    assert remaining is not None and remaining <= 0.35


async def test_unary_calls_get_the_default_deadline_and_routes_their_own(echo: tuple[object, str]) -> None:
    state, address = echo
    deadlines = {"chatmesh.gwtest.v1.EchoService.Get": 3.0}
    async with gateway_for(address, settings={"gateway_route_deadlines": deadlines}) as (app, settings):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as http:
            await http.get("/v1/echo/x")
            routed = state.deadlines[-1]  # type: ignore[attr-defined]
            await http.get("/v1/echo/special")
            default = state.deadlines[-1]  # type: ignore[attr-defined]
    assert routed is not None and 2.0 < routed <= 3.1
    assert default is not None and 3.1 < default <= settings.grpc_default_deadline_seconds + 0.2


async def test_a_bad_grpc_timeout_is_400(served: Served) -> None:
    for value in ("soon", "5s", "123456789S", "0S"):
        response = await served.http.get("/v1/echo/x", headers={"grpc-timeout": value})
        assert response.status_code == 400, value
        assert "Grpc-Timeout" in response.json()["message"]


async def test_headers_become_metadata_like_grpc_gateway(served: Served) -> None:
    trace = base64.b64encode(b"\x00\x01binary").decode()
    response = await served.http.get(
        "/v1/metadata",
        headers={
            "grpc-metadata-tenant-hint": "acme",
            "grpc-metadata-trace-bin": trace,
            "x-forwarded-for": "198.51.100.1",
            "x-request-id": "req-123",
            "authorization": "Bearer some.jwt.token",
            "cookie": "secret=1",
        },
    )
    assert response.status_code == 200, response.text
    seen = dict(served.state.metadata)
    assert seen["tenant-hint"] == "acme"
    assert seen["trace-bin"] == b"\x00\x01binary"
    # The client's own X-Forwarded-For is not believed (no trusted proxies): only its peer address.
    assert seen["x-forwarded-for"] == "203.0.113.7"
    assert seen["x-forwarded-host"] == "gateway"
    assert seen["x-request-id"] == "req-123"
    assert seen["authorization"] == "Bearer some.jwt.token"
    assert "cookie" not in seen


async def test_response_header_metadata_comes_back_as_grpc_metadata_headers(served: Served) -> None:
    response = await served.http.get("/v1/echo/x")
    assert response.headers["grpc-metadata-x-echo"] == "yes"


async def test_credentials_and_reserved_metadata_cannot_be_smuggled(served: Served) -> None:
    for name in ("grpc-metadata-authorization", "grpc-metadata-grpc-timeout", "grpc-metadata-x-request-id"):
        response = await served.http.get("/v1/echo/x", headers={name: "v"})
        assert response.status_code == 400, name
    binary = await served.http.get("/v1/echo/x", headers={"grpc-metadata-x-bin": "***"})
    assert binary.status_code == 400


async def test_oversized_bodies_are_413_before_any_call(echo: tuple[object, str]) -> None:
    state, address = echo
    async with gateway_for(address, settings={"gateway_max_body_bytes": 2048}) as (app, _):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as http:
            big = b'{"name": "' + b"x" * 4096 + b'"}'
            response = await http.post("/v1/echo", content=big)

            async def chunked() -> object:
                for _ in range(8):
                    yield b" " * 1024

            streamed = await http.post("/v1/echo", content=chunked())  # type: ignore[arg-type]
            small = await http.post("/v1/echo", json={"name": "ok"})
    assert response.status_code == 413
    assert response.json()["code"] == 3
    assert streamed.status_code == 413
    assert small.status_code == 200
    assert state.metadata == [] or small.json()["echo"]["name"] == "ok"  # type: ignore[attr-defined]
