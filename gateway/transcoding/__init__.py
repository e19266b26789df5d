"""REST/JSON <-> gRPC transcoding driven by the ``google.api.http`` annotations in the descriptors."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.descriptor import ServiceDescriptor

from gateway.transcoding.bindings import BindingError, CallKind, HttpBinding, bindings_for, mesh_services
from gateway.transcoding.router import MethodMismatch, PathMatch, RouteConflict, Router
from gateway.transcoding.template import PathTemplate, TemplateError, parse_template

__all__ = [
    "BindingError",
    "CallKind",
    "HttpBinding",
    "MethodMismatch",
    "PathMatch",
    "PathTemplate",
    "RouteConflict",
    "Router",
    "TemplateError",
    "bindings_for",
    "build_router",
    "mesh_services",
    "parse_template",
]


def build_router(services: Iterable[tuple[str, ServiceDescriptor]]) -> Router[HttpBinding]:
    """The route table for (mesh service, descriptor) pairs; raises on bad or clashing rules."""
    router: Router[HttpBinding] = Router()
    for service, descriptor in services:
        for binding in bindings_for(service, descriptor):
            router.add(binding.http_method, binding.template, binding)
    return router
