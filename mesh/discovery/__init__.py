"""Service discovery: how instances announce themselves and how callers find them."""

from __future__ import annotations

from mesh.config import Settings
from mesh.discovery.base import (
    Discovery,
    DiscoveryError,
    Endpoint,
    grpc_service_name,
    join_address,
    split_address,
)
from mesh.discovery.consul import ConsulDiscovery
from mesh.discovery.static import StaticDiscovery

__all__ = [
    "ConsulDiscovery",
    "Discovery",
    "DiscoveryError",
    "Endpoint",
    "StaticDiscovery",
    "grpc_service_name",
    "join_address",
    "make_discovery",
    "split_address",
]


def make_discovery(settings: Settings) -> Discovery:
    """The backend ``settings.discovery`` names (``static`` or ``consul``)."""
    if settings.discovery == "consul":
        return ConsulDiscovery(settings)
    return StaticDiscovery(settings)
