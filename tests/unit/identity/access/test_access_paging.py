"""Page tokens: opaque, round-trip exactly, and refuse anything they did not produce."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from identity.api.access_support import decode_offset, encode_offset, page_of, page_size
from identity.store.paging import decode_cursor, encode_cursor
from mesh.errors import InvalidArgument


def test_cursor_round_trip() -> None:
    cursor = (datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(encode_cursor(cursor)) == cursor


@pytest.mark.parametrize("token", ["", "garbage!", "bm9waXBl", encode_offset(3)])
def test_malformed_cursors(token: str) -> None:
    with pytest.raises(ValueError):
        decode_cursor(token)


def test_offsets_and_pages() -> None:
    items = list(range(7))
    first, token = page_of(items, "", 3)
    second, token2 = page_of(items, token, 3)
    third, token3 = page_of(items, token2, 3)
    assert (list(first), list(second), list(third), token3) == ([0, 1, 2], [3, 4, 5], [6], "")
    assert decode_offset(encode_offset(5)) == 5
    with pytest.raises(InvalidArgument):
        decode_offset("bad")
    assert page_size(0) == 50 and page_size(1000) == 200
    with pytest.raises(InvalidArgument):
        page_size(-1)
