"""Access-line sampling and the batching log handler."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import grpc

from mesh.interceptors import ObservabilityLayer
from mesh.telemetry.log_writer import BatchingHandler
from mesh.telemetry.logging import JsonFormatter, LogSampling
from mesh.telemetry.metrics import rpc_metrics


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def _handler() -> tuple[BatchingHandler, _CountingStream, logging.Logger]:
    stream = _CountingStream()
    handler = BatchingHandler(stream)
    handler.setFormatter(JsonFormatter("identity"))
    logger = logging.getLogger("tests.mesh.log_writer")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler, stream, logger


async def test_lines_logged_on_a_loop_are_written_once_per_iteration() -> None:
    _, stream, logger = _handler()
    for index in range(5):
        logger.info("line %d", index)
    assert stream.getvalue() == ""
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    messages = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert messages == [f"line {i}" for i in range(5)]
    assert stream.writes == 1


def test_lines_logged_off_a_loop_are_written_at_once() -> None:
    _, stream, logger = _handler()
    logger.warning("now")
    assert json.loads(stream.getvalue())["message"] == "now"


async def test_flush_writes_what_is_pending() -> None:
    handler, stream, logger = _handler()
    logger.info("pending")
    handler.flush()
    assert json.loads(stream.getvalue())["message"] == "pending"
    await asyncio.sleep(0)
    assert len(stream.getvalue().splitlines()) == 1


def test_a_loop_closed_before_its_drain_does_not_stall_the_next_one() -> None:
    _, stream, logger = _handler()

    async def log_and_leave() -> None:
        logger.info("first")

    loop = asyncio.new_event_loop()
    loop.run_until_complete(log_and_leave())
    loop.close()

    async def log_and_wait() -> None:
        logger.info("second")
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(log_and_wait())
    assert [json.loads(line)["message"] for line in stream.getvalue().splitlines()] == ["first", "second"]


def test_sampling_keeps_failures_and_slow_calls() -> None:
    none = LogSampling(0.0, slow_ms=100)
    assert not none.keep(True, 0.01)
    assert none.keep(False, 0.01)
    assert none.keep(True, 0.2)
    assert LogSampling().keep(True, 0.0)


class _Context:
    def __init__(self, code: grpc.StatusCode | None = None) -> None:
        self._code = code

    def invocation_metadata(self) -> tuple[()]:
        return ()

    def peer(self) -> str:
        return "ipv4:127.0.0.1:1"

    def code(self) -> Any:
        return self._code

    def time_remaining(self) -> None:
        return None


async def test_sampled_out_calls_are_still_counted_and_failures_logged(caplog: Any) -> None:
    from prometheus_client import CollectorRegistry

    metrics = rpc_metrics(CollectorRegistry())
    layer = ObservabilityLayer(metrics, LogSampling(0.0, slow_ms=10_000))

    async def handler(request: Any, context: Any) -> str:
        return "ok"

    observed = layer.unary("/chatmesh.a.v1.A/Get", handler)
    with caplog.at_level(logging.INFO, logger="mesh.rpc"):
        assert await observed(None, _Context()) == "ok"  # type: ignore[arg-type]
        assert await observed(None, _Context(grpc.StatusCode.NOT_FOUND)) == "ok"  # type: ignore[arg-type]
    lines = [r for r in caplog.records if r.name == "mesh.rpc"]
    assert [r.getMessage() for r in lines] == ["chatmesh.a.v1.A/Get NOT_FOUND"]
    assert lines[0].request_id  # type: ignore[attr-defined]
    assert metrics.requests.labels("chatmesh.a.v1.A", "Get", "OK")._value.get() == 1
