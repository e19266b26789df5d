"""ServiceClients over static discovery: first calls, deadlines, propagated context, health, retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar

import grpc
import pytest
from grpc_health.v1 import health_pb2

from mesh.clients import ServiceClients, build_service_config, channel_options
from mesh.config import load_settings
from mesh.discovery import StaticDiscovery, grpc_service_name
from tests.integration.discovery.discovery_support import (
    COUNT,
    ECHO_METADATA,
    SERVICE,
    SLOW,
    WHOAMI,
    ProbeServer,
)

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def _propagate() -> list[tuple[str, str]]:
    value = request_id.get()
    return [("x-request-id", value), ("authorization", "Bearer caller-token")] if value else []


@pytest.fixture
async def clients(probe_servers: Callable[[], Awaitable[ProbeServer]]) -> AsyncIterator[ServiceClients]:
    server = await probe_servers()
    settings = load_settings(
        static_addresses={SERVICE: server.endpoint.address}, grpc_default_deadline_seconds=0.3
    )
    clients = ServiceClients(settings, StaticDiscovery(settings), propagate=_propagate)
    yield clients
    await clients.close()


async def test_calls_work_before_and_after_the_first_resolution(clients: ServiceClients) -> None:
    whoami = clients.channel(SERVICE).unary_unary(WHOAMI)
    first, second = await asyncio.gather(whoami(b""), whoami(b""))
    assert first == second and first.startswith(b"identity-127.0.0.1-")
    assert await whoami(b"") == first
    assert len(clients.endpoints(SERVICE)) == 1


async def test_a_stream_opened_before_resolution_streams(clients: ServiceClients) -> None:
    call = clients.channel(SERVICE).unary_stream(COUNT)(b"3")
    assert [item async for item in call] == [b"0", b"1", b"2"]
    assert await call.code() == grpc.StatusCode.OK
    second = clients.channel(SERVICE).unary_stream(COUNT)(b"2")
    assert [await second.read(), await second.read()] == [b"0", b"1"]


async def test_the_default_deadline_applies_unless_the_caller_sets_one(clients: ServiceClients) -> None:
    slow = clients.channel(SERVICE).unary_unary(SLOW)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await slow(b"1.0")
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert await slow(b"0.5", timeout=3) == b"done"


async def test_request_id_and_credentials_travel_with_the_call(clients: ServiceClients) -> None:
    echo = clients.channel(SERVICE).unary_unary(ECHO_METADATA)
    keys = b"x-request-id,authorization"
    assert await echo(keys) == b"x-request-id=|authorization="
    token = request_id.set("req-7")
    try:
        assert await echo(keys) == b"x-request-id=req-7|authorization=Bearer caller-token"
        mine = await echo(keys, metadata=(("authorization", "Bearer own"),))
        assert mine == b"x-request-id=req-7|authorization=Bearer own"
    finally:
        request_id.reset(token)


async def test_health_stub_reaches_the_standard_health_service(clients: ServiceClients) -> None:
    reply = await clients.health_stub(SERVICE).Check(
        health_pb2.HealthCheckRequest(service=grpc_service_name(SERVICE))
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_channel_ready_and_state(clients: ServiceClients) -> None:
    channel = clients.channel(SERVICE)
    await asyncio.wait_for(channel.channel_ready(), 5)
    assert channel.get_state() == grpc.ChannelConnectivity.READY
    assert clients.channel(SERVICE) is channel


async def test_close_fails_later_calls_cleanly(probe_servers: Callable[[], Awaitable[ProbeServer]]) -> None:
    server = await probe_servers()
    settings = load_settings(static_addresses={SERVICE: server.endpoint.address})
    clients = ServiceClients(settings, StaticDiscovery(settings))
    whoami = clients.channel(SERVICE).unary_unary(WHOAMI)
    assert await whoami(b"")
    await clients.close()
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await whoami(b"", timeout=0.5)
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(RuntimeError):
        clients.channel(SERVICE)


class _Flaky:
    """Fails the first ``failures`` attempts of every method with UNAVAILABLE."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: dict[str, int] = {}

    def handler(self, name: str) -> grpc.RpcMethodHandler:
        async def handle(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            self.attempts[name] = self.attempts.get(name, 0) + 1
            if self.attempts[name] <= self.failures:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
            return name.encode()

        return grpc.unary_unary_rpc_method_handler(handle)


async def _flaky_server(flaky: _Flaky) -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server()
    handlers = {name: flaky.handler(name) for name in ("GetThing", "CreateThing")}
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("chatmesh.test.v1.Things", handlers),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


@pytest.mark.parametrize(("failures", "get_ok", "get_attempts"), [(2, True, 3), (10, False, 4)])
async def test_the_service_config_retries_only_idempotent_methods(
    failures: int, get_ok: bool, get_attempts: int
) -> None:
    flaky = _Flaky(failures)
    server, port = await _flaky_server(flaky)
    config = build_service_config("chatmesh.test.v1.Things", ["GetThing"])
    channel = grpc.aio.insecure_channel(
        f"ipv4:127.0.0.1:{port}", options=channel_options(load_settings(), config)
    )
    try:
        get = channel.unary_unary("/chatmesh.test.v1.Things/GetThing", None, None)
        if get_ok:
            assert await get(b"", timeout=10) == b"GetThing"
        else:
            with pytest.raises(grpc.aio.AioRpcError):
                await get(b"", timeout=10)
        assert flaky.attempts["GetThing"] == get_attempts
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await channel.unary_unary("/chatmesh.test.v1.Things/CreateThing", None, None)(b"", timeout=10)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert flaky.attempts["CreateThing"] == 1
    finally:
        await channel.close(None)
        await server.stop(None)


async def test_stub_is_the_generated_typed_stub_on_the_shared_channel(clients: ServiceClients) -> None:
    from chatmesh.identity.v1 import identity_pb2, identity_pb2_grpc
    from google.protobuf.message_factory import GetMessageClass

    stub = clients.stub(SERVICE)
    assert isinstance(stub, identity_pb2_grpc.IdentityServiceStub)
    assert clients.stub(SERVICE) is stub
    method = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].methods_by_name["GetJwks"]
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetJwks(GetMessageClass(method.input_type)())
    # The probe server does not implement IdentityService: reaching it (through a channel whose
    # service config lists every idempotent identity method) is what this proves.
    assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_identity_reads_retry_eligibility_from_its_contract() -> None:
    from mesh.clients import retryable_methods
    from mesh.clients.registry import service_descriptor

    descriptor = service_descriptor(SERVICE)
    assert descriptor is not None
    retryable = retryable_methods(descriptor)
    assert {"GetUser", "VerifyToken", "ListApiKeys"} <= set(retryable)
    writes = {"Login", "Register"}
    assert writes <= set(descriptor.methods_by_name)
    assert not writes & set(retryable)
