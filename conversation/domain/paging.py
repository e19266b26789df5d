"""Opaque page tokens bound to the query they came from.

A token carries a small JSON cursor plus a fingerprint of the request's filters, so a
token replayed against other filters is refused instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from mesh.errors import FieldViolation, InvalidArgument
from mesh.paging import page_size

__all__ = ["decode_token", "encode_token", "offset_of", "page_size"]


def _fingerprint(scope: str) -> str:
    return hashlib.blake2s(scope.encode(), digest_size=6).hexdigest()


def encode_token(cursor: dict[str, Any], scope: str) -> str:
    raw = json.dumps({"c": cursor, "s": _fingerprint(scope)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad() -> InvalidArgument:
    return InvalidArgument("bad page_token", [FieldViolation("page_token", "not a token from this list")])


def decode_token(token: str, scope: str) -> dict[str, Any] | None:
    """The cursor, None for the first page, INVALID_ARGUMENT for a foreign or damaged token."""
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, RecursionError):
        raise _bad() from None
    if (
        not isinstance(data, dict)
        or data.get("s") != _fingerprint(scope)
        or not isinstance(data.get("c"), dict)
    ):
        raise _bad()
    cursor: dict[str, Any] = data["c"]
    return cursor


def offset_of(cursor: dict[str, Any] | None) -> int:
    """The offset of an offset-cursor; damaged values are refused like a foreign token."""
    if cursor is None:
        return 0
    offset = cursor.get("o")
    if not isinstance(offset, int) or offset < 0:
        raise _bad()
    return offset
