"""A minimal app behind the edge policies, limited like the gateway limits routes.

Handlers stand in for the transcoder: they learn the caller from test headers (``X-Test-User``,
``X-Test-Key``, ``X-Test-Tenant``, ``X-Test-Model``) instead of real credentials, then call
``limit_request`` the way gw-core does after authentication. ``create()`` builds it from the
environment (``CHATMESH_*``) so the same app runs in a separate uvicorn process.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aredis
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.policies import RateLimited, limit_request, middleware, rate_limited_handler
from mesh.config import Settings, load_settings

RPC = "chatmesh.test.v1.TestService/Hello"


async def hello(request: Request) -> Response:
    headers = request.headers
    await limit_request(
        request,
        route=request.query_params.get("rpc", RPC),
        user_id=headers.get("x-test-user"),
        api_key_id=headers.get("x-test-key"),
        tenant_id=headers.get("x-test-tenant"),
        model=headers.get("x-test-model"),
    )
    return JSONResponse({"ok": True})


def build(settings: Settings, redis: Any, registry: CollectorRegistry | None = None) -> Starlette:
    registry = registry if registry is not None else CollectorRegistry()

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type="text/plain")

    app = Starlette(
        routes=[Route("/hello", hello, methods=["GET", "POST"]), Route("/metrics", metrics)],
        middleware=middleware(settings, redis, registry=registry),
        exception_handlers={RateLimited: rate_limited_handler},
    )
    return app


def create() -> Starlette:
    settings = load_settings(_env_file=None)
    assert settings.redis_url is not None
    return build(settings, aredis.Redis.from_url(settings.redis_url))
