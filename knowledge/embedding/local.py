"""The default embedder: all-MiniLM-L6-v2 in this process (see ``minilm``).

The model is loaded on first use (about 90 MB of weights, a fraction of a second) and shared
by every LocalEmbedder of the process. Encoding is CPU-bound NumPy work (which releases the
GIL), so it runs on worker threads owned by the embedder and the event loop keeps serving
while a batch is encoded. Document batches of one call run in parallel on ``workers``
threads (one per core, at most 2, each with one BLAS thread, see ``minilm``); queries have
their own worker, so a search's query never waits behind an ingestion job's batches.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from knowledge.embedding.base import InputType
from knowledge.embedding.minilm import MiniLMEncoder, bundled_model_dir

__all__ = ["LOCAL_DIMENSION", "LOCAL_MODEL", "LocalEmbedder"]

LOCAL_MODEL = "local/all-minilm-l6-v2"
LOCAL_DIMENSION = 384
# The model's window in word pieces (about 190 English words); a longer text is embedded as
# the length-weighted mean of its windows, up to LOCAL_MAX_WINDOWS of them.
LOCAL_MAX_TOKENS = 256
LOCAL_MAX_WINDOWS = 8

_load_lock = threading.Lock()


@functools.cache
def _shared_encoder(model_dir: Path) -> MiniLMEncoder:
    return MiniLMEncoder(model_dir, max_tokens=LOCAL_MAX_TOKENS, max_windows=LOCAL_MAX_WINDOWS)


def _encoder(model_dir: Path | None) -> MiniLMEncoder:
    with _load_lock:
        return _shared_encoder(model_dir or bundled_model_dir())


class LocalEmbedder:
    """Embeds with the bundled model; ``max_input_tokens`` is the model's window in word pieces
    (chunks up to about that size get one undiluted vector)."""

    model = LOCAL_MODEL
    dimension = LOCAL_DIMENSION
    max_input_tokens = LOCAL_MAX_TOKENS

    def __init__(
        self, *, batch_size: int = 32, model_dir: Path | None = None, workers: int | None = None
    ) -> None:
        self._batch_size = batch_size
        self._model_dir = model_dir
        workers = workers or max(1, min(2, os.cpu_count() or 1))
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="local-embedder")
        self._query_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-embedder-query")

    async def warm_up(self) -> None:
        """Load the model now (e.g. at service start) instead of on the first request."""
        await asyncio.get_running_loop().run_in_executor(self._executor, _encoder, self._model_dir)

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> list[list[float]]:
        loop = asyncio.get_running_loop()
        executor = self._query_executor if input_type == "query" else self._executor
        batches = [texts[at : at + self._batch_size] for at in range(0, len(texts), self._batch_size)]
        done = await asyncio.gather(*(loop.run_in_executor(executor, self._encode, b) for b in batches))
        return [vector for batch in done for vector in batch]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        return _encoder(self._model_dir).encode(texts, batch_size=self._batch_size).tolist()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._query_executor.shutdown(wait=False, cancel_futures=True)
