"""What the test Consul agent does to decide health: Consul's gRPC check, for real.

Like Consul, it dials ``host:port``, calls ``grpc.health.v1.Health/Check`` for the service
named after the slash, and maps SERVING to passing and everything else to critical.
"""

from __future__ import annotations

import re

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

PASSING = "passing"
WARNING = "warning"
CRITICAL = "critical"

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object, field: str) -> float:
    """Consul's durations: a Go duration string, or a JSON number of nanoseconds."""
    if isinstance(value, bool):
        raise ValueError(f"Invalid duration for {field}: {value!r}")
    if isinstance(value, int | float):
        return float(value) / 1e9
    text = str(value).strip()
    if text == "0":
        return 0.0
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f'Invalid duration for {field}: time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[u] for n, u in parts)


async def grpc_check(spec: str, time_limit: float) -> tuple[str, str]:
    """Run one gRPC health check against ``host:port[/service]``; return (status, output)."""
    target, _, service = spec.partition("/")
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=time_limit)
        except grpc.aio.AioRpcError as exc:
            return (
                CRITICAL,
                f"gRPC check {spec}: failed: rpc error: code = {exc.code().name} desc = {exc.details()}",
            )
    status_name = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    if reply.status == health_pb2.HealthCheckResponse.SERVING:
        return PASSING, f"gRPC check {spec}: success"
    return CRITICAL, f"gRPC check {spec}: failed: status {status_name}"
