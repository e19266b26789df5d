"""Calling an RPC for an HTTP request: generic calls, forwarded metadata, deadlines.

No per-RPC code: a multicallable is made from the binding's full method name and its
descriptor's message classes on the service's ``mesh.clients`` channel (discovery,
balancing and retries come with it), once per binding.

Header forwarding follows grpc-gateway: ``Grpc-Metadata-<key>`` becomes metadata ``<key>``
(``-bin`` values base64-decoded), the client address is appended to ``X-Forwarded-For``,
``X-Forwarded-Host`` names the host asked for, and the request id and W3C trace context
travel on. Credentials are not copied from headers: the edge authenticator decides what
credential the services see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import grpc

from gateway.errors import bad_request
from gateway.transcoding.bindings import CallKind, HttpBinding
from gateway.transcoding.fields import decode_base64

__all__ = [
    "GRPC_TIMEOUT_HEADER",
    "UPLOAD_DEADLINE_SECONDS",
    "ChannelSource",
    "Invoker",
    "call_deadline",
    "forwarded_metadata",
    "parse_grpc_timeout",
]

GRPC_TIMEOUT_HEADER = "grpc-timeout"
METADATA_PREFIX = "grpc-metadata-"
# Uploads end with one response, so mesh.clients would give them the short unary default.
UPLOAD_DEADLINE_SECONDS = 600.0
_TIMEOUT = re.compile(r"(\d{1,8})([HMSmun])\Z")
_UNIT_SECONDS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_METADATA_KEY = re.compile(r"[0-9a-z_.\-]+\Z")
_PRINTABLE = re.compile(r"[\x20-\x7e]*\Z")
# Metadata a client may not set through Grpc-Metadata-*: credentials, ids, gRPC's own and the
# mesh's own (x-chatmesh-*, e.g. the sealed client address).
_PROTECTED = frozenset({"authorization", "x-api-key", "x-goog-api-key", "x-request-id", "x-forwarded-for"})
_MESH_PREFIX = "x-chatmesh-"
_PASSED_THROUGH = ("traceparent", "tracestate")


class ChannelSource(Protocol):
    """What the invoker needs from mesh.clients.ServiceClients."""

    def channel(self, service: str) -> grpc.aio.Channel: ...


def parse_grpc_timeout(text: str) -> float:
    """Seconds from a gRPC-style timeout (``5S``, ``200m``, ``1H``); 400 when malformed."""
    found = _TIMEOUT.match(text.strip())
    if found is None:
        raise bad_request(
            f"Grpc-Timeout {text!r} is not a timeout: "
            "1-8 digits and a unit of H, M, S, m, u or n (e.g. 5S, 200m)"
        )
    seconds = int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    if seconds <= 0:
        raise bad_request("Grpc-Timeout must be greater than zero")
    return seconds


def call_deadline(
    binding: HttpBinding, header: str | None, route_defaults: Mapping[str, float]
) -> float | None:
    """The call's timeout: the client's Grpc-Timeout, else the route's default, else the kind's."""
    if header is not None:
        return parse_grpc_timeout(header)
    configured = route_defaults.get(binding.rpc_name)
    if configured is not None:
        return configured
    return UPLOAD_DEADLINE_SECONDS if binding.kind is CallKind.CLIENT_STREAM else None


def _metadata_value(key: str, value: str) -> str | bytes:
    if key.endswith("-bin"):
        decoded = decode_base64(value)
        if decoded is None:
            raise bad_request(f"Grpc-Metadata-{key} is not base64")
        return decoded
    if not _PRINTABLE.match(value):
        raise bad_request(f"Grpc-Metadata-{key} must be printable ASCII")
    return value


def forwarded_metadata(
    headers: Iterable[tuple[str, str]],
    *,
    client_ip: str | None,
    request_id: str,
    credentials: Iterable[tuple[str, str]] = (),
) -> list[tuple[str, str | bytes]]:
    """The metadata of the outgoing call, from the request's (lower-cased) headers.

    ``x-forwarded-for`` carries only ``client_ip``, the address the edge verified
    (gateway.policies.client_ip): what the client wrote in that header is not passed on.
    """
    metadata: list[tuple[str, str | bytes]] = list(credentials)
    host = ""
    for name, value in headers:
        if name.startswith(METADATA_PREFIX):
            key = name[len(METADATA_PREFIX) :]
            if not _METADATA_KEY.match(key) or key.startswith(("grpc-", _MESH_PREFIX)) or key in _PROTECTED:
                raise bad_request(f"Grpc-Metadata-{key} cannot be forwarded (reserved or malformed name)")
            metadata.append((key, _metadata_value(key, value)))
        elif name == "host" and _PRINTABLE.match(value):
            host = value
        elif name in _PASSED_THROUGH and _PRINTABLE.match(value):
            metadata.append((name, value))
    if client_ip:
        metadata.append(("x-forwarded-for", client_ip))
    if host:
        metadata.append(("x-forwarded-host", host))
    metadata.append(("x-request-id", request_id))
    return metadata


class Invoker:
    """One generic multicallable per binding, made on first use and kept."""

    def __init__(self, clients: ChannelSource) -> None:
        self._clients = clients
        self._calls: dict[HttpBinding, Any] = {}

    def __call__(self, binding: HttpBinding) -> Any:
        found = self._calls.get(binding)
        if found is None:
            channel = self._clients.channel(binding.service)
            make = {
                CallKind.UNARY: channel.unary_unary,
                CallKind.SERVER_STREAM: channel.unary_stream,
                CallKind.CLIENT_STREAM: channel.stream_unary,
            }[binding.kind]
            found = make(
                binding.full_method,
                request_serializer=binding.request_class.SerializeToString,
                response_deserializer=binding.response_class.FromString,
            )
            self._calls[binding] = found
        return found
