"""Calling model_router for the compatible APIs: routing stamp, draining a call, failures as Problems."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc
from chatmesh.model_router.v1 import chat_pb2
from starlette.requests import Request

from gateway.compat.errors import Problem, ProblemError, problem_from_domain, problem_from_rpc
from mesh.errors import DomainError
from mesh.telemetry import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger(__name__)

SERVICE = "model_router"
RPC_PREFIX = "chatmesh.model_router.v1.ModelRouterService/"
CHAT_RPC = RPC_PREFIX + "ChatCompletion"
EMBED_RPC = RPC_PREFIX + "Embed"
LIST_MODELS_RPC = RPC_PREFIX + "ListModels"
GET_MODEL_RPC = RPC_PREFIX + "GetModel"
COUNT_TOKENS_RPC = RPC_PREFIX + "CountTokens"
SOURCE = "gateway"
INTERNAL_MESSAGE = "The server had an error while processing your request."


class Clients(Protocol):
    """What the routes need from mesh.clients.ServiceClients."""

    def stub(self, service: str) -> Any: ...


class StreamCall(Protocol):
    """A grpc.aio server-streaming call (or mesh.clients' stand-in before the channel is ready)."""

    def __aiter__(self) -> AsyncIterator[Any]: ...

    def cancel(self) -> bool: ...


def stamp(routing: chat_pb2.RoutingContext, request: Request) -> None:
    """Say who asks and under which request id; model_router derives tenant, user and key itself."""
    routing.source = SOURCE
    routing.request_id = current_request_id() or request.headers.get(REQUEST_ID_HEADER, "")


async def collect(call: StreamCall) -> list[Any]:
    """Every response of a call; the call is cancelled if the caller is (client disconnect)."""
    try:
        return [response async for response in call]
    finally:
        call.cancel()


def problem_of(exc: BaseException) -> Problem:
    """Any failure of an upstream exchange as a Problem; unexpected ones are logged, not shown."""
    if isinstance(exc, ProblemError):
        return exc.problem
    if isinstance(exc, grpc.aio.AioRpcError):
        return problem_from_rpc(exc)
    if isinstance(exc, DomainError):
        return problem_from_domain(exc)
    log.error("model_router exchange failed", exc_info=exc)
    return Problem("server", INTERNAL_MESSAGE)
