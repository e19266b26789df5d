"""mesh.paging: the one offset page-token format the services share."""

from __future__ import annotations

import base64

import pytest

from mesh.errors import InvalidArgument
from mesh.paging import decode_offset, encode_offset, page_size


@pytest.mark.parametrize("offset", [0, 1, 49, 10_000])
def test_a_token_decodes_to_the_offset_it_was_made_from(offset: int) -> None:
    token = encode_offset(offset)
    assert "=" not in token
    assert decode_offset(token) == offset


def test_the_empty_token_is_the_first_page() -> None:
    assert decode_offset("") == 0


@pytest.mark.parametrize(
    "token",
    [
        "not-base64!",
        base64.urlsafe_b64encode(b"x:5").decode(),
        base64.urlsafe_b64encode(b"o:-1").decode(),
        base64.urlsafe_b64encode(b"o:five").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_foreign_or_damaged_tokens_are_refused_on_page_token(token: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        decode_offset(token)
    assert [v.field for v in caught.value.violations] == ["page_token"]


def test_page_size_defaults_caps_and_refuses_negatives() -> None:
    assert page_size(0, 20, 100) == 20
    assert page_size(7, 20, 100) == 7
    assert page_size(500, 20, 100) == 100
    with pytest.raises(InvalidArgument) as caught:
        page_size(-1, 20, 100)
    assert [v.field for v in caught.value.violations] == ["page_size"]
