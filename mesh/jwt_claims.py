"""The mesh's JWT format: claims, public JWKs, and strict decoding.

Identity signs, every service verifies, so both sides share this module. Only
EdDSA (Ed25519) is accepted: the algorithm is fixed by us, never taken from the
token header, which is what defeats ``alg: none`` and HS256-with-the-public-key
tricks. Decoding is pure (keys are handed in), so it is testable without Redis
or gRPC; revocation is :mod:`mesh.auth_jwt`'s job.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mesh.errors import Unauthenticated

__all__ = [
    "ACCESS",
    "ALGORITHM",
    "REFRESH",
    "TokenClaims",
    "TokenType",
    "b64url",
    "decode_token",
    "public_jwk",
    "public_key_from_jwk",
    "token_kid",
]

ALGORITHM = "EdDSA"
TokenType = Literal["access", "refresh"]
ACCESS: Final = "access"
REFRESH: Final = "refresh"
_REQUIRED = ("sub", "tid", "sid", "jti", "iat", "nbf", "exp", "iss", "aud", "typ")
# A JWT larger than this is not one of ours; refusing early bounds the work an attacker can cause.
MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What an identity-issued JWT asserts. Times are Unix seconds.

    ``roles`` are the user's role ids (built-in roles by name); ``session_id`` is
    the refresh-token family (one per login); ``mfa`` is true when the login
    passed a second factor.
    """

    subject: str
    tenant_id: str
    roles: tuple[str, ...]
    session_id: str
    token_id: str
    issued_at: int
    not_before: int
    expires_at: int
    issuer: str
    audience: str
    type: TokenType
    mfa: bool = False

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "sub": self.subject,
            "tid": self.tenant_id,
            "sid": self.session_id,
            "jti": self.token_id,
            "iat": self.issued_at,
            "nbf": self.not_before,
            "exp": self.expires_at,
            "iss": self.issuer,
            "aud": self.audience,
            "typ": self.type,
        }
        if self.type == ACCESS:
            payload["roles"] = list(self.roles)
            payload["mfa"] = self.mfa
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], audience: str) -> TokenClaims:
        """Build from a payload PyJWT already validated (signature, exp, nbf, iss, aud)."""
        missing = [name for name in _REQUIRED if name not in payload]
        if missing:
            raise _invalid(f"token lacks claims {missing}")
        typ = payload["typ"]
        roles = payload.get("roles", [])
        strings = ("sub", "tid", "sid", "jti")
        if typ not in (ACCESS, REFRESH) or not all(
            isinstance(payload[k], str) and payload[k] for k in strings
        ):
            raise _invalid("token claims are malformed")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _invalid("token roles are malformed")
        return cls(
            subject=payload["sub"],
            tenant_id=payload["tid"],
            roles=tuple(roles),
            session_id=payload["sid"],
            token_id=payload["jti"],
            issued_at=int(payload["iat"]),
            not_before=int(payload["nbf"]),
            expires_at=int(payload["exp"]),
            issuer=payload["iss"],
            audience=audience,
            type=typ,
            mfa=bool(payload.get("mfa", False)),
        )

    def remaining_seconds(self, now: float | None = None) -> float:
        return max(0.0, self.expires_at - (time.time() if now is None else now))


def _invalid(message: str, reason: str = "TOKEN_INVALID") -> Unauthenticated:
    return Unauthenticated(message, reason=reason)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(kid: str, public_key: bytes) -> dict[str, str]:
    """RFC 8037 JWK of a raw Ed25519 public key."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": ALGORITHM,
        "use": "sig",
        "kid": kid,
        "x": b64url(public_key),
    }


def public_key_from_jwk(jwk: Mapping[str, str]) -> Ed25519PublicKey:
    """The key of an Ed25519 signing JWK; ValueError for anything else (other curves, RSA, HMAC...)."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError(f"not an Ed25519 key: kty={jwk.get('kty')!r} crv={jwk.get('crv')!r}")
    if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
        raise ValueError("not an EdDSA signing key")
    try:
        return Ed25519PublicKey.from_public_bytes(_unb64url(jwk.get("x", "")))
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"bad Ed25519 public key: {exc}") from None


