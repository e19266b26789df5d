"""Inference RPCs: ChatCompletion (streamed and whole), Embed and CountTokens, metered.

The relay picks channels and fails over; this layer gives the caller one consistent
completion: the same ``id``, ``created`` and requested ``model`` on every response, the route
on the first and the last response, and usage always on the last (the upstream's when it sent
any, else our own count, flagged ``usage_estimated``).

A caller acting for an API key may use only the key's allowed models (mesh.key_limits): the
limits travel in the principal, so this holds whether the key's holder called here directly,
through the gateway, or through a conversation and the orchestrator.

Around the relay, every request is billed (``model_router.usage.metering``): the estimate is
reserved (RESOURCE_EXHAUSTED with QuotaFailure details when the quota cannot cover it) — for
a whole completion before the upstream call; for a stream while the upstream is asked, so
the quota round trip is not part of time-to-first-token: nothing is sent to the caller until
the reservation holds, and a refused one closes the upstream request unread
(``ModelRouterSettings.reserve_before_stream``; ``CHATMESH_MODEL_ROUTER_RESERVE_BEFORE_STREAM=1`` reserves
first) — then settled to the exact cost with the usage record and its event,
or refunded in full when the request fails. The exact cost is computed in memory and sent
on the last response; booking it (settlement, usage record, event: one transaction) runs as
a tracked task apart from the RPC (``deps.finishers``), so it adds nothing to the caller's
latency, a caller that goes away cannot lose a charge, and a bookkeeping failure never
replaces the answer (it is logged; the reservation then expires and is refunded).

Who may: ChatCompletion needs ``chat:create`` and Embed ``embeddings:create`` (identity's
Check, so a user whose roles were taken away stops at once, token or API key alike).

Client disconnect policy: **cancel the upstream and count what arrived.** When the caller
goes away (or cancels: conversation's Stop button) the upstream request is closed at once,
so the provider stops generating and nobody pays for an answer nobody reads. The request is
recorded as CANCELLED and charged for its prompt (which was sent) plus every output token
that had arrived from the upstream when it was closed (counted with the model's tokenizer,
``usage_estimated``; the upstream's own usage block when it had already arrived). The only
gap is output the provider produced but had not yet delivered in the instant of closing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from functools import partial
from typing import TYPE_CHECKING, Any

from chatmesh.model_router.v1 import chat_pb2, inference_pb2
from google.protobuf import duration_pb2

from mesh.auth import Principal, current_principal
from mesh.authz import require_for_users
from mesh.errors import FieldViolation, InvalidArgument, Unavailable
from mesh.key_limits import require_model
from model_router.api.chunks import coalesce, produced_text, stamp
from model_router.api.reservation import once_reserved, refusal, start_reservation
from model_router.domain.cost import TokenUsage, completion_estimate
from model_router.relay import Relay, Route, StreamStart
from model_router.tokens import counter_for
from model_router.usage.metering import Meter, Payer, payer_for

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["InferenceApi"]

# Identity's catalogue; asked of every caller but mesh services (mesh.authz.require_for_users).
CHAT_PERMISSION = "chat:create"
EMBED_PERMISSION = "embeddings:create"


def _require(**fields: Any) -> None:
    missing = [FieldViolation(name, "is required") for name, value in fields.items() if not value]
    if missing:
        raise InvalidArgument("The request is missing required fields.", missing)


def _duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def _route_info(route: Route, request_id: str, meter: Meter) -> chat_pb2.RouteInfo:
    channel = route.channel
    return chat_pb2.RouteInfo(
        request_id=request_id,
        channel_id=channel.id if channel else "",
        channel_name=channel.name if channel else "",
        channel_type=channel.type if channel else "",
        upstream_model=route.upstream_model,
        attempt=route.attempt,
        routing_rule_id=meter.routing_rule_id,
        arm=meter.arm,
    )


def _estimated_usage(
    model: str, request: inference_pb2.ChatCompletionRequest, completion_text: str
) -> chat_pb2.Usage:
    counter = counter_for(model)
    prompt = counter.messages(request.messages) + counter.tools(request.tools)
    completion = counter.text(completion_text)
    return chat_pb2.Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _estimate(model: str, request: inference_pb2.ChatCompletionRequest) -> TokenUsage:
    """Pre-consume estimate: our prompt count plus the request's output limit (or the default) per choice."""
    counter = counter_for(model)
    prompt = counter.messages(request.messages) + counter.tools(request.tools)
    completion = completion_estimate(
        request.max_tokens if request.HasField("max_tokens") else None,
        request.max_completion_tokens if request.HasField("max_completion_tokens") else None,
        request.n if request.HasField("n") else 1,
    )
    return TokenUsage(prompt, completion)


def choice_text(choice: chat_pb2.ChatChoice) -> str:
    delta, message = choice.delta, choice.message
    fragments = [c.function for c in delta.tool_calls] + [c.function for c in message.tool_calls]
    calls = "".join(f.name + f.arguments for f in fragments)
    return delta.content + delta.reasoning_content + message.content + message.reasoning_content + calls


