"""Server side of bench_runtime_rpc, run in its own process so client and server
do not share one event loop: ``python -m bench.rpc_servers mesh|bare``.

Prints the bound port on the first line of stdout, then serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import grpc
from grpc_health.v1 import _async as health_aio
from grpc_health.v1 import health_pb2, health_pb2_grpc


async def _bare() -> None:
    server = grpc.aio.server()
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await _announce_and_wait(port, lambda: server.stop(0))


async def _mesh() -> None:
    from chatmesh.identity.v1 import identity_pb2_grpc

    from mesh.config import load_settings
    from mesh.server import ServiceBinding, start_server
    from mesh.stubs import unimplemented
    from mesh.telemetry import setup_logging

    settings = load_settings(_env_file=None)
    setup_logging("identity", settings)
    binding = ServiceBinding(
        name="chatmesh.identity.v1.IdentityService",
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=unimplemented(identity_pb2_grpc.IdentityServiceServicer, "bench")(),
    )
    running = await start_server("identity", [binding], settings, port=0, metrics_port=-1)
    await _announce_and_wait(running.port, lambda: running.stop(0))


async def _announce_and_wait(port: int, stop: object) -> None:
    print(port, flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
    await stop()  # type: ignore[operator]


if __name__ == "__main__":
    asyncio.run({"mesh": _mesh, "bare": _bare}[sys.argv[1]]())
