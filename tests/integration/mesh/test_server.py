"""The mesh server end to end over real gRPC: ops surface, interceptors, errors, shutdown.

A tiny ``meshtest.v1.EchoService`` (all four RPC kinds, one RPC marked public) is compiled
with grpc_tools into a temporary directory, so these tests do not depend on gen/ beyond
``chatmesh/api/v1/options.proto``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import grpc
import grpc.aio
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from mesh.auth import Principal, current_principal
from mesh.config import Settings, load_settings
from mesh.discovery.base import Endpoint
from mesh.errors import Unauthenticated, parse_rpc_error
from mesh.server import RunningServer, ServiceBinding, serve, start_server, unimplemented
from mesh.telemetry import (
    ContextClientInterceptor,
    current_request_id,
    current_trace_ids,
    reset_request_id,
    set_request_id,
)

ROOT = Path(__file__).resolve().parents[3]
GRPCURL = ROOT / ".venv" / "bin" / "grpcurl"
ECHO = "meshtest.v1.EchoService"
SECRET = "db password hunter2"

ECHO_PROTO = """
syntax = "proto3";
package meshtest.v1;
import "chatmesh/api/v1/options.proto";

message EchoRequest { string text = 1; }
message EchoResponse { string text = 1; }

service EchoService {
  rpc Echo(EchoRequest) returns (EchoResponse) { option (chatmesh.api.v1.public) = true; }
  rpc Expand(EchoRequest) returns (stream EchoResponse);
  rpc Collect(stream EchoRequest) returns (EchoResponse);
  rpc Chat(stream EchoRequest) returns (stream EchoResponse);
}
"""

# The servicer lives in source form so the SIGTERM test can run it in a child process.
SERVICER_SOURCE = """
import asyncio

from meshtest.v1 import echo_pb2, echo_pb2_grpc

from mesh.auth import current_principal
from mesh.errors import FieldViolation, InvalidArgument, NotFound, QuotaViolation, ResourceExhausted
from mesh.telemetry import current_request_id, current_trace_ids


class EchoServicer(echo_pb2_grpc.EchoServiceServicer):
    async def Echo(self, request, context):
        text = request.text
        if text == "bad":
            raise InvalidArgument("text is bad", [FieldViolation("text", "must not be 'bad'")])
        if text == "quota":
            raise ResourceExhausted("slow down", [QuotaViolation("tenant:t1", "100 rpm")], retry_after=1.5)
        if text == "boom":
            raise RuntimeError("db password hunter2")
        if text.startswith("slow:"):
            await asyncio.sleep(float(text[5:]))
            return echo_pb2.EchoResponse(text="done")
        if text == "whoami":
            principal = current_principal()
            return echo_pb2.EchoResponse(text=f"{principal.kind}:{principal.subject}")
        if text == "ids":
            return echo_pb2.EchoResponse(text=f"{current_request_id()}|{current_trace_ids()[0]}")
        return echo_pb2.EchoResponse(text=text)

    async def Expand(self, request, context):
        if request.text == "whoami":
            principal = current_principal()
            yield echo_pb2.EchoResponse(text=f"{principal.kind}:{principal.subject}")
            return
        yield echo_pb2.EchoResponse(text=request.text + "0")
        if request.text == "fail":
            raise NotFound("no more items", reason="ITEMS_GONE")
        for i in range(1, 3):
            yield echo_pb2.EchoResponse(text=f"{request.text}{i}")

    async def Collect(self, request_iterator, context):
        return echo_pb2.EchoResponse(text="".join([r.text async for r in request_iterator]))

    async def Chat(self, request_iterator, context):
        async for request in request_iterator:
            yield echo_pb2.EchoResponse(text=request.text.upper())
