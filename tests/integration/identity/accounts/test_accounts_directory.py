"""Users, tenants, quotas and sessions RPCs: tenant isolation, permissions, masks, paging, bad input."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from chatmesh.identity.v1 import auth_pb2, tenants_pb2, users_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import select

from identity import store
from mesh.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from tests.integration.identity.accounts.accounts_harness import PASSWORD, Accounts, bearer, fails, fields_of


async def _tenant_with_admin(accounts: Accounts, admin: str) -> tuple[tenants_pb2.Tenant, str, str]:
    """A new tenant, a tenant_admin in it (created by super_admin) and that admin's token."""
    slug = f"t-{uuid.uuid4().hex[:8]}"
    tenant = (
        await accounts.stub.CreateTenant(
            tenants_pb2.CreateTenantRequest(tenant=tenants_pb2.Tenant(slug=slug, display_name="Acme")),
            metadata=bearer(admin),
        )
    ).tenant
    email = f"boss-{uuid.uuid4().hex[:6]}@acme.example"
    boss = await accounts.stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(email=email, role_ids=["tenant_admin"]),
            password=PASSWORD,
            tenant_id=tenant.id,
        ),
        metadata=bearer(admin),
    )
    token = (await accounts.login(email, tenant=slug)).access_token
    return tenant, boss.user.id, token


async def test_users_of_another_tenant_do_not_exist_for_its_admins(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    _, _, acme_admin = await _tenant_with_admin(accounts, admin)
    outsider = await accounts.register()
    outsider_id = outsider.user.id
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "GetUser": lambda: accounts.stub.GetUser(
            users_pb2.GetUserRequest(user_id=outsider_id), metadata=bearer(acme_admin)
        ),
        "UpdateUser": lambda: accounts.stub.UpdateUser(
            users_pb2.UpdateUserRequest(
                user_id=outsider_id,
                user=users_pb2.User(display_name="x"),
                update_mask=FieldMask(paths=["display_name"]),
            ),
            metadata=bearer(acme_admin),
        ),
        "DisableUser": lambda: accounts.stub.DisableUser(
            users_pb2.DisableUserRequest(user_id=outsider_id), metadata=bearer(acme_admin)
        ),
        "EnableUser": lambda: accounts.stub.EnableUser(
            users_pb2.EnableUserRequest(user_id=outsider_id), metadata=bearer(acme_admin)
        ),
        "DeleteUser": lambda: accounts.stub.DeleteUser(
            users_pb2.DeleteUserRequest(user_id=outsider_id), metadata=bearer(acme_admin)
        ),
        "RestoreUser": lambda: accounts.stub.RestoreUser(
            users_pb2.RestoreUserRequest(user_id=outsider_id), metadata=bearer(acme_admin)
        ),
        "ListSessions": lambda: accounts.stub.ListSessions(
            auth_pb2.ListSessionsRequest(user_id=outsider_id), metadata=bearer(acme_admin)
        ),
        "RevokeSession": lambda: accounts.stub.RevokeSession(
            auth_pb2.RevokeSessionRequest(user_id=outsider_id, session_id=str(uuid.uuid4())),
            metadata=bearer(acme_admin),
        ),
        "GetTenant": lambda: accounts.stub.GetTenant(
            tenants_pb2.GetTenantRequest(tenant_id=outsider.user.tenant_id), metadata=bearer(acme_admin)
        ),
        "GetTenantQuota": lambda: accounts.stub.GetTenantQuota(
            tenants_pb2.GetTenantQuotaRequest(tenant_id=outsider.user.tenant_id), metadata=bearer(acme_admin)
        ),
        "CreateUser": lambda: accounts.stub.CreateUser(
            users_pb2.CreateUserRequest(
                user=users_pb2.User(email="x@acme.example"),
                password=PASSWORD,
                tenant_id=outsider.user.tenant_id,
            ),
            metadata=bearer(acme_admin),
        ),
    }
    for name, call in calls.items():
        try:
            await call()
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND, (name, exc.code(), exc.details())
        else:
            raise AssertionError(f"{name} reached another tenant")
    listed = await accounts.stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=200), metadata=bearer(acme_admin)
    )
    assert outsider_id not in {u.id for u in listed.users}
    assert (
        await accounts.stub.GetUser(users_pb2.GetUserRequest(user_id=outsider_id), metadata=bearer(admin))
    ).user.id == outsider_id


