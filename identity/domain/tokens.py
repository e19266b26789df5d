"""Issuing identity's JWTs: Ed25519 signing keys and the claims of access and refresh tokens.

Verification lives in mesh.jwt_claims (every service verifies); this module is the
issuing half and stays free of storage and Redis so the rules are unit-testable.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from mesh.jwt_claims import ACCESS, ALGORITHM, TokenClaims, TokenType, b64url, public_jwk

__all__ = [
    "RefreshDecision",
    "SigningKey",
    "TokenPolicy",
    "decide_refresh",
    "encode_token",
    "generate_signing_key",
    "new_claims",
]


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair with its ``kid`` (the RFC 7638 thumbprint of its public JWK)."""

    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def private_bytes(self) -> bytes:
        return self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def jwk(self) -> dict[str, str]:
        return public_jwk(self.kid, self.public_bytes)

    @classmethod
    def from_private_bytes(cls, kid: str, raw: bytes) -> SigningKey:
        return cls(kid, Ed25519PrivateKey.from_private_bytes(raw))


def _thumbprint(public_bytes: bytes) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(public_bytes)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def generate_signing_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SigningKey(_thumbprint(raw), private)


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    access_ttl: int
    refresh_ttl: int


def new_claims(
    policy: TokenPolicy,
    *,
    type: TokenType,
    subject: str,
    tenant_id: str,
    session_id: str,
    now: int,
    roles: Sequence[str] = (),
    mfa: bool = False,
    token_id: str | None = None,
) -> TokenClaims:
    """Claims for a new token; ``jti`` is a fresh UUID unless given (refresh rows are keyed by it)."""
    ttl = policy.access_ttl if type == ACCESS else policy.refresh_ttl
    return TokenClaims(
        subject=subject,
        tenant_id=tenant_id,
        roles=tuple(roles) if type == ACCESS else (),
        session_id=session_id,
        token_id=token_id or str(uuid.uuid4()),
        issued_at=now,
        not_before=now,
        expires_at=now + ttl,
        issuer=policy.issuer,
        audience=policy.audience,
        type=type,
        mfa=mfa if type == ACCESS else False,
    )


def encode_token(claims: TokenClaims, key: SigningKey) -> str:
    return jwt.encode(
        claims.to_payload(), key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": "JWT"}
    )


class RefreshDecision(Enum):
    """What presenting a (validly signed, unexpired) refresh token leads to."""

    ROTATE = "rotate"  # spend it, issue the next pair in the same session
    REUSED = "reused"  # it was spent before: someone else has a copy, revoke the whole session
    SESSION_ENDED = "session_ended"  # the session was revoked (logout, reuse, admin): refuse
    ACCOUNT_INACTIVE = "account_inactive"  # user disabled/deleted or tenant suspended: revoke and refuse


def decide_refresh(*, used: bool, session_revoked: bool, subject_active: bool) -> RefreshDecision:
    """The single-use rule. A revoked session wins over reuse (nothing left to revoke);
    reuse wins over the account check (the leak matters even for a disabled account)."""
    if session_revoked:
        return RefreshDecision.SESSION_ENDED
    if used:
        return RefreshDecision.REUSED
    if not subject_active:
        return RefreshDecision.ACCOUNT_INACTIVE
    return RefreshDecision.ROTATE
