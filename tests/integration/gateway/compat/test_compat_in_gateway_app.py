"""The compatible routes inside gw-core's whole gateway app (create_app): every edge policy wraps them.

The request-id, access-log, metrics, rate-limit and gzip middleware must leave SSE streams
intact, put their headers on these responses, and still let a disconnect cancel the RPC.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from openai import AsyncOpenAI
from redis.asyncio import Redis
from starlette.types import ASGIApp

from gateway.app import create_app
from gateway.edge_auth import Authenticator
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.infra import Infra
from tests.integration.gateway.compat.compat_support import API_KEY
from tests.integration.gateway.compat.conftest import Upstream, serve_gateway

HI: Any = [{"role": "user", "content": "Hi"}]


@pytest_asyncio.fixture
async def app_url(upstream: Upstream, infra: Infra) -> AsyncIterator[str]:
    upstream.reset()
    redis = Redis.from_url(infra.redis_url or "")

    def build(settings: Settings, clients: ServiceClients, authenticator: Authenticator) -> ASGIApp:
        return create_app(settings, clients, authenticator=authenticator, redis=redis)

    try:
        async with serve_gateway(upstream.address, build=build, gateway_gzip_min_bytes=16) as url:
            yield url
    finally:
        await redis.aclose()


async def test_openai_stream_through_the_whole_app(app_url: str, upstream: Upstream) -> None:
    async with AsyncOpenAI(base_url=f"{app_url}/v1", api_key=API_KEY, max_retries=0) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini",
            messages=HI,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-request-id": "req-edge-1"},
        )
        chunks = [chunk async for chunk in raw.parse()]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello, world!"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 17
    assert raw.headers["x-request-id"] == "req-edge-1"
    assert "x-ratelimit-limit" in raw.headers
    assert "content-encoding" not in raw.headers
    assert upstream.router.requests[0].routing.request_id == "req-edge-1"


async def test_json_answers_and_metrics_through_the_whole_app(app_url: str) -> None:
    async with httpx.AsyncClient(base_url=app_url, headers={"authorization": f"Bearer {API_KEY}"}) as http:
        models = await http.get("/v1/models", headers={"accept-encoding": "gzip"})
        missing = await http.post("/v1/messages", json={"model": "m", "messages": HI})
        metrics = await http.get("/metrics")
    assert models.status_code == 200 and models.json()["object"] == "list"
    assert models.headers.get("content-encoding") == "gzip"
    assert missing.status_code == 400 and missing.json()["error"]["type"] == "invalid_request_error"
    assert 'route="/v1/models"' in metrics.text


async def test_disconnect_cancels_the_rpc_through_the_whole_app(app_url: str, upstream: Upstream) -> None:
    body = {"model": "slow-model", "messages": HI, "stream": True}
    async with httpx.AsyncClient(base_url=app_url, headers={"authorization": f"Bearer {API_KEY}"}) as http:
        async with http.stream("POST", "/v1/chat/completions", json=body) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    break
            await asyncio.wait_for(upstream.router.streamed.wait(), 5)
            closed_at = time.monotonic()
    await asyncio.wait_for(upstream.router.cancellation.wait(), 5)
    assert upstream.router.cancelled[0] - closed_at < 1.0
