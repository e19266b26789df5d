"""Ingestion job states and stages, and how far along a job is.

Progress weights the stages by what they cost: parsing and chunking are quick, embedding is
most of the time, indexing (the move into the searchable table) is the last slice.
"""

from __future__ import annotations

__all__ = ["FINISHED", "OPEN", "STAGES", "progress", "retry_delay"]

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
OPEN = (QUEUED, RUNNING)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
PARSING, CHUNKING, EMBEDDING, INDEXING, DONE = "parsing", "chunking", "embedding", "indexing", "done"
STAGES = (PARSING, CHUNKING, EMBEDDING, INDEXING, DONE)
_START = {PARSING: 0.0, CHUNKING: 10.0, EMBEDDING: 15.0, INDEXING: 95.0, DONE: 100.0}


def progress(stage: str, embedded: int = 0, total: int = 0) -> float:
    """0..100 over all stages."""
    start = _START.get(stage, 0.0)
    if stage == EMBEDDING and total > 0:
        return start + (_START[INDEXING] - start) * min(embedded, total) / total
    return start


def retry_delay(attempt: int, base: float, cap: float = 300.0) -> float:
    """Exponential backoff after failed attempt ``attempt`` (1-based)."""
    return min(cap, base * (2 ** max(0, attempt - 1)))
