"""RBAC rules without a database: permission syntax, wildcard matching, inheritance, grants."""

from __future__ import annotations

import uuid

import pytest

from identity.domain.rbac import (
    Grants,
    RoleNode,
    ancestors,
    find_cycle,
    matches,
    permission_error,
    role_name_error,
    uncovered,
)


@pytest.mark.parametrize(
    ("granted", "required", "expected"),
    [
        ("conversations:read", "conversations:read", True),
        ("conversations:read", "conversations:delete", False),
        ("conversations:*", "conversations:delete", True),
        ("*:read", "invoices:read", True),
        ("*:read", "invoices:write", False),
        ("*:*", "anything:goes", True),
        ("conversations:*", "conversation:read", False),
        ("conversations:read", "conversations:*", False),  # a literal '*' needs a granted '*'
        ("conversations:*", "conversations:*", True),
    ],
)
def test_matching(granted: str, required: str, expected: bool) -> None:
    assert matches(granted, required) is expected


@pytest.mark.parametrize(
    "good", ["users:read", "*:*", "api_keys:create", "knowledge_bases.docs:read", "*:read"]
)
def test_well_formed_permissions(good: str) -> None:
    assert permission_error(good) is None


@pytest.mark.parametrize(
    "bad", ["", "users", "users:", ":read", "a:b:c", "Users:read", "users:re ad", "u*:read"]
)
def test_malformed_permissions(bad: str) -> None:
    assert permission_error(bad) is not None


def test_role_names() -> None:
    assert role_name_error("support_agent") is None
    assert role_name_error("Support") is not None
    assert role_name_error("x") is not None
    assert "built-in" in (role_name_error("developer") or "")


def test_uncovered_lists_what_would_escalate() -> None:
    held = ["users:*", "analytics:read"]
    assert uncovered(held, ["users:delete", "analytics:read"]) == []
    assert uncovered(held, ["tenants:create", "*:*", "analytics:*"]) == [
        "*:*",
        "analytics:*",
        "tenants:create",
    ]
    assert uncovered(["*:*"], ["*:*", "x:y"]) == []


def _node(
    name: str,
    permissions: tuple[str, ...] = (),
    parents: tuple[uuid.UUID, ...] = (),
    built_in: bool = False,
    tenant: uuid.UUID | None = None,
) -> RoleNode:
    return RoleNode(uuid.uuid4(), name, tenant, permissions, parents, built_in)


def test_ancestors_and_cycles() -> None:
    base = _node("base", ("a:read",))
    mid = _node("mid", ("b:read",), (base.id,))
    top = _node("top", (), (mid.id, base.id))
    graph = {n.id: n for n in (base, mid, top)}
    assert [n.name for n in ancestors(graph, [top.id])] == ["top", "mid", "base"]
    assert find_cycle(graph, base.id, [top.id])
    assert find_cycle(graph, base.id, [base.id])
    assert not find_cycle(graph, top.id, [base.id])
    looped = {**graph, base.id: RoleNode(base.id, "base", None, ("a:read",), (top.id,), False)}
    assert {n.name for n in ancestors(looped, [top.id])} == {"top", "mid", "base"}  # terminates


def test_grants_scope_to_the_users_tenant_except_super_admin() -> None:
    tenant, elsewhere = uuid.uuid4(), uuid.uuid4()
    user = _node("user", ("chat:create",), built_in=True)
    admin = _node("tenant_admin", ("users:*",), (user.id,), built_in=True)
    root = _node("super_admin", ("*:*",), built_in=True)
    graph = {n.id: n for n in (user, admin, root)}

    grants = Grants.of(uuid.uuid4(), tenant, True, [admin.id], graph)
    assert grants.role_keys == ("tenant_admin",)
    assert grants.permissions == ("users:*", "chat:create")
    assert grants.granting_role("chat:create") == user
    assert grants.allows("users:delete", tenant)
    assert not grants.allows("users:delete", elsewhere)
    assert not grants.is_super_admin

    root_grants = Grants.of(uuid.uuid4(), tenant, True, [root.id], graph)
    assert root_grants.allows("users:delete", elsewhere) and root_grants.is_super_admin

    disabled = Grants.of(uuid.uuid4(), tenant, False, [root.id], graph)
    assert not disabled.allows("chat:create")
    foreign = _node("theirs", ("x:y",), tenant=elsewhere)
    assert Grants.of(uuid.uuid4(), tenant, True, [foreign.id], graph).assigned == ()
