"""chatmesh's processes for the relay comparison bench; each prints its port on a line of its own, serves.

``identity``: a stand-in IdentityService answering AuthenticateApiKey with a fixed API-key
principal (what identity answers for a valid key; both the gateway and model_router cache it).
``router <upstream_url> <identity_port>``: model_router's real servicer and relay over one
channel pointing at the upstream (no database: the channel set is fixed, as the registry
would hold it), verifying the forwarded API key through identity like a deployed instance.
``gateway <identity_port> <router_port>``: the real gateway app on uvicorn with edge API-key
authentication, in front of that model_router.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import dataclass
from typing import Any

from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, identity_pb2_grpc
from chatmesh.model_router.v1 import model_router_pb2_grpc

from bench.harness import announce_and_wait
from mesh.config import SERVICES, load_settings
from mesh.stubs import unimplemented

API_KEY = "sk-bench-0123456789abcdef0123456789abcdef"
PRINCIPAL = auth_pb2.Principal(
    kind=auth_pb2.PRINCIPAL_KIND_API_KEY,
    tenant_id="t-bench",
    user_id="u-bench",
    api_key_id="k-bench",
    permissions=["chat:create"],
)


class Identity(unimplemented(identity_pb2_grpc.IdentityServiceServicer, "bench")):  # type: ignore[misc]
    async def AuthenticateApiKey(self, request: Any, context: Any) -> api_keys_pb2.AuthenticateApiKeyResponse:
        return api_keys_pb2.AuthenticateApiKeyResponse(principal=PRINCIPAL)


@dataclass
class FixedChannels:
    index: Any


def _settings(**addresses: int) -> Any:
    static = {name: f"127.0.0.1:{port}" for name, port in addresses.items()}
    return load_settings(
        _env_file=None,
        log_level="WARNING",
        static_addresses={**dict.fromkeys(SERVICES, "127.0.0.1:9"), **static},
    )


async def _identity() -> None:
    from mesh.server import ServiceBinding, start_server

    binding = ServiceBinding(
        "chatmesh.identity.v1.IdentityService",
        identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        Identity(),
    )
    running = await start_server("identity", [binding], _settings(), port=0, metrics_port=-1)
    await announce_and_wait(running.port)
    await running.stop(0)


async def _router(upstream_url: str, identity_port: int) -> None:
    from mesh.auth_api_keys import RemoteApiKeyVerifier
    from mesh.clients import ServiceClients
    from mesh.discovery import make_discovery
    from mesh.server import ServiceBinding, start_server
    from model_router.api import SERVICE_NAME, ModelRouterServicer
    from model_router.deps import ModelRouterDeps
    from model_router.domain.channels import ChannelKey, RoutableChannel
    from model_router.domain.selection import ChannelIndex
    from model_router.relay import Relay, upstream_clients

    channel = RoutableChannel(
        id="ch-bench",
        name="bench",
        type="openai",
        base_url=f"{upstream_url}/v1",
        models=("gpt-4o-mini",),
        keys=(ChannelKey("key-bench", "sk-upstream"),),
    )
    channels = FixedChannels(ChannelIndex([channel]))
    settings = _settings(identity=identity_port)
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    relay = Relay(channels, upstream_clients())  # type: ignore[arg-type]
    deps = ModelRouterDeps(
        settings=settings,
        engine=None,  # type: ignore[arg-type]
        sessions=None,  # type: ignore[arg-type]
        redis=None,
        secrets=None,  # type: ignore[arg-type]
        channels=channels,  # type: ignore[arg-type]
        relay=relay,
    )
    binding = ServiceBinding(
        SERVICE_NAME,
        model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server,
        ModelRouterServicer(deps),
    )
    verifier = RemoteApiKeyVerifier(clients.stub("identity"))
    running = await start_server(
        "model_router", [binding], settings, port=0, metrics_port=-1, verifier=verifier
    )
    await announce_and_wait(running.port)
    await running.stop(0)
    await relay.close()
    await clients.close()


class _RejectJwt:
    async def verify(self, token: str) -> Any:
        from mesh.errors import Unauthenticated

        raise Unauthenticated("the bench sends API keys only", reason="TOKEN_INVALID")


async def _gateway(identity_port: int, router_port: int) -> None:
    import uvicorn

    from gateway.app import create_app
    from gateway.edge_auth import EdgeAuthenticator
    from mesh.clients import ServiceClients
    from mesh.discovery import make_discovery

    settings = _settings(identity=identity_port, model_router=router_port)
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    authenticator = EdgeAuthenticator(_RejectJwt(), clients, cache_seconds=60.0)  # type: ignore[arg-type]
    app = create_app(
        settings, clients, on_shutdown=[clients.close, discovery.close], authenticator=authenticator
    )
    # IPPROTO_TCP given explicitly so asyncio sets TCP_NODELAY (no delayed-ACK stalls on small frames).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", backlog=4096)
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    if sys.argv[1] == "identity":
        asyncio.run(_identity())
    elif sys.argv[1] == "router":
        asyncio.run(_router(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(_gateway(int(sys.argv[2]), int(sys.argv[3])))
