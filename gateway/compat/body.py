"""Reading a JSON request body without trusting its size, its syntax or its shape.

Every malformed body is the caller's mistake and answers 400, never 500: not UTF-8, not
JSON, not an object, nested deeper than :data:`MAX_DEPTH`, numbers Python cannot hold
(``1e999`` is infinity, a 5000-digit integer is refused by ``int``), or values the protobuf
conversion then refuses (:func:`converted`). The depth limit sits well below both Python's
recursion limit and protobuf's nesting limit (a JSON level inside a ``Struct`` costs two
message levels), so a body that passes here converts without either blowing up.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import DecodeError, EncodeError
from starlette.requests import Request

from gateway.compat.errors import Problem, ProblemError, invalid_request
from gateway.compat.params import describe

__all__ = ["INVALID_JSON", "MAX_DEPTH", "converted", "read_json", "too_large"]

log = logging.getLogger(__name__)
T = TypeVar("T")

INVALID_JSON = (
    "We could not parse the JSON body of your request. The body must be a JSON object "
    "sent with 'Content-Type: application/json'."
)
MAX_DEPTH = 32
TOO_DEEP = f"The JSON body is nested deeper than {MAX_DEPTH} levels."


def too_large(limit: int) -> ProblemError:
    message = f"Request body is larger than the {limit} bytes this endpoint accepts."
    return ProblemError(Problem("too_large", message, code="request_too_large"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _depth_within(value: Any, limit: int) -> bool:
    """Whether no array/object in ``value`` sits more than ``limit`` levels deep (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The decoded body object; 413 past ``limit`` bytes (checked while reading), 400 when malformed.

    The limit is the gateway's (``gateway_max_body_bytes``); refusing early keeps a huge body out
    of memory.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise too_large(limit)
    try:
        text = bytes(received).decode("utf-8")
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid_request(INVALID_JSON) from exc
    if not isinstance(body, dict):
        message = f"Invalid request body: expected a JSON object, but got {describe(body)} instead."
        raise invalid_request(message, code="invalid_type")
    if not _depth_within(body, MAX_DEPTH):
        raise invalid_request(TOO_DEEP)
    return body


def converted(build: Callable[[dict[str, Any]], T], body: dict[str, Any]) -> T:
    """``build(body)`` (a request converter), with values protobuf or Python refuse answered as 400.

    The converters raise their own 400s for what they check; this catches what only the
    conversion finds (a number out of a field's range, a structure protobuf will not nest).
    """
    try:
        return build(body)
    except ProblemError:
        raise
    except (DecodeError, EncodeError, RecursionError, OverflowError, TypeError, ValueError) as exc:
        log.info("request body refused by conversion", extra={"error": type(exc).__name__})
        raise invalid_request(f"The request body has a value that cannot be used: {exc}"[:300]) from exc
