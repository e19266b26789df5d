"""Processes for bench_gateway: ``python -m bench.gateway_servers upstream|gateway <port> <heartbeat>``.

``upstream`` hosts trivial handlers behind the real mesh runtime: IdentityService.GetUser
(answers a fixed user) and ConversationService.SendMessage (streams ``n`` events, ``n`` taken
from the message content, at once). ``gateway`` runs the real gateway app on uvicorn in
front of it, as ``python -m gateway`` does minus Redis (so no edge auth or rate limits).
Each prints the port it bound on a line of its own, then serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from typing import Any

from chatmesh.conversation.v1 import conversation_pb2_grpc, messages_pb2
from chatmesh.identity.v1 import identity_pb2_grpc, users_pb2

from mesh.config import SERVICES, load_settings
from mesh.stubs import unimplemented

USER = users_pb2.User(id="u-1", tenant_id="t-1", email="ada@example.com", username="ada", display_name="Ada")


class Identity(unimplemented(identity_pb2_grpc.IdentityServiceServicer, "bench")):  # type: ignore[misc]
    async def GetUser(self, request: Any, context: Any) -> users_pb2.GetUserResponse:
        return users_pb2.GetUserResponse(user=USER)


class Conversations(unimplemented(conversation_pb2_grpc.ConversationServiceServicer, "bench")):  # type: ignore[misc]
    async def SendMessage(self, request: Any, context: Any) -> Any:
        count = int(request.content or "1")
        for index in range(count):
            delta = messages_pb2.ContentDelta(text="token ")
            event = messages_pb2.GenerationEvent(event_id=f"g.{index}", generation_id="g", delta=delta)
            yield messages_pb2.SendMessageResponse(event=event)
        if request.model == "hold":
            await asyncio.Event().wait()


async def _upstream() -> None:
    from mesh.server import ServiceBinding, start_server

    settings = load_settings(_env_file=None, log_level="WARNING")
    bindings = [
        ServiceBinding(
            "chatmesh.identity.v1.IdentityService",
            identity_pb2_grpc.add_IdentityServiceServicer_to_server,
            Identity(),
        ),
        ServiceBinding(
            "chatmesh.conversation.v1.ConversationService",
            conversation_pb2_grpc.add_ConversationServiceServicer_to_server,
            Conversations(),
        ),
    ]
    running = await start_server("identity", bindings, settings, port=0, metrics_port=-1)
    print(running.port, flush=True)
    await _until_sigterm()
    await running.stop(0)


async def _gateway(upstream_port: int, heartbeat: float) -> None:
    import uvicorn

    from gateway.app import create_app
    from mesh.clients import ServiceClients
    from mesh.discovery import make_discovery
    from mesh.telemetry.logging import setup_logging

    address = f"127.0.0.1:{upstream_port}"
    settings = load_settings(
        _env_file=None,
        static_addresses=dict.fromkeys(SERVICES, address),
        gateway_sse_heartbeat_seconds=heartbeat,
    )
    setup_logging("gateway", settings)
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    app = create_app(settings, clients, on_shutdown=[clients.close, discovery.close])
    # IPPROTO_TCP given explicitly: asyncio only sets TCP_NODELAY on sockets that say so,
    # and without it every small response waits out the client's delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16384)  # connections made before uvicorn runs wait in the backlog
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", backlog=16384, timeout_graceful_shutdown=5
    )
    # uvicorn handles SIGTERM itself: a graceful stop, then the process ends.
    await uvicorn.Server(config).serve(sockets=[sock])


async def _until_sigterm() -> None:
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()


if __name__ == "__main__":
    if sys.argv[1] == "upstream":
        asyncio.run(_upstream())
    else:
        asyncio.run(_gateway(int(sys.argv[2]), float(sys.argv[3])))