async def test_plain_users_see_themselves_but_not_their_colleagues(accounts: Accounts) -> None:
    alice, bob = await accounts.register(), await accounts.register()
    me = await accounts.stub.GetUser(
        users_pb2.GetUserRequest(user_id="me"), metadata=bearer(alice.access_token)
    )
    assert me.user.id == alice.user.id and me.user.role_ids == ["user"]
    denied = await fails(
        accounts.stub.GetUser, users_pb2.GetUserRequest(user_id=bob.user.id), bearer(alice.access_token)
    )
    assert isinstance(denied, PermissionDenied)
    listing = await fails(accounts.stub.ListUsers, users_pb2.ListUsersRequest(), bearer(alice.access_token))
    assert isinstance(listing, PermissionDenied)
    bad_id = await fails(
        accounts.stub.GetUser, users_pb2.GetUserRequest(user_id="nope"), bearer(alice.access_token)
    )
    assert isinstance(bad_id, InvalidArgument) and fields_of(bad_id) == ["user_id"]
    missing = await fails(
        accounts.stub.GetUser, users_pb2.GetUserRequest(user_id=str(uuid.uuid4())), bearer(alice.access_token)
    )
    assert isinstance(missing, NotFound)


async def test_update_user_writes_only_masked_fields_and_rejects_unknown_paths(accounts: Accounts) -> None:
    user = await accounts.register(display_name="Before")
    token = bearer(user.access_token)
    updated = await accounts.stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user_id="me",
            user=users_pb2.User(display_name="After", locale="zh-CN", username="ignored-not-in-mask"),
            update_mask=FieldMask(paths=["display_name", "locale"]),
        ),
        metadata=token,
    )
    assert (updated.user.display_name, updated.user.locale) == ("After", "zh-CN")
    assert updated.user.username == user.user.username
    before = await accounts.row_counts()
    for paths, field in (
        (["status"], "update_mask"),
        (["email"], "update_mask"),
        (["nonsense"], "update_mask"),
    ):
        error = await fails(
            accounts.stub.UpdateUser,
            users_pb2.UpdateUserRequest(
                user_id="me", user=users_pb2.User(), update_mask=FieldMask(paths=paths)
            ),
            token,
        )
        assert isinstance(error, InvalidArgument) and fields_of(error) == [field], paths
    bad_value = await fails(
        accounts.stub.UpdateUser,
        users_pb2.UpdateUserRequest(
            user_id="me",
            user=users_pb2.User(avatar_url="http://plain"),
            update_mask=FieldMask(paths=["avatar_url"]),
        ),
        token,
    )
    assert fields_of(bad_value) == ["user.avatar_url"]
    assert await accounts.row_counts() == before


async def test_list_users_pages_with_opaque_tokens_and_filters(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    _, _, boss = await _tenant_with_admin(accounts, admin)
    tenant_id = (
        await accounts.stub.GetUser(users_pb2.GetUserRequest(user_id="me"), metadata=bearer(boss))
    ).user.tenant_id
    made = []
    for n in range(5):
        created = await accounts.stub.CreateUser(
            users_pb2.CreateUserRequest(
                user=users_pb2.User(email=f"member{n}@acme.example"), password=PASSWORD
            ),
            metadata=bearer(boss),
        )
        assert created.user.tenant_id == tenant_id
        made.append(created.user.id)
    seen: list[str] = []
    token = ""
    while True:
        page = await accounts.stub.ListUsers(
            users_pb2.ListUsersRequest(page_size=2, page_token=token), metadata=bearer(boss)
        )
        assert len(page.users) <= 2
        seen += [u.id for u in page.users]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) == 6 and set(made) <= set(seen)
    found = await accounts.stub.ListUsers(users_pb2.ListUsersRequest(query="MEMBER3"), metadata=bearer(boss))
    assert [u.email for u in found.users] == ["member3@acme.example"]
    admins = await accounts.stub.ListUsers(
        users_pb2.ListUsersRequest(role_id="tenant_admin"), metadata=bearer(boss)
    )
    assert len(admins.users) == 1
    bad = await fails(
        accounts.stub.ListUsers, users_pb2.ListUsersRequest(page_token="!!garbage"), bearer(boss)
    )
    assert isinstance(bad, InvalidArgument) and fields_of(bad) == ["page_token"]
    negative = await fails(accounts.stub.ListUsers, users_pb2.ListUsersRequest(page_size=-1), bearer(boss))
    assert fields_of(negative) == ["page_size"]