"""


@pytest.fixture(scope="session")
def echo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("echo_gen")
    src = out / "src" / "meshtest" / "v1"
    src.mkdir(parents=True)
    (src / "echo.proto").write_text(ECHO_PROTO)
    (out / "echo_servicer.py").write_text(SERVICER_SOURCE)
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{out / 'src'}",
        f"-I{ROOT / 'proto'}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        str(src / "echo.proto"),
    ]
    assert protoc.main(args) == 0
    return out


@pytest.fixture(scope="session")
def echo(echo_dir: Path) -> SimpleNamespace:
    sys.path.insert(0, str(echo_dir))
    pb2: ModuleType = importlib.import_module("meshtest.v1.echo_pb2")
    grpc_mod: ModuleType = importlib.import_module("meshtest.v1.echo_pb2_grpc")
    servicer: ModuleType = importlib.import_module("echo_servicer")
    return SimpleNamespace(pb2=pb2, grpc=grpc_mod, Servicer=servicer.EchoServicer)


def make_settings(**overrides: Any) -> Settings:
    return load_settings(_env_file=None, environment="test", log_format="json", **overrides)


def binding(echo: SimpleNamespace, servicer: object | None = None) -> ServiceBinding:
    return ServiceBinding(ECHO, echo.grpc.add_EchoServiceServicer_to_server, servicer or echo.Servicer())


@pytest.fixture(scope="module")
async def running(echo: SimpleNamespace) -> AsyncIterator[RunningServer]:
    server = await start_server("meshtest", [binding(echo)], make_settings(), port=0)
    yield server
    await server.stop(0)


@pytest.fixture
async def stub(running: RunningServer, echo: SimpleNamespace) -> AsyncIterator[Any]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield echo.grpc.EchoServiceStub(channel)


async def test_a_generated_base_method_is_unimplemented_not_internal(running: RunningServer) -> None:
    """grpcio's aio health servicer lacks ``List``; the generated base raises NotImplementedError."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await health_pb2_grpc.HealthStub(channel).List(health_pb2.HealthListRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


def error_info(details: list[Any]) -> error_details_pb2.ErrorInfo:
    return next(d for d in details if isinstance(d, error_details_pb2.ErrorInfo))


async def health_status(port: int, service: str) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5
        )
        return int(response.status)


async def test_health_is_serving_overall_and_per_service(running: RunningServer) -> None:
    assert await health_status(running.port, "") == health_pb2.HealthCheckResponse.SERVING
    assert await health_status(running.port, ECHO) == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await health_status(running.port, "no.such.Service")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def grpcurl(port: int, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(GRPCURL),
        "-plaintext",
        f"127.0.0.1:{port}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_grpcurl_lists_and_describes_through_reflection(running: RunningServer) -> None:
    listed = (await grpcurl(running.port, "list")).split()
    assert set(listed) == {
        ECHO,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    described = await grpcurl(running.port, "describe")
    for rpc in ("rpc Echo", "rpc Expand", "rpc Collect", "rpc Chat", "rpc ServerReflectionInfo"):
        assert rpc in described
    assert "(.chatmesh.api.v1.public) = true" in described


async def test_reflection_v1_answers_like_v1alpha(running: RunningServer) -> None:
    """Newer clients ask grpc.reflection.v1 first; the wire format is the v1alpha one."""
    from grpc_reflection.v1alpha import reflection_pb2

    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        responses = [r async for r in call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))]
    names = {s.name for s in responses[0].list_services_response.service}
    assert ECHO in names and "grpc.reflection.v1.ServerReflection" in names


async def test_all_four_rpc_kinds_pass_through_the_interceptors(stub: Any, echo: SimpleNamespace) -> None:
    request = echo.pb2.EchoRequest
    assert (await stub.Echo(request(text="hi"))).text == "hi"
    assert [r.text async for r in stub.Expand(request(text="x"))] == ["x0", "x1", "x2"]

    async def letters() -> AsyncIterator[Any]:
        for letter in "abc":
            yield request(text=letter)

    assert (await stub.Collect(letters())).text == "abc"
    assert [r.text async for r in stub.Chat(letters())] == ["A", "B", "C"]


async def test_domain_error_arrives_with_code_and_decodable_details(stub: Any, echo: SimpleNamespace) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Echo(echo.pb2.EchoRequest(text="bad"))
    code, message, details = parse_rpc_error(err.value)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert message == "text is bad"
    info = error_info(details)
    assert (info.reason, info.domain) == ("INVALID_ARGUMENT", "chatmesh.meshtest")
    bad = next(d for d in details if isinstance(d, error_details_pb2.BadRequest))
    assert [(v.field, v.description) for v in bad.field_violations] == [("text", "must not be 'bad'")]

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Echo(echo.pb2.EchoRequest(text="quota"))
    code, _, details = parse_rpc_error(err.value)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    retry = next(d for d in details if isinstance(d, error_details_pb2.RetryInfo))
    assert retry.retry_delay.ToNanoseconds() == 1_500_000_000
    assert any(isinstance(d, error_details_pb2.QuotaFailure) for d in details)


async def test_error_in_the_middle_of_a_stream_keeps_sent_messages(stub: Any, echo: SimpleNamespace) -> None:
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for response in stub.Expand(echo.pb2.EchoRequest(text="fail")):
            received.append(response.text)
    assert received == ["fail0"]
    code, _, details = parse_rpc_error(err.value)
    assert code == grpc.StatusCode.NOT_FOUND
    assert error_info(details).reason == "ITEMS_GONE"