async def _batches(start: StreamStart) -> AsyncIterator[list[inference_pb2.ChatCompletionResponse]]:
    yield start.first
    async for batch in start.rest:
        yield batch


class InferenceApi:
    deps: ModelRouterDeps

    def _relay(self) -> Relay:
        relay = self.deps.relay
        if relay is None:
            raise Unavailable("model_router has no upstream relay configured")
        return relay

    def _meter(self, payer: Payer, request_id: str, endpoint: str, model: str, stream: bool) -> Meter:
        deps = self.deps
        return Meter(
            quota=deps.quota,
            prices=deps.prices,
            usage=deps.usage,
            payer=payer,
            request_id=request_id,
            endpoint=endpoint,
            model=model,
            stream=stream,
        )

    async def _key_quota(self, principal: Principal) -> None:
        """A key limited in identity draws on its own account here (model_router.quota.key_grants)."""
        if self.deps.key_grants is not None and self.deps.quota is not None:
            await self.deps.key_grants.ensure(principal)

    def _target(self, model: str, payer: Payer, sticky_key: str, meter: Meter) -> str:
        """The model to route to: a routing rule's arm (recorded on the meter) or the one asked for."""
        if self.deps.routing is None:
            return model
        resolution = self.deps.routing.resolve(
            model, payer.tenant_id, payer.user_id, group=payer.group, sticky_key=sticky_key
        )
        meter.routing_rule_id, meter.arm = resolution.rule_id, resolution.arm
        return resolution.model or model

    # ---- ChatCompletion ----

    async def ChatCompletion(
        self, request: inference_pb2.ChatCompletionRequest, context: Any
    ) -> AsyncIterator[inference_pb2.ChatCompletionResponse]:
        _require(model=request.model, messages=len(request.messages))
        await require_for_users(CHAT_PERMISSION)
        routing = request.routing
        principal = current_principal()
        require_model(principal, request.model)
        payer = payer_for(routing, principal)
        await self._key_quota(principal)
        request_id = routing.request_id or uuid.uuid4().hex
        meter = self._meter(payer, request_id, "chat.completions", request.model, request.stream)
        target = self._target(request.model, payer, routing.sticky_key, meter)
        upstream = request
        if target != request.model:
            upstream = inference_pb2.ChatCompletionRequest()
            upstream.CopyFrom(request)
            upstream.model = target
        header = inference_pb2.ChatCompletionResponse(
            id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=request.model
        )
        if not request.stream:
            await meter.reserve(target, _estimate(target, upstream), routing.billing)
            yield await self._whole(upstream, payer.group, meter, header, target)
            return
        reservation = start_reservation(meter, target, partial(_estimate, target, upstream), routing.billing)
        if self.deps.config.reserve_before_stream:
            await self._reserved(reservation, meter, upstream, target)
        async with aclosing(
            self._streamed(upstream, payer.group, meter, header, target, reservation)
        ) as chunks:
            async for chunk in chunks:
                yield chunk

    async def _whole(
        self,
        request: inference_pb2.ChatCompletionRequest,
        group: str,
        meter: Meter,
        header: inference_pb2.ChatCompletionResponse,
        target: str,
    ) -> inference_pb2.ChatCompletionResponse:
        try:
            answer, route = await self._relay().complete(request, group)
        except asyncio.CancelledError:
            self.deps.finishers.spawn(self._cancelled(meter, request, target, "", None))
            raise
        except Exception as exc:
            self.deps.finishers.spawn(meter.failed(exc))
            raise
        answer.MergeFrom(header)
        answer.object = "chat.completion"
        answer.route.CopyFrom(_route_info(route, meter.request_id, meter))
        estimated = not answer.HasField("usage")
        if estimated:
            text = "".join(choice_text(choice) for choice in answer.choices)
            answer.usage.CopyFrom(_estimated_usage(target, request, text))
            answer.route.usage_estimated = True
        meter.routed(route)
        answer.route.cost = meter.charge(target, answer.usage, estimated=estimated)
        self.deps.finishers.spawn(meter.settle())
        answer.route.latency.CopyFrom(_duration(time.monotonic() - meter.started))
        return answer

    async def _streamed(
        self,
        request: inference_pb2.ChatCompletionRequest,
        group: str,
        meter: Meter,
        header: inference_pb2.ChatCompletionResponse,
        target: str,
        reservation: asyncio.Task[None],
    ) -> AsyncGenerator[inference_pb2.ChatCompletionResponse, None]:
        """The upstream is asked while the estimate is reserved; nothing is sent before both succeeded."""
        finishers = self.deps.finishers
        try:
            start = await self._relay().stream(request, group)
        except asyncio.CancelledError:
            finishers.spawn(
                once_reserved(reservation, partial(self._cancelled, meter, request, target, "", None))
            )
            raise
        except Exception as exc:
            try:
                refused = await refusal(reservation)
            except asyncio.CancelledError:
                finishers.spawn(once_reserved(reservation, partial(meter.failed, exc)))
                raise
            if refused is not None:
                raise refused from None
            finishers.spawn(meter.failed(exc))
            raise
        try:
            await self._reserved(reservation, meter, request, target)
        except BaseException:
            # Over quota (or the caller left): the upstream answer is dropped unread.
            await start.close()
            raise
        first_token = time.monotonic() - meter.started
        meter.routed(start.route)
        if meter.record.ttft_seconds is None:
            meter.record.ttft_seconds = first_token
        info = _route_info(start.route, meter.request_id, meter)
        usage: chat_pb2.Usage | None = None
        produced: list[str] = []
        sent_route = False
        try:
            async for batch in _batches(start):
                for response in batch:
                    if response.HasField("usage"):
                        usage = response.usage
                for chunk in coalesce(batch):
                    produced.append(produced_text(chunk))
                    stamp(chunk, header)
                    if not sent_route:
                        chunk.route.CopyFrom(info)
                        sent_route = True
                    yield chunk
        except (GeneratorExit, asyncio.CancelledError):
            finishers.spawn(self._cancelled(meter, request, target, "".join(produced), usage))
            raise
        except Exception as exc:
            finishers.spawn(meter.failed(exc))
            raise
        finally:
            # A caller that goes away closes this generator: close the upstream stream now, not at GC.
            await start.close()
        final = inference_pb2.ChatCompletionResponse()
        final.CopyFrom(header)
        final.object = "chat.completion.chunk"
        final.route.CopyFrom(info)
        final.route.time_to_first_token.CopyFrom(_duration(meter.record.ttft_seconds or first_token))
        estimated = usage is None
        if usage is None:
            usage = _estimated_usage(target, request, "".join(produced))
        final.route.usage_estimated = estimated
        final.usage.CopyFrom(usage)
        final.route.cost = meter.charge(target, usage, estimated=estimated)
        finishers.spawn(meter.settle())
        final.route.latency.CopyFrom(_duration(time.monotonic() - meter.started))
        yield final

    async def _reserved(
        self,
        reservation: asyncio.Task[None],
        meter: Meter,
        request: inference_pb2.ChatCompletionRequest,
        target: str,
    ) -> None:
        """Wait for the reservation; raise its refusal. A caller that leaves meanwhile is booked later."""
        try:
            refused = await refusal(reservation)
        except asyncio.CancelledError:
            self.deps.finishers.spawn(
                once_reserved(reservation, partial(self._cancelled, meter, request, target, "", None))
            )
            raise
        if refused is not None:
            raise refused

    async def _cancelled(
        self,
        meter: Meter,
        request: inference_pb2.ChatCompletionRequest,
        target: str,
        produced: str,
        usage: chat_pb2.Usage | None,
    ) -> None:
        """The caller went away: charge the prompt and the output that arrived (see the module docstring)."""
        estimated = usage is None
        counted = _estimated_usage(target, request, produced) if usage is None else usage
        await meter.succeeded(target, counted, estimated=estimated, cancelled=True)

    # ---- Embed / CountTokens ----

    async def Embed(self, request: inference_pb2.EmbedRequest, context: Any) -> inference_pb2.EmbedResponse:
        _require(model=request.model, input=len(request.input))
        await require_for_users(EMBED_PERMISSION)
        routing = request.routing
        principal = current_principal()
        require_model(principal, request.model)
        payer = payer_for(routing, principal)
        await self._key_quota(principal)
        meter = self._meter(payer, routing.request_id or uuid.uuid4().hex, "embeddings", request.model, False)
        target = self._target(request.model, payer, routing.sticky_key, meter)
        upstream = request
        if target != request.model:
            upstream = inference_pb2.EmbedRequest()
            upstream.CopyFrom(request)
            upstream.model = target
        counter = counter_for(target)
        prompt = sum(counter.text(text) for text in request.input)
        await meter.reserve(target, TokenUsage(prompt, 0), routing.billing)
        try:
            response, route = await self._relay().embed(upstream, payer.group)
        except Exception as exc:
            self.deps.finishers.spawn(meter.failed(exc))
            raise
        response.object = "list"
        response.model = request.model
        response.route.CopyFrom(_route_info(route, meter.request_id, meter))
        estimated = not response.HasField("usage")
        if estimated:
            response.usage.CopyFrom(chat_pb2.Usage(prompt_tokens=prompt, total_tokens=prompt))
            response.route.usage_estimated = True
        meter.routed(route)
        response.route.cost = meter.charge(target, response.usage, estimated=estimated)
        self.deps.finishers.spawn(meter.settle())
        response.route.latency.CopyFrom(_duration(time.monotonic() - meter.started))
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
