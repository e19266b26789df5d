"""The compatible APIs byte for byte over raw HTTP: SSE framing, error bodies, limits, disconnects."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection

from gateway.compat.admission import MISSING_KEY
from gateway.compat.upstream import INTERNAL_MESSAGE
from gateway.edge_auth import EdgeCaller, PassThroughAuthenticator
from gateway.policies.ratelimit import RateLimiter
from gateway.policies.ratelimit_asgi import RateLimitMiddleware
from mesh.config import RateLimitRule
from mesh.infra import Infra
from tests.integration.gateway.compat.compat_support import API_KEY, FakeModelRouter
from tests.integration.gateway.compat.conftest import Gateway, Upstream, serve_gateway

AUTH = {"authorization": f"Bearer {API_KEY}"}
HI = [{"role": "user", "content": "Hi"}]
CANCEL_WITHIN_SECONDS = 1.0


@pytest.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, headers=AUTH, timeout=10) as client:
        yield client


def openai_frame(delta: str, finish: str = "null") -> str:
    return (
        'data: {"id":"chatcmpl-test123","object":"chat.completion.chunk","created":1700000000,'
        '"model":"gpt-4o-mini","system_fingerprint":null,'
        f'"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]}}\n\n'
    )


async def test_openai_stream_bytes_are_exactly_openais(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": HI, "stream": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == (
        openai_frame('{"role":"assistant","content":""}')
        + openai_frame('{"content":"Hello"}')
        + openai_frame('{"content":", world"}')
        + openai_frame('{"content":"!"}')
        + openai_frame("{}", '"stop"')
        + "data: [DONE]\n\n"
    )


async def test_include_usage_adds_one_usage_chunk_before_done(http: httpx.AsyncClient) -> None:
    body = {"model": "gpt-4o-mini", "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    response = await http.post("/v1/chat/completions", json=body)
    frames = response.text.split("\n\n")
    assert frames[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(frame.removeprefix("data: ")) for frame in frames[:-2]]
    assert [chunk["usage"] for chunk in chunks[:-1]] == [None] * 5
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 17
    assert chunks[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 2, "audio_tokens": 0}


async def test_anthropic_stream_names_every_event_after_its_type(http: httpx.AsyncClient) -> None:
    body = {"model": "claude-sonnet-4", "max_tokens": 8, "messages": HI, "stream": True}
    response = await http.post("/v1/messages", json=body, headers={"anthropic-version": "2023-06-01"})
    assert response.status_code == 200
    frames = response.text.split("\n\n")
    assert frames[-1] == ""
    events = []
    for frame in frames[:-1]:
        event_line, data_line = frame.split("\n")
        name = event_line.removeprefix("event: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == name
        events.append(data)
    assert [event["type"] for event in events] == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[0]["message"]["content"] == [] and events[0]["message"]["stop_reason"] is None
    assert events[1]["content_block"] == {"type": "text", "text": ""}
    assert events[3]["delta"] == {"type": "text_delta", "text": "Hello"}
    assert events[7]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert events[7]["usage"]["output_tokens"] == 5


async def _cancel_delay(router: FakeModelRouter, closed_at: float) -> float:
    await asyncio.wait_for(router.cancellation.wait(), 5)
    return router.cancelled[0] - closed_at


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", {"model": "slow-model", "messages": HI, "stream": True}),
        ("/v1/messages", {"model": "slow-model", "max_tokens": 8, "messages": HI, "stream": True}),
    ],
)
async def test_disconnect_mid_stream_cancels_the_upstream_rpc(
    http: httpx.AsyncClient, gateway: Gateway, path: str, body: dict[str, object]
) -> None:
    async with http.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                break
        await asyncio.wait_for(gateway.router.streamed.wait(), 5)
        closed_at = time.monotonic()
    assert await _cancel_delay(gateway.router, closed_at) < CANCEL_WITHIN_SECONDS


async def test_disconnect_while_waiting_for_a_whole_answer_cancels_it(
    http: httpx.AsyncClient, gateway: Gateway
) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/v1/chat/completions", json={"model": "slow-model", "messages": HI}, timeout=0.5)
    closed_at = time.monotonic()
    assert gateway.router.streamed.is_set()
    assert await _cancel_delay(gateway.router, closed_at) < CANCEL_WITHIN_SECONDS


async def test_missing_key_is_openais_401(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        response = await anonymous.post("/v1/chat/completions", json={"model": "m", "messages": HI})
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "message": MISSING_KEY,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    assert gateway.router.requests == []


async def test_x_api_key_works_on_openai_routes_too(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, headers={"x-api-key": API_KEY}) as client:
        response = await client.get("/v1/models")
    assert response.status_code == 200
    assert gateway.router.metadata[0]["authorization"] == f"Bearer {API_KEY}"


async def test_unchecked_credentials_are_forwarded_and_none_is_401(upstream: Upstream) -> None:
    """With gw-core's PassThroughAuthenticator (no verifier configured) model_router judges the key."""
    upstream.reset()
    async with serve_gateway(upstream.address, authenticator=PassThroughAuthenticator()) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            refused = await client.post("/v1/chat/completions", json={"model": "m", "messages": HI})
            forwarded = await client.post(
                "/v1/chat/completions", json={"model": "m", "messages": HI}, headers={"x-api-key": "sk-any"}
            )
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == MISSING_KEY
    assert forwarded.status_code == 200
    assert upstream.router.metadata[0]["authorization"] == "Bearer sk-any"
    assert upstream.identity.seen == []


