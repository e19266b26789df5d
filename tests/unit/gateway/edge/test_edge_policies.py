"""The edge middleware stack without Redis: request ids, trace context, access logs, metrics,
CORS and gzip, observed through an app the way the gateway composes it."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry import trace
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.policies import ROUTE_KEY, middleware
from gateway.policies.access_log import ACCESS_LOGGER
from gateway.policies.request_id import accepted_request_id
from mesh.clients import context_metadata
from mesh.config import Settings, load_settings
from mesh.telemetry import current_request_id, current_trace_ids

BIG = "x" * 4000
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def echo(request: Request) -> Response:
    trace_id, _ = current_trace_ids()
    return JSONResponse(
        {"request_id": current_request_id(), "trace_id": trace_id, "outgoing": dict(context_metadata())}
    )


async def big(request: Request) -> Response:
    return JSONResponse({"data": BIG})


async def events(request: Request) -> Response:
    async def stream() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"data: {BIG}{i}\n\n".encode()

    return StreamingResponse(stream(), media_type="text/event-stream")


async def transcoded(request: Request) -> Response:
    request.scope[ROUTE_KEY] = "/v1/things/{thing_id}"
    return JSONResponse({"thing": request.path_params["rest"]})


def _app(settings: Settings, registry: CollectorRegistry) -> Starlette:
    return Starlette(
        routes=[
            Route("/echo", echo),
            Route("/big", big),
            Route("/events", events),
            Route("/v1/things/{rest:path}", transcoded),
        ],
        middleware=middleware(settings, None, registry=registry),
    )


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def http(registry: CollectorRegistry) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(_env_file=None, gateway_cors_origins=["https://app.example.com"])
    transport = httpx.ASGITransport(app=_app(settings, registry), client=("203.0.113.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


@pytest.mark.parametrize("offered", ["abc", "A.b_c-9", "x" * 128])
def test_a_sane_request_id_is_kept(offered: str) -> None:
    assert accepted_request_id(offered) == offered


@pytest.mark.parametrize("offered", [None, "", "x" * 129, "has space", "new\nline", "ümlaut", "a/b"])
def test_anything_else_gets_a_new_id(offered: str | None) -> None:
    generated = accepted_request_id(offered)
    assert generated != offered
    assert len(generated) == 32


async def test_the_request_id_is_returned_set_in_context_and_sent_on(http: httpx.AsyncClient) -> None:
    response = await http.get("/echo", headers={"X-Request-Id": "client-42"})
    assert response.headers["x-request-id"] == "client-42"
    body = response.json()
    assert body["request_id"] == "client-42"
    assert body["outgoing"]["x-request-id"] == "client-42"


async def test_a_bad_request_id_is_replaced(http: httpx.AsyncClient) -> None:
    response = await http.get("/echo", headers={"X-Request-Id": "bad id with spaces"})
    generated = response.headers["x-request-id"]
    assert generated != "bad id with spaces"
    assert response.json()["request_id"] == generated


async def test_the_callers_trace_is_continued_and_propagated(http: httpx.AsyncClient) -> None:
    body = (await http.get("/echo", headers={"traceparent": TRACEPARENT})).json()
    assert body["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    outgoing = body["outgoing"]["traceparent"]
    assert outgoing.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert outgoing.split("-")[2] != "b7ad6b7169203331", "the edge is a new span in the caller's trace"


async def test_without_a_caller_trace_the_edge_starts_one(http: httpx.AsyncClient) -> None:
    first = (await http.get("/echo")).json()["trace_id"]
    second = (await http.get("/echo")).json()["trace_id"]
    assert first and second and first != second
    assert trace.get_current_span().get_span_context().is_valid is False


async def test_one_json_access_line_per_request_without_the_query(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        await http.get(
            "/v1/things/t-1?key=sk-secret",
            headers={"X-Request-Id": "rid-1", "User-Agent": "tester/1", "traceparent": TRACEPARENT},
        )
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert record.method == "GET"  # type: ignore[attr-defined]
    assert record.route == "/v1/things/{thing_id}"  # type: ignore[attr-defined]
    assert record.path == "/v1/things/t-1"  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]
    assert record.bytes == len(b'{"thing":"t-1"}')  # type: ignore[attr-defined]
    assert record.client_ip == "203.0.113.7"  # type: ignore[attr-defined]
    assert record.user_agent == "tester/1"  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert "sk-secret" not in json.dumps(record.__dict__, default=str)
    from mesh.telemetry import JsonFormatter

    line = json.loads(JsonFormatter("gateway").format(record))
    assert line["request_id"] == "rid-1"
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"


def _sample(registry: CollectorRegistry, name: str, labels: dict[str, str]) -> float | None:
    return registry.get_sample_value(name, labels)


async def test_requests_are_counted_by_route_template_method_and_status(
    http: httpx.AsyncClient, registry: CollectorRegistry
) -> None:
    await http.get("/v1/things/a")
    await http.get("/v1/things/b")
    await http.get("/nowhere")
    labels = {"route": "/v1/things/{thing_id}", "method": "GET", "status": "200"}
    assert _sample(registry, "chatmesh_http_requests_total", labels) == 2
    assert (
        _sample(
            registry, "chatmesh_http_requests_total", {"route": "unmatched", "method": "GET", "status": "404"}
        )
        == 1
    )
    count = {"route": "/v1/things/{thing_id}", "method": "GET"}
    assert _sample(registry, "chatmesh_http_request_duration_seconds_count", count) == 2


async def test_open_streams_are_counted_while_open(registry: CollectorRegistry) -> None:
    app = _app(load_settings(_env_file=None), registry)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/events", "raw_path": b"/events", "query_string": b"", "headers": [],
        "client": ("127.0.0.1", 1), "server": ("gateway", 80),
    }  # fmt: skip
    seen_while_streaming: list[float | None] = []

    requested = asyncio.Event()

    async def receive() -> dict[str, object]:
        if requested.is_set():
            await asyncio.Event().wait()
        requested.set()
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.body" and message.get("more_body"):
            seen_while_streaming.append(_sample(registry, "chatmesh_http_open_streams", {"kind": "sse"}))

    await asyncio.wait_for(app(scope, receive, send), 5)  # type: ignore[arg-type]
    assert seen_while_streaming and set(seen_while_streaming) == {1.0}
    assert _sample(registry, "chatmesh_http_open_streams", {"kind": "sse"}) == 0


async def test_large_json_is_gzipped_small_json_is_not(http: httpx.AsyncClient) -> None:
    response = await http.get("/big", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < len(BIG)
    assert response.json() == {"data": BIG}
    small = await http.get("/echo", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


async def test_event_streams_are_never_gzipped(http: httpx.AsyncClient) -> None:
    response = await http.get("/events", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.text.count("data: ") == 3
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(response.content)


async def test_cors_answers_a_preflight_from_an_allowed_origin(http: httpx.AsyncClient) -> None:
    response = await http.options(
        "/echo",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, grpc-metadata-tenant",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "grpc-metadata-tenant" in response.headers["access-control-allow-headers"].lower()


async def test_cors_exposes_the_edge_headers_to_allowed_origins_only(http: httpx.AsyncClient) -> None:
    allowed = await http.get("/echo", headers={"Origin": "https://app.example.com"})
    exposed = allowed.headers["access-control-expose-headers"]
    assert "X-Request-Id" in exposed and "Retry-After" in exposed and "X-RateLimit-Remaining" in exposed
    other = await http.get("/echo", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_without_configured_origins_there_are_no_cors_headers(registry: CollectorRegistry) -> None:
    app = _app(load_settings(_env_file=None), registry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
        response = await client.get("/echo", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", ["*", "app.example.com", "https://app.example.com/path", "ftp://x.y"])
def test_settings_refuse_anything_but_exact_origins(origin: str) -> None:
    with pytest.raises(SystemExit, match="gateway_cors_origins"):
        load_settings(_env_file=None, gateway_cors_origins=[origin])
