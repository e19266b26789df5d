"""Channel settings for calls between services: target, load balancing, retries, limits.

Retries are declared in the gRPC service config (so the C core does them, with its own
buffering and throttling) and only for methods the contract marks ``NO_SIDE_EFFECTS`` or
``IDEMPOTENT``: repeating anything else could apply a write twice.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Sequence
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.descriptor_pb2 import MethodOptions

from mesh.config import Settings
from mesh.discovery.base import join_address, split_address

RETRY_POLICY: dict[str, Any] = {
    "maxAttempts": 4,
    "initialBackoff": "0.1s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
KEEPALIVE_TIMEOUT_SECONDS = 20.0
# mesh.server accepts pings no more often than every 10 s and answers faster ones with GOAWAY.
MIN_KEEPALIVE_SECONDS = 10.0
_SAFE_TO_REPEAT = (MethodOptions.NO_SIDE_EFFECTS, MethodOptions.IDEMPOTENT)


def retryable_methods(descriptor: ServiceDescriptor) -> list[str]:
    """Names of the methods whose ``idempotency_level`` makes a repeat harmless."""
    return [
        method.name
        for method in descriptor.methods
        if method.GetOptions().idempotency_level in _SAFE_TO_REPEAT
    ]


def build_service_config(full_service_name: str | None, retryable: Sequence[str]) -> dict[str, Any]:
    """Round-robin over all resolved instances, plus the retry policy for ``retryable`` methods.

    No ``timeout`` here on purpose: the default deadline is applied per call, so that a
    caller's own deadline (or a streaming call's lack of one) is never overridden.
    """
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    if full_service_name and retryable:
        config["methodConfig"] = [
            {
                "name": [{"service": full_service_name, "method": name} for name in retryable],
                "retryPolicy": dict(RETRY_POLICY),
            }
        ]
    return config


def channel_options(settings: Settings, service_config: dict[str, Any]) -> list[tuple[str, Any]]:
    keepalive = max(settings.grpc_keepalive_seconds, MIN_KEEPALIVE_SECONDS)
    return [
        ("grpc.keepalive_time_ms", int(keepalive * 1000)),
        ("grpc.keepalive_timeout_ms", int(min(keepalive, KEEPALIVE_TIMEOUT_SECONDS) * 1000)),
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", json.dumps(service_config)),
    ]


def _ip_version(host: str) -> int | None:
    try:
        return ipaddress.ip_address(host).version
    except ValueError:
        return None


def build_target(addresses: Sequence[str]) -> str:
    """A gRPC target naming every instance, so the channel's round robin spreads calls.

    IP literals become ``ipv4:a:1,b:2`` (or ``ipv6:[..]:1,...``); a single hostname becomes
    ``dns:///host:port``. Several hostnames, or a mix of families, cannot be written as one
    target: :func:`resolve_target` turns them into literals first.
    """
    if not addresses:
        raise ValueError("no addresses to build a target from")
    hosts = [split_address(address) for address in addresses]
    versions = {_ip_version(host) for host, _ in hosts}
    if versions == {4}:
        return "ipv4:" + ",".join(f"{host}:{port}" for host, port in hosts)
    if versions == {6}:
        return "ipv6:" + ",".join(f"[{host}]:{port}" for host, port in hosts)
    if len(hosts) == 1:
        return f"dns:///{addresses[0]}"
    raise ValueError(f"cannot combine {list(addresses)} into one target without resolving names")


async def resolve_target(addresses: Sequence[str]) -> str:
    """:func:`build_target`, resolving hostnames to IPs when several instances need one target.

    A mixed IPv4/IPv6 set keeps the IPv4 instances: one gRPC target holds one address family.
    """
    try:
        return build_target(addresses)
    except ValueError:
        if not addresses:
            raise
    loop = asyncio.get_running_loop()
    literals: list[tuple[str, int]] = []
    for address in addresses:
        host, port = split_address(address)
        if _ip_version(host) is None:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            preferred = [info for info in infos if info[0] == socket.AF_INET] or infos
            host = str(preferred[0][4][0])
        literals.append((host, port))
    v4 = [join_address(host, port) for host, port in literals if _ip_version(host) == 4]
    return build_target(v4 or [join_address(host, port) for host, port in literals])
