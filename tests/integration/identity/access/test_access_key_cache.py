"""The API key hot path: served from cache without Postgres, and invalidated everywhere at once."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from chatmesh.identity.v1 import api_keys_pb2
from google.protobuf import field_mask_pb2
from redis.asyncio import Redis
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from identity.store.api_key_cache import ApiKeyCache, view_to_json
from mesh.embedded.common import free_port
from tests.integration.identity.access.access_harness import Identity, call, fails


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def _new_key(identity: Identity, **fields: Any) -> api_keys_pb2.CreateApiKeyResponse:
    dev = await identity.user(identity.default_tenant, "developer")
    fields.setdefault("unlimited_quota", True)
    request = api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="hot", **fields))
    created: api_keys_pb2.CreateApiKeyResponse = await call(identity.stub.CreateApiKey, request, dev)
    return created


def _auth_request(secret: str, **fields: Any) -> api_keys_pb2.AuthenticateApiKeyRequest:
    return api_keys_pb2.AuthenticateApiKeyRequest(credential=secret, **fields)


async def test_warm_keys_are_authenticated_without_touching_postgres(identity: Identity) -> None:
    created = await _new_key(identity)
    await call(identity.stub.AuthenticateApiKey, _auth_request(created.secret))

    with counting_statements(identity.engine) as statements:
        for _ in range(20):
            await call(identity.stub.AuthenticateApiKey, _auth_request(created.secret))
    assert statements == []


async def test_a_cold_instance_is_served_from_redis(identity: Identity) -> None:
    created = await _new_key(identity)
    await call(identity.stub.AuthenticateApiKey, _auth_request(created.secret))
    cold = await identity.start_instance()

    with counting_statements(identity.engine) as statements:
        auth = await call(cold.stub.AuthenticateApiKey, _auth_request(created.secret))
    assert auth.principal.api_key_id == created.api_key.id
    assert not any("api_keys" in s for s in statements)  # the key came from Redis (grants from Postgres)


async def test_without_cache_every_check_reads_postgres(identity: Identity) -> None:
    created = await _new_key(identity)
    uncached = await identity.start_instance(cache=False)
    await call(uncached.stub.AuthenticateApiKey, _auth_request(created.secret))
    with counting_statements(identity.engine) as statements:
        await call(uncached.stub.AuthenticateApiKey, _auth_request(created.secret))
    assert any("api_keys" in s for s in statements)


async def test_a_revoked_key_stops_working_at_once_on_every_instance(identity: Identity) -> None:
    created = await _new_key(identity)
    owner = created.api_key.owner_id
    first, second = identity.instances[0], await identity.start_instance()
    for instance in (first, second):  # both caches warm
        await call(instance.stub.AuthenticateApiKey, _auth_request(created.secret))

    await call(
        first.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=created.api_key.id), _uuid(owner)
    )

    error = await fails(second.stub.AuthenticateApiKey, _auth_request(created.secret))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_REVOKED")
    late = await identity.start_instance()  # Redis holds a tombstone, not the old entry
    error = await fails(late.stub.AuthenticateApiKey, _auth_request(created.secret))
    assert error.reason == "API_KEY_REVOKED"

    await call(
        second.stub.RestoreApiKey,
        api_keys_pb2.RestoreApiKeyRequest(api_key_id=created.api_key.id),
        _uuid(owner),
    )
    assert (await call(first.stub.AuthenticateApiKey, _auth_request(created.secret))).principal.api_key_id


async def test_allow_list_changes_reach_other_instances_at_once(identity: Identity) -> None:
    created = await _new_key(identity)
    owner = _uuid(created.api_key.owner_id)
    second = await identity.start_instance()
    await call(second.stub.AuthenticateApiKey, _auth_request(created.secret, model="gpt-4o"))

    update = api_keys_pb2.UpdateApiKeyRequest(
        api_key_id=created.api_key.id,
        api_key=api_keys_pb2.ApiKey(allowed_models=["claude-*"]),
        update_mask=field_mask_pb2.FieldMask(paths=["allowed_models"]),
    )
    await call(identity.stub.UpdateApiKey, update, owner)

    error = await fails(second.stub.AuthenticateApiKey, _auth_request(created.secret, model="gpt-4o"))
    assert error.reason == "API_KEY_MODEL_NOT_ALLOWED"


async def test_a_reader_that_loaded_the_old_row_cannot_refill_redis(identity: Identity) -> None:
    created = await _new_key(identity)
    secret_hash = hashlib.sha256(created.secret.encode()).digest()
    cache = identity.access.api_keys
    old = await cache.lookup(secret_hash)
    assert old is not None

    await call(
        identity.stub.DeleteApiKey,
        api_keys_pb2.DeleteApiKeyRequest(api_key_id=created.api_key.id),
        _uuid(created.api_key.owner_id),
    )
    # A slow reader that read the row before the delete now tries to fill Redis (SET NX):
    filled = await identity.redis.set(
        f"identity:apikey:{secret_hash.hex()}", view_to_json(old), nx=True, ex=60
    )
    assert not filled
    fresh = ApiKeyCache(identity.sessions, identity.redis)
    view = await fresh.lookup(secret_hash)
    assert view is not None and view.deleted_at is not None


async def test_lookups_fall_back_to_postgres_when_redis_is_down(identity: Identity) -> None:
    created = await _new_key(identity)
    dead = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    try:
        cache = ApiKeyCache(identity.sessions, dead)
        view = await cache.lookup(hashlib.sha256(created.secret.encode()).digest())
        assert view is not None and str(view.id) == created.api_key.id
        await cache.invalidate(hashlib.sha256(created.secret.encode()).digest())  # logs, does not raise
    finally:
        await dead.aclose()


async def test_rows_changed_behind_the_cache_are_seen_after_invalidation(identity: Identity) -> None:
    created = await _new_key(identity)
    await call(identity.stub.AuthenticateApiKey, _auth_request(created.secret))
    async with identity.engine.begin() as conn:
        await conn.execute(
            text("UPDATE identity.api_keys SET status = 'disabled' WHERE id = :id"),
            {"id": created.api_key.id},
        )
    assert (await call(identity.stub.AuthenticateApiKey, _auth_request(created.secret))).principal.api_key_id
    await identity.access.api_keys.invalidate(hashlib.sha256(created.secret.encode()).digest())
    error = await fails(identity.stub.AuthenticateApiKey, _auth_request(created.secret))
    assert error.reason == "API_KEY_DISABLED"


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)
