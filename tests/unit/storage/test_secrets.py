"""Encryption at rest: round trip, context binding, tamper detection, key persistence."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mesh.config import Settings
from mesh.secrets import SECRET_KEY_FILE, SecretBox, SecretDecryptError, key_hint, load_secret_key


def test_round_trip_and_fresh_nonce_each_time() -> None:
    box = SecretBox("k")
    one, two = box.encrypt("sk-abc", b"ctx"), box.encrypt("sk-abc", b"ctx")
    assert one != two
    assert box.decrypt(one, b"ctx") == box.decrypt(two, b"ctx") == b"sk-abc"


def test_wrong_context_key_or_tampering_is_refused() -> None:
    box = SecretBox("k")
    token = box.encrypt(b"secret", b"model_router.channel_key")
    with pytest.raises(SecretDecryptError):
        box.decrypt(token, b"identity.oauth_token")
    with pytest.raises(SecretDecryptError):
        SecretBox("other").decrypt(token, b"model_router.channel_key")
    with pytest.raises(SecretDecryptError):
        box.decrypt(token[:-1] + bytes([token[-1] ^ 1]), b"model_router.channel_key")
    with pytest.raises(SecretDecryptError, match="unknown format"):
        box.decrypt(b"\x02" + token[1:], b"model_router.channel_key")


def test_fingerprint_is_stable_keyed_and_contextual() -> None:
    box = SecretBox("k")
    assert box.fingerprint("sk-1", b"a") == box.fingerprint("sk-1", b"a")
    assert box.fingerprint("sk-1", b"a") != box.fingerprint("sk-2", b"a")
    assert box.fingerprint("sk-1", b"a") != box.fingerprint("sk-1", b"b")
    assert box.fingerprint("sk-1", b"a") != SecretBox("j").fingerprint("sk-1", b"a")


def test_generated_key_is_persisted_0600_and_reused(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    first = load_secret_key(settings)
    path = tmp_path / "data" / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 40
    assert load_secret_key(settings) == first


def test_configured_key_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="from-env")  # type: ignore[call-arg]
    assert load_secret_key(settings) == "from-env"
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_key_hint_shows_only_the_last_four_characters() -> None:
    assert key_hint("sk-abcdefWXYZ") == "WXYZ"
    assert key_hint("abcd") == ""
