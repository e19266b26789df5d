"""Typed clients for calling other services: discovery, balancing, deadlines, retries, keepalive."""

from mesh.clients.config import (
    RETRY_POLICY,
    build_service_config,
    build_target,
    channel_options,
    retryable_methods,
)
from mesh.clients.propagation import CallDefaults, Propagator, context_metadata
from mesh.clients.registry import ServiceInfo, registry, service_info, stub_class
from mesh.clients.service_clients import ServiceClients

__all__ = [
    "RETRY_POLICY",
    "CallDefaults",
    "Propagator",
    "ServiceClients",
    "ServiceInfo",
    "build_service_config",
    "build_target",
    "channel_options",
    "context_metadata",
    "registry",
    "retryable_methods",
    "service_info",
    "stub_class",
]
