"""Embeddings from model_router's Embed RPC: any OpenAI-compatible embedding channel.

The stub comes from the service's ServiceClients (``clients.stub("model_router")``); the
routing context names the tenant and user so model_router picks their channels and charges
their quota (``source="knowledge"`` on the usage record). Inputs go in batches; the answer
is checked (one vector per input, the recorded dimension) and normalised, because a
knowledge base's vectors are compared by cosine and some providers return raw vectors.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import grpc
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from knowledge.embedding.base import EmbeddingError, InputType, l2_normalize

__all__ = ["RouterEmbedder", "Routing"]

_RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.INTERNAL,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Routing:
    """Who an embedding call is for (copied into model_router's RoutingContext)."""

    tenant_id: str = ""
    user_id: str = ""
    request_id: str = ""
    api_key_id: str = ""


class RouterEmbedder:
    """Embeds through model_router. ``dimension`` is the knowledge base's recorded dimension;
    it is also sent as ``dimensions`` when ``shorten`` is set (models that can shorten)."""

    def __init__(
        self,
        stub: Any,
        *,
        model: str,
        dimension: int,
        routing: Routing | None = None,
        batch_size: int = 64,
        timeout_seconds: float = 60.0,
        shorten: bool = False,
    ) -> None:
        if dimension <= 0:
            raise ValueError("dimension must be positive")
        self.model = model
        self.dimension = dimension
        self._stub = stub
        self._routing = routing or Routing()
        self._batch_size = batch_size
        self._timeout = timeout_seconds
        self._shorten = shorten

    def for_caller(self, routing: Routing) -> RouterEmbedder:
        """The same embedder charging another caller (one per request or ingestion job)."""
        return RouterEmbedder(
            self._stub,
            model=self.model,
            dimension=self.dimension,
            routing=routing,
            batch_size=self._batch_size,
            timeout_seconds=self._timeout,
            shorten=self._shorten,
        )

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> list[list[float]]:
        out: list[list[float]] = []
        for at in range(0, len(texts), self._batch_size):
            out.extend(await self._call(texts[at : at + self._batch_size], input_type))
        return out

    async def _call(self, texts: list[str], input_type: InputType) -> list[list[float]]:
        request = inference_pb2.EmbedRequest(
            model=self.model,
            input=texts,
            encoding_format="float",
            input_type=input_type,
            routing=chat_pb2.RoutingContext(
                tenant_id=self._routing.tenant_id,
                user_id=self._routing.user_id,
                request_id=self._routing.request_id,
                api_key_id=self._routing.api_key_id,
                source="knowledge",
            ),
        )
        if self._shorten:
            request.dimensions = self.dimension
        try:
            response = await self._stub.Embed(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise EmbeddingError(
                f"model_router could not embed with {self.model}: {exc.code().name}: {exc.details()}",
                retryable=exc.code() in _RETRYABLE,
            ) from exc
        except TimeoutError as exc:
            raise EmbeddingError(
                f"model_router did not answer within {self._timeout}s", retryable=True
            ) from exc
        return self._vectors(response, len(texts))

    def _vectors(self, response: inference_pb2.EmbedResponse, expected: int) -> list[list[float]]:
        if len(response.data) != expected:
            raise EmbeddingError(f"{self.model} returned {len(response.data)} vectors for {expected} inputs")
        vectors: list[list[float] | None] = [None] * expected
        for item in response.data:
            if not 0 <= item.index < expected or vectors[item.index] is not None:
                raise EmbeddingError(f"{self.model} returned a vector for an unknown input {item.index}")
            if len(item.embedding) != self.dimension:
                raise EmbeddingError(
                    f"{self.model} returned {len(item.embedding)} dimensions, "
                    f"the knowledge base records {self.dimension}"
                )
            vectors[item.index] = l2_normalize(item.embedding)
        return [v for v in vectors if v is not None]
