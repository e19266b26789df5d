"""Chunking and retrieval settings of a knowledge base: defaults, validation, storage shape.

Every violation is reported at once (``FieldViolation`` per field) so a client fixes its
request in one round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mesh.errors import FieldViolation

__all__ = [
    "DEFAULT_SEPARATORS",
    "ChunkingValues",
    "RetrievalValues",
    "check_chunking",
    "check_retrieval",
]

# Headings, paragraphs, lines, then sentence ends in English and Chinese.
DEFAULT_SEPARATORS: tuple[str, ...] = (
    "\n# ",
    "\n## ",
    "\n### ",
    "\n\n",
    "\n",
    ". ",
    "\u3002",
    "\uff01",
    "\uff1f",
    "; ",
    "\uff1b",
)
MAX_CHUNK_TOKENS = 8192
MAX_SEPARATORS = 32
MAX_SEPARATOR_CHARS = 16
MAX_TOP_K = 50
MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class ChunkingValues:
    chunk_tokens: int = 512
    overlap_tokens: int = 64
    separators: tuple[str, ...] = DEFAULT_SEPARATORS

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["separators"] = list(self.separators)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChunkingValues:
        base = cls()
        return cls(
            chunk_tokens=int(data.get("chunk_tokens", base.chunk_tokens)),
            overlap_tokens=int(data.get("overlap_tokens", base.overlap_tokens)),
            separators=tuple(data.get("separators") or base.separators),
        )


@dataclass(frozen=True)
class RetrievalValues:
    top_k: int = 5
    score_threshold: float = 0.0
    vector_weight: float = 1.0
    keyword_weight: float = 1.0
    rerank: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetrievalValues:
        base = cls()
        return cls(
            top_k=int(data.get("top_k", base.top_k)),
            score_threshold=float(data.get("score_threshold", base.score_threshold)),
            vector_weight=float(data.get("vector_weight", base.vector_weight)),
            keyword_weight=float(data.get("keyword_weight", base.keyword_weight)),
            rerank=bool(data.get("rerank", base.rerank)),
        )


def check_chunking(values: ChunkingValues, prefix: str) -> list[FieldViolation]:
    bad: list[FieldViolation] = []
    if not 32 <= values.chunk_tokens <= MAX_CHUNK_TOKENS:
        bad.append(
            FieldViolation(f"{prefix}.chunk_size_tokens", f"must be between 32 and {MAX_CHUNK_TOKENS}")
        )
    if values.overlap_tokens < 0 or values.overlap_tokens >= values.chunk_tokens // 2 + 1:
        bad.append(
            FieldViolation(
                f"{prefix}.chunk_overlap_tokens", "must be at least 0 and at most half the chunk size"
            )
        )
    if len(values.separators) > MAX_SEPARATORS:
        bad.append(FieldViolation(f"{prefix}.separators", f"at most {MAX_SEPARATORS} separators"))
    if any(not s or len(s) > MAX_SEPARATOR_CHARS for s in values.separators):
        bad.append(
            FieldViolation(
                f"{prefix}.separators", f"each separator has 1 to {MAX_SEPARATOR_CHARS} characters"
            )
        )
    return bad


def check_retrieval(values: RetrievalValues, prefix: str) -> list[FieldViolation]:
    bad: list[FieldViolation] = []
    if not 1 <= values.top_k <= MAX_TOP_K:
        bad.append(FieldViolation(f"{prefix}.top_k", f"must be between 1 and {MAX_TOP_K}"))
    if not 0.0 <= values.score_threshold <= 1.0:
        bad.append(FieldViolation(f"{prefix}.score_threshold", "must be between 0 and 1"))
    for name in ("vector_weight", "keyword_weight"):
        weight = getattr(values, name)
        if not 0.0 <= weight <= MAX_WEIGHT:
            bad.append(FieldViolation(f"{prefix}.{name}", f"must be between 0 and {MAX_WEIGHT:g}"))
    if values.vector_weight == 0 and values.keyword_weight == 0:
        bad.append(FieldViolation(f"{prefix}.vector_weight", "vector and keyword weights cannot both be 0"))
    return bad
