"""Which generated module, stub class and proto service belong to a mesh service name.

Everything is derived from the naming convention of the contracts and imported only when a
stub is first asked for, so the runtime loads before (and without) every generated module.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor

from mesh.config import SERVICES
from mesh.discovery.base import grpc_service_name


@dataclass(frozen=True)
class ServiceInfo:
    service: str
    full_name: str
    pb2_module: str
    grpc_module: str
    stub_class: str

    @property
    def proto_name(self) -> str:
        """The service's own name inside its proto package, e.g. ``IdentityService``."""
        return self.full_name.rsplit(".", 1)[1]


@cache
def service_info(service: str) -> ServiceInfo:
    full_name = grpc_service_name(service)
    package = f"chatmesh.{service}.v1"
    return ServiceInfo(
        service=service,
        full_name=full_name,
        pb2_module=f"{package}.{service}_pb2",
        grpc_module=f"{package}.{service}_pb2_grpc",
        stub_class=f"{full_name.rsplit('.', 1)[1]}Stub",
    )


def registry() -> Mapping[str, ServiceInfo]:
    """Every mesh service by name."""
    return {service: service_info(service) for service in SERVICES}


def stub_class(service: str) -> Any:
    """The generated stub class, e.g. ``chatmesh.identity.v1.identity_pb2_grpc.IdentityServiceStub``."""
    info = service_info(service)
    return getattr(importlib.import_module(info.grpc_module), info.stub_class)


def service_descriptor(service: str) -> ServiceDescriptor | None:
    """The proto descriptor of ``service``, or None while its code is not generated."""
    info = service_info(service)
    try:
        module = importlib.import_module(info.pb2_module)
    except ImportError:
        return None
    descriptor: ServiceDescriptor | None = module.DESCRIPTOR.services_by_name.get(info.proto_name)
    return descriptor
