"""No input makes the edge answer 500 or show a stack trace: hand-picked nasties, then a seeded fuzz.

Requests go to the app as raw ASGI calls, so paths, headers and bodies arrive exactly as
written (an HTTP client would normalise some of them away).
"""

from __future__ import annotations

import asyncio
import json
import random
import string
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import grpc
import pytest
from gwcore_echo import EchoState, echo_service
from gwcore_support import gateway_for
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.transcoding import bindings_for, mesh_services
from mesh.clients import ServiceClients
from mesh.config import SERVICES, load_settings
from mesh.discovery import make_discovery

SEED = 20261125
FUZZ_REQUESTS = 800


async def call(
    app: Starlette,
    method: str,
    raw_path: bytes,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": [(b"host", b"gateway"), *(headers or [])],
        "client": ("198.51.100.1", 1),
        "server": ("gateway", 80),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def assert_clean(status: int, body: bytes, what: object) -> None:
    assert status != 500, (what, body[:300])
    assert 200 <= status < 600, what
    assert b"Traceback" not in body, what
    if status >= 400 and body:
        parsed = json.loads(body)
        # The OpenAI/Anthropic-compatible routes answer in their own error shape.
        assert {"code", "message", "details"} <= set(parsed) or set(parsed) == {"error"}, (what, parsed)


@pytest.fixture
async def echo_app(echo: tuple[EchoState, str]) -> AsyncIterator[Starlette]:
    _, address = echo
    async with gateway_for(address) as (app, _):
        yield app


@pytest.fixture
async def mesh_app() -> AsyncIterator[Starlette]:
    """The full route table in front of a server that serves nothing: valid input gets a 501."""
    server = grpc.aio.server()
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    settings = load_settings(_env_file=None, static_addresses=dict.fromkeys(SERVICES, f"127.0.0.1:{port}"))
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    yield create_app(settings, clients)
    await clients.close()
    await discovery.close()
    await server.stop(None)


NASTY: list[tuple[str, bytes, bytes, list[tuple[bytes, bytes]], bytes]] = [
    ("GET", b"/v1/echo/%", b"", [], b""),
    ("GET", b"/v1/echo/%zz", b"", [], b""),
    ("GET", b"/v1/echo/%c3%28", b"", [], b""),
    ("GET", b"/v1/echo/\xff\xfe", b"", [], b""),
    ("GET", b"/v1/echo/a%00b", b"", [], b""),
    ("GET", b"/v1/echo//", b"", [], b""),
    ("GET", b"/v1/echo/..", b"", [], b""),
    ("GET", b"//v1/echo/x", b"", [], b""),
    ("GET", b"/v1/echo/x", b"%ff=1", [], b""),
    ("GET", b"/v1/echo/x", b"i32=%ff", [], b""),
    ("GET", b"/v1/echo/x", b"&&&==&=", [], b""),
    ("GET", b"/v1/echo/x", b"labels[=1", [], b""),
    ("GET", b"/v1/echo/x", b"a" * 100_000, [], b""),
    ("GET", b"/v1/echo/x", b"&".join(b"t%d=1" % i for i in range(5000)), [], b""),
    ("GET", b"/v1/echo/x", b"i64=99999999999999999999999", [], b""),
    ("GET", b"/v1/echo/x", b"stream=ndjson", [], b""),
    ("GET", b"/v1/echo/x", b"key=sk-x&token=", [], b""),
    ("GET", b"/v1/echo/x", b"", [(b"grpc-timeout", b"\xff")], b""),
    ("GET", b"/v1/echo/x", b"", [(b"grpc-metadata-", b"x")], b""),
    ("GET", b"/v1/echo/x", b"", [(b"authorization", b"Bearer \xff\xfe")], b""),
    ("GET", b"/v1/echo/x", b"", [(b"authorization", b"Bearer")], b""),
    ("GET", b"/v1/echo/x", b"", [(b"x-request-id", b"\n\x00" * 100)], b""),
    ("GET", b"/v1/echo/x", b"", [(b"last-event-id", b"\xff")], b""),
    ("GET", b"/v1/streams/x", b"", [(b"accept", b"\xff/\xff")], b""),
    ("POST", b"/v1/echo", b"", [(b"content-length", b"abc")], b"{}"),
    ("POST", b"/v1/echo", b"", [(b"content-length", b"-1")], b"{}"),
    (
        "POST",
        b"/v1/echo",
        b"",
        [(b"content-type", b"application/json; charset=latin-1")],
        b'{"name": "\xe9"}',
    ),
    ("POST", b"/v1/echo", b"", [], b'{"extra": {"a": ' + b"{" * 200 + b"}" * 200 + b"}}"),
    ("POST", b"/v1/echo", b"", [], b'{"inner": ' + b'{"deeper": ' * 150 + b"{}" + b"}" * 150 + b"}"),
    ("POST", b"/v1/echo", b"", [], b'{"when": "9999-99-99T99:99:99Z", "wait": "1e400s"}'),
    ("POST", b"/v1/echo", b"", [], b'{"mask": 5, "maybe": {}, "extra": 3}'),
    ("POST", b"/v1/echo", b"", [], b'{"beta": {"id": 1}, "alpha": "a"}'),
    ("POST", b"/v1/echo", b"", [], b'{"colors": [null], "tags": [1, {}]}'),
    ("POST", b"/v1/echo", b"", [], b'{"labels": {"k": 1}, "counts": {"k": "x"}}'),
    ("POST", b"/v1/echo", b"", [], b'{"dbl": 1e999, "flt": -1e999}'),
    ("POST", b"/v1/echo", b"", [], b'{"i64": "0x10", "u64": "-1", "u32": 1e3}'),
    ("POST", b"/v1/echo", b"", [], b'{"name": "\\ud800"}'),
    ("POST", b"/v1/echo", b"", [], b"\x00\x00\x00"),
    ("PATCH", b"/v1/echo/x", b"", [], b"null"),
    ("PATCH", b"/v1/echo/x", b"", [], b"[]"),
    ("PATCH", b"/v1/echo/x", b"", [], b'"str"'),
    (
        "POST",
        b"/v1/uploads/x:upload",
        b"",
        [(b"content-type", b"multipart/form-data; boundary=b")],
        b"--b\r\nzzz",
    ),
    ("POST", b"/v1/uploads/x:upload", b"", [(b"content-type", b"multipart/form-data; boundary=")], b""),
    ("POST", b"/v1/uploads/x:upload", b"metadata.size_bytes=x", [], b"abc"),
    (
        "POST",
        b"/v1/uploads/x:upload",
        b"",
        [(b"content-type", b"multipart/form-data; boundary=b")],
        b'--b\r\nContent-Disposition: form-data; name="metadata"\r\n'
        b"Content-Type: application/json\r\n\r\n[1]\r\n--b--\r\n",
    ),
    ("TRACE", b"/v1/echo/x", b"", [], b""),
    ("PROPFIND", b"/v1/echo", b"", [], b""),
    ("OPTIONS", b"/v1/echo", b"", [], b""),
    ("HEAD", b"/v1/echo/x", b"", [], b""),
]


async def test_hand_picked_nasties_never_500(echo_app: Starlette) -> None:
    for method, path, query, headers, body in NASTY:
        status, answer = await call(echo_app, method, path, query=query, headers=headers, body=body)
        assert_clean(status, answer, (method, path[:60], query[:60], headers, body[:60]))


def _value(rng: random.Random) -> Any:
    choices: list[Any] = [
        rng.randint(-(2**70), 2**70),
        rng.random() * 10 ** rng.randint(-5, 40),
        "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 12))),
        rng.choice([True, False, None]),
        [rng.randint(0, 5), "x"],
        {"id": "y", "count": "3"},
        "COLOR_RED",
        "2024-01-01T00:00:00Z",
    ]
    return rng.choice(choices)


def _random_request(rng: random.Random, binding: Any) -> tuple[str, bytes, bytes, bytes]:
    names = [f.json_name for f in binding.request_class.DESCRIPTOR.fields] + [
        "nope",
        "inner.count",
        "labels[k]",
    ]
    path = binding.template.text
    for _ in binding.template.variables:
        raw = "".join(rng.choice(string.printable) for _ in range(rng.randint(1, 8)))
        encoded = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in raw)
        start = path.index("{")
        path = path[:start] + encoded + path[path.index("}", start) + 1 :]
    query = "&".join(
        f"{rng.choice(names)}={rng.choice(['1', 'x', '', 'true', '-5', '1.5', 'COLOR_RED'])}"
        for _ in range(rng.randint(0, 4))
    )
    body_value: Any = {rng.choice(names): _value(rng) for _ in range(rng.randint(0, 4))}
    if rng.random() < 0.1:
        body_value = _value(rng)
    body = json.dumps(body_value).encode()
    if rng.random() < 0.1:
        body = body[: rng.randint(0, len(body))]
    return binding.http_method, path.encode(), query.encode(), body


