"""Tiny real gRPC servers for the discovery tests, and a polling helper."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from mesh.discovery import Endpoint, grpc_service_name
from tests.support.eventually import eventually as poll

SERVICE = "identity"
PROBE = "chatmesh.test.v1.Probe"
WHOAMI = f"/{PROBE}/Whoami"
SLOW = f"/{PROBE}/Slow"
ECHO_METADATA = f"/{PROBE}/EchoMetadata"
COUNT = f"/{PROBE}/Count"


class ProbeServer:
    """A grpc.aio server with the standard health service and RPCs that tell who answered."""

    def __init__(self) -> None:
        self.server = grpc.aio.server()
        self.health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.endpoint = Endpoint.of(SERVICE, f"127.0.0.1:{self.port}")
        self.calls = 0
        handlers = {
            "Whoami": grpc.unary_unary_rpc_method_handler(self._whoami),
            "Slow": grpc.unary_unary_rpc_method_handler(self._slow),
            "EchoMetadata": grpc.unary_unary_rpc_method_handler(self._echo_metadata),
            "Count": grpc.unary_stream_rpc_method_handler(self._count),
        }
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(PROBE, handlers),))

    async def _whoami(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        self.calls += 1
        return self.endpoint.instance_id.encode()

    async def _slow(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await asyncio.sleep(float(request.decode()))
        return b"done"

    async def _echo_metadata(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        metadata = dict(context.invocation_metadata() or ())
        wanted = request.decode().split(",")
        return "|".join(f"{key}={metadata.get(key, '')}" for key in wanted).encode()

    async def _count(self, request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        for n in range(int(request.decode())):
            yield str(n).encode()

    async def start(self) -> None:
        await self.server.start()
        await self.set_serving(True)

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self.health.set(grpc_service_name(SERVICE), status)


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, within: float = 5.0, what: str = "condition"
) -> float:
    """Poll ``condition`` until true; return when that happened (``time.monotonic``)."""
    await poll(condition, within=within, what=what)
    return time.monotonic()
