"""One JSON log line per request, written when the response has been sent (streams: when they end).

Fields: method, route (template), path, status, duration_ms, bytes (body bytes sent, after
compression), client_ip, user_agent, and the request_id and trace_id the outer middlewares set
(taken when the line is made, so a handler that formats later still gets them). The query
string is never logged: it may hold an API key (``?key=``) or a token (``?token=``).

With ``access_log_sample_rate`` below 1, only that share of the fast successful requests
(status < 400, quicker than ``access_log_slow_ms``) is logged; the others always are.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.policies.client_ip import PEER_KEY
from gateway.policies.scope import client_ip, route_template
from mesh.telemetry import LogSampling, current_request_id, current_trace_ids

__all__ = ["ACCESS_LOGGER", "AccessLogMiddleware"]

ACCESS_LOGGER = "chatmesh.gateway.access"
# A WebSocket session closed before it was accepted answers 403 (ASGI's rule).
_WS_REFUSED = 403
_WS_ACCEPTED = 101

log = logging.getLogger(ACCESS_LOGGER)


def _user_agent(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"user-agent":
            return str(value.decode("latin-1"))
    return None


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, sampling: LogSampling | None = None) -> None:
        self.app = app
        self.sampling = sampling or LogSampling()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen = {"status": 500 if scope["type"] == "http" else _WS_REFUSED, "bytes": 0}

        async def send_observed(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                seen["status"] = message["status"]
            elif kind == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            elif kind == "websocket.accept":
                seen["status"] = _WS_ACCEPTED
            elif kind == "websocket.send":
                seen["bytes"] += len(message.get("bytes") or b"") + len((message.get("text") or "").encode())
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._write(scope, seen["status"], seen["bytes"], time.perf_counter() - started)

    def _write(self, scope: Scope, status: int, sent: int, seconds: float) -> None:
        if not log.isEnabledFor(logging.INFO) or not self.sampling.keep(status < 400, seconds):
            return
        method = scope.get("method", "GET")
        route = route_template(scope)
        trace_id, span_id = current_trace_ids()
        log.info(
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "method": method,
                "route": route,
                "path": scope.get("path", ""),
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "bytes": sent,
                "client_ip": client_ip(scope),
                # The proxy that reported client_ip, when one did (gateway.policies.client_ip).
                "peer": scope.get(PEER_KEY, ""),
                "user_agent": _user_agent(scope),
                "protocol": scope["type"],
                "request_id": current_request_id(),
                "trace_id": trace_id,
                "span_id": span_id,
            },
        )
