"""Servicers for RPCs whose service is not built yet: the one sanctioned kind of stub.

The generated ``<Service>Servicer`` base answers UNIMPLEMENTED too, but as a sync method
with a bare "Method not implemented!" that says nothing about when it will exist. These
stubs answer from async code, say which issue builds the RPC, and carry an ErrorInfo
(reason ``NOT_BUILT_YET``, metadata ``issue`` and ``method``) so the gateway and tests can
recognise them. A service that builds some RPCs subclasses the stub and overrides those.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from google.protobuf.descriptor import FileDescriptor, ServiceDescriptor

from mesh.errors import Unimplemented, abort

__all__ = ["service_descriptor", "unimplemented"]

T = TypeVar("T")


def service_descriptor(servicer_base_cls: type) -> ServiceDescriptor:
    """The proto service behind a generated ``<Name>Servicer`` class.

    Found through the ``_pb2`` module its ``_pb2_grpc`` module imports, so the method kinds
    (client/server streaming) come from the contract rather than from guessing.
    """
    name = servicer_base_cls.__name__.removesuffix("Servicer")
    module_name = servicer_base_cls.__module__
    # The service is declared in the sibling ``_pb2`` module, which the ``_pb2_grpc`` module
    # does not import when all its messages live in other files of the package.
    modules = [sys.modules[module_name]]
    if module_name.endswith("_pb2_grpc"):
        modules.insert(0, importlib.import_module(module_name.removesuffix("_grpc")))
    for module in modules:
        for value in [module, *vars(module).values()]:
            file = getattr(value, "DESCRIPTOR", None)
            if isinstance(file, FileDescriptor) and name in file.services_by_name:
                return file.services_by_name[name]
    raise ValueError(f"no proto service {name!r} found for {servicer_base_cls.__qualname__}")


def _domain(package: str) -> str | None:
    parts = package.split(".")
    return ".".join(parts[:2]) if parts[0] == "chatmesh" and len(parts) > 2 else None


def _stub(error: Unimplemented, server_streaming: bool) -> Callable[..., Any]:
    if server_streaming:

        async def stream(self: object, request: Any, context: Any) -> AsyncIterator[Any]:
            await abort(context, error)
            yield  # unreachable; the yield makes grpc treat this as a response stream

        return stream

    async def unary(self: object, request: Any, context: Any) -> Any:
        await abort(context, error)

    return unary


def unimplemented(servicer_base_cls: type[T], issue: str) -> type[T]:
    """A subclass of ``servicer_base_cls`` whose every RPC fails with UNIMPLEMENTED.

    The message reads ``"<Service>/<Method> is not built yet (<issue>)"``.
    """
    service = service_descriptor(servicer_base_cls)
    domain = _domain(service.file.package)
    methods: dict[str, Any] = {}
    for method in service.methods:
        if not hasattr(servicer_base_cls, method.name):
            raise ValueError(f"{servicer_base_cls.__qualname__} has no method {method.name}")
        error = Unimplemented(
            f"{service.name}/{method.name} is not built yet ({issue})",
            reason="NOT_BUILT_YET",
            metadata={"issue": issue, "method": f"/{service.full_name}/{method.name}"},
            domain=domain,
        )
        stub = _stub(error, method.server_streaming)
        stub.__name__ = stub.__qualname__ = method.name
        methods[method.name] = stub
    name = f"Unimplemented{servicer_base_cls.__name__}"
    namespace = {"__doc__": f"{service.full_name} with no RPC built yet ({issue}).", **methods}
    return type(name, (servicer_base_cls,), namespace)
