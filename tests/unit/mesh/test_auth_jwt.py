"""JwtVerifier: key fetching, revocation lookups pipelined, and the Redis outage policy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from identity.domain.tokens import SigningKey, TokenPolicy, encode_token, generate_signing_key, new_claims
from mesh.auth import Principal
from mesh.auth_jwt import JwtVerifier, blacklist_key, revoked_session_key
from mesh.config import Settings, load_settings
from mesh.errors import Unauthenticated, Unavailable

POLICY = TokenPolicy(issuer="chatmesh-identity", audience="chatmesh", access_ttl=900, refresh_ttl=86400)


class FakeJwks:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.broken = False

    async def fetch_jwks(self) -> Sequence[Mapping[str, str]]:
        self.fetches += 1
        if self.broken:
            raise ConnectionError("identity is down")
        return [k.jwk() for k in self.keys]


class FakePipeline:
    def __init__(self, redis: FakeRedis) -> None:
        self._redis = redis
        self._queued: list[tuple[str, ...]] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def exists(self, *keys: str) -> None:
        self._queued.append(keys)

    async def execute(self) -> list[int]:
        self._redis.round_trips += 1
        self._redis.check()
        return [sum(k in self._redis.keys for k in keys) for keys in self._queued]


class FakeRedis:
    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.round_trips = 0
        self.down = False
        self.hangs = False

    def check(self) -> None:
        if self.down:
            raise ConnectionError("redis is down")

    async def exists(self, *keys: str) -> int:
        self.round_trips += 1
        if self.hangs:
            await asyncio.sleep(60)
        self.check()
        return sum(k in self.keys for k in keys)

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self)


def _settings(**overrides: Any) -> Settings:
    return load_settings(_env_file=None, **overrides)


def _token(key: SigningKey, *, session: str = "s1") -> str:
    claims = new_claims(
        POLICY,
        type="access",
        subject="u1",
        tenant_id="t1",
        session_id=session,
        now=int(time.time()),
        roles=["user"],
    )
    return encode_token(claims, key)


@pytest.fixture
def key() -> SigningKey:
    return generate_signing_key()


async def test_a_valid_token_becomes_a_principal(key: SigningKey) -> None:
    verifier = JwtVerifier(_settings(), FakeJwks(key), FakeRedis())  # type: ignore[arg-type]
    principal = await verifier.verify(_token(key))
    assert principal == Principal(
        kind="user",
        subject="u1",
        tenant_id="t1",
        roles=frozenset({"user"}),
        token_id=principal.token_id,
        expires_at=principal.expires_at,
    )
    assert principal.expires_at is not None and not principal.expired()


async def test_revoked_tokens_and_sessions_are_refused(key: SigningKey) -> None:
    redis = FakeRedis()
    verifier = JwtVerifier(_settings(), FakeJwks(key), redis)  # type: ignore[arg-type]
    token = _token(key)
    claims = await verifier.verify_claims(token)
    redis.keys.add(blacklist_key(claims.token_id))
    with pytest.raises(Unauthenticated) as refused:
        await verifier.verify(token)
    assert refused.value.reason == "TOKEN_REVOKED"
    other = _token(key, session="s2")
    redis.keys.add(revoked_session_key("s2"))
    with pytest.raises(Unauthenticated):
        await verifier.verify(other)


async def test_concurrent_checks_share_one_redis_round_trip(key: SigningKey) -> None:
    redis = FakeRedis()
    verifier = JwtVerifier(_settings(), FakeJwks(key), redis)  # type: ignore[arg-type]
    tokens = [_token(key) for _ in range(50)]
    await verifier.verify(tokens[0])
    redis.round_trips = 0
    principals = await asyncio.gather(*(verifier.verify(t) for t in tokens))
    assert len({p.token_id for p in principals}) == 50
    assert redis.round_trips == 1


async def test_in_a_batch_only_the_revoked_token_is_refused(key: SigningKey) -> None:
    redis = FakeRedis()
    verifier = JwtVerifier(_settings(), FakeJwks(key), redis)  # type: ignore[arg-type]
    tokens = [_token(key, session=f"s{n}") for n in range(10)]
    redis.keys.add(revoked_session_key("s3"))
    outcomes = await asyncio.gather(*(verifier.verify(t) for t in tokens), return_exceptions=True)
    refused = [n for n, o in enumerate(outcomes) if isinstance(o, Unauthenticated)]
    assert refused == [3]
    assert all(isinstance(o, Principal) for n, o in enumerate(outcomes) if n != 3)


async def test_unknown_kids_refetch_keys_but_not_on_every_token(key: SigningKey) -> None:
    jwks = FakeJwks(key)
    verifier = JwtVerifier(_settings(), jwks, FakeRedis())  # type: ignore[arg-type]
    await verifier.verify(_token(key))
    assert jwks.fetches == 1
    rotated = generate_signing_key()
    jwks.keys.append(rotated)
    await verifier.verify(_token(rotated))
    assert jwks.fetches == 2
    for _ in range(5):
        with pytest.raises(Unauthenticated) as unknown:
            await verifier.verify(_token(generate_signing_key()))
        assert unknown.value.reason == "TOKEN_UNKNOWN_KEY"
    assert jwks.fetches == 2, "at most one refetch per interval, however many random kids arrive"


async def test_without_keys_and_without_identity_the_answer_is_unavailable(key: SigningKey) -> None:
    jwks = FakeJwks(key)
    jwks.broken = True
    verifier = JwtVerifier(_settings(), jwks, FakeRedis())  # type: ignore[arg-type]
    with pytest.raises(Unavailable):
        await verifier.verify(_token(key))


async def test_redis_outage_accepts_only_tokens_cleared_moments_ago(key: SigningKey) -> None:
    redis = FakeRedis()
    verifier = JwtVerifier(_settings(revocation_cache_seconds=5), FakeJwks(key), redis)  # type: ignore[arg-type]
    seen, unseen = _token(key), _token(key)
    await verifier.verify(seen)
    redis.down = True
    assert (await verifier.verify(seen)).subject == "u1"
    with pytest.raises(Unavailable) as refused:
        await verifier.verify(unseen)
    assert refused.value.reason == "REVOCATION_CHECK_UNAVAILABLE"
    verifier.forget_revocation_answers()
    with pytest.raises(Unavailable):
        await verifier.verify(seen)


async def test_a_hanging_redis_counts_as_an_outage(key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mesh.auth_jwt.REVOCATION_CHECK_TIMEOUT_SECONDS", 0.05)
    redis = FakeRedis()
    redis.hangs = True
    verifier = JwtVerifier(_settings(), FakeJwks(key), redis)  # type: ignore[arg-type]
    with pytest.raises(Unavailable):
        await asyncio.wait_for(verifier.verify(_token(key)), 5)


async def test_the_outage_cache_can_be_switched_off(key: SigningKey) -> None:
    redis = FakeRedis()
    verifier = JwtVerifier(_settings(revocation_cache_seconds=0), FakeJwks(key), redis)  # type: ignore[arg-type]
    token = _token(key)
    await verifier.verify(token)
    redis.down = True
    with pytest.raises(Unavailable):
        await verifier.verify(token)


async def test_a_seen_token_skips_the_signature_but_not_expiry_or_key_withdrawal(
    key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks = FakeJwks(key)
    verifier = JwtVerifier(_settings(jwt_leeway_seconds=0), jwks, FakeRedis())  # type: ignore[arg-type]
    token = _token(key)
    await verifier.verify(token)
    calls = 0
    real = verifier._keys[key.kid].verify

    def counting(signature: bytes, data: bytes) -> None:
        nonlocal calls
        calls += 1
        real(signature, data)

    monkeypatch.setattr(verifier, "_keys", {key.kid: type("K", (), {"verify": staticmethod(counting)})()})
    await verifier.verify(token)
    assert calls == 0, "the memo answered"
    later = time.time() + 4000
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthenticated) as expired:
        await verifier.verify(token)
    assert expired.value.reason == "TOKEN_EXPIRED"
    monkeypatch.undo()
    await verifier.verify(token)
    jwks.keys = [generate_signing_key()]
    verifier._keys_loaded_at = float("-inf")
    with pytest.raises(Unauthenticated) as withdrawn:
        await verifier.verify(token)
    assert withdrawn.value.reason == "TOKEN_UNKNOWN_KEY"


async def test_api_keys_go_to_the_api_key_verifier(key: SigningKey) -> None:
    class ApiKeys:
        async def verify(self, token: str) -> Principal:
            return Principal(kind="api_key", subject="owner", token_id="key-1")

    plain = JwtVerifier(_settings(), FakeJwks(key), FakeRedis())  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated):
        await plain.verify("sk-abc")
    both = JwtVerifier(_settings(), FakeJwks(key), FakeRedis(), api_keys=ApiKeys())  # type: ignore[arg-type]
    assert (await both.verify("sk-abc")).kind == "api_key"
