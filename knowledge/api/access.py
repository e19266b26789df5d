"""Finding a knowledge base the caller may read or change; anything else is NOT_FOUND.

A reader who is not the owner and asks to change it gets PERMISSION_DENIED (they can see
it exists); everyone else gets NOT_FOUND, the same as for a missing id.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.domain.access import Reader, can_read, can_write
from knowledge.store import knowledge_bases as kb_store
from mesh.errors import NotFound, PermissionDenied

__all__ = ["kb_not_found", "readable_kb", "readable_kbs", "writable_kb"]


def kb_not_found(kb_id: uuid.UUID | str) -> NotFound:
    return NotFound(
        "knowledge base not found", reason="KNOWLEDGE_BASE_NOT_FOUND", metadata={"id": str(kb_id)}
    )


def _readable(reader: Reader, row: Any) -> bool:
    return can_read(
        reader,
        tenant_id=row["tenant_id"],
        owner_id=row["owner_id"],
        shared_user_ids=row["shared_user_ids"],
        shared_roles=row["shared_roles"],
    )


async def readable_kb(session: AsyncSession, reader: Reader, kb_id: uuid.UUID) -> Any:
    row = await kb_store.get_kb(session, kb_id, reader.tenant_id)
    if row is None or not _readable(reader, row):
        raise kb_not_found(kb_id)
    return row


async def readable_kbs(session: AsyncSession, reader: Reader, kb_ids: list[uuid.UUID]) -> list[Any]:
    """All of them in the order asked, or NOT_FOUND naming the first one the caller may not read."""
    rows = {row["id"]: row for row in await kb_store.get_kbs(session, kb_ids, reader.tenant_id)}
    for kb_id in kb_ids:
        row = rows.get(kb_id)
        if row is None or not _readable(reader, row):
            raise kb_not_found(kb_id)
    return [rows[kb_id] for kb_id in kb_ids]


async def writable_kb(
    session: AsyncSession, reader: Reader, kb_id: uuid.UUID, *, for_update: bool = False
) -> Any:
    row = await kb_store.get_kb(session, kb_id, reader.tenant_id, for_update=for_update)
    if row is None or not _readable(reader, row):
        raise kb_not_found(kb_id)
    if not can_write(reader, tenant_id=row["tenant_id"], owner_id=row["owner_id"]):
        raise PermissionDenied(
            "only the owner may change this knowledge base", reason="KNOWLEDGE_BASE_NOT_OWNER"
        )
    return row
