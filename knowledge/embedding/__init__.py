"""Embeddings: texts → unit vectors, through one interface with two real backends.

Interface (used by ingestion and search)::

    class Embedder(Protocol):
        model: str
        dimension: int
        async def embed(self, texts: list[str], *, input_type="document"|"query") -> list[list[float]]

    make_embedder(name, *, router_stub=None, dimension=None, routing=None, cache=None, local=None)
    LocalEmbedder()        # default: all-MiniLM-L6-v2 (384 dims) in-process, NumPy, no download;
                           # .warm_up(), .close(), .max_input_tokens (256 word pieces)
    RouterEmbedder(stub, model=, dimension=, routing=Routing(tenant_id, user_id, ...))
                           # model_router's Embed RPC; .for_caller(routing)
    CachedEmbedder(inner, store)   # content-hash cache; store has async get_many/set_many
    EmbeddingError(message, retryable=)

Every backend returns L2-normalised vectors, so cosine distance and inner product agree.
"""

from knowledge.embedding.base import Embedder, EmbeddingError, InputType, l2_normalize
from knowledge.embedding.cache import CachedEmbedder, EmbeddingCacheStore, MemoryCacheStore, cache_key
from knowledge.embedding.factory import LOCAL_ALIASES, is_local, make_embedder
from knowledge.embedding.local import LOCAL_DIMENSION, LOCAL_MAX_TOKENS, LOCAL_MODEL, LocalEmbedder
from knowledge.embedding.router import RouterEmbedder, Routing

__all__ = [
    "LOCAL_ALIASES",
    "LOCAL_DIMENSION",
    "LOCAL_MAX_TOKENS",
    "LOCAL_MODEL",
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCacheStore",
    "EmbeddingError",
    "InputType",
    "LocalEmbedder",
    "MemoryCacheStore",
    "RouterEmbedder",
    "Routing",
    "cache_key",
    "is_local",
    "l2_normalize",
    "make_embedder",
]
