"""Wiring for a service whose RPCs are not built yet: the same few resources each such service
opens (engine, discovery, token verifier) and a servicer of UNIMPLEMENTED stubs.

Kept in one place so the five services waiting for their issues do not carry five copies of the
same ``__main__``; a service that starts building its RPCs moves to a build of its own, the way
identity and model_router did.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from mesh.auth_jwt import remote_verifier
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.server import ServiceBinding, ServiceParts, run_service
from mesh.stubs import unimplemented

__all__ = ["binding", "build_for", "main"]


def binding(service: str, service_name: str, issue: str) -> ServiceBinding:
    """The generated ``<service_name>`` of ``chatmesh.<service>.v1`` with every RPC UNIMPLEMENTED."""
    package = f"chatmesh.{service}.v1.{service}"
    pb2 = importlib.import_module(f"{package}_pb2")
    pb2_grpc = importlib.import_module(f"{package}_pb2_grpc")
    servicer = unimplemented(getattr(pb2_grpc, f"{service_name}Servicer"), issue=issue)
    return ServiceBinding(
        name=pb2.DESCRIPTOR.services_by_name[service_name].full_name,
        add_to_server=getattr(pb2_grpc, f"add_{service_name}Servicer_to_server"),
        servicer=servicer(),
    )


def build_for(
    service: str, make_binding: Callable[[], ServiceBinding]
) -> Callable[[Settings], Awaitable[ServiceParts]]:
    async def build(settings: Settings) -> ServiceParts:
        """Engine, discovery, token verifier and servicer; on failure, what was opened is closed again."""
        async with AsyncExitStack() as stack:
            engine = create_engine(settings, service)
            stack.push_async_callback(engine.dispose)
            discovery = make_discovery(settings)
            stack.push_async_callback(discovery.close)
            verifier, close_verifier = await remote_verifier(settings, discovery)
            stack.push_async_callback(close_verifier)
            parts = ServiceParts(
                bindings=[make_binding()],
                discovery=discovery,
                on_shutdown=[close_verifier, engine.dispose],
                verifier=verifier,
            )
            stack.pop_all()
            return parts

    return build


def main(service: str, make_binding: Callable[[], ServiceBinding]) -> None:
    run_service(service, build_for(service, make_binding))
