"""The discovery contract every backend implements, and the names it relies on.

Services and clients only ever see :class:`Discovery`, so the same code runs on one
machine (static addresses from settings) and in a cluster (Consul).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class DiscoveryError(RuntimeError):
    """The registry could not be reached or refused a request."""


@dataclass(frozen=True, order=True)
class Endpoint:
    """One running instance of a service.

    ``address`` is ``host:port`` (IPv6 hosts in brackets); ``instance_id`` is unique across
    the mesh so that deregistering one instance never touches another.
    """

    service: str
    address: str
    instance_id: str

    @classmethod
    def of(cls, service: str, address: str) -> Endpoint:
        """Build the endpoint of an instance with the mesh's id scheme ``<service>-<host>-<port>``."""
        host, port = split_address(address)
        safe_host = host.replace(":", "_").replace("%", "_")
        return cls(service=service, address=address, instance_id=f"{service}-{safe_host}-{port}")

    @property
    def host(self) -> str:
        return split_address(self.address)[0]

    @property
    def port(self) -> int:
        return split_address(self.address)[1]


def split_address(address: str) -> tuple[str, int]:
    """Split ``host:port`` or ``[v6]:port``; raise ValueError on anything else."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f'expected "host:port", got {address!r}')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def join_address(host: str, port: int) -> str:
    """Inverse of :func:`split_address`: IPv6 literals get their brackets back."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def grpc_service_name(service: str) -> str:
    """Full proto service name of a mesh service, e.g. ``chatmesh.model_router.v1.ModelRouterService``.

    Health checks and retry policies are keyed by this name, so it is derived in one place.
    """
    pascal = "".join(part.capitalize() for part in service.split("_"))
    return f"chatmesh.{service}.v1.{pascal}Service"


@runtime_checkable
class Discovery(Protocol):
    """Where instances announce themselves and where callers find them."""

    async def register(self, endpoint: Endpoint) -> None: ...

    async def deregister(self, endpoint: Endpoint) -> None: ...

    async def resolve(self, service: str) -> list[Endpoint]:
        """Healthy instances only."""
        ...

    def watch(self, service: str) -> AsyncIterator[list[Endpoint]]:
        """Yield the healthy instances now, then again on every change; never raises."""
        ...

    async def close(self) -> None: ...
