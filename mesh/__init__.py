"""chatmesh's shared runtime: the one package every service imports.

The public names below load their module on first access (PEP 562), so ``import mesh``
stays cheap for the launcher and CLI, which need only a fraction of it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesh.auth import ANONYMOUS, AuthLayer, Principal, TokenVerifier, current_principal
    from mesh.config import SERVICES, Settings, exit_on_bad_settings, get_settings, load_settings
    from mesh.errors import (
        Aborted,
        AlreadyExists,
        DomainError,
        FailedPrecondition,
        FieldViolation,
        Internal,
        InvalidArgument,
        NotFound,
        PermissionDenied,
        QuotaViolation,
        ResourceExhausted,
        Unauthenticated,
        Unavailable,
        Unimplemented,
        error_from_rpc,
        parse_rpc_error,
    )
    from mesh.server import (
        RunningServer,
        ServiceBinding,
        ServiceParts,
        run_service,
        serve,
        start_server,
        unimplemented,
    )
    from mesh.telemetry import aio_client_interceptors, current_request_id, setup_logging, setup_tracing

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ("ANONYMOUS", "AuthLayer", "Principal", "TokenVerifier", "current_principal"), "mesh.auth"
    ),
    **dict.fromkeys(
        ("SERVICES", "Settings", "exit_on_bad_settings", "get_settings", "load_settings"), "mesh.config"
    ),
    **dict.fromkeys(
        (
            "Aborted",
            "AlreadyExists",
            "DomainError",
            "FailedPrecondition",
            "FieldViolation",
            "Internal",
            "InvalidArgument",
            "NotFound",
            "PermissionDenied",
            "QuotaViolation",
            "ResourceExhausted",
            "Unauthenticated",
            "Unavailable",
            "Unimplemented",
            "error_from_rpc",
            "parse_rpc_error",
        ),
        "mesh.errors",
    ),
    **dict.fromkeys(
        (
            "RunningServer",
            "ServiceBinding",
            "ServiceParts",
            "run_service",
            "serve",
            "start_server",
            "unimplemented",
        ),
        "mesh.server",
    ),
    **dict.fromkeys(
        ("aio_client_interceptors", "current_request_id", "setup_logging", "setup_tracing"), "mesh.telemetry"
    ),
}

__all__ = [
    "ANONYMOUS",
    "SERVICES",
    "Aborted",
    "AlreadyExists",
    "AuthLayer",
    "DomainError",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "Principal",
    "QuotaViolation",
    "ResourceExhausted",
    "RunningServer",
    "ServiceBinding",
    "ServiceParts",
    "Settings",
    "TokenVerifier",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "aio_client_interceptors",
    "current_principal",
    "current_request_id",
    "error_from_rpc",
    "exit_on_bad_settings",
    "get_settings",
    "load_settings",
    "parse_rpc_error",
    "run_service",
    "serve",
    "setup_logging",
    "setup_tracing",
    "start_server",
    "unimplemented",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mesh' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
