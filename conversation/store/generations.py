"""Generations and rolling summaries (conv-stream's tables) and every query on them.

A generation row is the durable side of a turn whose events live briefly in Redis: who may
stop or resume it, which messages it fills, and how it ended. A summary row covers a
branch from its root through one message; the context window reuses the newest one on the
branch and extends it instead of starting over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.store.conversations import title_vector
from conversation.store.tables import conversations, metadata

__all__ = [
    "GenerationRow",
    "SummaryRow",
    "find_by_request",
    "finish_generation",
    "generations",
    "get_generation",
    "insert_generation",
    "save_summary",
    "set_title_if_empty",
    "stale_generations",
    "summaries",
    "summaries_for",
]

GENERATION_KINDS = ("send", "regenerate")
GENERATION_STATUSES = ("running", "complete", "incomplete", "failed")

generations = Table(
    "generations",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("owner_id", Text, nullable=False),
    Column(
        "conversation_id",
        UUID(as_uuid=False),
        ForeignKey(conversations.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_message_id", UUID(as_uuid=False), nullable=True),
    Column("assistant_message_id", UUID(as_uuid=False), nullable=False),
    Column("kind", Text, nullable=False),
    Column("request_id", Text, nullable=False, server_default=""),
    Column("model", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="running"),
    Column("error", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("kind IN ('send', 'regenerate')", name="kind_known"),
    CheckConstraint("status IN ('running', 'complete', 'incomplete', 'failed')", name="status_known"),
    Index("ix_generations_conversation_id_created_at", "conversation_id", "created_at"),
    Index(
        "uq_generations_request",
        "tenant_id",
        "conversation_id",
        "request_id",
        unique=True,
        postgresql_where=text("request_id <> ''"),
    ),
)

summaries = Table(
    "summaries",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column(
        "conversation_id",
        UUID(as_uuid=False),
        ForeignKey(conversations.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("through_message_id", UUID(as_uuid=False), nullable=False),
    Column("content", Text, nullable=False),
    Column("token_count", Integer, nullable=False, server_default=text("0")),
    Column("covered_messages", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(
        "uq_summaries_conversation_id_through_message_id",
        "conversation_id",
        "through_message_id",
        unique=True,
    ),
)


@dataclass(frozen=True)
class GenerationRow:
    id: str
    tenant_id: str
    owner_id: str
    conversation_id: str
    user_message_id: str
    assistant_message_id: str
    kind: str
    model: str
    status: str

    @property
    def running(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True)
class SummaryRow:
    through_message_id: str
    content: str
    token_count: int
    covered_messages: int


def _generation(row: object) -> GenerationRow:
    mapping = row._mapping  # type: ignore[attr-defined]
    return GenerationRow(
        id=str(mapping["id"]),
        tenant_id=mapping["tenant_id"],
        owner_id=mapping["owner_id"],
        conversation_id=str(mapping["conversation_id"]),
        user_message_id=str(mapping["user_message_id"] or ""),
        assistant_message_id=str(mapping["assistant_message_id"]),
        kind=mapping["kind"],
        model=mapping["model"],
        status=mapping["status"],
    )


async def insert_generation(session: AsyncSession, row: GenerationRow, request_id: str) -> None:
    await session.execute(
        generations.insert().values(
            id=row.id,
            tenant_id=row.tenant_id,
            owner_id=row.owner_id,
            conversation_id=row.conversation_id,
            user_message_id=row.user_message_id or None,
            assistant_message_id=row.assistant_message_id,
            kind=row.kind,
            request_id=request_id,
            model=row.model,
            status=row.status,
        )
    )


async def get_generation(session: AsyncSession, tenant_id: str, generation_id: str) -> GenerationRow | None:
    try:
        uuid.UUID(generation_id)
    except ValueError:
        return None
    found = await session.execute(
        select(generations).where(generations.c.id == generation_id, generations.c.tenant_id == tenant_id)
    )
    row = found.first()
    return _generation(row) if row is not None else None


async def find_by_request(
    session: AsyncSession, tenant_id: str, conversation_id: str, request_id: str
) -> GenerationRow | None:
    found = await session.execute(
        select(generations).where(
            generations.c.tenant_id == tenant_id,
            generations.c.conversation_id == conversation_id,
            generations.c.request_id == request_id,
        )
    )
    row = found.first()
    return _generation(row) if row is not None else None


async def running_generations(
    session: AsyncSession, tenant_id: str, conversation_id: str
) -> list[GenerationRow]:
    """Turns of one conversation still marked running (deleting the conversation stops them)."""
    found = await session.execute(
        select(generations).where(
            generations.c.tenant_id == tenant_id,
            generations.c.conversation_id == conversation_id,
            generations.c.status == "running",
        )
    )
    return [_generation(row) for row in found]


async def finish_generation(
    session: AsyncSession, generation_id: str, status: str, *, model: str = "", error: str = ""
) -> bool:
    """Marks a running generation ended; False when it was no longer running."""
    values: dict[str, object] = {"status": status, "error": error, "finished_at": func.now()}
    if model:
        values["model"] = model
    result = await session.execute(
        update(generations)
        .where(generations.c.id == generation_id, generations.c.status == "running")
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def stale_generations(
    session: AsyncSession, older_than_seconds: float, limit: int = 100
) -> list[GenerationRow]:
    """Turns still marked running that started more than ``older_than_seconds`` ago (any tenant)."""
    found = await session.execute(
        select(generations)
        .where(
            generations.c.status == "running",
            generations.c.created_at < func.now() - timedelta(seconds=older_than_seconds),
        )
        .order_by(generations.c.created_at)
        .limit(limit)
    )
    return [_generation(row) for row in found]


async def summaries_for(session: AsyncSession, tenant_id: str, conversation_id: str) -> list[SummaryRow]:
    found = await session.execute(
        select(
            summaries.c.through_message_id,
            summaries.c.content,
            summaries.c.token_count,
            summaries.c.covered_messages,
        ).where(summaries.c.tenant_id == tenant_id, summaries.c.conversation_id == conversation_id)
    )
    return [SummaryRow(str(r[0]), r[1], r[2], r[3]) for r in found]


async def save_summary(
    session: AsyncSession,
    tenant_id: str,
    conversation_id: str,
    row: SummaryRow,
) -> None:
    """Insert or replace the summary through ``row.through_message_id`` (a re-run writes the newer text)."""
    statement = insert(summaries).values(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        through_message_id=row.through_message_id,
        content=row.content,
        token_count=row.token_count,
        covered_messages=row.covered_messages,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[summaries.c.conversation_id, summaries.c.through_message_id],
            set_={
                "content": statement.excluded.content,
                "token_count": statement.excluded.token_count,
                "covered_messages": statement.excluded.covered_messages,
            },
        )
    )


async def set_title_if_empty(session: AsyncSession, tenant_id: str, conversation_id: str, title: str) -> bool:
    """The automatic title: written only while the conversation has none (a user's title wins)."""
    result = await session.execute(
        update(conversations)
        .where(
            conversations.c.id == conversation_id,
            conversations.c.tenant_id == tenant_id,
            conversations.c.title == "",
        )
        .values(title=title, search_vector=title_vector(title), updated_at=func.now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
