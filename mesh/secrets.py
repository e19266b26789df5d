"""Encryption at rest for secrets we must be able to read back (provider API keys, OAuth tokens).

The key comes from ``CHATMESH_SECRET_KEY``; without it a random one is
generated on first start and kept in ``<data_dir>/secret-key`` (mode 0600), so
a development install needs no configuration and still survives restarts.
Production sets the variable (losing it makes stored secrets unreadable).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = [
    "SECRET_KEY_FILE",
    "SecretBox",
    "SecretDecryptError",
    "derive_key",
    "key_hint",
    "load_secret_key",
    "secret_box",
]

SECRET_KEY_FILE = "secret-key"
_VERSION = b"\x01"
_NONCE_BYTES = 12


class SecretDecryptError(ValueError):
    """The ciphertext was not made with this key and context, or was altered."""


def load_secret_key(settings: Settings) -> str:
    """The configured secret key, or the one generated earlier into the data dir, or a new one."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir).expanduser() / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    # Written whole under a temporary name, then linked into place: every service and the
    # gateway start at once and read this file, and none may see it half-written.
    draft = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        os.link(draft, path)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    finally:
        draft.unlink(missing_ok=True)
    return key


def derive_key(secret: str, purpose: bytes) -> bytes:
    """A 32-byte key for one ``purpose``, so one secret key serves unrelated uses independently."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"chatmesh", info=purpose).derive(secret.encode())


class SecretBox:
    """AES-256-GCM with a key derived from the secret key; ``context`` binds a ciphertext to its use.

    Format: version byte, 12-byte random nonce, ciphertext with tag. The context
    (say ``b"model_router.channel_key"``) is authenticated, so a value copied into
    another column does not decrypt.
    """

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("secret key must not be empty")
        self._aead = AESGCM(derive_key(secret_key, b"chatmesh secret box v1"))
        self._mac_key = derive_key(secret_key, b"chatmesh fingerprint v1")

    def encrypt(self, plaintext: str | bytes, context: bytes) -> bytes:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, _VERSION + context)

    def decrypt(self, token: bytes, context: bytes) -> bytes:
        if len(token) < 1 + _NONCE_BYTES + 16 or token[:1] != _VERSION:
            raise SecretDecryptError("not a chatmesh secret (unknown format)")
        nonce, body = token[1 : 1 + _NONCE_BYTES], token[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _VERSION + context)
        except InvalidTag:
            raise SecretDecryptError("secret does not decrypt with this key and context") from None

    def fingerprint(self, plaintext: str | bytes, context: bytes) -> bytes:
        """Keyed hash for finding a secret without decrypting every row (equal input, equal output)."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        return hmac.new(self._mac_key, context + b"\x00" + data, hashlib.sha256).digest()


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(load_secret_key(settings))


def key_hint(secret: str) -> str:
    """What an admin may see of a key: its last four characters."""
    return secret[-4:] if len(secret) > 4 else ""
