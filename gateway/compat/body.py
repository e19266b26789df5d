"""Reading a JSON request body without trusting its size or its syntax."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from gateway.compat.errors import Problem, ProblemError, invalid_request

INVALID_JSON = (
    "We could not parse the JSON body of your request. The body must be a JSON object "
    "sent with 'Content-Type: application/json'."
)


def too_large(limit: int) -> ProblemError:
    message = f"Request body is larger than the {limit} bytes this endpoint accepts."
    return ProblemError(Problem("too_large", message, code="request_too_large"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request, limit: int) -> Any:
    """The decoded body; 413 past ``limit`` bytes (checked while reading, not after), 400 when not JSON.

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
        return json.loads(bytes(received), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_request(INVALID_JSON) from exc