async def test_disable_delete_restore_cycle(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    _, _, boss = await _tenant_with_admin(accounts, admin)
    created = await accounts.stub.CreateUser(
        users_pb2.CreateUserRequest(user=users_pb2.User(email="cycle@acme.example"), password=PASSWORD),
        metadata=bearer(boss),
    )
    user_id = created.user.id
    disabled = await accounts.stub.DisableUser(
        users_pb2.DisableUserRequest(user_id=user_id, reason="test"), metadata=bearer(boss)
    )
    assert disabled.user.status == users_pb2.USER_STATUS_DISABLED
    again = await accounts.stub.DisableUser(
        users_pb2.DisableUserRequest(user_id=user_id), metadata=bearer(boss)
    )
    assert again.user.status == users_pb2.USER_STATUS_DISABLED
    restore_active = await fails(
        accounts.stub.RestoreUser, users_pb2.RestoreUserRequest(user_id=user_id), bearer(boss)
    )
    assert isinstance(restore_active, FailedPrecondition)
    await accounts.stub.DeleteUser(users_pb2.DeleteUserRequest(user_id=user_id), metadata=bearer(boss))
    listed = await accounts.stub.ListUsers(users_pb2.ListUsersRequest(), metadata=bearer(boss))
    assert user_id not in {u.id for u in listed.users}
    with_deleted = await accounts.stub.ListUsers(
        users_pb2.ListUsersRequest(show_deleted=True), metadata=bearer(boss)
    )
    assert user_id in {u.id for u in with_deleted.users}
    restored = await accounts.stub.RestoreUser(
        users_pb2.RestoreUserRequest(user_id=user_id), metadata=bearer(boss)
    )
    assert restored.user.status == users_pb2.USER_STATUS_ACTIVE and not restored.user.HasField("delete_time")
    own = await fails(accounts.stub.DisableUser, users_pb2.DisableUserRequest(user_id="me"), bearer(boss))
    assert isinstance(own, FailedPrecondition)
    supers = await accounts.stub.ListUsers(
        users_pb2.ListUsersRequest(role_id="super_admin"), metadata=bearer(admin)
    )
    email = f"local-boss-{uuid.uuid4().hex[:6]}@example.com"
    await accounts.stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(email=email, role_ids=["tenant_admin"]), password=PASSWORD
        ),
        metadata=bearer(admin),
    )
    local_boss = (await accounts.login(email)).access_token
    protected = await fails(
        accounts.stub.DisableUser,
        users_pb2.DisableUserRequest(user_id=supers.users[0].id),
        bearer(local_boss),
    )
    assert isinstance(protected, PermissionDenied) and protected.reason == "PROTECTED_USER"
    escalation = await fails(
        accounts.stub.CreateUser,
        users_pb2.CreateUserRequest(
            user=users_pb2.User(email="x" + email, role_ids=["super_admin"]), password=PASSWORD
        ),
        bearer(local_boss),
    )
    assert isinstance(escalation, PermissionDenied)


