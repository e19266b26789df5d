"""One embedder per model, created on first use and shared by ingestion and search.

knowledge/embedding builds them (the local model for ``local/…``, model_router's Embed for
any other name) behind the content-hash cache; a remote model's vector size is asked once
(one probe embedding) when a knowledge base first names it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from knowledge.embedding import (
    LOCAL_DIMENSION,
    LOCAL_MODEL,
    Embedder,
    EmbeddingCacheStore,
    LocalEmbedder,
    is_local,
    make_embedder,
)
from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["Embedders"]


class Embedders:
    def __init__(
        self, router_stub: Any = None, *, batch_size: int = 64, cache: EmbeddingCacheStore | None = None
    ) -> None:
        """``router_stub`` returns model_router's stub (None: only the local model works)."""
        self._router_stub = router_stub
        self._batch_size = batch_size
        self._cache = cache
        self._made: dict[tuple[str, int], Embedder] = {}
        self._local: Any = None

    def _local_embedder(self) -> Any:
        if self._local is None:
            self._local = LocalEmbedder(batch_size=min(self._batch_size, 64))
        return self._local

    async def get(self, model: str, dimension: int) -> Embedder:
        key = (LOCAL_MODEL, LOCAL_DIMENSION) if is_local(model) else (model, dimension)
        if key not in self._made:
            self._made[key] = make_embedder(
                model,
                router_stub=self._router_stub() if self._router_stub is not None else None,
                dimension=dimension,
                cache=self._cache,
                local=self._local_embedder() if is_local(model) else None,
            )
        return self._made[key]

    async def canonical(self, model: str, field: str) -> tuple[str, int]:
        """The name to record and the vector size of ``model`` (INVALID_ARGUMENT if it cannot embed)."""
        if is_local(model):
            return LOCAL_MODEL, LOCAL_DIMENSION
        if model.lower().startswith("local/"):
            raise InvalidArgument(
                "unknown local model", [FieldViolation(field, f"the local model is {LOCAL_MODEL}")]
            )
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
        except Exception as exc:  # any failure means the model cannot be used now
            raise InvalidArgument(
                f"embedding model {model!r} cannot be used",
                [FieldViolation(field, f"{type(exc).__name__}: {exc}")],
            ) from None

    async def warm_up(self) -> None:
        warm = getattr(self._local_embedder(), "warm_up", None)
        if warm is not None:
            await warm()

    async def close(self) -> None:
        for embedder in [*self._made.values(), *([self._local] if self._local else [])]:
            close = getattr(embedder, "close", None) or getattr(embedder, "aclose", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result
        self._made.clear()
