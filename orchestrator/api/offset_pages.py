"""Offset page tokens for the agent, tool and MCP server lists (opaque to callers, checked on the way in)."""

from __future__ import annotations

import base64

from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["decode_offset", "encode_offset", "page_size"]

_PREFIX = "o:"


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_offset(token: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith(_PREFIX) and (offset := int(text[len(_PREFIX) :])) >= 0:
            return offset
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgument("bad page_token", [FieldViolation("page_token", "not a token from this list")])


def page_size(requested: int, default: int, maximum: int) -> int:
    if requested < 0:
        raise InvalidArgument("bad page_size", [FieldViolation("page_size", "must not be negative")])
    return min(requested or default, maximum)
