"""Which fairness limits a turn is held to, and how a refusal reads (pure rules, no I/O).

Fairness is a quota of tenants and users, not of one instance: a user may run
``user`` turns at once and a tenant ``tenant`` turns at once, counted across every
orchestrator instance (see store/turn_leases.py). Zero means unlimited. The defaults come from the
settings (a small per-user figure, no tenant figure: every self-registered user shares the
``default`` tenant, so a tenant limit there would throttle strangers against each other);
an operator may set both per tenant. Background turns (titles, summaries) are the
service's own follow-up work and are held only to the instance's capacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, Field

from mesh.errors import QuotaViolation, ResourceExhausted

__all__ = ["TenantTurnLimits", "TurnLimits", "over_limit", "shed", "turn_limits"]


class TenantTurnLimits(BaseModel):
    """An operator's figures for one tenant; a figure left out keeps the default."""

    user: int | None = Field(default=None, ge=0)
    tenant: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class TurnLimits:
    user: int = 0
    tenant: int = 0

    @property
    def unlimited(self) -> bool:
        return self.user == 0 and self.tenant == 0


def turn_limits(
    tenant_id: str,
    *,
    default_user: int,
    default_tenant: int,
    overrides: Mapping[str, TenantTurnLimits],
    background: bool = False,
) -> TurnLimits:
    """The limits of a turn of ``tenant_id``; none for background turns."""
    if background:
        return TurnLimits()
    override = overrides.get(tenant_id)
    user = default_user if override is None or override.user is None else override.user
    tenant = default_tenant if override is None or override.tenant is None else override.tenant
    return TurnLimits(user=user, tenant=tenant)


def over_limit(scope: str, limit: int, retry_after: float) -> ResourceExhausted:
    """The refusal of a turn over its user's or tenant's concurrent-turn limit (scope: user|tenant)."""
    return ResourceExhausted(
        f"too many chat turns running at once for this {scope} (limit {limit}); retry when one ends",
        [QuotaViolation(f"{scope}:concurrent_turns", f"at most {limit} turns at once per {scope}")],
        retry_after,
        reason="CONCURRENT_TURNS_EXCEEDED",
        metadata={"scope": scope, "limit": str(limit)},
    )


def shed(capacity: int, retry_after: float) -> ResourceExhausted:
    """The refusal of a turn this instance has no room for (load shedding)."""
    return ResourceExhausted(
        "the orchestrator is at capacity; retry shortly",
        [QuotaViolation("instance:running_turns", f"at most {capacity} turns at once per instance")],
        retry_after,
        reason="ORCHESTRATOR_OVERLOADED",
    )