def _b64decode(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, binascii.Error):
        raise _invalid("malformed token encoding") from None


@functools.lru_cache(maxsize=256)
def _header_kid(segment: str) -> str:
    """The kid of an accepted header segment. Cached: every token a key signs shares one header."""
    try:
        header = json.loads(_b64decode(segment))
    except ValueError:
        raise _invalid("malformed token header") from None
    if not isinstance(header, dict):
        raise _invalid("malformed token header")
    if header.get("alg") != ALGORITHM:
        raise _invalid(f"token algorithm {header.get('alg')!r} is not accepted", reason="TOKEN_ALGORITHM")
    if "crit" in header:
        raise _invalid("token header has critical extensions we do not understand")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid("token has no key id")
    return kid


def _segments(token: str) -> tuple[str, str, str]:
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise _invalid("not a JWT")
    header, payload, signature = token.split(".")
    return header, payload, signature


def token_kid(token: str) -> str:
    """The ``kid`` of a JWT we would accept; Unauthenticated for any other header."""
    return _header_kid(_segments(token)[0])


def _number(payload: Mapping[str, Any], name: str) -> float:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"token claim {name!r} is missing or not a number")
    return float(value)


def decode_token(
    token: str,
    key_for: Callable[[str], Ed25519PublicKey | None],
    *,
    audience: str | Sequence[str],
    issuer: str,
    expected_type: TokenType,
    leeway: float = 0.0,
    now: float | None = None,
) -> TokenClaims:
    """Verify signature, ``exp``/``nbf``/``iat``, ``iss``, ``aud`` and ``typ``; Unauthenticated otherwise.

    ``key_for(kid)`` returns the public key for a kid or None when it is unknown
    (the caller may refresh its key set and try again on reason ``TOKEN_UNKNOWN_KEY``).
    Hand-written for the one profile we issue (compact JWS, EdDSA, JSON claims) because
    every RPC of every service pays for it; the checks are those of RFC 7519 section 7.2.
    """
    header, body, signature = _segments(token)
    kid = _header_kid(header)
    key = key_for(kid)
    if key is None:
        raise _invalid(f"token signed with unknown key {kid!r}", reason="TOKEN_UNKNOWN_KEY")
    try:
        key.verify(_b64decode(signature), f"{header}.{body}".encode("ascii"))
    except (InvalidSignature, UnicodeEncodeError):
        raise _invalid("token signature does not verify") from None
    try:
        payload = json.loads(_b64decode(body))
    except ValueError:
        raise _invalid("malformed token claims") from None
    if not isinstance(payload, dict):
        raise _invalid("malformed token claims")
    moment = time.time() if now is None else now
    if _number(payload, "exp") <= moment - leeway:
        raise _invalid("token expired", reason="TOKEN_EXPIRED")
    if _number(payload, "nbf") > moment + leeway:
        raise _invalid("token is not valid yet")
    _number(payload, "iat")
    if payload.get("iss") != issuer:
        raise _invalid("token has another issuer")
    accepted = {audience} if isinstance(audience, str) else set(audience)
    aud = payload.get("aud")
    granted = {aud} if isinstance(aud, str) else set(aud) if isinstance(aud, list) else set()
    matched = accepted & {a for a in granted if isinstance(a, str)}
    if not matched:
        raise _invalid("token is for another audience", reason="TOKEN_AUDIENCE")
    claims = TokenClaims.from_payload(payload, aud if isinstance(aud, str) else sorted(matched)[0])
    if claims.type != expected_type:
        raise _invalid(f"a {claims.type} token cannot be used here", reason="TOKEN_TYPE")
    return claims
