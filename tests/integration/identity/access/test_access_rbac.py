"""RBAC through the real servicer: roles, inheritance, wildcards, escalation limits, bindings, Check."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import grpc
from chatmesh.identity.v1 import rbac_pb2
from google.protobuf import field_mask_pb2

from identity.domain.rbac import PERMISSION_CATALOGUE
from tests.integration.identity.access.access_harness import Identity, call, fails, violation_fields


async def _role(
    identity: Identity, user: uuid.UUID, name: str, permissions: Sequence[str], parents: Sequence[str] = ()
) -> rbac_pb2.Role:
    role = rbac_pb2.Role(
        name=name, description=f"{name} role", permissions=permissions, parent_role_ids=parents
    )
    response = await call(identity.stub.CreateRole, rbac_pb2.CreateRoleRequest(role=role), user)
    created: rbac_pb2.Role = response.role
    return created


async def _check(
    identity: Identity, user: uuid.UUID, permission: str, **fields: str
) -> rbac_pb2.CheckResponse:
    response: rbac_pb2.CheckResponse = await call(
        identity.stub.Check, rbac_pb2.CheckRequest(permission=permission, **fields), user
    )
    return response


async def _assign(identity: Identity, admin: uuid.UUID, user: uuid.UUID, role_id: str) -> list[str]:
    response = await call(
        identity.stub.AssignRole, rbac_pb2.AssignRoleRequest(user_id=str(user), role_id=role_id), admin
    )
    return list(response.role_ids)


async def _update_role(identity: Identity, user: uuid.UUID, role_id: str, paths: list[str], **fields: Any):  # type: ignore[no-untyped-def]
    request = rbac_pb2.UpdateRoleRequest(
        role_id=role_id,
        role=rbac_pb2.Role(**fields),
        update_mask=field_mask_pb2.FieldMask(paths=paths),  # type: ignore[arg-type]
    )
    return await call(identity.stub.UpdateRole, request, user)


def _slug(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


async def test_catalogue_and_built_in_roles_are_listed(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    names: list[str] = []
    token = ""
    while True:
        page = await call(
            identity.stub.ListPermissions,
            rbac_pb2.ListPermissionsRequest(page_size=20, page_token=token),
            admin,
        )
        names += [p.name for p in page.permissions]
        if not (token := page.next_page_token):
            break
    assert names == [name for name, _ in PERMISSION_CATALOGUE]

    roles = await call(identity.stub.ListRoles, rbac_pb2.ListRolesRequest(page_size=200), admin)
    built_in = [r for r in roles.roles if r.built_in]
    assert {r.id for r in built_in} == {"super_admin", "tenant_admin", "developer", "user"}
    assert all(r.id == r.name and r.tenant_id == "" for r in built_in)
    developer = await call(identity.stub.GetRole, rbac_pb2.GetRoleRequest(role_id="developer"), admin)
    assert list(developer.role.parent_role_ids) == ["user"]


async def test_custom_role_inherits_and_wildcards_match(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant)
    analyst = await _role(
        identity, admin, _slug("analyst"), ["analytics:read", "knowledge_bases:*"], ["user"]
    )
    assert analyst.tenant_id == str(identity.default_tenant) and not analyst.built_in
    assert list(analyst.parent_role_ids) == ["user"]
    assert await _assign(identity, admin, member, analyst.id) == [analyst.id]

    own = await _check(identity, member, "analytics:read")
    assert own.allowed and own.granted_by_role_id == analyst.id
    wild = await _check(identity, member, "knowledge_bases:delete")
    assert wild.allowed and wild.granted_by_role_id == analyst.id
    inherited = await _check(identity, member, "chat:create")
    assert inherited.allowed and inherited.granted_by_role_id == "user"
    assert not (await _check(identity, member, "users:create")).allowed
    assert (await _check(identity, member, "knowledge_bases:*")).allowed  # granted literally


async def test_super_admin_wildcards_on_either_side(identity: Identity) -> None:
    member = await identity.user(identity.default_tenant)
    reader = await _role(identity, identity.admin, _slug("reader"), ["*:read"])
    await _assign(identity, identity.admin, member, reader.id)
    assert (await _check(identity, member, "invoices:read")).allowed
    assert not (await _check(identity, member, "invoices:write")).allowed
    assert (await _check(identity, identity.admin, "anything:at_all")).allowed


async def test_no_one_grants_more_than_they_hold(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant)
    plain = await identity.user(identity.default_tenant, "developer")
    before = await identity.row_count(audit=False)
    for permissions, parents in ([["tenants:create"], []], [["*:*"], []], [[], ["super_admin"]]):
        role = rbac_pb2.Role(name=_slug("sneaky"), permissions=permissions, parent_role_ids=parents)
        error = await fails(identity.stub.CreateRole, rbac_pb2.CreateRoleRequest(role=role), admin)
        assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_ESCALATION"), (
            permissions
        )
    error = await fails(
        identity.stub.AssignRole,
        rbac_pb2.AssignRoleRequest(user_id=str(member), role_id="super_admin"),
        admin,
    )
    assert error.reason == "ROLE_ESCALATION"
    error = await fails(
        identity.stub.RevokeRole,
        rbac_pb2.RevokeRoleRequest(user_id=str(identity.admin), role_id="super_admin"),
        admin,
    )
    # The super_admin outranks a tenant admin: its roles are out of reach altogether.
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PROTECTED_USER")
    error = await fails(
        identity.stub.AssignRole, rbac_pb2.AssignRoleRequest(user_id=str(member), role_id="developer"), plain
    )
    assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_MISSING")
    assert await identity.row_count(audit=False) == before
    assert await identity.denials(admin) == ["role.create"] * 3 + ["role.assign", "role.revoke"]
    assert await identity.denials(plain) == ["role.assign"]


async def test_inheritance_cycles_are_refused(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    base = await _role(identity, admin, _slug("base"), ["analytics:read"])
    middle = await _role(identity, admin, _slug("middle"), [], [base.id])
    top = await _role(identity, admin, _slug("top"), [], [middle.id, "developer"])
    before = await identity.row_count()
    for role_id, parents in ((base.id, [top.id]), (base.id, [base.id]), (middle.id, [top.id])):
        request = rbac_pb2.UpdateRoleRequest(
            role_id=role_id,
            role=rbac_pb2.Role(parent_role_ids=parents),
            update_mask=field_mask_pb2.FieldMask(paths=["parent_role_ids"]),
        )
        error = await fails(identity.stub.UpdateRole, request, admin)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT
        assert violation_fields(error) == ["role.parent_role_ids"]
    assert await identity.row_count() == before


async def test_role_edits_renames_and_deletion(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant)
    role = await _role(identity, admin, _slug("editor"), ["analytics:read"])
    await _assign(identity, admin, member, role.id)
    assert not (await _check(identity, member, "audit:read")).allowed

    new_name = _slug("auditor")
    updated = await _update_role(
        identity, admin, role.id, ["name", "permissions"], name=new_name, permissions=["audit:read"]
    )
    assert (updated.role.name, list(updated.role.permissions)) == (new_name, ["audit:read"])
    assert (await _check(identity, member, "audit:read")).allowed
    assert not (await _check(identity, member, "analytics:read")).allowed

    taken = await _role(identity, admin, _slug("taken"), [])
    error = await fails(
        identity.stub.CreateRole, rbac_pb2.CreateRoleRequest(role=rbac_pb2.Role(name=taken.name)), admin
    )
    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    request = rbac_pb2.UpdateRoleRequest(
        role_id=role.id,
        role=rbac_pb2.Role(name=taken.name),
        update_mask=field_mask_pb2.FieldMask(paths=["name"]),
    )
    assert (await fails(identity.stub.UpdateRole, request, admin)).code == grpc.StatusCode.ALREADY_EXISTS

    for rpc, request in (  # type: ignore[assignment]
        (
            identity.stub.UpdateRole,
            rbac_pb2.UpdateRoleRequest(
                role_id="developer",
                role=rbac_pb2.Role(description="x"),
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
            ),
        ),
        (identity.stub.DeleteRole, rbac_pb2.DeleteRoleRequest(role_id="user")),
    ):
        error = await fails(rpc, request, identity.admin)
        assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROLE_BUILT_IN")

    await call(identity.stub.DeleteRole, rbac_pb2.DeleteRoleRequest(role_id=role.id), admin)
    assert not (await _check(identity, member, "audit:read")).allowed
    error = await fails(identity.stub.GetRole, rbac_pb2.GetRoleRequest(role_id=role.id), admin)
    assert error.code == grpc.StatusCode.NOT_FOUND
    actions = await identity.audit_actions(identity.default_tenant)
    assert {"role.create", "role.update", "role.delete", "role.assign"} <= set(actions)


async def test_bad_role_input_gets_field_violations_and_writes_nothing(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    before = await identity.row_count()
    role = rbac_pb2.Role(
        name="Not Snake",
        description="d" * 501,
        permissions=["conversations:read", "nocolon", "a:b:c", "Upper:case"],
        parent_role_ids=["no-such-role", "developer"],
    )
    error = await fails(identity.stub.CreateRole, rbac_pb2.CreateRoleRequest(role=role), admin)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violation_fields(error)) == {
        "role.name",
        "role.description",
        "role.permissions[1]",
        "role.permissions[2]",
        "role.permissions[3]",
        "role.parent_role_ids[0]",
    }
    error = await fails(
        identity.stub.CreateRole, rbac_pb2.CreateRoleRequest(role=rbac_pb2.Role(name="developer")), admin
    )
    assert violation_fields(error) == ["role.name"]
    for request in (
        rbac_pb2.UpdateRoleRequest(role_id="x", update_mask=field_mask_pb2.FieldMask(paths=["built_in"])),
        rbac_pb2.UpdateRoleRequest(role_id="x"),
    ):
        error = await fails(identity.stub.UpdateRole, request, admin)
        assert violation_fields(error) == ["update_mask"]
    for rpc, request, field in (  # type: ignore[assignment]
        (
            identity.stub.AssignRole,
            rbac_pb2.AssignRoleRequest(user_id="", role_id=""),
            {"user_id", "role_id"},
        ),
        (identity.stub.AssignRole, rbac_pb2.AssignRoleRequest(user_id="nope", role_id="user"), {"user_id"}),
        (identity.stub.Check, rbac_pb2.CheckRequest(permission="bad"), {"permission"}),
        (identity.stub.Check, rbac_pb2.CheckRequest(permission="a:b", tenant_id="t"), {"tenant_id"}),
        (identity.stub.GetRole, rbac_pb2.GetRoleRequest(role_id=""), {"role_id"}),
        (identity.stub.ListRoles, rbac_pb2.ListRolesRequest(page_size=-1), {"page_size"}),
    ):
        error = await fails(rpc, request, admin)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT and set(violation_fields(error)) == field, (
            request
        )
    assert await identity.row_count() == before


async def test_bindings_are_idempotent_and_the_last_super_admin_stays(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant, "user")
    assert await _assign(identity, admin, member, "developer") == ["user", "developer"]
    assert await _assign(identity, admin, member, "developer") == ["user", "developer"]
    assert (await _check(identity, member, "knowledge_bases:create")).allowed
    revoked = await call(
        identity.stub.RevokeRole, rbac_pb2.RevokeRoleRequest(user_id=str(member), role_id="developer"), admin
    )
    assert list(revoked.role_ids) == ["user"]
    await call(
        identity.stub.RevokeRole, rbac_pb2.RevokeRoleRequest(user_id=str(member), role_id="developer"), admin
    )
    assert not (await _check(identity, member, "knowledge_bases:create")).allowed
    actions = await identity.audit_actions(identity.default_tenant)
    assert actions.count("role.revoke") >= 1

    mine = await call(identity.stub.ListUserRoles, rbac_pb2.ListUserRolesRequest(user_id="me"), member)
    assert [r.id for r in mine.roles] == ["user"]
    error = await fails(
        identity.stub.ListUserRoles, rbac_pb2.ListUserRolesRequest(user_id=str(admin)), member
    )
    assert error.code == grpc.StatusCode.PERMISSION_DENIED

    error = await fails(
        identity.stub.RevokeRole,
        rbac_pb2.RevokeRoleRequest(user_id=str(identity.admin), role_id="super_admin"),
        identity.admin,
    )
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "LAST_SUPER_ADMIN")


async def test_check_for_others_and_other_tenants(identity: Identity) -> None:
    other_tenant = await identity.tenant(_slug("t").replace("_", "-"))
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant, "user")
    about_member = await _check(identity, admin, "chat:create", user_id=str(member))
    assert about_member.allowed
    error = await fails(
        identity.stub.Check, rbac_pb2.CheckRequest(permission="chat:create", user_id=str(admin)), member
    )
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert not (await _check(identity, admin, "users:read", tenant_id=str(other_tenant))).allowed
    assert (
        await _check(identity, identity.admin, "users:read", tenant_id=str(other_tenant))
    ).granted_by_role_id == "super_admin"


async def test_every_role_rpc_refuses_other_tenants(identity: Identity) -> None:
    other_tenant = await identity.tenant(_slug("t").replace("_", "-"))
    outsider_admin = await identity.user(other_tenant, "tenant_admin")
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant, "user")
    role = await _role(identity, admin, _slug("local"), ["analytics:read"])
    foreign_role = await _role(identity, outsider_admin, _slug("foreign"), ["analytics:read"])
    before = await identity.row_count(audit=False)

    not_found = [
        (identity.stub.GetRole, rbac_pb2.GetRoleRequest(role_id=role.id)),
        (
            identity.stub.UpdateRole,
            rbac_pb2.UpdateRoleRequest(
                role_id=role.id,
                role=rbac_pb2.Role(description="x"),
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
            ),
        ),
        (identity.stub.DeleteRole, rbac_pb2.DeleteRoleRequest(role_id=role.id)),
        (identity.stub.AssignRole, rbac_pb2.AssignRoleRequest(user_id=str(member), role_id="user")),
        (identity.stub.RevokeRole, rbac_pb2.RevokeRoleRequest(user_id=str(member), role_id="user")),
        (identity.stub.ListUserRoles, rbac_pb2.ListUserRolesRequest(user_id=str(member))),
        (identity.stub.Check, rbac_pb2.CheckRequest(permission="chat:create", user_id=str(member))),
    ]
    for rpc, request in not_found:
        error = await fails(rpc, request, outsider_admin)
        assert error.code == grpc.StatusCode.NOT_FOUND, rpc
    own_user = await identity.user(other_tenant)
    error = await fails(
        identity.stub.AssignRole,
        rbac_pb2.AssignRoleRequest(user_id=str(own_user), role_id=role.id),
        outsider_admin,
    )
    assert error.code == grpc.StatusCode.NOT_FOUND
    error = await fails(
        identity.stub.AssignRole,
        rbac_pb2.AssignRoleRequest(user_id=str(member), role_id=foreign_role.id),
        admin,
    )
    assert error.code == grpc.StatusCode.NOT_FOUND
    error = await fails(
        identity.stub.CreateRole,
        rbac_pb2.CreateRoleRequest(
            role=rbac_pb2.Role(name=_slug("x"), tenant_id=str(identity.default_tenant))
        ),
        outsider_admin,
    )
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    listed = await call(
        identity.stub.ListRoles, rbac_pb2.ListRolesRequest(custom_only=True, page_size=200), outsider_admin
    )
    assert role.id not in [r.id for r in listed.roles] and foreign_role.id in [r.id for r in listed.roles]
    assert await identity.row_count(audit=False) == before
    assert await identity.denials(outsider_admin) == ["role.create"]


async def test_role_changes_reach_other_instances_at_once(identity: Identity) -> None:
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant, "user")
    second = await identity.start_instance()
    request = rbac_pb2.CheckRequest(permission="analytics:read")
    assert not (await call(second.stub.Check, request, member)).allowed  # cached as denied on `second`

    role = await _role(identity, admin, _slug("viewer"), ["analytics:read"])
    await _assign(identity, admin, member, role.id)
    assert (await call(second.stub.Check, request, member)).allowed

    await _update_role(identity, admin, role.id, ["permissions"], permissions=["usage:read"])
    assert not (await call(second.stub.Check, request, member)).allowed
