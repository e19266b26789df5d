"""API keys through the real servicer: lifecycle, credential formats, refusals, audit and events."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2
from google.protobuf import field_mask_pb2, timestamp_pb2
from sqlalchemy import text

from tests.integration.identity.access.access_harness import Identity, call, fails, violation_fields

Source = api_keys_pb2.ApiKeyCredentialSource


def _key(**fields: object) -> api_keys_pb2.ApiKey:
    fields.setdefault("name", "test key")
    fields.setdefault("unlimited_quota", True)
    return api_keys_pb2.ApiKey(**fields)  # type: ignore[arg-type]


async def _create(identity: Identity, user: uuid.UUID, **fields: object) -> api_keys_pb2.CreateApiKeyResponse:
    return await call(
        identity.stub.CreateApiKey, api_keys_pb2.CreateApiKeyRequest(api_key=_key(**fields)), user
    )  # type: ignore[arg-type]


async def _auth(
    identity: Identity, credential: str, **fields: object
) -> api_keys_pb2.AuthenticateApiKeyResponse:
    request = api_keys_pb2.AuthenticateApiKeyRequest(credential=credential, **fields)  # type: ignore[arg-type]
    return await call(identity.stub.AuthenticateApiKey, request)


async def _auth_fails(identity: Identity, credential: str, **fields: object):  # type: ignore[no-untyped-def]
    request = api_keys_pb2.AuthenticateApiKeyRequest(credential=credential, **fields)  # type: ignore[arg-type]
    return await fails(identity.stub.AuthenticateApiKey, request)


async def _update(identity: Identity, user: uuid.UUID, key_id: str, paths: list[str], **fields: object):  # type: ignore[no-untyped-def]
    request = api_keys_pb2.UpdateApiKeyRequest(
        api_key_id=key_id,
        api_key=api_keys_pb2.ApiKey(**fields),  # type: ignore[arg-type]
        update_mask=field_mask_pb2.FieldMask(paths=paths),
    )
    return await call(identity.stub.UpdateApiKey, request, user)  # type: ignore[arg-type]


async def test_create_shows_the_secret_once_and_stores_only_its_hash(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    created = await _create(
        identity, dev, name="laptop", allowed_models=["gpt-4o*"], allowed_cidrs=["10.0.0.0/8"]
    )

    secret = created.secret
    assert secret.startswith("sk-") and len(secret) >= 3 + 32  # ≥ 192 bits in base64url
    key = created.api_key
    assert (
        key.prefix == secret[:7]
        and key.owner_id == str(dev)
        and key.tenant_id == str(identity.default_tenant)
    )
    assert key.status == api_keys_pb2.API_KEY_STATUS_ACTIVE
    async with identity.engine.connect() as conn:
        row = (
            (await conn.execute(text("SELECT * FROM identity.api_keys WHERE id = :id"), {"id": key.id}))
            .one()
            ._mapping
        )
    assert bytes(row["secret_hash"]) == hashlib.sha256(secret.encode()).digest()
    assert secret not in " ".join(str(v) for v in row.values())

    got = await call(identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id=key.id), dev)
    listed = await call(identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(), dev)
    assert got.api_key.prefix == key.prefix and [k.id for k in listed.api_keys] == [key.id]
    assert secret not in str(got) + str(listed)
    assert "api_key.create" in await identity.audit_actions(identity.default_tenant)
    assert "chatmesh.events.v1.ApiKeyCreated" in await identity.outbox_types()


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("Bearer {}", Source.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER),
        ("bearer {}", Source.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER),
        ("{}", Source.API_KEY_CREDENTIAL_SOURCE_X_API_KEY_HEADER),
        ("{}", Source.API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER),
        ("{}", Source.API_KEY_CREDENTIAL_SOURCE_QUERY_KEY),
        ("{}", Source.API_KEY_CREDENTIAL_SOURCE_QUERY_TOKEN),
        ("Bearer {}", Source.API_KEY_CREDENTIAL_SOURCE_UNSPECIFIED),
        (" {} ", Source.API_KEY_CREDENTIAL_SOURCE_UNSPECIFIED),
    ],
)
async def test_every_credential_format_authenticates(identity: Identity, template: str, source: int) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    created = await _create(identity, dev, allowed_models=["gpt-4o*", "claude-3-haiku"])

    auth = await _auth(identity, template.format(created.secret), source=source, model="gpt-4o-mini")

    p = auth.principal
    assert p.kind == auth_pb2.PRINCIPAL_KIND_API_KEY
    assert (p.user_id, p.tenant_id, p.api_key_id) == (
        str(dev),
        str(identity.default_tenant),
        created.api_key.id,
    )
    assert (
        list(p.role_ids) == ["developer"] and "api_keys:*" in p.permissions and "chat:create" in p.permissions
    )
    assert list(p.allowed_models) == ["gpt-4o*", "claude-3-haiku"]
    assert auth.api_key.id == created.api_key.id and auth.api_key.HasField("last_used_time")


async def test_unknown_and_malformed_keys_are_unauthenticated(identity: Identity) -> None:
    for credential, reason in [
        ("sk-" + "A" * 43, "API_KEY_UNKNOWN"),
        ("not-a-key", "API_KEY_MALFORMED"),
        ("Basic c2stYWJj", "API_KEY_MALFORMED"),
        ("eyJhbGciOiJFZERTQSJ9.e30.sig", "API_KEY_MALFORMED"),
    ]:
        error = await _auth_fails(identity, credential)
        assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, reason), credential


async def test_authenticate_rejects_bad_input_with_field_violations(identity: Identity) -> None:
    error = await _auth_fails(identity, "", client_ip="300.1.1.1", source=99, model="m" * 300)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violation_fields(error)) == {"credential", "client_ip", "source", "model"}


async def test_ip_and_model_allow_lists(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    created = await _create(
        identity, dev, allowed_models=["gpt-4o*"], allowed_cidrs=["10.1.0.0/16", "2001:db8::/32", "192.0.2.7"]
    )
    assert list(created.api_key.allowed_cidrs) == ["10.1.0.0/16", "2001:db8::/32", "192.0.2.7/32"]
    s = created.secret

    for ip in ("10.1.2.3", "::ffff:10.1.9.9", "2001:db8::1", "192.0.2.7"):
        assert (await _auth(identity, s, client_ip=ip, model="gpt-4o")).principal.api_key_id
    for ip in ("10.2.0.1", "192.0.2.8", ""):
        error = await _auth_fails(identity, s, client_ip=ip)
        assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "API_KEY_IP_NOT_ALLOWED"), ip
    error = await _auth_fails(identity, s, client_ip="10.1.0.1", model="claude-3-opus")
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "API_KEY_MODEL_NOT_ALLOWED")


async def test_disabled_exhausted_expired_deleted_keys_are_refused_and_restore_works(
    identity: Identity,
) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    created = await _create(identity, dev, unlimited_quota=False, remaining_quota=100)
    key_id, s = created.api_key.id, created.secret
    assert (await _auth(identity, s)).api_key.remaining_quota == 100

    disabled = await _update(identity, dev, key_id, ["status"], status=api_keys_pb2.API_KEY_STATUS_DISABLED)
    assert disabled.api_key.status == api_keys_pb2.API_KEY_STATUS_DISABLED
    error = await _auth_fails(identity, s)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_DISABLED")
    await _update(identity, dev, key_id, ["status"], status=api_keys_pb2.API_KEY_STATUS_ACTIVE)

    exhausted = await _update(identity, dev, key_id, ["remaining_quota"], remaining_quota=0)
    assert exhausted.api_key.status == api_keys_pb2.API_KEY_STATUS_EXHAUSTED
    error = await _auth_fails(identity, s)
    assert (error.code, error.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "API_KEY_QUOTA_EXHAUSTED")
    await _update(identity, dev, key_id, ["unlimited_quota"], unlimited_quota=True)

    soon = timestamp_pb2.Timestamp()
    soon.FromDatetime(datetime.now(UTC) + timedelta(seconds=1))
    await _update(identity, dev, key_id, ["expire_time"], expire_time=soon)
    assert (await _auth(identity, s)).principal.api_key_id == key_id
    async with identity.engine.begin() as conn:  # let it lapse without waiting
        await conn.execute(
            text("UPDATE identity.api_keys SET expire_at = now() - interval '1 second' WHERE id = :id"),
            {"id": key_id},
        )
    await identity.access.api_keys.invalidate(hashlib.sha256(s.encode()).digest())
    error = await _auth_fails(identity, s)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_EXPIRED")
    await _update(identity, dev, key_id, ["expire_time"])  # cleared: never expires

    await call(identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key_id), dev)
    await call(
        identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key_id), dev
    )  # idempotent
    error = await _auth_fails(identity, s)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_REVOKED")
    listed = await call(identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(), dev)
    assert listed.api_keys == []
    shown = await call(identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(show_deleted=True), dev)
    assert [k.status for k in shown.api_keys] == [api_keys_pb2.API_KEY_STATUS_DELETED]
    error = await fails(
        identity.stub.UpdateApiKey,
        api_keys_pb2.UpdateApiKeyRequest(
            api_key_id=key_id, api_key=_key(name="x"), update_mask=field_mask_pb2.FieldMask(paths=["name"])
        ),
        dev,
    )
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION

    restored = await call(
        identity.stub.RestoreApiKey, api_keys_pb2.RestoreApiKeyRequest(api_key_id=key_id), dev
    )
    assert restored.api_key.status == api_keys_pb2.API_KEY_STATUS_ACTIVE
    assert (await _auth(identity, s)).principal.api_key_id == key_id

    actions = await identity.audit_actions(identity.default_tenant)
    assert {"api_key.update", "api_key.delete", "api_key.restore"} <= set(actions)
    assert actions.count("api_key.delete") >= 1
    types = await identity.outbox_types()
    assert types.count("chatmesh.events.v1.ApiKeyRevoked") >= 2  # disabled, then deleted


async def test_owner_disabled_stops_the_key(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    s = (await _create(identity, dev)).secret
    await _auth(identity, s)
    async with identity.engine.begin() as conn:
        await conn.execute(text("UPDATE identity.users SET status = 'disabled' WHERE id = :id"), {"id": dev})
    await identity.access.user_changed(dev)
    error = await _auth_fails(identity, s)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_OWNER_DISABLED")


async def test_create_with_bad_input_writes_nothing(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    past = timestamp_pb2.Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    before = await identity.row_count()
    request = api_keys_pb2.CreateApiKeyRequest(
        api_key=api_keys_pb2.ApiKey(
            name="",
            expire_time=past,
            unlimited_quota=False,
            remaining_quota=-5,
            allowed_models=["ok-model", "bad model with spaces"],
            allowed_cidrs=["10.0.0.0/8", "not-a-cidr"],
        ),
        owner_id="not-a-uuid",
    )
    error = await fails(identity.stub.CreateApiKey, request, dev)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violation_fields(error)) == {"owner_id"}
    request.owner_id = ""
    error = await fails(identity.stub.CreateApiKey, request, dev)
    assert set(violation_fields(error)) == {
        "api_key.name",
        "api_key.expire_time",
        "api_key.remaining_quota",
        "api_key.allowed_models[1]",
        "api_key.allowed_cidrs[1]",
    }
    assert await identity.row_count() == before


async def test_update_with_bad_input_writes_nothing(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    key = (await _create(identity, dev)).api_key
    before = await identity.row_count()
    for paths, fields, expected in [
        ([], {}, {"update_mask"}),
        (["secret_hash", "owner_id"], {}, {"update_mask"}),
        (["status"], {"status": api_keys_pb2.API_KEY_STATUS_EXPIRED}, {"api_key.status"}),
        (
            ["name", "allowed_cidrs"],
            {"name": "x" * 101, "allowed_cidrs": ["999.0.0.0/8"]},
            {"api_key.name", "api_key.allowed_cidrs[0]"},
        ),
        (["remaining_quota", "unlimited_quota"], {"remaining_quota": -1}, {"api_key.remaining_quota"}),
    ]:
        request = api_keys_pb2.UpdateApiKeyRequest(
            api_key_id=key.id,
            api_key=api_keys_pb2.ApiKey(**fields),  # type: ignore[arg-type]
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        )
        error = await fails(identity.stub.UpdateApiKey, request, dev)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT, paths
        assert set(violation_fields(error)) == expected, paths
    error = await fails(identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id="nope"), dev)
    assert violation_fields(error) == ["api_key_id"]
    error = await fails(
        identity.stub.ListApiKeys,
        api_keys_pb2.ListApiKeysRequest(page_token="garbage!", status=42),  # type: ignore[arg-type]
        dev,
    )
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert await identity.row_count() == before


async def test_listing_pages_and_filters_by_status(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    ids = [(await _create(identity, dev, name=f"k{i}")).api_key.id for i in range(5)]
    await _update(identity, dev, ids[0], ["status"], status=api_keys_pb2.API_KEY_STATUS_DISABLED)

    seen: list[str] = []
    token = ""
    while True:
        page = await call(
            identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(page_size=2, page_token=token), dev
        )
        seen += [k.id for k in page.api_keys]
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(ids))
    disabled = await call(
        identity.stub.ListApiKeys,
        api_keys_pb2.ListApiKeysRequest(status=api_keys_pb2.API_KEY_STATUS_DISABLED),
        dev,
    )
    assert [k.id for k in disabled.api_keys] == [ids[0]]


async def test_permissions_within_a_tenant(identity: Identity) -> None:
    tenant = identity.default_tenant
    dev = await identity.user(tenant, "developer")
    other_dev = await identity.user(tenant, "developer")
    roleless = await identity.user(tenant)
    admin = await identity.user(tenant, "tenant_admin")
    key = (await _create(identity, dev)).api_key

    error = await fails(
        identity.stub.CreateApiKey, api_keys_pb2.CreateApiKeyRequest(api_key=_key()), roleless
    )
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_MISSING")
    error = await fails(identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id=key.id), other_dev)
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    error = await fails(
        identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key.id), other_dev
    )
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    error = await fails(identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(owner_id="*"), other_dev)
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert await identity.denials(roleless) == ["api_key.create"]
    assert await identity.denials(other_dev) == ["api_key.delete"]  # reads are refused, not audited

    # A tenant admin manages everyone's keys in its tenant, and may create keys for others.
    assert (
        await call(identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id=key.id), admin)
    ).api_key.id
    whole = await call(
        identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(owner_id="*", page_size=200), admin
    )
    assert key.id in [k.id for k in whole.api_keys]
    for_dev = await call(
        identity.stub.CreateApiKey,
        api_keys_pb2.CreateApiKeyRequest(api_key=_key(), owner_id=str(other_dev)),
        admin,
    )
    assert for_dev.api_key.owner_id == str(other_dev)
    await call(identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key.id), admin)
    error = await fails(
        identity.stub.CreateApiKey,
        api_keys_pb2.CreateApiKeyRequest(api_key=_key(), owner_id=str(dev)),
        other_dev,
    )
    assert error.code == grpc.StatusCode.PERMISSION_DENIED


async def test_every_key_rpc_refuses_another_tenants_key(identity: Identity) -> None:
    other_tenant = await identity.tenant(f"t-{id(identity)}-keys")
    owner = await identity.user(identity.default_tenant, "developer")
    key = (await _create(identity, owner)).api_key
    outsider = await identity.user(other_tenant, "tenant_admin")
    before = await identity.row_count()

    requests = [
        (identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id=key.id)),
        (
            identity.stub.UpdateApiKey,
            api_keys_pb2.UpdateApiKeyRequest(
                api_key_id=key.id,
                api_key=_key(name="mine"),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            ),
        ),
        (identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key.id)),
        (identity.stub.RestoreApiKey, api_keys_pb2.RestoreApiKeyRequest(api_key_id=key.id)),
        (identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(owner_id=str(owner))),
        (identity.stub.CreateApiKey, api_keys_pb2.CreateApiKeyRequest(api_key=_key(), owner_id=str(owner))),
    ]
    for method, request in requests:
        error = await fails(method, request, outsider)
        assert error.code == grpc.StatusCode.NOT_FOUND, method
    whole = await call(identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest(owner_id="*"), outsider)
    assert whole.api_keys == []
    assert await identity.row_count() == before
    # super_admin reaches every tenant.
    got = await call(
        identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id=key.id), identity.admin
    )
    assert got.api_key.id == key.id


async def test_calls_without_credentials_are_unauthenticated(identity: Identity) -> None:
    error = await fails(identity.stub.ListApiKeys, api_keys_pb2.ListApiKeysRequest())
    assert error.code == grpc.StatusCode.UNAUTHENTICATED


async def test_last_used_is_written_in_batches(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    created = await _create(identity, dev)
    await _auth(identity, created.secret)
    async with identity.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT last_used_at FROM identity.api_keys WHERE id = :id"), {"id": created.api_key.id}
            )
        ).scalar_one()
    assert stored is None  # not written on the hot path
    got = await call(
        identity.stub.GetApiKey, api_keys_pb2.GetApiKeyRequest(api_key_id=created.api_key.id), dev
    )
    assert got.api_key.HasField("last_used_time")  # but already shown
    await identity.access.last_used.flush()
    async with identity.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT last_used_at FROM identity.api_keys WHERE id = :id"), {"id": created.api_key.id}
            )
        ).scalar_one()
    assert stored is not None


async def test_secrets_never_reach_the_log(identity: Identity, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    dev = await identity.user(identity.default_tenant, "developer")
    created = await _create(identity, dev)
    await _auth(identity, f"Bearer {created.secret}")
    await _auth_fails(identity, created.secret + "x")
    text_logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert created.secret not in text_logged and created.secret[3:] not in text_logged


async def test_a_key_created_with_only_a_name_is_unlimited(identity: Identity) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    request = api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="laptop"))
    created = await call(identity.stub.CreateApiKey, request, dev)  # type: ignore[arg-type]
    assert created.secret.startswith("sk-")
    assert created.api_key.unlimited_quota
    principal = (await _auth(identity, created.secret)).api_key
    assert principal.unlimited_quota
