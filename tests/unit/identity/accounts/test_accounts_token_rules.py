"""Issuing and decoding JWTs, the refresh decision, update masks (no database, no network)."""

from __future__ import annotations

import time
from dataclasses import replace

import jwt
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from identity.api.account_support import mask_paths
from identity.domain.tokens import (
    RefreshDecision,
    TokenPolicy,
    decide_refresh,
    encode_token,
    generate_signing_key,
    new_claims,
)
from mesh.errors import InvalidArgument, Unauthenticated
from mesh.jwt_claims import TokenClaims, decode_token, public_key_from_jwk

POLICY = TokenPolicy(issuer="chatmesh-identity", audience="chatmesh", access_ttl=900, refresh_ttl=30 * 86400)
KEY = generate_signing_key()
KEYS = {KEY.kid: KEY.public_key}


def _claims(**overrides: object) -> TokenClaims:
    claims = new_claims(
        POLICY,
        type="access",
        subject="u1",
        tenant_id="t1",
        session_id="s1",
        now=int(time.time()),
        roles=["user"],
    )
    return replace(claims, **overrides)  # type: ignore[arg-type]


def _decode(token: str, **kwargs: object) -> TokenClaims:
    options: dict[str, object] = {
        "audience": "chatmesh",
        "issuer": "chatmesh-identity",
        "expected_type": "access",
    }
    options.update(kwargs)
    return decode_token(token, KEYS.get, **options)  # type: ignore[arg-type]


def test_round_trip_keeps_every_claim() -> None:
    claims = _claims(mfa=True)
    decoded = _decode(encode_token(claims, KEY))
    assert decoded == claims
    payload = jwt.decode(encode_token(claims, KEY), options={"verify_signature": False})
    assert set(payload) == {
        "sub",
        "tid",
        "roles",
        "sid",
        "jti",
        "iat",
        "nbf",
        "exp",
        "iss",
        "aud",
        "typ",
        "mfa",
    }
    assert payload["exp"] - payload["iat"] == 900


def test_refresh_tokens_carry_no_roles_and_live_longer() -> None:
    refresh = new_claims(
        POLICY, type="refresh", subject="u", tenant_id="t", session_id="s", now=0, roles=["x"]
    )
    assert refresh.roles == () and refresh.expires_at == 30 * 86400
    assert "roles" not in refresh.to_payload()


def test_kid_is_the_rfc7638_thumbprint_and_the_jwk_round_trips() -> None:
    jwk = KEY.jwk()
    assert jwk["kid"] == KEY.kid and jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert len(KEY.kid) == 43
    assert public_key_from_jwk(jwk).public_bytes_raw() == KEY.public_bytes
    with pytest.raises(ValueError):
        public_key_from_jwk({**jwk, "kty": "RSA"})
    with pytest.raises(ValueError):
        public_key_from_jwk({**jwk, "alg": "HS256"})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: encode_token(_claims(expires_at=int(time.time()) - 60), KEY), "TOKEN_EXPIRED"),
        (lambda: encode_token(_claims(audience="other"), KEY), "TOKEN_AUDIENCE"),
        (lambda: encode_token(_claims(issuer="someone-else"), KEY), "TOKEN_INVALID"),
        (lambda: encode_token(_claims(not_before=int(time.time()) + 600), KEY), "TOKEN_INVALID"),
        (lambda: encode_token(_claims(type="refresh"), KEY), "TOKEN_TYPE"),
        (lambda: encode_token(_claims(), generate_signing_key()), "TOKEN_UNKNOWN_KEY"),
        (
            lambda: jwt.encode(_claims().to_payload(), "", algorithm="none", headers={"kid": KEY.kid}),
            "TOKEN_ALGORITHM",
        ),
        (
            lambda: jwt.encode(
                _claims().to_payload(), KEY.public_bytes, algorithm="HS256", headers={"kid": KEY.kid}
            ),
            "TOKEN_ALGORITHM",
        ),
        (lambda: encode_token(_claims(), KEY)[:-4] + "AAAA", "TOKEN_INVALID"),
        (lambda: "a.b", "TOKEN_INVALID"),
        (lambda: "x" * 9000, "TOKEN_INVALID"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(make: object, reason: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        _decode(make())  # type: ignore[operator]
    assert refused.value.reason == reason


def test_leeway_absorbs_small_clock_skew() -> None:
    token = encode_token(_claims(expires_at=int(time.time()) - 2), KEY)
    assert _decode(token, leeway=5.0).subject == "u1"


def test_missing_custom_claims_are_refused() -> None:
    payload = _claims().to_payload()
    del payload["tid"]
    token = jwt.encode(payload, KEY.private_key, algorithm="EdDSA", headers={"kid": KEY.kid})
    with pytest.raises(Unauthenticated):
        _decode(token)


@pytest.mark.parametrize(
    ("used", "revoked", "active", "decision"),
    [
        (False, False, True, RefreshDecision.ROTATE),
        (True, False, True, RefreshDecision.REUSED),
        (True, False, False, RefreshDecision.REUSED),
        (False, True, True, RefreshDecision.SESSION_ENDED),
        (True, True, True, RefreshDecision.SESSION_ENDED),
        (False, False, False, RefreshDecision.ACCOUNT_INACTIVE),
    ],
)
def test_refresh_decisions(used: bool, revoked: bool, active: bool, decision: RefreshDecision) -> None:
    assert decide_refresh(used=used, session_revoked=revoked, subject_active=active) is decision


def test_masks_accept_known_paths_and_refuse_the_rest() -> None:
    allowed = {"display_name", "locale"}
    assert mask_paths(FieldMask(paths=["locale", "locale"]), allowed) == ["locale"]
    assert mask_paths(FieldMask(), allowed, populated=["display_name", "status"]) == ["display_name"]
    with pytest.raises(InvalidArgument) as unknown:
        mask_paths(FieldMask(paths=["locale", "status"]), allowed)
    assert [v.field for v in unknown.value.violations] == ["update_mask"]
    assert "status" in unknown.value.violations[0].description
    with pytest.raises(InvalidArgument):
        mask_paths(FieldMask(), allowed)
