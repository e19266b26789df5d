"""Offset page tokens for lists served a page at a time (opaque to callers, checked on the way in).

Several services page short admin lists by offset; one token format means a token
is refused the same way everywhere and no service can drift to a different shape.
"""

from __future__ import annotations

import base64

from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["decode_offset", "encode_offset", "page_size"]

_PREFIX = "o:"


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_offset(token: str) -> int:
    """The offset a token stands for (0 for the first page); INVALID_ARGUMENT for any other string."""
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
    """``requested`` capped at ``maximum``, ``default`` when 0; a negative size is refused."""
    if requested < 0:
        raise InvalidArgument("bad page_size", [FieldViolation("page_size", "must not be negative")])
    return min(requested or default, maximum)
