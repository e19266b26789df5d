"""Password-reset token shape, hashing, state checks and the mailed link."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from identity.domain.reset import (
    ResetTokenState,
    check_reset_token,
    hash_reset_token,
    new_reset_token,
    parse_reset_token,
    reset_url,
)
from mesh.errors import FailedPrecondition, InvalidArgument

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_new_token_is_random_and_stored_only_as_its_sha256() -> None:
    raw, digest = new_reset_token()
    assert digest == hashlib.sha256(raw.encode()).digest() == hash_reset_token(raw)
    assert parse_reset_token(f"  {raw}\n") == raw
    assert new_reset_token()[0] != raw


@pytest.mark.parametrize("raw", ["", "abc", "x" * 42, "x" * 44, "!" * 43])
def test_malformed_token_is_invalid_argument_on_the_token_field(raw: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_reset_token(raw)
    assert info.value.reason == "RESET_TOKEN_INVALID"
    assert [v.field for v in info.value.violations] == ["token"]


def test_fresh_token_passes() -> None:
    check_reset_token(ResetTokenState(NOW + timedelta(minutes=1), None, True), NOW)


def test_unknown_token_or_inactive_user_is_invalid() -> None:
    for state in (None, ResetTokenState(NOW + timedelta(hours=1), None, False)):
        with pytest.raises(InvalidArgument) as info:
            check_reset_token(state, NOW)
        assert info.value.reason == "RESET_TOKEN_INVALID"


def test_used_token_is_failed_precondition() -> None:
    with pytest.raises(FailedPrecondition) as info:
        check_reset_token(ResetTokenState(NOW + timedelta(hours=1), NOW, True), NOW)
    assert info.value.reason == "RESET_TOKEN_USED"


def test_expired_token_is_failed_precondition() -> None:
    with pytest.raises(FailedPrecondition) as info:
        check_reset_token(ResetTokenState(NOW, None, True), NOW)
    assert info.value.reason == "RESET_TOKEN_EXPIRED"


def test_reset_url_appends_the_token() -> None:
    assert reset_url("https://app.example/reset", "a-b_c") == "https://app.example/reset?token=a-b_c"
    assert reset_url("https://app.example/r?lang=en", "t") == "https://app.example/r?lang=en&token=t"