async def test_unexpected_exception_is_internal_without_its_text(stub: Any, echo: SimpleNamespace) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Echo(echo.pb2.EchoRequest(text="boom"), metadata=(("x-request-id", "req-boom-1"),))
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert SECRET not in (err.value.details() or "")
    assert "req-boom-1" in (err.value.details() or "")
    assert SECRET not in str(err.value.trailing_metadata())


async def test_request_id_and_trace_context_reach_the_handler(
    running: RunningServer, echo: SimpleNamespace
) -> None:
    trace_id = 0x0AF7651916CD43DD8448EB211C80319C
    parent = SpanContext(trace_id, 0xB7AD6B7169203331, is_remote=False, trace_flags=TraceFlags(1))
    token = set_request_id("req-from-caller")
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{running.port}",
            interceptors=[ContextClientInterceptor()],  # type: ignore[list-item]
        ) as channel:
            with trace.use_span(NonRecordingSpan(parent)):
                response = await echo.grpc.EchoServiceStub(channel).Echo(echo.pb2.EchoRequest(text="ids"))
    finally:
        reset_request_id(token)
    assert response.text == f"req-from-caller|{trace_id:032x}"


async def test_with_an_exporter_the_otel_instrumentation_serves_every_kind(echo: SimpleNamespace) -> None:
    """otel_exporter != none swaps the propagation-only layer for opentelemetry-instrumentation-grpc."""
    settings = make_settings(otel_exporter="console")
    server = await start_server("meshtest", [binding(echo)], settings, port=0, metrics_port=-1)
    request = echo.pb2.EchoRequest
    traceparent = (("traceparent", f"00-{0xABC:032x}-{0xDEF:016x}-01"),)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = echo.grpc.EchoServiceStub(channel)
            ids = (await stub.Echo(request(text="ids"), metadata=traceparent)).text
            assert ids.endswith(f"|{0xABC:032x}")
            assert [r.text async for r in stub.Expand(request(text="x"))] == ["x0", "x1", "x2"]

            async def letters() -> AsyncIterator[Any]:
                for letter in "ab":
                    yield request(text=letter)

            assert (await stub.Collect(letters())).text == "ab"
            assert [r.text async for r in stub.Chat(letters())] == ["A", "B"]
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Echo(request(text="bad"))
            assert parse_rpc_error(err.value)[0] == grpc.StatusCode.INVALID_ARGUMENT
        assert await health_status(server.port, ECHO) == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop(0)


async def test_a_call_without_trace_context_still_gets_ids(stub: Any, echo: SimpleNamespace) -> None:
    request_id, trace_id = (await stub.Echo(echo.pb2.EchoRequest(text="ids"))).text.split("|")
    assert len(request_id) == 32 and len(trace_id) == 32 and trace_id != "0" * 32
    assert current_request_id() is None and current_trace_ids() == (None, None)


async def test_metrics_endpoint_counts_rpcs_by_code(
    running: RunningServer, stub: Any, echo: SimpleNamespace
) -> None:
    await stub.Echo(echo.pb2.EchoRequest(text="count me"))
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Echo(echo.pb2.EchoRequest(text="bad"))
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{running.metrics_port}/metrics")).text
    ok = f'chatmesh_rpc_requests_total{{code="OK",method="Echo",service="{ECHO}"}}'
    bad = f'chatmesh_rpc_requests_total{{code="INVALID_ARGUMENT",method="Echo",service="{ECHO}"}}'
    assert ok in text and bad in text
    assert f'chatmesh_rpc_duration_seconds_count{{method="Echo",service="{ECHO}"}}' in text
    assert f'chatmesh_rpc_in_flight{{method="Echo",service="{ECHO}"}} 0.0' in text


