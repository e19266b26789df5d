"""Server side of bench_runtime_rpc, run in its own process so client and server
do not share one event loop: ``python -m bench.rpc_servers mesh|bare``.

Both kinds host the same trivial handler (IdentityService.GetJwks answering an
empty key set), so the only difference measured is the runtime around it.
Prints the bound port on a line of its own, then serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from chatmesh.identity.v1 import auth_pb2, identity_pb2_grpc

from bench.harness import announce_and_wait
from mesh.stubs import unimplemented


class TrivialIdentity(unimplemented(identity_pb2_grpc.IdentityServiceServicer, "bench")):  # type: ignore[misc]
    async def GetJwks(self, request: Any, context: Any) -> auth_pb2.GetJwksResponse:
        return auth_pb2.GetJwksResponse()


async def _bare() -> None:
    server = grpc.aio.server()
    identity_pb2_grpc.add_IdentityServiceServicer_to_server(TrivialIdentity(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await _announce_and_wait(port, lambda: server.stop(0))


async def _mesh() -> None:
    from mesh.config import load_settings
    from mesh.server import ServiceBinding, start_server
    from mesh.telemetry import setup_logging

    settings = load_settings(_env_file=None)
    setup_logging("identity", settings)
    binding = ServiceBinding(
        name="chatmesh.identity.v1.IdentityService",
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=TrivialIdentity(),
    )
    running = await start_server("identity", [binding], settings, port=0, metrics_port=-1)
    await _announce_and_wait(running.port, lambda: running.stop(0))


async def _announce_and_wait(port: int, stop: Callable[[], Awaitable[None]]) -> None:
    await announce_and_wait(port)
    await stop()


if __name__ == "__main__":
    asyncio.run({"mesh": _mesh, "bare": _bare}[sys.argv[1]]())
