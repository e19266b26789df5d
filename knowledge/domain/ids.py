"""Ids in requests: UUIDs, refused with a field violation when malformed."""

from __future__ import annotations

import uuid

from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["parse_id", "parse_ids"]


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(f"bad {field}", [FieldViolation(field, "must be a UUID")]) from None


def parse_ids(values: list[str], field: str) -> list[uuid.UUID]:
    return [parse_id(v, field) for v in dict.fromkeys(values)]