async def test_seeded_fuzz_over_every_echo_binding_never_500s(echo_app: Starlette) -> None:
    rng = random.Random(SEED)
    bindings = [b for b in bindings_for("identity", echo_service()) if b.rpc_name.rsplit(".", 1)[1] != "Fail"]
    for _ in range(FUZZ_REQUESTS):
        binding = rng.choice(bindings)
        method, path, query, body = _random_request(rng, binding)
        headers = [(b"grpc-timeout", b"2S")]
        if binding.kind.value == "server_stream":
            query += b"&i32=1" if query else b"i32=1"
        status, answer = await call(echo_app, method, path, query=query, headers=headers, body=body)
        assert_clean(status, answer, (method, path, query, body[:80]))


async def test_the_full_route_table_refuses_bad_input_without_500(mesh_app: Starlette) -> None:
    rng = random.Random(SEED + 1)
    bindings = [b for service, descriptor in mesh_services() for b in bindings_for(service, descriptor)]
    for binding in bindings:
        for _ in range(3):
            method, path, query, body = _random_request(rng, binding)
            status, answer = await call(
                mesh_app, method, path, query=query, headers=[(b"grpc-timeout", b"200m")], body=body
            )
            if status == 501:
                assert json.loads(answer)["code"] == 12
                assert_clean(status, answer, (binding.rpc_name, path, query, body[:80]))


async def test_an_upload_the_service_refuses_at_once_gets_the_services_status(mesh_app: Starlette) -> None:
    """Writes racing the service's early answer fail as INTERNAL in grpc; the real status must win."""
    path = b"/v1/knowledge-bases/kb/documents:upload"
    for index in range(60):
        size = 300_000 if index % 2 else 10
        status, answer = await call(mesh_app, "POST", path, body=b"x" * size)
        assert status == 501, answer
        assert json.loads(answer)["code"] == 12
