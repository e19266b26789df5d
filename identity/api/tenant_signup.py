"""The signup policy fields of a tenant: reading them from requests, checking who may set them.

Tenant admins set their own tenant's policy (it decides who becomes a user, so it needs
``users:create`` there); the role handed to self-registered users may not exceed what the
admin holds, the same no-escalation rule as assigning it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatmesh.identity.v1 import tenants_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.api.access_support import Caller
from identity.api.account_messages import SIGNUP_MODE_NAMES
from identity.api.account_support import invalid
from identity.api.role_messages import effective_permissions, find_role, no_escalation
from identity.domain.signup import MAX_SIGNUP_DOMAINS, domain_problem, normalize_domain
from identity.store import rbac as rbac_store
from identity.store.tenant_queries import TenantRow
from mesh.errors import FieldViolation

__all__ = ["SIGNUP_PATHS", "check_signup_role", "signup_values"]

SIGNUP_PATHS = frozenset({"signup", "signup.mode", "signup.email_domains", "signup.default_role_id"})
_COLUMNS = {"mode": "signup_mode", "email_domains": "signup_domains", "default_role_id": "signup_role"}


def signup_values(
    policy: tenants_pb2.TenantSignupPolicy, paths: Sequence[str], current: TenantRow | None, prefix: str
) -> dict[str, object]:
    """Column values for the named signup fields (``signup`` alone: all of them), checked together."""
    fields = list(_COLUMNS) if "signup" in paths else [p.split(".", 1)[1] for p in paths if p in SIGNUP_PATHS]
    violations: list[FieldViolation] = []
    values: dict[str, object] = {}
    if "mode" in fields:
        chosen = SIGNUP_MODE_NAMES.get(policy.mode)
        if chosen is None:
            violations.append(FieldViolation(f"{prefix}mode", "must be OPEN, INVITE_ONLY or EMAIL_DOMAINS"))
        values["signup_mode"] = chosen
    if "email_domains" in fields:
        domains = list(dict.fromkeys(normalize_domain(d) for d in policy.email_domains))
        if len(domains) > MAX_SIGNUP_DOMAINS:
            violations.append(
                FieldViolation(f"{prefix}email_domains", f"at most {MAX_SIGNUP_DOMAINS} domains")
            )
        violations += [
            FieldViolation(f"{prefix}email_domains[{i}]", problem)
            for i, d in enumerate(domains)
            if (problem := domain_problem(d))
        ]
        values["signup_domains"] = domains
    if "default_role_id" in fields:
        values["signup_role"] = policy.default_role_id.strip() or None
    mode = values.get("signup_mode", current.signup_mode if current else None)
    domains_after = values.get("signup_domains", list(current.signup_domains) if current else [])
    if mode == "email_domains" and not domains_after:
        violations.append(
            FieldViolation(f"{prefix}email_domains", "EMAIL_DOMAINS mode needs at least one domain")
        )
    if violations:
        raise invalid(violations)
    return values


async def check_signup_role(
    db: AsyncSession, caller: Caller, tenant: TenantRow, role_key: str | None
) -> None:
    """The role must exist for the tenant and hold nothing the caller lacks."""
    if role_key is None:
        return
    records = await rbac_store.role_records(db, tenant.id)
    record = find_role(records, role_key)
    if record is None:
        raise invalid([FieldViolation("tenant.signup.default_role_id", "no such role in this tenant")])
    graph = {k: r.node for k, r in records.items()}
    no_escalation(caller, effective_permissions(graph, record.node.permissions, record.node.parents))
