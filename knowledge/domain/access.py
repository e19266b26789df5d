"""Who may do what to a knowledge base: the owner writes; the owner, the users it is shared
with and holders of a shared role read and search. Other tenants never see it at all.

A caller who may not read a knowledge base gets NOT_FOUND, the same as for a missing one,
so ids of other people's knowledge bases cannot be probed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["Reader", "can_read", "can_write"]


@dataclass(frozen=True)
class Reader:
    tenant_id: str
    user_id: str
    roles: frozenset[str] = frozenset()


def can_read(
    reader: Reader,
    *,
    tenant_id: str,
    owner_id: str,
    shared_user_ids: Collection[str],
    shared_roles: Collection[str],
) -> bool:
    if reader.tenant_id != tenant_id:
        return False
    return (
        owner_id == reader.user_id
        or reader.user_id in shared_user_ids
        or bool(reader.roles & set(shared_roles))
    )


def can_write(reader: Reader, *, tenant_id: str, owner_id: str) -> bool:
    return reader.tenant_id == tenant_id and owner_id == reader.user_id
