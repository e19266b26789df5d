"""The embedder interface and what every backend shares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

__all__ = ["Embedder", "EmbeddingError", "InputType", "l2_normalize"]

InputType = Literal["document", "query"]


class EmbeddingError(Exception):
    """An embedding call failed; ``retryable`` says whether trying again later may work."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@runtime_checkable
class Embedder(Protocol):
    """Texts → unit vectors of ``dimension`` floats, one per text, in order.

    ``model`` is the name recorded on a knowledge base; vectors of different models are never
    compared. ``input_type`` lets backends that embed queries and documents differently do so.
    """

    model: str
    dimension: int

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> list[list[float]]: ...


def l2_normalize(vector: Sequence[float]) -> list[float]:
    """The vector scaled to length 1 (a zero vector stays zero), so inner product = cosine."""
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if norm == 0.0:
        return [0.0] * len(vector)
    return [x / norm for x in vector]