async def test_wrong_key_on_messages_is_anthropics_error_shape(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, headers={"x-api-key": "sk-bad"}) as client:
        response = await client.post("/v1/messages", json={"model": "m", "max_tokens": 1, "messages": HI})
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error"
    assert body["error"] == {"type": "authentication_error", "message": "Incorrect API key provided"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "We could not parse the JSON body"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"model": "m", "messages": NaN}', "We could not parse the JSON body"),
        # Issue 10: these answered 500 (RecursionError, protobuf nesting) or reached the converters.
        (b"[" * 100_000 + b"]" * 100_000, "We could not parse the JSON body"),
        (b'{"model": "m", "messages": ' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper than"),
        (
            b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function",'
            b' "function": {"name": "f", "parameters": {"a": ' + b"[" * 60 + b"]" * 60 + b"}}}]}",
            "nested deeper than",
        ),
        (b'{"model": "m\xff\xfe", "messages": []}', "We could not parse the JSON body"),
        (b'{"model": "m", "temperature": 1e999, "messages": []}', "We could not parse the JSON body"),
        (
            b'{"model": "m", "max_tokens": ' + b"9" * 5000 + b', "messages": []}',
            "We could not parse the JSON body",
        ),
        (b'"just a string"', "expected a JSON object"),
        (b"null", "expected a JSON object"),
    ],
)
async def test_malformed_bodies_are_400(http: httpx.AsyncClient, content: bytes, message: str) -> None:
    response = await http.post(
        "/v1/chat/completions", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert message in error["message"]


async def test_wrong_types_name_the_parameter(http: httpx.AsyncClient, gateway: Gateway) -> None:
    response = await http.post(
        "/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": 5}]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Invalid type for 'messages[0].content': expected one of a string or array of objects, "
        "but got an integer instead.",
        "type": "invalid_request_error",
        "param": "messages[0].content",
        "code": "invalid_type",
    }
    missing = await http.post("/v1/embeddings", json={"model": "m"})
    assert missing.json()["error"]["code"] == "missing_required_parameter"
    assert missing.json()["error"]["param"] == "input"
    assert gateway.router.requests == []


async def test_request_id_reaches_model_router(http: httpx.AsyncClient, gateway: Gateway) -> None:
    response = await http.post(
        "/v1/chat/completions", json={"model": "m", "messages": HI}, headers={"x-request-id": "req-abc"}
    )
    assert response.status_code == 200
    assert gateway.router.requests[0].routing.request_id == "req-abc"
    assert gateway.router.requests[0].routing.source == "gateway"


async def test_oversized_body_is_413_before_model_router(upstream: Upstream) -> None:
    upstream.reset()
    async with serve_gateway(upstream.address, gateway_max_body_bytes=2048) as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            big = {"model": "m", "messages": [{"role": "user", "content": "x" * 4096}]}
            openai_style = await client.post("/v1/chat/completions", json=big)
            anthropic_style = await client.post("/v1/messages", json={**big, "max_tokens": 1})

            async def undeclared_length() -> AsyncIterator[bytes]:
                yield b'{"model": "m", "messages": [{"role": "user", "content": "'
                for _ in range(8):
                    yield b"x" * 512
                yield b'"}]}'

            chunked = await client.post(
                "/v1/embeddings", content=undeclared_length(), headers={"content-type": "application/json"}
            )
    assert chunked.status_code == 413
    assert "content-length" not in chunked.request.headers
    assert openai_style.status_code == 413
    assert openai_style.json()["error"]["code"] == "request_too_large"
    assert anthropic_style.status_code == 413
    assert anthropic_style.json()["error"]["type"] == "request_too_large"
    assert upstream.router.requests == []


async def test_rate_limit_per_model_with_the_edge_limiter(upstream: Upstream, infra: Infra) -> None:
    """gw-edge's limiter counts by the model named in the body: a third gpt-4o-mini call is refused,
    another model still passes."""
    limited, other_model = f"limited-{uuid.uuid4().hex}", f"other-{uuid.uuid4().hex}"
    redis = Redis.from_url(infra.redis_url or "")
    rule = RateLimitRule.model_validate({"match": "*/ChatCompletion", "scope": "model", "limit": 2})
    limiter = RateLimiter(redis, [rule])
    try:
        middleware = [Middleware(RateLimitMiddleware, limiter=limiter)]
        async with serve_gateway(upstream.address, middleware) as url:
            async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
                body = {"model": limited, "messages": HI}
                allowed = [await client.post("/v1/chat/completions", json=body) for _ in range(2)]
                refused = await client.post("/v1/chat/completions", json=body)
                other = await client.post("/v1/chat/completions", json={**body, "model": other_model})
    finally:
        await redis.aclose()
    assert [response.status_code for response in allowed] == [200, 200]
    assert allowed[1].headers["x-ratelimit-remaining"] == "0"
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-limit"] == "2"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert other.status_code == 200


class BrokenAuthenticator:
    async def authenticate(
        self, request: HTTPConnection, *, public: bool = False, model: str = ""
    ) -> EdgeCaller:
        raise RuntimeError("identity client exploded")


async def test_unexpected_failures_are_a_plain_server_error(upstream: Upstream) -> None:
    upstream.reset()
    async with serve_gateway(upstream.address, authenticator=BrokenAuthenticator()) as url:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
            openai_style = await client.post("/v1/chat/completions", json={"model": "m", "messages": HI})
            anthropic_style = await client.post(
                "/v1/messages", json={"model": "m", "max_tokens": 1, "messages": HI}
            )
    assert openai_style.status_code == 500
    assert openai_style.json()["error"]["type"] == "server_error"
    assert "exploded" not in openai_style.text
    assert anthropic_style.status_code == 500
    assert anthropic_style.json()["error"] == {"type": "api_error", "message": INTERNAL_MESSAGE}
    assert upstream.router.requests == []
