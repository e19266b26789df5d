"""One embedder per model, created on first use and shared by ingestion and search.

``local/…`` names (the default) are the offline model in knowledge/embedding; any other
name is an embedding model served through model_router's Embed RPC, whose vector size is
asked once (one probe embedding) when a knowledge base first names it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from knowledge.embedding.base import Embedder, EmbeddingError
from knowledge.embedding.local import LOCAL_DIMENSION, LOCAL_MODEL, LocalEmbedder
from knowledge.embedding.router import RouterEmbedder
from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["Embedders", "is_local"]


def is_local(model: str) -> bool:
    return model == "local" or model.startswith("local/")


class Embedders:
    def __init__(self, router_stub: Any = None, *, batch_size: int = 64) -> None:
        """``router_stub`` returns model_router's stub (None: only the local model works)."""
        self._router_stub = router_stub
        self._batch_size = batch_size
        self._made: dict[tuple[str, int], Embedder] = {}
        self._local: LocalEmbedder | None = None
        self._lock = asyncio.Lock()

    def _local_embedder(self) -> LocalEmbedder:
        if self._local is None:
            self._local = LocalEmbedder(batch_size=min(self._batch_size, 64))
        return self._local

    async def get(self, model: str, dimension: int) -> Embedder:
        if is_local(model):
            return self._local_embedder()
        key = (model, dimension)
        if key not in self._made:
            if self._router_stub is None:
                raise EmbeddingError(f"no model_router client to embed with {model!r}")
            self._made[key] = RouterEmbedder(
                self._router_stub(), model=model, dimension=dimension, batch_size=self._batch_size
            )
        return self._made[key]

    async def canonical(self, model: str, field: str) -> tuple[str, int]:
        """The name to record and the vector size of ``model`` (INVALID_ARGUMENT if it cannot embed)."""
        if is_local(model):
            if model not in ("local", LOCAL_MODEL):
                raise InvalidArgument(
                    "unknown local model", [FieldViolation(field, f"the local model is {LOCAL_MODEL}")]
                )
            return LOCAL_MODEL, LOCAL_DIMENSION
        if self._router_stub is None:
            raise InvalidArgument(
                "remote embedding models are not configured", [FieldViolation(field, model)]
            )
        from chatmesh.model_router.v1 import inference_pb2

        try:
            response = await self._router_stub().Embed(
                inference_pb2.EmbedRequest(model=model, input=["dimension probe"], encoding_format="float"),
                timeout=30,
            )
            return model, len(response.data[0].embedding)
        except Exception as exc:
            raise InvalidArgument(
                f"embedding model {model!r} cannot be used",
                [FieldViolation(field, f"{type(exc).__name__}: {exc}")],
            ) from None

    async def warm_up(self) -> None:
        await self._local_embedder().warm_up()

    async def close(self) -> None:
        for embedder in [*self._made.values(), *([self._local] if self._local else [])]:
            close = getattr(embedder, "close", None) or getattr(embedder, "aclose", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result
        self._made.clear()
