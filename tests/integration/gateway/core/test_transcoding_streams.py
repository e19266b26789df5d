"""Server streams over a real socket (uvicorn): SSE, NDJSON, heartbeats, resume, and cancellation."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from gwcore_echo import EchoState
from gwcore_sse import read_sse
from gwcore_support import gateway_for, running


@pytest.fixture
async def live(echo: tuple[EchoState, str]) -> AsyncIterator[tuple[httpx.AsyncClient, EchoState]]:
    state, address = echo
    async with gateway_for(address) as (app, _), running(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            yield http, state


async def test_sse_relays_each_message_then_done(live: tuple[httpx.AsyncClient, EchoState]) -> None:
    http, _ = live
    async with http.stream("GET", "/v1/streams/s?i32=3") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        stream = await read_sse(response.aiter_lines())
    assert [e.name for e in stream.events] == ["message", "message", "message", "done"]
    assert [e.id for e in stream.events[:3]] == ["1", "2", "3"]
    assert stream.events[0].json()["echo"]["name"] == "s"
    assert stream.events[0].json()["echo"]["i32"] == 3


async def test_sse_ids_are_the_messages_event_ids_and_last_event_id_resumes(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    async with http.stream("GET", "/v1/streams/s?i32=2&flag=true") as response:
        first = await read_sse(response.aiter_lines())
    assert [e.id for e in first.events[:2]] == ["ev-0-1", "ev-0-2"]
    headers = {"last-event-id": "ev-0-1"}
    async with http.stream("GET", "/v1/streams/s?i32=1&flag=true", headers=headers) as response:
        resumed = await read_sse(response.aiter_lines())
    assert resumed.events[0].id == "ev-ev-0-1-1"
    assert resumed.events[0].json()["echo"]["afterEventId"] == "ev-0-1"


async def test_response_body_applies_to_each_streamed_message(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    async with http.stream("POST", "/v1/streams/e:events", json={"i32": 2, "flag": True}) as response:
        stream = await read_sse(response.aiter_lines())
    assert stream.events[0].json()["name"] == "e"
    assert stream.events[0].id == "ev-0-1"


async def test_a_failure_mid_stream_is_an_error_event_then_done(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    async with http.stream("GET", "/v1/streams/fail?i32=1") as response:
        assert response.status_code == 200
        stream = await read_sse(response.aiter_lines())
    assert [e.name for e in stream.events] == ["message", "error", "done"]
    error = stream.events[1].json()
    assert error["code"] == 5
    assert error["message"] == "went away"
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"


async def test_a_failure_before_the_first_message_is_a_plain_http_error(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    response = await http.get("/v1/streams/slow?i32=1&dbl=1", headers={"grpc-timeout": "100m"})
    assert response.status_code == 504
    assert response.json()["code"] == 4


async def test_ndjson_is_grpc_gateways_result_and_error_lines(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    response = await http.get("/v1/streams/fail?i32=2&stream=ndjson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [next(iter(line)) for line in lines] == ["result", "result", "error"]
    assert lines[0]["result"]["echo"]["name"] == "fail"
    assert lines[2]["error"]["code"] == 5
    by_accept = await http.get("/v1/streams/x?i32=1", headers={"accept": "application/x-ndjson"})
    assert by_accept.headers["content-type"] == "application/x-ndjson"
    bad = await http.get("/v1/streams/x?stream=xml")
    assert bad.status_code == 400


async def test_heartbeats_keep_a_quiet_stream_alive(live: tuple[httpx.AsyncClient, EchoState]) -> None:
    http, _ = live
    async with http.stream("GET", "/v1/streams/q?i32=1&dbl=0.7") as response:
        assert response.status_code == 200
        stream = await read_sse(response.aiter_lines())
    assert stream.comments.count("ping") >= 2
    assert [e.name for e in stream.events] == ["message", "done"]


async def test_a_client_that_goes_away_cancels_the_rpc_within_a_second(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, state = live
    async with http.stream("GET", "/v1/streams/long?i32=1000&dbl=0.05") as response:
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("data:"):
                break
    closed = time.monotonic()
    await asyncio.wait_for(state.cancelled.wait(), 1.0)
    assert time.monotonic() - closed < 1.0


async def test_going_away_before_the_first_message_cancels_too(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, state = live
    async with http.stream("GET", "/v1/streams/quiet?i32=1&dbl=30") as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith(": ping"):
                break
    await asyncio.wait_for(state.cancelled.wait(), 1.0)


async def test_an_unreachable_service_before_the_stream_starts_is_503(echo: tuple[EchoState, str]) -> None:
    async with gateway_for("127.0.0.1:1") as (app, _), running(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            response = await http.get("/v1/streams/x", headers={"grpc-timeout": "2S"})
    assert response.status_code == 503
