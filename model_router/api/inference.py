"""Inference RPCs: ChatCompletion (streamed and whole), Embed and CountTokens.

The relay picks channels and fails over; this layer gives the caller one consistent
completion: the same ``id``, ``created`` and requested ``model`` on every response, the route
on the first and the last response, and usage always on the last (the upstream's when it sent
any, else our own count, flagged ``usage_estimated``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import duration_pb2

from mesh.errors import FieldViolation, InvalidArgument, Unavailable
from mesh.telemetry import current_request_id
from model_router.relay import Relay, Route, StreamStart
from model_router.tokens import counter_for

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["InferenceApi"]

DEFAULT_GROUP = "default"


def _require(**fields: Any) -> None:
    missing = [FieldViolation(name, "is required") for name, value in fields.items() if not value]
    if missing:
        raise InvalidArgument("The request is missing required fields.", missing)


def _duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def _route_info(route: Route, request_id: str) -> chat_pb2.RouteInfo:
    channel = route.channel
    return chat_pb2.RouteInfo(
        request_id=request_id,
        channel_id=channel.id if channel else "",
        channel_name=channel.name if channel else "",
        channel_type=channel.type if channel else "",
        upstream_model=route.upstream_model,
        attempt=route.attempt,
    )


def _estimated_usage(request: inference_pb2.ChatCompletionRequest, completion_text: str) -> chat_pb2.Usage:
    counter = counter_for(request.model)
    prompt = counter.messages(request.messages) + counter.tools(request.tools)
    completion = counter.text(completion_text)
    return chat_pb2.Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _choice_text(choice: chat_pb2.ChatChoice) -> str:
    delta, message = choice.delta, choice.message
    fragments = [c.function for c in delta.tool_calls] + [c.function for c in message.tool_calls]
    calls = "".join(f.name + f.arguments for f in fragments)
    return delta.content + delta.reasoning_content + message.content + message.reasoning_content + calls


async def _batches(start: StreamStart) -> AsyncIterator[list[inference_pb2.ChatCompletionResponse]]:
    yield start.first
    async for batch in start.rest:
        yield batch


def _chunk(
    header: inference_pb2.ChatCompletionResponse, response: inference_pb2.ChatCompletionResponse
) -> inference_pb2.ChatCompletionResponse:
    chunk = inference_pb2.ChatCompletionResponse()
    chunk.CopyFrom(header)
    chunk.object = "chat.completion.chunk"
    chunk.system_fingerprint = response.system_fingerprint
    chunk.service_tier = response.service_tier
    chunk.choices.extend(response.choices)
    return chunk


class InferenceApi:
    deps: ModelRouterDeps

    def _relay(self) -> Relay:
        relay = self.deps.relay
        if relay is None:
            raise Unavailable("model_router has no upstream relay configured")
        return relay

    async def ChatCompletion(
        self, request: inference_pb2.ChatCompletionRequest, context: Any
    ) -> AsyncIterator[inference_pb2.ChatCompletionResponse]:
        _require(model=request.model, messages=len(request.messages))
        started = time.monotonic()
        request_id = request.routing.request_id or current_request_id() or uuid.uuid4().hex
        group = request.routing.group or DEFAULT_GROUP
        header = inference_pb2.ChatCompletionResponse(
            id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=request.model
        )
        if not request.stream:
            answer, route = await self._relay().complete(request, group)
            answer.MergeFrom(header)
            answer.object = "chat.completion"
            answer.route.CopyFrom(_route_info(route, request_id))
            if not answer.HasField("usage"):
                text = "".join(_choice_text(choice) for choice in answer.choices)
                answer.usage.CopyFrom(_estimated_usage(request, text))
                answer.route.usage_estimated = True
            answer.route.latency.CopyFrom(_duration(time.monotonic() - started))
            yield answer
            return
        start = await self._relay().stream(request, group)
        first_token = time.monotonic() - started
        info = _route_info(start.route, request_id)
        usage: chat_pb2.Usage | None = None
        produced: list[str] = []
        sent_route = False
        try:
            async for batch in _batches(start):
                for response in batch:
                    if response.HasField("usage"):
                        usage = response.usage
                    if not response.choices:
                        continue
                    chunk = _chunk(header, response)
                    produced.extend(_choice_text(choice) for choice in response.choices)
                    if not sent_route:
                        chunk.route.CopyFrom(info)
                        sent_route = True
                    yield chunk
        finally:
            # A caller that goes away closes this generator: close the upstream stream now, not at GC.
            await start.close()
        final = inference_pb2.ChatCompletionResponse()
        final.CopyFrom(header)
        final.object = "chat.completion.chunk"
        final.route.CopyFrom(info)
        final.route.time_to_first_token.CopyFrom(_duration(first_token))
        final.route.latency.CopyFrom(_duration(time.monotonic() - started))
        if usage is None:
            usage = _estimated_usage(request, "".join(produced))
            final.route.usage_estimated = True
        final.usage.CopyFrom(usage)
        yield final

    async def Embed(self, request: inference_pb2.EmbedRequest, context: Any) -> inference_pb2.EmbedResponse:
        _require(model=request.model, input=len(request.input))
        started = time.monotonic()
        request_id = request.routing.request_id or current_request_id() or uuid.uuid4().hex
        response, route = await self._relay().embed(request, request.routing.group or DEFAULT_GROUP)
        response.object = "list"
        response.model = request.model
        response.route.CopyFrom(_route_info(route, request_id))
        response.route.latency.CopyFrom(_duration(time.monotonic() - started))
        if not response.HasField("usage"):
            counter = counter_for(request.model)
            prompt = sum(counter.text(text) for text in request.input)
            response.usage.CopyFrom(chat_pb2.Usage(prompt_tokens=prompt, total_tokens=prompt))
            response.route.usage_estimated = True
        return response

    async def CountTokens(
        self, request: inference_pb2.CountTokensRequest, context: Any
    ) -> inference_pb2.CountTokensResponse:
        _require(model=request.model)
        counter = counter_for(request.model)
        prompt = counter.messages(request.messages) + counter.tools(request.tools)
        return inference_pb2.CountTokensResponse(
            prompt_tokens=prompt,
            input_tokens=[counter.text(text) for text in request.input],
            encoding=counter.encoding_name,
            estimated=counter.estimated,
        )