async def test_a_call_past_its_deadline_is_counted_as_such(
    running: RunningServer, stub: Any, echo: SimpleNamespace
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Echo(echo.pb2.EchoRequest(text="slow:1"), timeout=0.2)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    expected = f'chatmesh_rpc_requests_total{{code="DEADLINE_EXCEEDED",method="Echo",service="{ECHO}"}} 1.0'
    async with httpx.AsyncClient() as client:
        for _ in range(50):
            text = (await client.get(f"http://127.0.0.1:{running.metrics_port}/metrics")).text
            if expected in text:
                break
            await asyncio.sleep(0.1)
    assert expected in text
    assert f'chatmesh_rpc_in_flight{{method="Echo",service="{ECHO}"}} 0.0' in text


async def test_unimplemented_stubs_answer_every_kind(echo: SimpleNamespace) -> None:
    stubbed = unimplemented(echo.grpc.EchoServiceServicer, "issue 42")
    settings = make_settings()
    server = await start_server("meshtest", [binding(echo, stubbed())], settings, port=0, metrics_port=-1)
    request = echo.pb2.EchoRequest
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = echo.grpc.EchoServiceStub(channel)

            async def one() -> AsyncIterator[Any]:
                yield request(text="a")

            calls = {
                "Echo": lambda: stub.Echo(request()),
                "Expand": lambda: _drain(stub.Expand(request())),
                "Collect": lambda: stub.Collect(one()),
                "Chat": lambda: _drain(stub.Chat(one())),
            }
            for method, call in calls.items():
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call()
                code, message, details = parse_rpc_error(err.value)
                assert code == grpc.StatusCode.UNIMPLEMENTED
                assert message == f"EchoService/{method} is not built yet (issue 42)"
                assert error_info(details).reason == "NOT_BUILT_YET"
                assert error_info(details).metadata["issue"] == "issue 42"
    finally:
        await server.stop(0)


async def _drain(call: Any) -> list[Any]:
    return [item async for item in call]


class TokenTable:
    """A verifier with a fixed token table, standing in for the identity service's JWT verifier."""

    async def verify(self, token: str) -> Principal:
        if token == "good-token":
            return Principal(kind="user", subject="u1", tenant_id="t1")
        if token == "sk-good":
            return Principal(kind="api_key", subject="u2", tenant_id="t1", token_id="k1")
        raise Unauthenticated("token is not valid", reason="TOKEN_INVALID")


async def test_auth_with_a_verifier(echo: SimpleNamespace) -> None:
    server = await start_server(
        "meshtest", [binding(echo)], make_settings(), port=0, metrics_port=-1, verifier=TokenTable()
    )
    request = echo.pb2.EchoRequest
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = echo.grpc.EchoServiceStub(channel)
            assert (await stub.Echo(request(text="whoami"))).text == "anonymous:"
            stale = (("authorization", "Bearer expired"),)
            assert (await stub.Echo(request(text="whoami"), metadata=stale)).text == "anonymous:"
            bearer = (("authorization", "Bearer good-token"),)
            assert [r.text async for r in stub.Expand(request(text="whoami"), metadata=bearer)] == ["user:u1"]
            api_key = (("x-api-key", "sk-good"),)
            by_key = [r.text async for r in stub.Expand(request(text="whoami"), metadata=api_key)]
            assert by_key == ["api_key:u2"]
            for metadata, reason in (((), "CREDENTIALS_MISSING"), (stale, "TOKEN_INVALID")):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await _drain(stub.Expand(request(text="whoami"), metadata=metadata))
                code, _, details = parse_rpc_error(err.value)
                assert code == grpc.StatusCode.UNAUTHENTICATED
                assert error_info(details).reason == reason
        assert await health_status(server.port, ECHO) == health_pb2.HealthCheckResponse.SERVING
        assert ECHO in await grpcurl(server.port, "list")
    finally:
        await server.stop(0)
    assert current_principal().kind == "anonymous"


class RecordingDiscovery:
    def __init__(self) -> None:
        self.events: list[tuple[str, Endpoint]] = []

    async def register(self, endpoint: Endpoint) -> None:
        self.events.append(("register", endpoint))

    async def deregister(self, endpoint: Endpoint) -> None:
        self.events.append(("deregister", endpoint))

    async def close(self) -> None:
        self.events.append(("close", Endpoint("", "", "")))


async def test_graceful_stop_drains_in_flight_rpcs(echo: SimpleNamespace) -> None:
    discovery = RecordingDiscovery()
    hook_calls: list[str] = []

    async def hook() -> None:
        hook_calls.append("closed")

    server = await start_server(
        "meshtest",
        [binding(echo)],
        make_settings(),
        port=0,
        metrics_port=-1,
        discovery=discovery,  # type: ignore[arg-type]
        on_shutdown=[hook],
    )
    assert discovery.events == [("register", Endpoint.of("meshtest", f"127.0.0.1:{server.port}"))]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = echo.grpc.EchoServiceStub(channel)
        slow = asyncio.ensure_future(stub.Echo(echo.pb2.EchoRequest(text="slow:0.8")))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await server.stop(grace=5)
        assert (await slow).text == "done"
        assert time.monotonic() - started < 4
    assert [event for event, _ in discovery.events] == ["register", "deregister"]
    assert hook_calls == ["closed"]
    for name in ("", ECHO):
        response = await server.health.Check(health_pb2.HealthCheckRequest(service=name), None)
        assert response.status == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_serve_returns_after_its_stop_event(echo: SimpleNamespace) -> None:
    stop = asyncio.Event()
    ready = asyncio.Event()
    started: asyncio.Future[RunningServer] = asyncio.get_running_loop().create_future()
    task = asyncio.ensure_future(
        serve("meshtest", [binding(echo)], make_settings(), port=0, ready=ready, stop=stop, started=started)
    )
    await asyncio.wait_for(ready.wait(), 10)
    port = (await started).port
    assert await health_status(port, ECHO) == health_pb2.HealthCheckResponse.SERVING
    stop.set()
    await asyncio.wait_for(task, 10)
    with pytest.raises(grpc.aio.AioRpcError):
        await health_status(port, "")


def test_unknown_service_name_is_refused(echo: SimpleNamespace) -> None:
    wrong = ServiceBinding("meshtest.v1.NoSuchService", echo.grpc.add_EchoServiceServicer_to_server, object())
    with pytest.raises(ValueError, match="NoSuchService"):
        asyncio.run(start_server("meshtest", [wrong], make_settings(), port=0))


def test_bad_settings_exit_2_with_a_message(echo_dir: Path, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CHATMESH_")},
        "PYTHONPATH": os.pathsep.join([str(echo_dir), str(ROOT / "gen"), str(ROOT)]),
        "CHATMESH_IDENTITY_PORT": "not-a-port",
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN_SERVICE_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "CHATMESH_IDENTITY_PORT" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


RUN_SERVICE_SCRIPT = """
from echo_servicer import EchoServicer
from meshtest.v1 import echo_pb2_grpc

from chatmesh.identity.v1 import identity_pb2_grpc

from mesh.discovery import make_discovery
from mesh.server import ServiceBinding, ServiceParts, run_service, unimplemented


async def build(settings):
    async def closed():
        print("HOOK-RAN", flush=True)

    binding = ServiceBinding(
        "meshtest.v1.EchoService", echo_pb2_grpc.add_EchoServiceServicer_to_server, EchoServicer()
    )
    # Hosting the identity contract too gives Consul's per-service gRPC check something to ask.
    identity = ServiceBinding(
        "chatmesh.identity.v1.IdentityService",
        identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        unimplemented(identity_pb2_grpc.IdentityServiceServicer, "test")(),
    )
    return ServiceParts(
        bindings=[binding, identity], on_shutdown=[closed], discovery=make_discovery(settings)
    )


run_service("identity", build)
"""


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {}


@pytest.fixture
def service_process(
    echo_dir: Path, tmp_path: Path, extra_env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    grpc_port, metrics_port = _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CHATMESH_")},
        "PYTHONPATH": os.pathsep.join([str(echo_dir), str(ROOT / "gen"), str(ROOT)]),
        "CHATMESH_IDENTITY_PORT": str(grpc_port),
        "CHATMESH_METRICS_PORT_OFFSET": str(metrics_port - grpc_port),
        "CHATMESH_SHUTDOWN_GRACE_SECONDS": "10",
        "CHATMESH_LOG_FORMAT": "json",
        **extra_env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SERVICE_SCRIPT],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield proc, grpc_port
    if proc.poll() is None:
        proc.kill()
        proc.wait()


async def test_sigterm_lets_the_slow_rpc_finish_and_exits_0(
    service_process: tuple[subprocess.Popen[str], int], echo: SimpleNamespace
) -> None:
    proc, port = service_process
    deadline = time.monotonic() + 30
    while True:
        try:
            if await health_status(port, ECHO) == health_pb2.HealthCheckResponse.SERVING:
                break
        except grpc.aio.AioRpcError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "service did not become SERVING"
            await asyncio.sleep(0.2)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        slow = asyncio.ensure_future(
            echo.grpc.EchoServiceStub(channel).Echo(echo.pb2.EchoRequest(text="slow:1.5"), timeout=20)
        )
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert (await slow).text == "done"
    exit_code = await asyncio.to_thread(proc.wait, 20)
    output = proc.stdout.read() if proc.stdout else ""
    assert exit_code == 0, output
    assert "HOOK-RAN" in output
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    rpc_lines = [r for r in records if r["logger"] == "mesh.rpc" and r.get("grpc_method") == "Echo"]
    assert rpc_lines and rpc_lines[-1]["code"] == "OK" and rpc_lines[-1]["service"] == "identity"
    assert {"ts", "level", "trace_id", "span_id", "request_id", "duration_ms", "peer"} <= rpc_lines[-1].keys()
    assert any(r["message"] == "received SIGTERM" for r in records)
