"""One place that turns a knowledge base's ``embedding_model`` into an embedder."""

from __future__ import annotations

from typing import Any

from knowledge.embedding.base import Embedder
from knowledge.embedding.cache import CachedEmbedder, EmbeddingCacheStore
from knowledge.embedding.local import LOCAL_MODEL, LocalEmbedder
from knowledge.embedding.router import RouterEmbedder, Routing

__all__ = ["LOCAL_ALIASES", "is_local", "make_embedder"]

LOCAL_ALIASES = frozenset({"", "local", LOCAL_MODEL, "all-minilm-l6-v2", "local/all-MiniLM-L6-v2"})


def is_local(name: str) -> bool:
    return name.strip().lower() in {a.lower() for a in LOCAL_ALIASES}


def make_embedder(
    name: str,
    *,
    router_stub: Any = None,
    dimension: int | None = None,
    routing: Routing | None = None,
    cache: EmbeddingCacheStore | None = None,
    local: LocalEmbedder | None = None,
) -> Embedder:
    """The embedder for ``name``: the bundled local model for "local" (and its aliases, and
    ""), otherwise model_router's model of that name (needs ``router_stub`` and the recorded
    ``dimension``). ``local`` reuses one LocalEmbedder (one worker thread per process)."""
    embedder: Embedder
    if is_local(name):
        embedder = local or LocalEmbedder()
    else:
        if router_stub is None:
            raise ValueError(f"embedding model {name!r} needs model_router, which is not configured")
        if not dimension:
            raise ValueError(f"embedding model {name!r} needs its dimension")
        embedder = RouterEmbedder(router_stub, model=name, dimension=dimension, routing=routing)
    return CachedEmbedder(embedder, cache) if cache is not None else embedder
