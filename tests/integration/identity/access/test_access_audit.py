"""The audit log: record() in the caller's transaction, and ListAuditEvents filters, pages and scoping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chatmesh.identity.v1 import api_keys_pb2, audit_pb2
from google.protobuf import timestamp_pb2

from identity.store import audit
from mesh.client_ip import client_ip_seal
from tests.integration.identity.access.access_harness import Identity, as_user, call, fails, violation_fields


def _ts(when: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when)
    return stamp


async def _record(
    identity: Identity, tenant: uuid.UUID, actor: str, action: str, **extra: object
) -> uuid.UUID:
    async with identity.sessions.begin() as session:
        return await audit.record(
            session,
            tenant_id=tenant,
            actor_id=actor,
            action=action,
            resource=extra.pop("resource", "user:42"),  # type: ignore[arg-type]
            outcome=extra.pop("outcome", "success"),  # type: ignore[arg-type]
            **extra,  # type: ignore[arg-type]
        )


async def _list(identity: Identity, user: uuid.UUID, **filters: Any) -> audit_pb2.ListAuditEventsResponse:
    response: audit_pb2.ListAuditEventsResponse = await call(
        identity.stub.ListAuditEvents,
        audit_pb2.ListAuditEventsRequest(**filters),
        user,  # type: ignore[arg-type]
    )
    return response


async def test_record_joins_the_callers_transaction(identity: Identity) -> None:
    tenant = await identity.tenant(f"audit-tx-{uuid.uuid4().hex[:6]}")
    with pytest.raises(RuntimeError):
        async with identity.sessions.begin() as session:
            await audit.record(
                session,
                tenant_id=tenant,
                actor_id=None,
                action="auth.login",
                resource="user",
                outcome="failure",
            )
            raise RuntimeError("the change failed")
    assert await identity.audit_actions(tenant) == []

    event_id = await _record(
        identity,
        tenant,
        "",
        "auth.login",
        outcome="failure",
        ip="203.0.113.9",
        user_agent="curl/8",
        metadata={"email": "a@example.com", "attempt": 3},
    )
    admin = await identity.user(tenant, "tenant_admin")
    (event,) = (await _list(identity, admin, action="auth.login")).audit_events
    assert event.id == str(event_id)
    assert event.actor_kind == audit_pb2.AUDIT_ACTOR_KIND_ANONYMOUS
    assert event.outcome == audit_pb2.AUDIT_OUTCOME_FAILURE
    assert (event.ip_address, event.user_agent) == ("203.0.113.9", "curl/8")
    assert dict(event.metadata) == {"email": "a@example.com", "attempt": "3"}
    assert (event.resource_type, event.resource_id) == ("user", "42")
    with pytest.raises(ValueError, match="outcome"):
        async with identity.sessions.begin() as session:
            await audit.record(
                session,
                tenant_id=tenant,
                actor_id="x",
                action="a",
                resource="r",
                outcome="maybe",  # type: ignore[arg-type]
            )


async def test_filters_pages_and_newest_first(identity: Identity) -> None:
    tenant = await identity.tenant(f"audit-f-{uuid.uuid4().hex[:6]}")
    admin = await identity.user(tenant, "tenant_admin")
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    ids = [
        await _record(identity, tenant, alice, "auth.login"),
        await _record(identity, tenant, bob, "auth.login", outcome="failure"),
        await _record(identity, tenant, alice, "auth.logout"),
        await _record(identity, tenant, alice, "api_key.create", resource="api_key:k1"),
        await _record(identity, tenant, bob, "role.assign", outcome="denied", resource=("user", alice)),
    ]
    everything = await _list(identity, admin, page_size=100)
    assert [e.id for e in everything.audit_events] == [str(i) for i in reversed(ids)]

    assert len((await _list(identity, admin, actor_id=alice)).audit_events) == 3
    assert len((await _list(identity, admin, action="auth.")).audit_events) == 3
    assert len((await _list(identity, admin, action="auth.login")).audit_events) == 2
    assert (
        len((await _list(identity, admin, action="auth")).audit_events) == 0
    )  # exact unless it ends with '.'
    assert len((await _list(identity, admin, action="auth.login", actor_id=bob)).audit_events) == 1
    denied = await _list(identity, admin, outcome=audit_pb2.AUDIT_OUTCOME_DENIED)
    assert [(e.resource_type, e.resource_id) for e in denied.audit_events] == [("user", alice)]
    keys = await _list(identity, admin, resource_type="api_key", resource_id="k1")
    assert [e.id for e in keys.audit_events] == [str(ids[3])]

    pages: list[str] = []
    token = ""
    while True:
        page = await _list(identity, admin, page_size=2, page_token=token)
        pages += [e.id for e in page.audit_events]
        if not (token := page.next_page_token):
            break
    assert pages == [str(i) for i in reversed(ids)]

    now = datetime.now(UTC)
    assert len((await _list(identity, admin, start_time=_ts(now - timedelta(minutes=5)))).audit_events) == 5
    assert (await _list(identity, admin, start_time=_ts(now + timedelta(minutes=5)))).audit_events == []
    assert (await _list(identity, admin, end_time=_ts(now - timedelta(minutes=5)))).audit_events == []


async def test_audit_is_tenant_scoped_and_needs_audit_read(identity: Identity) -> None:
    mine = await identity.tenant(f"audit-a-{uuid.uuid4().hex[:6]}")
    theirs = await identity.tenant(f"audit-b-{uuid.uuid4().hex[:6]}")
    await _record(identity, mine, "x", "auth.login")
    outsider = await identity.user(theirs, "tenant_admin")
    assert (await _list(identity, outsider)).audit_events == []
    developer = await identity.user(mine, "developer")
    error = await fails(identity.stub.ListAuditEvents, audit_pb2.ListAuditEventsRequest(), developer)
    assert error.code == grpc.StatusCode.PERMISSION_DENIED


async def test_bad_filters_are_invalid_arguments(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    now = datetime.now(UTC)
    request = audit_pb2.ListAuditEventsRequest(
        outcome=42,  # type: ignore[arg-type]
        start_time=_ts(now),
        end_time=_ts(now - timedelta(hours=1)),
        actor_id="a" * 300,
    )
    error = await fails(identity.stub.ListAuditEvents, request, admin)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violation_fields(error)) == {"outcome", "end_time", "actor_id"}
    error = await fails(
        identity.stub.ListAuditEvents, audit_pb2.ListAuditEventsRequest(page_token="x"), admin
    )
    assert violation_fields(error) == ["page_token"]


async def test_rpcs_record_the_callers_address_and_agent(identity: Identity) -> None:
    tenant = await identity.tenant(f"audit-o-{uuid.uuid4().hex[:6]}")
    dev = await identity.user(tenant, "developer")
    admin = await identity.user(tenant, "tenant_admin")
    request = api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="k", unlimited_quota=True))
    # The address the gateway sealed for this credential counts; a forwarded-for header does not.
    sealed = client_ip_seal(identity.settings).seal("198.51.100.4", f"user:{dev}")
    await identity.stub.CreateApiKey(
        request, metadata=as_user(dev, sealed, ("x-forwarded-for", "192.0.2.66")), timeout=10
    )
    (event,) = (await _list(identity, admin, action="api_key.create")).audit_events
    assert event.ip_address == "198.51.100.4" and event.user_agent
    assert event.actor_id == str(dev) and event.actor_kind == audit_pb2.AUDIT_ACTOR_KIND_USER
    assert event.request_id
