"""Access-log sampling at the edge: fast successes may be sampled out, errors never are."""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import Receive, Scope, Send

from gateway.policies.access_log import ACCESS_LOGGER, AccessLogMiddleware
from mesh.telemetry import LogSampling


def _app(status: int) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def _serve(middleware: AccessLogMiddleware) -> None:
    scope = {"type": "http", "method": "GET", "path": "/v1/x", "headers": [(b"user-agent", b"ua/1")]}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return None

    await middleware(scope, receive, send)


async def test_sampled_out_successes_are_not_logged_but_errors_are(caplog: Any) -> None:
    sampling = LogSampling(0.0, slow_ms=10_000)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        await _serve(AccessLogMiddleware(_app(200), sampling))
        await _serve(AccessLogMiddleware(_app(503), sampling))
        await _serve(AccessLogMiddleware(_app(200)))
    lines = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [r.status for r in lines] == [503, 200]  # type: ignore[attr-defined]
    assert lines[1].user_agent == "ua/1"  # type: ignore[attr-defined]
