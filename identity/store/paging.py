"""Keyset pagination shared by the access lists (API keys, roles, audit events).

A page token is the opaque (created_at, id) of the last row served; the next page
starts strictly after it in (created_at DESC, id DESC) order, so rows inserted
meanwhile neither repeat nor shift the pages.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql.elements import KeyedColumnElement

__all__ = ["Cursor", "after_cursor", "decode_cursor", "encode_cursor"]

Cursor = tuple[datetime, uuid.UUID]


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{cursor[0].isoformat()}|{cursor[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """Inverse of :func:`encode_cursor`; ValueError for anything it did not produce."""
    padded = token + "=" * (-len(token) % 4)
    try:
        stamp, _, ident = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("page token without time zone")
        return when, uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed page token") from exc


def after_cursor(
    created_at: KeyedColumnElement[datetime], ident: KeyedColumnElement[uuid.UUID], cursor: Cursor
) -> ColumnElement[bool]:
    """Rows that come after ``cursor`` in (created_at DESC, id DESC) order."""
    return or_(created_at < cursor[0], and_(created_at == cursor[0], ident < cursor[1]))
