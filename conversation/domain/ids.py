"""Turning ids from requests into UUIDs.

A malformed id cannot name anything the caller owns, so it answers NOT_FOUND like an
unknown one: callers learn nothing about which ids exist.
"""

from __future__ import annotations

import uuid

from mesh.errors import NotFound

__all__ = ["parse_id", "parse_optional_id"]


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise NotFound(f"{what} not found", reason=f"{what.upper().replace(' ', '_')}_NOT_FOUND") from None


def parse_optional_id(value: str, what: str) -> uuid.UUID | None:
    """Empty means "none given" (e.g. the active leaf); anything else must be a valid id."""
    return parse_id(value, what) if value else None
