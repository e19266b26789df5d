"""Who may see which usage: a plain user their own, a tenant admin their tenant, a platform admin all.

The caller's reach is applied to the query's filter before any SQL runs: the effective
filter always pins the tenant (and the user, for plain users) unless the caller is a
platform admin. Asking explicitly for usage outside one's reach is PERMISSION_DENIED, as
the contract says; aggregates have no per-resource existence to hide behind NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from mesh.errors import PermissionDenied

__all__ = ["Reach", "UsageCaller", "UsageFilter", "scoped"]


class Reach(Enum):
    OWN = "own"
    TENANT = "tenant"
    PLATFORM = "platform"


@dataclass(frozen=True)
class UsageCaller:
    tenant_id: str
    user_id: str
    reach: Reach


@dataclass(frozen=True)
class UsageFilter:
    """Empty fields do not filter (``status`` is one of domain.facts.STATUSES or empty)."""

    tenant_id: str = ""
    user_id: str = ""
    api_key_id: str = ""
    model: str = ""
    channel_id: str = ""
    arm: str = ""
    source: str = ""
    status: str = ""

    def items(self) -> list[tuple[str, str]]:
        """(column, value) of every field that filters."""
        return [(name, value) for name, value in vars(self).items() if value]


def _denied(what: str) -> PermissionDenied:
    return PermissionDenied(f"usage of {what} is outside the caller's reach", reason="USAGE_OUT_OF_SCOPE")


def scoped(caller: UsageCaller, wanted: UsageFilter) -> UsageFilter:
    """``wanted`` narrowed to what ``caller`` may see; PERMISSION_DENIED for an explicit overreach."""
    if caller.reach is Reach.PLATFORM:
        return wanted
    if wanted.tenant_id and wanted.tenant_id != caller.tenant_id:
        raise _denied("another tenant")
    if caller.reach is Reach.TENANT:
        return replace(wanted, tenant_id=caller.tenant_id)
    if wanted.user_id and wanted.user_id != caller.user_id:
        raise _denied("another user")
    return replace(wanted, tenant_id=caller.tenant_id, user_id=caller.user_id)
