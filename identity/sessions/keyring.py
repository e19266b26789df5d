"""identity's signing keys in memory, backed by the ``signing_keys`` table.

The active private key is decrypted once and kept; the set is re-read from the
database every ``RELOAD_SECONDS`` so that a rotation done by another identity
instance is picked up (until then this one keeps signing with the previous key,
which stays valid). The keyring is also the in-process JWKS source of identity's
own JwtVerifier: identity never calls itself over gRPC to learn its keys.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from identity.domain.tokens import SigningKey, generate_signing_key
from identity.store import keys as key_store
from mesh.jwt_claims import ALGORITHM, public_jwk
from mesh.secrets import SecretBox

__all__ = ["Keyring"]

RELOAD_SECONDS = 30.0


def _context(kid: str) -> bytes:
    return b"identity.signing_key:" + kid.encode()


@dataclass(frozen=True)
class _Loaded:
    signing: SigningKey
    public: dict[str, Ed25519PublicKey]
    jwks: list[dict[str, str]]
    at: float


class Keyring:
    """Signing key for new tokens and public keys for checking them (``publish_seconds`` after retirement)."""

    def __init__(self, engine: AsyncEngine, secrets: SecretBox, *, publish_seconds: int) -> None:
        self._engine = engine
        self._secrets = secrets
        self._publish = timedelta(seconds=publish_seconds)
        self._loaded: _Loaded | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Create the first key if there is none, and load. Call before serving."""
        async with self._engine.begin() as conn:
            await key_store.lock_keys(conn)
            rows = await key_store.published_keys(conn, datetime.now(UTC) - self._publish)
            if not any(r.status == "active" for r in rows):
                await self._insert_new(conn)
        await self._reload()

    async def rotate(self) -> SigningKey:
        """Retire the active key and sign with a new one from now on."""
        async with self._engine.begin() as conn:
            await key_store.lock_keys(conn)
            await key_store.retire_active_key(conn)
            key = await self._insert_new(conn)
        await self._reload()
        return key

    async def signing_key(self) -> SigningKey:
        return (await self._current()).signing

    async def public_keys(self) -> Mapping[str, Ed25519PublicKey]:
        return (await self._current()).public

    async def public_key_now(self, kid: str) -> Ed25519PublicKey | None:
        """A public key by kid, reloading once when the kid is unknown (rotated by another instance)."""
        loaded = await self._current()
        if kid not in loaded.public and time.monotonic() - loaded.at > 1.0:
            loaded = await self._reload()
        return loaded.public.get(kid)

    async def fetch_jwks(self) -> Sequence[Mapping[str, str]]:
        return (await self._current()).jwks

    async def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None or time.monotonic() - loaded.at > RELOAD_SECONDS:
            return await self._reload()
        return loaded

    async def _reload(self) -> _Loaded:
        async with self._lock:
            async with self._engine.connect() as conn:
                rows = await key_store.published_keys(conn, datetime.now(UTC) - self._publish)
            active = next((r for r in rows if r.status == "active"), None)
            if active is None:
                raise RuntimeError("no active signing key (Keyring.start() not called?)")
            signing = (
                self._loaded.signing if self._loaded and self._loaded.signing.kid == active.kid else None
            )
            if signing is None:
                raw = await asyncio.to_thread(
                    self._secrets.decrypt, active.private_key_encrypted, _context(active.kid)
                )
                signing = SigningKey.from_private_bytes(active.kid, raw)
            public = {r.kid: Ed25519PublicKey.from_public_bytes(r.public_key) for r in rows}
            jwks = [public_jwk(r.kid, r.public_key) for r in rows]
            self._loaded = _Loaded(signing, public, jwks, time.monotonic())
            return self._loaded

    async def _insert_new(self, conn: AsyncConnection) -> SigningKey:
        key = generate_signing_key()
        await key_store.insert_active_key(
            conn,
            kid=key.kid,
            algorithm=ALGORITHM,
            public_key=key.public_bytes,
            private_key_encrypted=self._secrets.encrypt(key.private_bytes, _context(key.kid)),
        )
        return key
