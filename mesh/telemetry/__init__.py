"""Logs, metrics and traces for every chatmesh process (see the submodules for the why)."""

from mesh.telemetry.client import ContextClientInterceptor, aio_client_interceptors
from mesh.telemetry.logging import (
    JsonFormatter,
    LogSampling,
    TextFormatter,
    current_request_id,
    current_trace_ids,
    new_request_id,
    reset_request_id,
    set_request_id,
    setup_logging,
)
from mesh.telemetry.metrics import MetricsServer, RpcMetrics, rpc_metrics, start_metrics_server
from mesh.telemetry.tracing import (
    REQUEST_ID_HEADER,
    TraceContextLayer,
    aio_server_interceptor,
    exporting_spans,
    server_tracing,
    setup_tracing,
    shutdown_tracing,
)

__all__ = [
    "REQUEST_ID_HEADER",
    "ContextClientInterceptor",
    "JsonFormatter",
    "LogSampling",
    "MetricsServer",
    "RpcMetrics",
    "TextFormatter",
    "TraceContextLayer",
    "aio_client_interceptors",
    "aio_server_interceptor",
    "current_request_id",
    "current_trace_ids",
    "exporting_spans",
    "new_request_id",
    "reset_request_id",
    "rpc_metrics",
    "server_tracing",
    "set_request_id",
    "setup_logging",
    "setup_tracing",
    "shutdown_tracing",
    "start_metrics_server",
]
