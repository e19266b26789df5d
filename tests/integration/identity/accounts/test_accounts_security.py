"""Issue 10's identity rules against a running identity with real tokens, Postgres and Redis.

Role and status changes end the user's tokens at once (here and at another service);
email changes are re-verified with a notice to the old address; the signup policy
and its role; the tenant's user limit under concurrency; keys minted for others.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest
from chatmesh.events.v1 import envelope_pb2, identity_events_pb2
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, rbac_pb2, tenants_pb2, users_pb2
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from identity import store
from identity.accounts.admission import hold_seat, release_hold
from identity.api import api_keys as api_keys_api
from identity.store import tenant_queries as tenant_store
from mesh.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from tests.integration.identity.accounts.accounts_harness import PASSWORD, Accounts, bearer, fails

OPEN = tenants_pb2.TenantSignupPolicy(mode=tenants_pb2.SIGNUP_MODE_OPEN)


async def _user(accounts: Accounts, admin: str, *roles: str, tenant_id: str = "") -> tuple[str, str]:
    """(id, access token) of a new user holding ``roles``, made by the super-admin."""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    created = await accounts.stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(email=email, role_ids=list(roles)), password=PASSWORD, tenant_id=tenant_id
        ),
        metadata=bearer(admin),
        timeout=10,
    )
    login = await accounts.login(email, tenant=tenant_id)
    return created.user.id, login.access_token


async def _tenant(accounts: Accounts, admin: str, **fields: Any) -> str:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    created = await accounts.stub.CreateTenant(
        tenants_pb2.CreateTenantRequest(tenant=tenants_pb2.Tenant(slug=slug, display_name=slug, **fields)),
        metadata=bearer(admin),
        timeout=10,
    )
    return str(created.tenant.id)


async def _events(accounts: Accounts, user_id: str, message: Any) -> list[Any]:
    async with accounts.engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.payload)
            .where(
                store.outbox.c.aggregate_id == user_id,
                store.outbox.c.event_type == message.DESCRIPTOR.full_name,
            )
            .order_by(store.outbox.c.created_at)
        )
        payloads = list(rows.scalars())
    found = []
    for payload in payloads:
        envelope = envelope_pb2.EventEnvelope.FromString(payload)
        event = message()
        envelope.payload.Unpack(event)
        found.append(event)
    return found


def _token_of(event: identity_events_pb2.EmailVerificationRequested) -> str:
    return event.verify_url.rpartition("token=")[2]


async def test_assigning_or_revoking_a_role_ends_the_users_tokens_everywhere(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    member_id, token = await _user(accounts, admin, "tenant_admin")
    assert await accounts.other_service_accepts(token)
    await accounts.stub.RevokeRole(
        rbac_pb2.RevokeRoleRequest(user_id=member_id, role_id="tenant_admin"),
        metadata=bearer(admin),
        timeout=10,
    )
    assert not await accounts.other_service_accepts(token)
    error = await fails(accounts.stub.ListUsers, users_pb2.ListUsersRequest(), bearer(token))
    assert (
        error.reason in ("TOKEN_REVOKED", "SESSION_REVOKED") or error.code == grpc.StatusCode.UNAUTHENTICATED
    )

    # A new login carries the new roles; assigning one ends that session too.
    fresh = (
        await accounts.stub.ListUsers(users_pb2.ListUsersRequest(), metadata=bearer(admin), timeout=10)
    ).users
    email = next(u.email for u in fresh if u.id == member_id)
    again = await accounts.login(email)
    await accounts.stub.AssignRole(
        rbac_pb2.AssignRoleRequest(user_id=member_id, role_id="developer"), metadata=bearer(admin), timeout=10
    )
    assert not await accounts.other_service_accepts(again.access_token)
    refused = await fails(accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=again.refresh_token))
    assert refused.code == grpc.StatusCode.UNAUTHENTICATED


async def test_editing_a_custom_role_ends_the_sessions_of_everyone_inheriting_it(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    base = await accounts.stub.CreateRole(
        rbac_pb2.CreateRoleRequest(
            role=rbac_pb2.Role(name=f"base_{uuid.uuid4().hex[:6]}", permissions=["agents:read"])
        ),
        metadata=bearer(admin),
        timeout=10,
    )
    child = await accounts.stub.CreateRole(
        rbac_pb2.CreateRoleRequest(
            role=rbac_pb2.Role(name=f"child_{uuid.uuid4().hex[:6]}", parent_role_ids=[base.role.id])
        ),
        metadata=bearer(admin),
        timeout=10,
    )
    _, holder = await _user(accounts, admin, "user", child.role.id)
    _, bystander = await _user(accounts, admin, "user")
    await accounts.stub.UpdateRole(
        rbac_pb2.UpdateRoleRequest(
            role_id=base.role.id,
            role=rbac_pb2.Role(permissions=["agents:read", "agents:update"]),
            update_mask=field_mask_pb2.FieldMask(paths=["permissions"]),
        ),
        metadata=bearer(admin),
        timeout=10,
    )
    assert not await accounts.other_service_accepts(holder)
    assert await accounts.other_service_accepts(bystander)


async def test_nobody_manages_a_user_who_outranks_them(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    admin_id = (
        await accounts.stub.GetUser(users_pb2.GetUserRequest(user_id="me"), metadata=bearer(admin))
    ).user.id
    _, tenant_admin = await _user(accounts, admin, "tenant_admin")
    peer_id, _ = await _user(accounts, admin, "tenant_admin")
    before = await accounts.row_counts(("users", "user_roles", "api_keys", "sessions"))
    email = field_mask_pb2.FieldMask(paths=["email"])
    for call, request in (
        (
            accounts.stub.UpdateUser,
            users_pb2.UpdateUserRequest(
                user_id=admin_id, user=users_pb2.User(email="x@example.com"), update_mask=email
            ),
        ),
        (accounts.stub.DisableUser, users_pb2.DisableUserRequest(user_id=admin_id)),
        (accounts.stub.DeleteUser, users_pb2.DeleteUserRequest(user_id=admin_id)),
        (accounts.stub.RevokeRole, rbac_pb2.RevokeRoleRequest(user_id=admin_id, role_id="user")),
        (accounts.stub.AssignRole, rbac_pb2.AssignRoleRequest(user_id=admin_id, role_id="developer")),
        (accounts.stub.ListSessions, auth_pb2.ListSessionsRequest(user_id=admin_id)),
        (
            accounts.stub.CreateApiKey,
            api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="k"), owner_id=admin_id),
        ),
    ):
        error = await fails(call, request, bearer(tenant_admin))
        assert isinstance(error, PermissionDenied) and error.reason == "PROTECTED_USER", (call, error)
    assert await accounts.row_counts(("users", "user_roles", "api_keys", "sessions")) == before
    # A peer holding the same permissions is within reach.
    await accounts.stub.DisableUser(
        users_pb2.DisableUserRequest(user_id=peer_id), metadata=bearer(tenant_admin)
    )


async def test_an_email_change_is_reverified_and_the_old_address_is_told(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    _, tenant_admin = await _user(accounts, admin, "tenant_admin")
    registered = await accounts.register()
    user_id, old_email = registered.user.id, registered.user.email
    [first_link] = await _events(accounts, user_id, identity_events_pb2.EmailVerificationRequested)
    assert first_link.email == old_email and first_link.reason == "registration"

    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.com"
    changed = await accounts.stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user_id=user_id,
            user=users_pb2.User(email=new_email),
            update_mask=field_mask_pb2.FieldMask(paths=["email"]),
        ),
        metadata=bearer(tenant_admin),
        timeout=10,
    )
    assert changed.user.email == new_email and not changed.user.email_verified
    [notice] = await _events(accounts, user_id, identity_events_pb2.UserEmailChanged)
    assert (notice.old_email, notice.new_email) == (old_email, new_email)
    links = await _events(accounts, user_id, identity_events_pb2.EmailVerificationRequested)
    assert [(e.email, e.reason) for e in links] == [(old_email, "registration"), (new_email, "email_change")]

    stale = await fails(accounts.stub.VerifyEmail, auth_pb2.VerifyEmailRequest(token=_token_of(first_link)))
    assert isinstance(stale, InvalidArgument)  # the link for the old address verifies nothing now
    await accounts.stub.VerifyEmail(auth_pb2.VerifyEmailRequest(token=_token_of(links[1])), timeout=10)
    me = await accounts.stub.GetUser(
        users_pb2.GetUserRequest(user_id="me"), metadata=bearer(registered.access_token)
    )
    assert me.user.email_verified
    used = await fails(accounts.stub.VerifyEmail, auth_pb2.VerifyEmailRequest(token=_token_of(links[1])))
    assert isinstance(used, InvalidArgument | FailedPrecondition)
    [verified] = await _events(accounts, user_id, identity_events_pb2.UserEmailVerified)
    assert verified.email == new_email
    again = await fails(
        accounts.stub.RequestEmailVerification,
        auth_pb2.RequestEmailVerificationRequest(),
        bearer(registered.access_token),
    )
    assert again.reason == "EMAIL_ALREADY_VERIFIED"


async def test_the_signup_policy_and_its_role(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    closed = await _tenant(accounts, admin)
    refused = await fails(
        accounts.stub.Register,
        auth_pb2.RegisterRequest(email="a@example.com", password=PASSWORD, tenant=closed),
    )
    assert isinstance(refused, PermissionDenied) and refused.reason == "SIGNUP_CLOSED"

    policy = tenants_pb2.TenantSignupPolicy(mode=tenants_pb2.SIGNUP_MODE_OPEN, default_role_id="developer")
    developers = await _tenant(accounts, admin, signup=policy)
    joined = await accounts.register(tenant=developers)
    assert list(joined.user.role_ids) == ["developer"]
    shown = await accounts.stub.GetTenant(
        tenants_pb2.GetTenantRequest(tenant_id=developers), metadata=bearer(admin)
    )
    assert shown.tenant.signup.default_role_id == "developer"

    bad = await fails(
        accounts.stub.UpdateTenant,
        tenants_pb2.UpdateTenantRequest(
            tenant_id=developers,
            tenant=tenants_pb2.Tenant(
                signup=tenants_pb2.TenantSignupPolicy(mode=tenants_pb2.SIGNUP_MODE_EMAIL_DOMAINS)
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["signup.mode"]),
        ),
        bearer(admin),
    )
    assert isinstance(bad, InvalidArgument)  # email-domain signup needs domains


async def test_the_user_limit_is_exact_under_concurrent_signups(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    tenant = await _tenant(accounts, admin, quota=tenants_pb2.TenantQuota(max_users=10), signup=OPEN)

    async def register(i: int) -> str:
        try:
            await accounts.register(f"crowd-{i}-{uuid.uuid4().hex[:6]}@example.com", tenant=tenant)
        except grpc.aio.AioRpcError as exc:
            return exc.code().name
        return "OK"

    outcomes = await asyncio.gather(*(register(i) for i in range(40)))
    assert outcomes.count("OK") == 10, outcomes
    assert outcomes.count("RESOURCE_EXHAUSTED") == 30, outcomes
    quota = await accounts.stub.GetTenantQuota(
        tenants_pb2.GetTenantQuotaRequest(tenant_id=tenant), metadata=bearer(admin)
    )
    assert quota.usage.users == 10

    # Bringing a user back counts against the limit too.
    listed = await accounts.stub.ListUsers(users_pb2.ListUsersRequest(), metadata=bearer(admin), timeout=10)
    member = next(u for u in listed.users if u.tenant_id == tenant)
    await accounts.stub.DisableUser(users_pb2.DisableUserRequest(user_id=member.id), metadata=bearer(admin))
    await accounts.register(f"late-{uuid.uuid4().hex[:6]}@example.com", tenant=tenant)
    full = await fails(
        accounts.stub.EnableUser, users_pb2.EnableUserRequest(user_id=member.id), bearer(admin)
    )
    assert isinstance(full, ResourceExhausted) and full.reason == "TENANT_USER_LIMIT"


async def test_keys_for_others_stay_in_the_tenant_and_under_the_per_user_cap(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await accounts.admin_token()
    other_tenant = await _tenant(accounts, admin)
    stranger_id, _ = await _user(accounts, admin, "user", tenant_id=other_tenant)
    hidden = await fails(
        accounts.stub.CreateApiKey,
        api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="k"), owner_id=stranger_id),
        bearer(admin),
    )
    assert isinstance(hidden, NotFound)  # even the super-admin mints keys only in its own tenant

    monkeypatch.setattr(api_keys_api, "MAX_LIVE_KEYS_PER_OWNER", 2)
    registered = await accounts.register()
    mine = bearer(registered.access_token)
    for name in ("a", "b"):
        await accounts.stub.CreateApiKey(
            api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name=name)),
            metadata=mine,
            timeout=10,
        )
    capped = await fails(
        accounts.stub.CreateApiKey,
        api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="c")),
        mine,
    )
    assert isinstance(capped, ResourceExhausted) and capped.reason == "API_KEY_LIMIT"


async def test_a_role_granting_more_than_the_caller_holds_is_out_of_its_reach(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    _, tenant_admin = await _user(accounts, admin, "tenant_admin")
    ops = await accounts.stub.CreateRole(
        rbac_pb2.CreateRoleRequest(
            role=rbac_pb2.Role(
                name=f"ops_{uuid.uuid4().hex[:6]}", permissions=["channels:update", "agents:read"]
            )
        ),
        metadata=bearer(admin),
        timeout=10,
    )
    shrink = rbac_pb2.UpdateRoleRequest(
        role_id=ops.role.id,
        role=rbac_pb2.Role(permissions=["agents:read"]),
        update_mask=field_mask_pb2.FieldMask(paths=["permissions"]),
    )
    for call, request in (
        (accounts.stub.UpdateRole, shrink),
        (accounts.stub.DeleteRole, rbac_pb2.DeleteRoleRequest(role_id=ops.role.id)),
    ):
        error = await fails(call, request, bearer(tenant_admin))
        assert isinstance(error, PermissionDenied) and error.reason == "ROLE_ESCALATION", (call, error)
    kept = await accounts.stub.GetRole(rbac_pb2.GetRoleRequest(role_id=ops.role.id), metadata=bearer(admin))
    assert "channels:update" in kept.role.permissions


async def test_suspending_a_tenant_ends_its_members_tokens_and_keys(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    tenant = await _tenant(accounts, admin, signup=OPEN)
    member = await accounts.register(tenant=tenant)
    key = await accounts.stub.CreateApiKey(
        api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="k")),
        metadata=bearer(member.access_token),
        timeout=10,
    )
    me = users_pb2.GetUserRequest(user_id="me")
    assert (
        await accounts.stub.GetUser(me, metadata=bearer(key.secret), timeout=10)
    ).user.id == member.user.id
    assert await accounts.other_service_accepts(member.access_token)

    suspend = tenants_pb2.UpdateTenantRequest(
        tenant_id=tenant,
        tenant=tenants_pb2.Tenant(status=tenants_pb2.TENANT_STATUS_SUSPENDED),
        update_mask=field_mask_pb2.FieldMask(paths=["status"]),
    )
    await accounts.stub.UpdateTenant(suspend, metadata=bearer(admin), timeout=10)
    assert not await accounts.other_service_accepts(member.access_token)
    by_key = await fails(accounts.stub.GetUser, me, bearer(key.secret))
    assert by_key.code == grpc.StatusCode.UNAUTHENTICATED
    by_token = await fails(accounts.stub.GetUser, me, bearer(member.access_token))
    assert by_token.code == grpc.StatusCode.UNAUTHENTICATED


async def test_a_held_seat_counts_until_it_is_filled_or_given_back(accounts: Accounts) -> None:
    admin = await accounts.admin_token()
    tenant_id = await _tenant(accounts, admin, quota=tenants_pb2.TenantQuota(max_users=1), signup=OPEN)
    async with accounts.deps.sessions() as db:
        tenant = await tenant_store.get_tenant(db, uuid.UUID(tenant_id))
    assert tenant is not None
    hold = await hold_seat(accounts.deps.sessions, tenant)
    full = await fails(
        accounts.stub.Register,
        auth_pb2.RegisterRequest(
            email=f"{uuid.uuid4().hex[:8]}@example.com", password=PASSWORD, tenant=tenant_id
        ),
    )
    assert isinstance(full, ResourceExhausted) and full.reason == "TENANT_USER_LIMIT"
    await release_hold(accounts.deps.sessions, hold)
    joined = await accounts.register(tenant=tenant_id)
    assert joined.access_token
    assert await accounts.count("seat_holds", f"tenant_id = '{tenant_id}'") == 0
