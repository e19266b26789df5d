"""One id per request, from the edge through every hop: ``X-Request-Id``.

A client's (or proxy's) id is kept when it looks like an id (at most 128 characters of
``[A-Za-z0-9._-]``), so it can be matched against logs it has; anything else is replaced, since
it ends up in log lines and gRPC metadata. The id is set in mesh.telemetry's request-id context
for the whole request, so log records carry it and mesh.clients sends it on as ``x-request-id``.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mesh.telemetry import new_request_id, reset_request_id, set_request_id

__all__ = ["REQUEST_ID_HEADER", "RequestIdMiddleware", "accepted_request_id"]

REQUEST_ID_HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")


_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")


def _offered(scope: Scope) -> str | None:
    """The first ``X-Request-Id`` request header, as Starlette's Headers would find it."""
    for name, value in scope.get("headers", ()):
        if name == _HEADER_KEY:
            return str(value.decode("latin-1"))
    return None


def accepted_request_id(offered: str | None) -> str:
    """``offered`` if it is a sane id, else a new one."""
    if offered is not None and _SANE.fullmatch(offered):
        return offered
    return new_request_id()


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(_offered(scope))
        scope.setdefault("state", {})["request_id"] = request_id
        header = (_HEADER_KEY, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _HEADER_KEY]
                headers.append(header)
                message["headers"] = headers
            await send(message)

        token = set_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_id(token)
