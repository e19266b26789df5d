"""TOTP verification window, replay refusal, otpauth URIs and recovery codes."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from identity.domain.mfa import (
    RECOVERY_CODE_COUNT,
    TOTP_PERIOD_SECONDS,
    generate_recovery_codes,
    new_totp_secret,
    normalize_recovery_code,
    otpauth_uri,
    require_recovery_code,
    require_totp_code,
    totp_step,
    verify_totp,
)
from mesh.errors import InvalidArgument

NOW = 1_800_000_000.0  # a step boundary: 1_800_000_000 / 30 is whole


def code_at(secret: str, at: float) -> str:
    return pyotp.TOTP(secret).at(at)


def test_secret_is_160_bits_of_base32() -> None:
    secret = new_totp_secret()
    assert len(secret) == 32
    assert pyotp.TOTP(secret).now().isdigit()
    assert new_totp_secret() != secret


def test_current_code_matches_and_returns_its_step() -> None:
    secret = new_totp_secret()
    assert verify_totp(secret, code_at(secret, NOW), at=NOW) == totp_step(NOW)


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_drift_either_way_is_accepted(offset: int) -> None:
    secret = new_totp_secret()
    code = code_at(secret, NOW + offset * TOTP_PERIOD_SECONDS)
    assert verify_totp(secret, code, at=NOW) == totp_step(NOW) + offset


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_of_drift_are_refused(offset: int) -> None:
    secret = new_totp_secret()
    code = code_at(secret, NOW + offset * TOTP_PERIOD_SECONDS)
    if code in {code_at(secret, NOW + k * TOTP_PERIOD_SECONDS) for k in (-1, 0, 1)}:
        pytest.fail("random collision between codes; rerun")
    assert verify_totp(secret, code, at=NOW) is None


def test_a_used_step_and_older_ones_never_match_again() -> None:
    secret = new_totp_secret()
    step = totp_step(NOW)
    assert verify_totp(secret, code_at(secret, NOW), at=NOW, after_step=step) is None
    earlier = code_at(secret, NOW - TOTP_PERIOD_SECONDS)
    assert verify_totp(secret, earlier, at=NOW, after_step=step) is None
    later = code_at(secret, NOW + TOTP_PERIOD_SECONDS)
    assert verify_totp(secret, later, at=NOW, after_step=step) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456"])
def test_malformed_codes_never_match(code: str) -> None:
    assert verify_totp(new_totp_secret(), code, at=NOW) is None


def test_wrong_secret_does_not_match() -> None:
    secret, other = new_totp_secret(), new_totp_secret()
    assert verify_totp(secret, code_at(other, NOW), at=NOW) is None


def test_otpauth_uri_carries_issuer_account_and_secret() -> None:
    secret = new_totp_secret()
    uri = otpauth_uri(secret, "ada@example.com")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/chatmesh:ada@example.com"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "secret": secret,
        "issuer": "chatmesh",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret and parsed.issuer == "chatmesh"


def test_recovery_codes_are_distinct_and_readable() -> None:
    codes = generate_recovery_codes()
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert not set(code.replace("-", "")) & set("01ilo")
        assert require_recovery_code(code) == code.replace("-", "")


def test_recovery_code_normalisation_ignores_case_spaces_and_dashes() -> None:
    assert normalize_recovery_code(" K7MFQ - 2xrzd ") == "k7mfq2xrzd"
    assert require_recovery_code("K7MFQ2XRZD") == "k7mfq2xrzd"


@pytest.mark.parametrize("code", ["", "short", "k7mfq-2xrz0", "k7mfq-2xrzd-abc"])
def test_malformed_recovery_code_is_invalid_argument(code: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        require_recovery_code(code)
    assert info.value.violations[0].field == "recovery_code"


def test_totp_code_shape_check_reports_the_field() -> None:
    assert require_totp_code(" 123 456 ") == "123456"
    with pytest.raises(InvalidArgument) as info:
        require_totp_code("12345x", field="totp_code")
    assert info.value.violations[0].field == "totp_code"
    assert info.value.reason == "TOTP_CODE_MALFORMED"
