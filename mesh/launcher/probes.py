"""Health probes the launcher and `mesh status` run against the processes of the mesh.

They talk straight to the addresses the launcher started the services on
(not through discovery): the question is "is the process I launched serving",
and the answer must not depend on a Consul agent being reachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from mesh.config import Settings
from mesh.discovery.base import grpc_service_name

SERVING = "SERVING"
UNREACHABLE = "UNREACHABLE"
READY = "READY"

_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def local_host(settings: Settings) -> str:
    """A host to connect to on this machine: a wildcard bind address is reachable on loopback."""
    return "127.0.0.1" if settings.host in _WILDCARD_HOSTS else settings.host


def local_grpc_address(settings: Settings, service: str) -> str:
    return f"{local_host(settings)}:{settings.grpc_port(service)}"


def local_metrics_url(settings: Settings, service: str) -> str:
    return f"http://{local_host(settings)}:{settings.metrics_port(service)}/metrics"


def local_gateway_url(settings: Settings) -> str:
    return f"http://{local_host(settings)}:{settings.gateway_port}"


@dataclass(frozen=True)
class GatewayReadiness:
    status: str
    detail: str = ""


class ServiceProbe:
    """grpc.health.v1 checks over one reusable channel per service."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        self._stubs: dict[str, health_pb2_grpc.HealthStub] = {}
        self._channels: list[grpc.aio.Channel] = []
        for service, address in addresses.items():
            channel = grpc.aio.insecure_channel(address)
            self._channels.append(channel)
            self._stubs[service] = health_pb2_grpc.HealthStub(channel)

    @classmethod
    def for_settings(cls, settings: Settings, services: Iterable[str]) -> ServiceProbe:
        return cls({svc: local_grpc_address(settings, svc) for svc in services})

    async def check(self, service: str, deadline: float) -> str:
        request = health_pb2.HealthCheckRequest(service=grpc_service_name(service))
        try:
            reply = await self._stubs[service].Check(request, timeout=deadline)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return "SERVICE_UNKNOWN"
            return UNREACHABLE
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    async def check_all(self, deadline: float) -> dict[str, str]:
        names = list(self._stubs)
        results = await asyncio.gather(*(self.check(n, deadline) for n in names))
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        await asyncio.gather(*(c.close(None) for c in self._channels))


async def check_gateway(client: httpx.AsyncClient, base_url: str, deadline: float) -> GatewayReadiness:
    """Ask the gateway's /readyz; a 503 carries the names of the services it finds down."""
    try:
        response = await client.get(f"{base_url}/readyz", timeout=deadline)
    except httpx.HTTPError:
        return GatewayReadiness(UNREACHABLE)
    if response.status_code == 200:
        return GatewayReadiness(READY)
    try:
        body = response.json()
        down = body.get("not_serving") or []
        detail = ", ".join(down) if isinstance(down, list) else str(down)
    except ValueError:
        detail = response.text[:200]
    return GatewayReadiness(f"NOT_READY ({response.status_code})", detail)