async def test_tenants_and_quotas(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    tenant, _, boss = await _tenant_with_admin(accounts, admin)
    assert tenant.status == tenants_pb2.TENANT_STATUS_ACTIVE and tenant.quota.max_users == 0
    own = await accounts.stub.GetTenant(tenants_pb2.GetTenantRequest(), metadata=bearer(boss))
    assert own.tenant.id == tenant.id
    listed = await accounts.stub.ListTenants(tenants_pb2.ListTenantsRequest(), metadata=bearer(boss))
    assert [t.id for t in listed.tenants] == [tenant.id]
    denied = await fails(
        accounts.stub.UpdateTenantQuota,
        tenants_pb2.UpdateTenantQuotaRequest(tenant_id=tenant.id, quota=tenants_pb2.TenantQuota(max_users=1)),
        bearer(boss),
    )
    assert isinstance(denied, PermissionDenied)
    changed = await accounts.stub.UpdateTenantQuota(
        tenants_pb2.UpdateTenantQuotaRequest(
            tenant_id=tenant.id,
            quota=tenants_pb2.TenantQuota(max_users=2, tokens_per_month=1000),
            update_mask=FieldMask(paths=["max_users"]),
        ),
        metadata=bearer(admin),
    )
    assert changed.quota.max_users == 2 and changed.quota.tokens_per_month == 0
    async with accounts.engine.connect() as conn:
        events = await conn.execute(
            select(store.outbox.c.event_type).where(store.outbox.c.aggregate_id == tenant.id)
        )
        assert list(events.scalars()).count("chatmesh.events.v1.TenantQuotaChanged") == 2
    usage = await accounts.stub.GetTenantQuota(
        tenants_pb2.GetTenantQuotaRequest(tenant_id=tenant.id), metadata=bearer(boss)
    )
    assert usage.usage.users == 1
    await accounts.stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(email=f"q{uuid.uuid4().hex[:4]}@acme.example"), password=PASSWORD
        ),
        metadata=bearer(boss),
    )
    full = await fails(
        accounts.stub.CreateUser,
        users_pb2.CreateUserRequest(user=users_pb2.User(email="over@acme.example"), password=PASSWORD),
        bearer(boss),
    )
    assert full.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    before = await accounts.row_counts()
    for request, field in (
        (
            tenants_pb2.UpdateTenantQuotaRequest(
                tenant_id=tenant.id, quota=tenants_pb2.TenantQuota(max_users=-1)
            ),
            "quota.max_users",
        ),
        (
            tenants_pb2.UpdateTenantQuotaRequest(tenant_id=tenant.id, update_mask=FieldMask(paths=["users"])),
            "update_mask",
        ),
        (tenants_pb2.UpdateTenantQuotaRequest(tenant_id="zzz"), "tenant_id"),
    ):
        error = await fails(accounts.stub.UpdateTenantQuota, request, bearer(admin))
        assert isinstance(error, InvalidArgument) and fields_of(error) == [field], (field, error)
    bad_tenant = await fails(
        accounts.stub.CreateTenant,
        tenants_pb2.CreateTenantRequest(tenant=tenants_pb2.Tenant(slug="Bad Slug!", display_name="")),
        bearer(admin),
    )
    assert set(fields_of(bad_tenant)) == {"tenant.slug", "tenant.display_name"}
    suspended = await accounts.stub.UpdateTenant(
        tenants_pb2.UpdateTenantRequest(
            tenant_id=tenant.id,
            tenant=tenants_pb2.Tenant(status=tenants_pb2.TENANT_STATUS_SUSPENDED),
            update_mask=FieldMask(paths=["status"]),
        ),
        metadata=bearer(admin),
    )
    assert suspended.tenant.status == tenants_pb2.TENANT_STATUS_SUSPENDED
    assert await accounts.row_counts(("users", "tenants", "sessions", "user_roles")) == {
        k: v for k, v in before.items() if k != "outbox"
    }
    default = await fails(
        accounts.stub.DeleteTenant,
        tenants_pb2.DeleteTenantRequest(tenant_id=str(await accounts.tenant_id("default"))),
        bearer(admin),
    )
    assert isinstance(default, FailedPrecondition)
    await accounts.stub.DeleteTenant(
        tenants_pb2.DeleteTenantRequest(tenant_id=tenant.id), metadata=bearer(admin)
    )
    gone = await accounts.stub.ListTenants(
        tenants_pb2.ListTenantsRequest(page_size=200), metadata=bearer(admin)
    )
    assert tenant.id not in {t.id for t in gone.tenants}


async def test_sessions_can_be_listed_and_revoked_one_by_one(accounts: Accounts) -> None:
    user = await accounts.register()
    second = await accounts.login(user.user.email)
    listed = await accounts.stub.ListSessions(
        auth_pb2.ListSessionsRequest(user_id="me"), metadata=bearer(second.access_token)
    )
    assert len(listed.sessions) == 2
    assert [s.current for s in listed.sessions] == [True, False]
    first_session = listed.sessions[1].id
    await accounts.stub.RevokeSession(
        auth_pb2.RevokeSessionRequest(user_id="me", session_id=first_session),
        metadata=bearer(second.access_token),
    )
    assert not await accounts.other_service_accepts(user.access_token)
    assert await accounts.other_service_accepts(second.access_token)
    other = await accounts.register()
    foreign = await fails(
        accounts.stub.RevokeSession,
        auth_pb2.RevokeSessionRequest(user_id="me", session_id=first_session),
        bearer(other.access_token),
    )
    assert isinstance(foreign, NotFound)
