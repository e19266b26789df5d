"""Where the rate limiter meets a request.

Limits are per caller, and the caller is known only after authentication, which the route
handlers do; so the handler asks (:func:`limit_request`) and this middleware only hands it
the limiter and later puts the X-RateLimit-* headers the check produced on the response,
whatever the handler answers with (JSON, an error, an event stream).
"""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.policies.ratelimit import RateLimited, RateLimiter
from gateway.policies.scope import client_ip
from mesh.errors import to_rpc_status

__all__ = [
    "LIMITER_KEY",
    "RateLimitMiddleware",
    "limit_request",
    "limiter_of",
    "rate_limited_handler",
    "too_many_requests",
]

LIMITER_KEY = "chatmesh.rate_limiter"
_HEADERS_KEY = "chatmesh.rate_limit_headers"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[LIMITER_KEY] = self.limiter

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                found = scope.get(_HEADERS_KEY)
                if found:
                    message.setdefault("headers", [])
                    headers = MutableHeaders(scope=message)
                    for name, value in found.items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def limiter_of(connection: HTTPConnection) -> RateLimiter | None:
    """The limiter installed by :class:`RateLimitMiddleware`, if any."""
    found = connection.scope.get(LIMITER_KEY)
    return found if isinstance(found, RateLimiter) else None


async def limit_request(
    connection: HTTPConnection,
    *,
    route: str,
    user_id: str | None,
    api_key_id: str | None,
    tenant_id: str | None,
    model: str | None = None,
    tenant_rpm: int | None = None,
) -> dict[str, str]:
    """Count this request against its limits; raise :class:`RateLimited` when over one.

    Call after authentication. The resulting headers are also added to the response by the
    middleware, so a handler need not copy them; without the middleware nothing is limited.
    """
    limiter = limiter_of(connection)
    if limiter is None:
        return {}
    try:
        headers = await limiter.enforce(
            route=route,
            ip=client_ip(connection.scope),
            user_id=user_id,
            api_key_id=api_key_id,
            tenant_id=tenant_id,
            model=model,
            path=connection.url.path,
            tenant_rpm=tenant_rpm,
        )
    except RateLimited as refused:
        connection.scope[_HEADERS_KEY] = refused.headers
        raise
    connection.scope[_HEADERS_KEY] = headers
    return headers


def too_many_requests(refused: RateLimited) -> JSONResponse:
    """429 with the google.rpc.Status body (ErrorInfo, QuotaFailure, RetryInfo) and the limit headers."""
    body = MessageToDict(to_rpc_status(refused), preserving_proto_field_name=False)
    body.setdefault("details", [])
    return JSONResponse(body, status_code=429, headers=refused.headers)


async def rate_limited_handler(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for :class:`RateLimited` raised by a route handler."""
    assert isinstance(exc, RateLimited)
    return too_many_requests(exc)
