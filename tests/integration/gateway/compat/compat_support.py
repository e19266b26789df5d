"""Test ModelRouterService and IdentityService (for the real EdgeAuthenticator) for the compat tests.

FakeModelRouter answers the way model_router is specified to: a route-only first response,
then one response per upstream chunk (role, text or tool-call fragments, finish reason)
and a final usage-only response, or a single complete `chat.completion` for stream=false.
Special model names make it fail in the ways the edge must translate. It records every
request, the metadata it came with, and whether the caller cancelled it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, identity_pb2_grpc
from chatmesh.model_router.v1 import chat_pb2, inference_pb2, model_router_pb2_grpc

from mesh.auth import Principal
from mesh.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    QuotaViolation,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

API_KEY = "sk-test"
LIMITED_KEY = "sk-mini"
USER_TOKEN = "jwt-user-token"
COMPLETION_ID = "chatcmpl-test123"
CREATED = 1_700_000_000
TEXT_PIECES = ("Hello", ", world", "!")
TOOL_ARGUMENT_PIECES = ('{"city"', ': "Par', 'is"}')
REASONING_PIECES = ("Let me ", "think.")
USAGE = chat_pb2.Usage(
    prompt_tokens=12,
    completion_tokens=5,
    total_tokens=17,
    prompt_tokens_details=chat_pb2.PromptTokensDetails(cached_tokens=2),
    completion_tokens_details=chat_pb2.CompletionTokensDetails(reasoning_tokens=1),
)
MODELS = (
    chat_pb2.Model(id="claude-sonnet-4", object="model", created=CREATED, owned_by="anthropic"),
    chat_pb2.Model(id="gpt-4o-mini", object="model", created=CREATED, owned_by="openai"),
    chat_pb2.Model(id="text-embedding-3-small", object="model", created=CREATED + 1, owned_by="openai"),
)


def failure_for(model: str) -> Exception | None:
    """Errors model_router raises before any output, chosen by model name."""
    return {
        "missing-model": NotFound(f"model {model!r} does not exist", reason="MODEL_NOT_FOUND"),
        "busy-model": ResourceExhausted("upstream rate limited", retry_after=7, reason="RATE_LIMITED"),
        "quota-model": ResourceExhausted(
            "quota exhausted", [QuotaViolation("api_key:key-1", "balance 0")], reason="QUOTA_EXCEEDED"
        ),
        "down-model": Unavailable("no healthy channel serves this model", retry_after=2),
        "long-model": InvalidArgument(
            "prompt is too long",
            [FieldViolation("messages", "4100 tokens exceed the 4096-token context")],
            reason="CONTEXT_LENGTH_EXCEEDED",
        ),
        "revoked-model": Unauthenticated("API key revoked", reason="API_KEY_REVOKED"),
    }.get(model)


def vector(index: int, dimensions: int) -> list[float]:
    return [math.sin(index + 1 + k) / (k + 1) for k in range(dimensions)]


def chunk(*choices: chat_pb2.ChatChoice, **fields: Any) -> inference_pb2.ChatCompletionResponse:
    return inference_pb2.ChatCompletionResponse(
        id=COMPLETION_ID,
        object="chat.completion.chunk",
        created=CREATED,
        model=fields.pop("model", "gpt-4o-mini"),
        choices=list(choices),
        **fields,
    )


def delta(**fields: Any) -> chat_pb2.ChatChoice:
    finish = fields.pop("finish_reason", "")
    return chat_pb2.ChatChoice(index=0, delta=chat_pb2.ChatDelta(**fields), finish_reason=finish)


def wants_reasoning(request: inference_pb2.ChatCompletionRequest) -> bool:
    """OpenAI callers ask with reasoning_effort; Anthropic's `thinking` arrives in provider_options."""
    return bool(request.reasoning_effort) or "thinking" in request.provider_options


def wants_tool(request: inference_pb2.ChatCompletionRequest) -> bool:
    return bool(request.tools) and request.tool_choice.type != "none" and request.messages[-1].role != "tool"


def stream_chunks(request: inference_pb2.ChatCompletionRequest) -> list[inference_pb2.ChatCompletionResponse]:
    model = request.model
    chunks = [chunk(model=model, route=chat_pb2.RouteInfo(request_id="req-1", channel_id="ch-1", attempt=1))]
    chunks.append(chunk(delta(role="assistant"), model=model))
    if wants_reasoning(request):
        chunks += [chunk(delta(reasoning_content=piece), model=model) for piece in REASONING_PIECES]
        chunks.append(chunk(delta(reasoning_signature="sig-1"), model=model))
    if wants_tool(request):
        function = chat_pb2.FunctionCall(name=request.tools[0].function.name, arguments="")
        first = chat_pb2.ToolCallDelta(index=0, id="call_1", type="function", function=function)
        chunks.append(chunk(delta(tool_calls=[first]), model=model))
        for piece in TOOL_ARGUMENT_PIECES:
            fragment = chat_pb2.ToolCallDelta(index=0, function=chat_pb2.FunctionCall(arguments=piece))
            chunks.append(chunk(delta(tool_calls=[fragment]), model=model))
        chunks.append(chunk(delta(finish_reason="tool_calls"), model=model))
    else:
        chunks += [chunk(delta(content=piece), model=model) for piece in TEXT_PIECES]
        chunks.append(chunk(delta(finish_reason="stop"), model=model))
    chunks.append(chunk(usage=USAGE, model=model, route=chat_pb2.RouteInfo(request_id="req-1", cost=42)))
    return chunks


