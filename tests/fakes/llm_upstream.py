"""A fake LLM provider speaking OpenAI's and Anthropic's real wire formats, on uvicorn (loopback, port 0).

model_router's adapters run against it unchanged, with only the base URL pointed here:

- OpenAI-compatible: ``POST /v1/chat/completions`` (JSON, or SSE chunk by chunk with the
  usage chunk when ``stream_options.include_usage``), ``POST /v1/embeddings``, and the Azure
  form ``POST /openai/deployments/{deployment}/chat/completions?api-version=...`` (key in
  ``api-key``). Keys come as ``Authorization: Bearer``.
- Anthropic: ``POST /v1/messages`` (key in ``x-api-key``, ``anthropic-version`` required),
  JSON or the named SSE events.

Failures are scripted per request (:meth:`FakeLLMUpstream.fail` queues them, one per request;
``always`` makes every request fail): an HTTP status with the provider's error body (and
``Retry-After`` for 429), a hang (no answer until the client gives up), or a stream cut after
N chunks (the connection drops mid-stream). ``failure_rate`` fails that share of requests at
random (an unreliable provider); set it to 0 (and ``always`` to None) to let the fake recover.
Every request is recorded for assertions.

Multi-step conversations (a model that calls a tool, then answers with its result) are
scripted with ``script``: a function of the request body returning the reply to send, used
instead of ``reply`` for chat requests when set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import llm_wire
from tests.fakes.llm_wire import FakeReply, FakeToolCall
from tests.fakes.loopback import LoopbackServer

__all__ = ["Failure", "FakeLLMUpstream", "FakeReply", "FakeToolCall", "Recorded"]


@dataclass(frozen=True)
class Failure:
    """How one request fails: an HTTP error, a hang, or a stream cut after ``cut_after`` chunks."""

    status: int | None = None
    message: str = "The server had an error while processing your request."
    retry_after: float | None = None
    hang: bool = False
    cut_after: int | None = None


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class StreamCut(Exception):
    """Raised inside a streaming body: uvicorn drops the connection, as a crashed upstream would."""


@dataclass
class FakeLLMUpstream:
    reply: FakeReply = field(default_factory=FakeReply)
    valid_keys: frozenset[str] | None = None  # None: any key is accepted
    chunk_delay: float = 0.0
    first_chunk_delay: float = 0.0
    always: Failure | None = None
    send_usage: bool = True  # False: ignore stream_options.include_usage, as some compatible servers do
    failure_rate: float = 0.0  # share of requests (at random) failing with ``random_failure``
    random_failure: Failure = field(default_factory=lambda: Failure(status=503))
    script: Callable[[dict[str, Any]], FakeReply] | None = None  # chat reply per request body
    requests: list[Recorded] = field(default_factory=list)
    abandoned_streams: int = 0  # streams whose client went away before the last frame
    base_url: str = ""
    _queue: deque[Failure] = field(default_factory=deque)
    _http: LoopbackServer = field(default_factory=LoopbackServer)

    def reply_for(self, body: dict[str, Any]) -> FakeReply:
        """The chat reply to a request: the script's choice when scripted, else ``reply``."""
        return self.script(body) if self.script is not None else self.reply

    def fail(self, *failures: Failure) -> None:
        """Queue failures: the next requests fail in this order, later ones succeed."""
        self._queue.extend(failures)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._openai_chat, methods=["POST"]),
                Route(
                    "/openai/deployments/{deployment}/chat/completions", self._azure_chat, methods=["POST"]
                ),
                Route("/v1/embeddings", self._openai_embeddings, methods=["POST"]),
                Route("/v1/messages", self._anthropic_messages, methods=["POST"]),
            ]
        )

    # ---- lifecycle ----

    async def start(self) -> str:
        self.base_url = await self._http.start(self.app(), "fake LLM upstream")
        return self.base_url

    async def stop(self) -> None:
        await self._http.stop(force=True)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeLLMUpstream]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # ---- shared steps ----

    async def _record(self, request: Request) -> dict[str, Any]:
        body = json.loads(await request.body() or b"{}")
        self.requests.append(Recorded(request.url.path, dict(request.headers), body))
        return body

    def _next_failure(self) -> Failure | None:
        if self._queue:
            return self._queue.popleft()
        if self.always is None and self.failure_rate and random.random() < self.failure_rate:
            return self.random_failure
        return self.always

    async def _failed(self, failure: Failure | None, error_body: Any) -> Response | None:
        """The error response for a failure that happens before the answer (None: answer normally)."""
        if failure is None or failure.cut_after is not None:
            return None
        if failure.hang:
            await asyncio.sleep(3600)
        status = failure.status or 500
        headers = {"retry-after": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
        headers["x-request-id"] = f"req_{uuid.uuid4().hex[:12]}"
        return JSONResponse(error_body(status, failure.message), status, headers=headers)

    async def _frames(self, frames: Iterator[bytes], failure: Failure | None) -> AsyncIterator[bytes]:
        finished = False
        try:
            if self.first_chunk_delay:
                await asyncio.sleep(self.first_chunk_delay)
            for sent, frame in enumerate(frames):
                if failure is not None and failure.cut_after is not None and sent >= failure.cut_after:
                    finished = True
                    raise StreamCut("stream cut by the test script")
                if sent and self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
                yield frame
            finished = True
        finally:
            if not finished:
                self.abandoned_streams += 1

    # ---- OpenAI ----

    async def _openai_chat(self, request: Request) -> Response:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        return await self._openai_answer(request, key)

    async def _azure_chat(self, request: Request) -> Response:
        if "api-version" not in request.query_params:
            return JSONResponse(llm_wire.openai_error(404, "Resource not found"), 404)
        return await self._openai_answer(request, request.headers.get("api-key", ""))

    async def _openai_answer(self, request: Request, key: str) -> Response:
        body = await self._record(request)
        if self.valid_keys is not None and key not in self.valid_keys:
            return JSONResponse(llm_wire.openai_error(401, "Incorrect API key provided."), 401)
        if (
            rejected := await self._failed(failure := self._next_failure(), llm_wire.openai_error)
        ) is not None:
            return rejected
        model = str(body.get("model", ""))
        prompt = llm_wire.count_prompt_tokens(body.get("messages"))
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        reply = self.reply_for(body)
        if not body.get("stream"):
            return JSONResponse(llm_wire.openai_completion(completion_id, created, model, prompt, reply))
        include_usage = self.send_usage and bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = llm_wire.openai_chunks(completion_id, created, model, prompt, reply, include_usage)
        frames = (f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks)
        return _event_stream(self._frames(_then_done(frames), failure))

    async def _openai_embeddings(self, request: Request) -> Response:
        body = await self._record(request)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.valid_keys is not None and key not in self.valid_keys:
            return JSONResponse(llm_wire.openai_error(401, "Incorrect API key provided."), 401)
        if (rejected := await self._failed(self._next_failure(), llm_wire.openai_error)) is not None:
            return rejected
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        dimensions = int(body.get("dimensions") or 8)
        return JSONResponse(llm_wire.openai_embeddings(str(body.get("model", "")), texts, dimensions))

    # ---- Anthropic ----

    async def _anthropic_messages(self, request: Request) -> Response:
        body = await self._record(request)
        if "anthropic-version" not in request.headers:
            message = "anthropic-version: header is required"
            return JSONResponse(llm_wire.anthropic_error(400, message), 400)
        key = request.headers.get("x-api-key", "")
        if self.valid_keys is not None and key not in self.valid_keys:
            return JSONResponse(llm_wire.anthropic_error(401, "invalid x-api-key"), 401)
        if (
            rejected := await self._failed(failure := self._next_failure(), llm_wire.anthropic_error)
        ) is not None:
            return rejected
        model = str(body.get("model", ""))
        messages = list(body.get("messages") or [])
        if body.get("system"):
            messages.insert(0, {"content": body["system"]})
        prompt = llm_wire.count_prompt_tokens(messages)
        message_id = f"msg_{uuid.uuid4().hex[:24]}"
        reply = self.reply_for(body)
        if not body.get("stream"):
            return JSONResponse(llm_wire.anthropic_message(message_id, model, prompt, reply))
        events = llm_wire.anthropic_events(message_id, model, prompt, reply)
        frames = (f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)
        return _event_stream(self._frames(frames, failure))


def _then_done(frames: Iterator[bytes]) -> Iterator[bytes]:
    yield from frames
    yield b"data: [DONE]\n\n"


def _event_stream(frames: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream", headers={"cache-control": "no-cache"})
