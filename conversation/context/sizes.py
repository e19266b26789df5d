"""The context window of a model: model_router's GetModel when it knows, else the family default.

Asked once per model and remembered for :data:`TTL_SECONDS`; a model_router that is down or
slow (more than :data:`ASK_SECONDS`) costs one short wait and falls back to the default, so
a turn never fails for want of a window size.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import grpc
from chatmesh.model_router.v1 import inference_pb2

from conversation.context.windows import default_window

if TYPE_CHECKING:
    from mesh.clients import ServiceClients

__all__ = ["WindowSizes"]

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0
ASK_SECONDS = 1.0


class WindowSizes:
    def __init__(self, clients: ServiceClients | None, *, ttl: float = TTL_SECONDS) -> None:
        self._clients = clients
        self._ttl = ttl
        self._known: dict[str, tuple[float, int]] = {}

    async def size(self, model: str) -> int:
        if not model:
            return default_window(model)
        cached = self._known.get(model)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        reported = await self._ask(model)
        window = reported if reported else default_window(model)
        self._known[model] = (now + self._ttl, window)
        return window

    async def _ask(self, model: str) -> int | None:
        if self._clients is None:
            return None
        try:
            stub = self._clients.stub("model_router")
            response = await stub.GetModel(inference_pb2.GetModelRequest(model_id=model), timeout=ASK_SECONDS)
        except (TimeoutError, grpc.aio.AioRpcError, RuntimeError):
            log.info("model_router did not size %s; using the family default", model, exc_info=True)
            return None
        abilities = response.model.abilities
        if abilities.HasField("max_context_tokens") and abilities.max_context_tokens > 0:
            return int(abilities.max_context_tokens)
        return None