def complete_answer(request: inference_pb2.ChatCompletionRequest) -> inference_pb2.ChatCompletionResponse:
    message = chat_pb2.ChatMessage(role="assistant")
    finish = "stop"
    if wants_reasoning(request):
        message.reasoning_content = "".join(REASONING_PIECES)
        message.reasoning_signature = "sig-1"
    if wants_tool(request):
        function = chat_pb2.FunctionCall(
            name=request.tools[0].function.name, arguments="".join(TOOL_ARGUMENT_PIECES)
        )
        message.tool_calls.append(chat_pb2.ToolCall(id="call_1", type="function", function=function))
        finish = "tool_calls"
    else:
        message.content = "".join(TEXT_PIECES)
    choice = chat_pb2.ChatChoice(index=0, message=message, finish_reason=finish)
    return inference_pb2.ChatCompletionResponse(
        id=COMPLETION_ID,
        object="chat.completion",
        created=CREATED,
        model=request.model,
        system_fingerprint="fp_test",
        choices=[choice],
        usage=USAGE,
    )


class FakeModelRouter(model_router_pb2_grpc.ModelRouterServiceServicer):
    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.metadata: list[dict[str, str]] = []
        self.cancelled: list[float] = []
        self.streamed = asyncio.Event()
        self.cancellation = asyncio.Event()

    def reset(self) -> None:
        self.requests.clear()
        self.metadata.clear()
        self.cancelled.clear()
        self.streamed = asyncio.Event()
        self.cancellation = asyncio.Event()

    def _record(self, request: Any, context: grpc.aio.ServicerContext) -> None:
        self.requests.append(request)
        self.metadata.append({key: str(value) for key, value in context.invocation_metadata() or ()})

    async def ChatCompletion(
        self, request: inference_pb2.ChatCompletionRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[inference_pb2.ChatCompletionResponse]:
        self._record(request, context)
        if (failure := failure_for(request.model)) is not None:
            raise failure
        try:
            if request.model == "slow-model":
                if request.stream:
                    for response in stream_chunks(request)[:3]:
                        yield response
                self.streamed.set()
                await asyncio.Event().wait()
            if not request.stream:
                yield complete_answer(request)
                return
            for index, response in enumerate(stream_chunks(request)):
                if request.model == "flaky-model" and index == 3:
                    raise Unavailable("upstream connection reset")
                yield response
        except asyncio.CancelledError:
            self.cancelled.append(time.monotonic())
            self.cancellation.set()
            raise

    async def Embed(
        self, request: inference_pb2.EmbedRequest, context: grpc.aio.ServicerContext
    ) -> inference_pb2.EmbedResponse:
        self._record(request, context)
        if (failure := failure_for(request.model)) is not None:
            raise failure
        dimensions = request.dimensions if request.HasField("dimensions") else 8
        data = [
            chat_pb2.Embedding(object="embedding", index=index, embedding=vector(index, dimensions))
            for index, _ in enumerate(request.input)
        ]
        tokens = sum(len(text.split()) for text in request.input)
        usage = chat_pb2.Usage(prompt_tokens=tokens, total_tokens=tokens)
        return inference_pb2.EmbedResponse(object="list", data=data, model=request.model, usage=usage)

    async def ListModels(
        self, request: inference_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> inference_pb2.ListModelsResponse:
        """Two pages, so the edge must follow next_page_token to list everything."""
        self._record(request, context)
        if request.page_token == "":
            return inference_pb2.ListModelsResponse(object="list", data=MODELS[:2], next_page_token="page-2")
        return inference_pb2.ListModelsResponse(object="list", data=MODELS[2:])

    async def GetModel(
        self, request: inference_pb2.GetModelRequest, context: grpc.aio.ServicerContext
    ) -> inference_pb2.GetModelResponse:
        self._record(request, context)
        for model in MODELS:
            if model.id == request.model_id:
                return inference_pb2.GetModelResponse(model=model)
        raise NotFound(f"model {request.model_id!r} does not exist", reason="MODEL_NOT_FOUND")

    async def CountTokens(
        self, request: inference_pb2.CountTokensRequest, context: grpc.aio.ServicerContext
    ) -> inference_pb2.CountTokensResponse:
        self._record(request, context)
        return inference_pb2.CountTokensResponse(
            prompt_tokens=7 * len(request.messages), encoding="cl100k_base"
        )


class FakeIdentity(identity_pb2_grpc.IdentityServiceServicer):
    """IdentityService.AuthenticateApiKey as gw-core's EdgeAuthenticator calls it.

    ``sk-test`` may use any model; ``sk-mini`` only gpt-4o-mini (identity's allowed_models);
    anything else is not a key.
    """

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def AuthenticateApiKey(
        self, request: api_keys_pb2.AuthenticateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.AuthenticateApiKeyResponse:
        key = request.credential.removeprefix("Bearer ").strip()
        self.seen.append((key, request.model))
        if key not in (API_KEY, LIMITED_KEY):
            raise Unauthenticated("Incorrect API key provided", reason="API_KEY_INVALID")
        if key == LIMITED_KEY and request.model not in ("", "gpt-4o-mini"):
            raise PermissionDenied(f"this key may not use {request.model}", reason="MODEL_NOT_ALLOWED")
        principal = auth_pb2.Principal(
            kind=auth_pb2.PRINCIPAL_KIND_API_KEY, tenant_id="tenant-1", user_id="user-1", api_key_id="key-1"
        )
        return api_keys_pb2.AuthenticateApiKeyResponse(principal=principal)


class StandInVerifier:
    """The JWT side of EdgeAuthenticator (mesh.auth_jwt.JwtVerifier in production): one good token."""

    async def verify(self, token: str) -> Principal:
        if token != USER_TOKEN:
            raise Unauthenticated("token signature invalid", reason="TOKEN_INVALID")
        return Principal(kind="user", subject="user-2", tenant_id="tenant-1", token_id="jti-1")
