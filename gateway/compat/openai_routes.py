"""OpenAI's developer API on model_router: chat completions, embeddings and models.

Each handler authenticates, reads the body, applies the rate limit with the model named,
and hands the upstream exchange to a RelayResponse so a disconnect cancels the RPC.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from chatmesh.model_router.v1 import inference_pb2
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.compat import anthropic_response
from gateway.compat.admission import authenticate, limit, requested_model
from gateway.compat.body import converted, read_json
from gateway.compat.errors import Problem, openai_error_body, problem_headers
from gateway.compat.openai_request import chat_request, embed_request
from gateway.compat.openai_response import (
    ChunkHeader,
    choices_json,
    completion_json,
    embeddings_json,
    model_json,
    models_json,
    usage_json,
)
from gateway.compat.relay import RelayResponse, start_stream
from gateway.compat.sse import DONE, data_frame
from gateway.compat.upstream import (
    CHAT_RPC,
    EMBED_RPC,
    GET_MODEL_RPC,
    LIST_MODELS_RPC,
    SERVICE,
    Clients,
    StreamCall,
    collect,
    problem_of,
    stamp,
)
from gateway.edge_auth import Authenticator
from mesh.config import Settings

EMBED_TIMEOUT_SECONDS = 120.0
MODEL_PAGES_MAX = 100


def openai_error(problem: Problem) -> JSONResponse:
    return JSONResponse(openai_error_body(problem), problem.status, headers=problem_headers(problem))


async def chat_frames(
    call: StreamCall, header: ChunkHeader, include_usage: bool
) -> AsyncGenerator[bytes, None]:
    """`chat.completion.chunk` frames, then (when asked) the usage chunk, then ``data: [DONE]``.

    model_router always reports usage; as OpenAI does, it is shown only with
    `stream_options.include_usage`, on a final chunk of its own with empty `choices`, and every
    earlier chunk then carries `usage: null`. A failure after output has started becomes an
    error event (the status line is long gone); before that it propagates to become the
    HTTP status.
    """
    started = False
    usage = None
    try:
        async for response in call:
            header.observe(response)
            if response.HasField("usage"):
                usage = response.usage
            if not response.choices:
                continue
            chunk = header.chunk(choices_json(response))
            if include_usage:
                chunk["usage"] = None
            started = True
            yield data_frame(chunk)
        if include_usage and usage is not None:
            yield data_frame({**header.chunk([]), "usage": usage_json(usage)})
        yield DONE
    except Exception as exc:
        if not started:
            raise
        yield data_frame(openai_error_body(problem_of(exc)))
    finally:
        call.cancel()


class OpenAIRoutes:
    def __init__(self, settings: Settings, clients: Clients, authenticator: Authenticator) -> None:
        self._clients = clients
        self._authenticator = authenticator
        self._body_limit = settings.gateway_max_body_bytes

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            Route("/v1/models", self.list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", self.get_model, methods=["GET"]),
        ]

    def _stub(self) -> Any:
        return self._clients.stub(SERVICE)

    async def chat_completions(self, request: Request) -> Response:
        try:
            body = await read_json(request, self._body_limit)
            caller = await authenticate(request, self._authenticator, model=requested_model(body))
            call_request = converted(chat_request, body)
            await limit(request, caller, rpc=CHAT_RPC, model=call_request.model)
        except Exception as exc:
            return openai_error(problem_of(exc))
        stamp(call_request.routing, request)

        async def exchange() -> Response:
            try:
                call = self._stub().ChatCompletion(call_request, metadata=caller.metadata)
                if call_request.stream:
                    header = ChunkHeader(call_request.model)
                    include_usage = call_request.stream_options.include_usage
                    return await start_stream(chat_frames(call, header, include_usage))
                responses = await collect(call)
            except Exception as exc:
                return openai_error(problem_of(exc))
            return JSONResponse(completion_json(responses, call_request.model))

        return RelayResponse(exchange)

    async def embeddings(self, request: Request) -> Response:
        try:
            body = await read_json(request, self._body_limit)
            caller = await authenticate(request, self._authenticator, model=requested_model(body))
            embed = converted(embed_request, body)
            await limit(request, caller, rpc=EMBED_RPC, model=embed.request.model)
        except Exception as exc:
            return openai_error(problem_of(exc))
        stamp(embed.request.routing, request)

        async def exchange() -> Response:
            try:
                response = await self._stub().Embed(
                    embed.request, metadata=caller.metadata, timeout=EMBED_TIMEOUT_SECONDS
                )
            except Exception as exc:
                return openai_error(problem_of(exc))
            return JSONResponse(embeddings_json(response, embed.encoding_format, embed.request.model))

        return RelayResponse(exchange)

    async def list_models(self, request: Request) -> Response:
        """OpenAI's model list, or Anthropic's when the caller speaks Anthropic (anthropic-version)."""
        anthropic = "anthropic-version" in request.headers
        try:
            caller = await authenticate(request, self._authenticator)
            await limit(request, caller, rpc=LIST_MODELS_RPC, model=None)
            models = await self._all_models(caller.metadata)
        except Exception as exc:
            problem = problem_of(exc)
            return anthropic_response.error(problem) if anthropic else openai_error(problem)
        if anthropic:
            return JSONResponse(anthropic_response.models_json(models))
        return JSONResponse(models_json(models))

    async def _all_models(self, metadata: tuple[tuple[str, str], ...]) -> list[Any]:
        models: list[Any] = []
        page_token = ""
        for _ in range(MODEL_PAGES_MAX):
            page = await self._stub().ListModels(
                inference_pb2.ListModelsRequest(page_token=page_token), metadata=metadata
            )
            models.extend(page.data)
            page_token = page.next_page_token
            if not page_token:
                break
        return models

    async def get_model(self, request: Request) -> Response:
        model_id = request.path_params["model_id"]
        try:
            caller = await authenticate(request, self._authenticator, model=model_id)
            await limit(request, caller, rpc=GET_MODEL_RPC, model=model_id)
            response = await self._stub().GetModel(
                inference_pb2.GetModelRequest(model_id=model_id), metadata=caller.metadata
            )
        except Exception as exc:
            return openai_error(problem_of(exc))
        return JSONResponse(model_json(response.model))
