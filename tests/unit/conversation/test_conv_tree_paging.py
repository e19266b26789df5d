"""Tree orders without recursion, and page tokens bound to their query."""

from __future__ import annotations

import uuid

import pytest

from conversation.domain.paging import decode_token, encode_token, offset_of, page_size
from conversation.domain.tree import depth_first, newest_leaf_below
from mesh.errors import InvalidArgument


def _ids(n: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=i + 1) for i in range(n)]


def test_depth_first_keeps_sibling_creation_order() -> None:
    a, b, c, d, e = _ids(5)
    nodes = [(a, None), (b, a), (c, a), (d, b), (e, None)]
    assert depth_first(nodes) == [a, b, d, c, e]
    assert depth_first(nodes, b) == [b, d]
    assert newest_leaf_below(nodes, a) == [a, c]


def test_a_ten_thousand_deep_chain_needs_no_recursion() -> None:
    ids = _ids(10_000)
    nodes = [(node, ids[i - 1] if i else None) for i, node in enumerate(ids)]
    assert depth_first(nodes) == ids
    assert newest_leaf_below(nodes, ids[0])[-1] == ids[-1]


def test_tokens_round_trip_and_refuse_other_queries() -> None:
    token = encode_token({"o": 40}, "scope-a")
    assert offset_of(decode_token(token, "scope-a")) == 40
    assert decode_token("", "scope-a") is None
    for bad in (lambda: decode_token(token, "scope-b"), lambda: decode_token("garbage!!", "scope-a")):
        with pytest.raises(InvalidArgument):
            bad()
    with pytest.raises(InvalidArgument):
        offset_of({"o": -1})


def test_page_size_defaults_and_caps() -> None:
    assert page_size(0, 50, 500) == 50 and page_size(10_000, 50, 500) == 500
    with pytest.raises(InvalidArgument):
        page_size(-1, 50, 500)
