"""Anthropic's Messages API on model_router: `POST /v1/messages` (streamed or not) and token counting."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.compat.admission import authenticate, limit, requested_model
from gateway.compat.anthropic_request import count_tokens_request, messages_request
from gateway.compat.anthropic_response import MessageStream, error, error_frame, message_json
from gateway.compat.body import converted, read_json
from gateway.compat.relay import RelayResponse, start_stream
from gateway.compat.upstream import (
    CHAT_RPC,
    COUNT_TOKENS_RPC,
    SERVICE,
    Clients,
    StreamCall,
    collect,
    problem_of,
    stamp,
)
from gateway.edge_auth import Authenticator
from mesh.config import Settings


async def message_frames(call: StreamCall, stream: MessageStream) -> AsyncGenerator[bytes, None]:
    """message_start … message_stop; a failure after the first event becomes an `error` event."""
    try:
        async for response in call:
            for frame in stream.feed(response):
                yield frame
        for frame in stream.finish():
            yield frame
    except Exception as exc:
        if not stream.started:
            raise
        yield error_frame(problem_of(exc))
    finally:
        call.cancel()


class AnthropicRoutes:
    def __init__(self, settings: Settings, clients: Clients, authenticator: Authenticator) -> None:
        self._clients = clients
        self._authenticator = authenticator
        self._body_limit = settings.gateway_max_body_bytes

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/messages", self.create_message, methods=["POST"]),
            Route("/v1/messages/count_tokens", self.count_tokens, methods=["POST"]),
        ]

    def _stub(self) -> Any:
        return self._clients.stub(SERVICE)

    async def create_message(self, request: Request) -> Response:
        try:
            body = await read_json(request, self._body_limit)
            caller = await authenticate(request, self._authenticator, model=requested_model(body))
            call_request = converted(messages_request, body)
            await limit(request, caller, rpc=CHAT_RPC, model=call_request.model)
        except Exception as exc:
            return error(problem_of(exc))
        stamp(call_request.routing, request)

        async def exchange() -> Response:
            try:
                call = self._stub().ChatCompletion(call_request, metadata=caller.metadata)
                if call_request.stream:
                    return await start_stream(message_frames(call, MessageStream(call_request.model)))
                responses = await collect(call)
            except Exception as exc:
                return error(problem_of(exc))
            return JSONResponse(message_json(responses, call_request.model))

        return RelayResponse(exchange)

    async def count_tokens(self, request: Request) -> Response:
        try:
            body = await read_json(request, self._body_limit)
            caller = await authenticate(request, self._authenticator, model=requested_model(body))
            count_request = converted(count_tokens_request, body)
            await limit(request, caller, rpc=COUNT_TOKENS_RPC, model=count_request.model)
            response = await self._stub().CountTokens(count_request, metadata=caller.metadata)
        except Exception as exc:
            return error(problem_of(exc))
        return JSONResponse({"input_tokens": response.prompt_tokens})
