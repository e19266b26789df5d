"""Load generator of the relay bench, run as its own process so it never shares a loop with a server.

``python -m bench.relay_load http <host:port> <api_key> <concurrency> <requests>`` streams
``POST /v1/chat/completions`` over raw asyncio HTTP/1.1 (one kept-alive connection per
worker, chunked responses read frame by frame, no client library in the way);
``python -m bench.relay_load grpc <host:port> <api_key> <concurrency> <requests>`` streams
model_router's ChatCompletion over one gRPC channel, reading raw message bytes (no protobuf parsing,
as the HTTP client reads raw frames). Each worker first makes one request
that is not timed (connections, caches). Prints one JSON line:
``{"ttft": [...], "total": [...], "elapsed": s, "errors": n, "first_error": "..."}`` (seconds).
TTFT is when the first content token (`` tok0``) arrived.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable

__all__ = ["run_load"]

MODEL = "gpt-4o-mini"
_FIRST_TOKEN = b"tok0"
_BODY = json.dumps(
    {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
).encode()

Call = Callable[[], Awaitable[tuple[float, float]]]


class _HttpStream:
    """One kept-alive HTTP/1.1 connection streaming chat completions."""

    def __init__(self, host: str, port: int, api_key: str) -> None:
        self._host, self._port = host, port
        self._request = (
            f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}:{port}\r\n"
            f"authorization: Bearer {api_key}\r\ncontent-type: application/json\r\n"
            f"accept: text/event-stream\r\ncontent-length: {len(_BODY)}\r\n\r\n"
        ).encode() + _BODY
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def call(self) -> tuple[float, float]:
        try:
            return await self._exchange()
        except BaseException:
            if self._writer is not None:
                self._writer.close()
            self._reader = self._writer = None
            raise

    async def _exchange(self) -> tuple[float, float]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._reader, self._writer
        started = time.perf_counter()
        writer.write(self._request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
        }
        first = 0.0
        if headers.get(b"transfer-encoding") == b"chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
                data = await reader.readexactly(size + 2)
                if not first and _FIRST_TOKEN in data:
                    first = time.perf_counter() - started
                if size == 0:
                    break
        else:
            data = await reader.readexactly(int(headers.get(b"content-length", b"0")))
            first = time.perf_counter() - started if _FIRST_TOKEN in data else 0.0
        if headers.get(b"connection") == b"close":
            writer.close()
            self._reader = self._writer = None
        if status != b"200" or not first:
            raise RuntimeError(f"HTTP {status.decode()} without the first token")
        return first, time.perf_counter() - started


def _grpc_caller(target: str, api_key: str) -> tuple[Callable[[], Call], Callable[[], Awaitable[None]]]:
    import grpc
    from chatmesh.model_router.v1 import chat_pb2, inference_pb2

    channel = grpc.aio.insecure_channel(target)
    # Raw bytes in, like the HTTP client: the first message holding `` tok0`` is the first token.
    method = channel.unary_stream(
        "/chatmesh.model_router.v1.ModelRouterService/ChatCompletion",
        request_serializer=inference_pb2.ChatCompletionRequest.SerializeToString,
        response_deserializer=None,
    )
    request = inference_pb2.ChatCompletionRequest(
        model=MODEL, messages=[chat_pb2.ChatMessage(role="user", content="Hi")], stream=True
    )
    metadata = (("authorization", f"Bearer {api_key}"),)

    async def call() -> tuple[float, float]:
        started = time.perf_counter()
        first = 0.0
        stream = method(request, metadata=metadata)
        while (message := await stream.read()) is not grpc.aio.EOF:  # type: ignore[attr-defined]
            if not first and _FIRST_TOKEN in message:  # type: ignore[operator]
                first = time.perf_counter() - started
        if not first:
            raise RuntimeError("stream without content")
        return first, time.perf_counter() - started

    async def close() -> None:
        await channel.close(None)

    return (lambda: call), close


async def run_load(
    mode: str, target: str, api_key: str, concurrency: int, requests: int
) -> dict[str, object]:
    host, _, port = target.rpartition(":")
    closers: list[Callable[[], Awaitable[None]]] = []
    if mode == "grpc":
        factory, close = _grpc_caller(target, api_key)
        closers.append(close)
    else:

        def factory() -> Call:
            return _HttpStream(host, int(port), api_key).call

    ttft: list[float] = []
    total: list[float] = []
    errors = 0
    first_error = ""
    remaining = requests

    async def worker(call: Call) -> None:
        nonlocal remaining, errors, first_error
        while remaining > 0:
            remaining -= 1
            try:
                first, whole = await call()
            except Exception as exc:
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"[:200]
                continue
            ttft.append(first)
            total.append(whole)

    calls = [factory() for _ in range(concurrency)]
    warm = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
    errors += sum(isinstance(w, BaseException) for w in warm)
    started = time.perf_counter()
    await asyncio.gather(*(worker(call) for call in calls))
    elapsed = time.perf_counter() - started
    for close in closers:
        await close()
    return {"ttft": ttft, "total": total, "elapsed": elapsed, "errors": errors, "first_error": first_error}


if __name__ == "__main__":
    mode, target, key, conc, count = sys.argv[1:6]
    print(json.dumps(asyncio.run(run_load(mode, target, key, int(conc), int(count)))), flush=True)
