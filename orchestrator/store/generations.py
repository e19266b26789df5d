"""Generation queries (table in tables.py): one status record per turn, updated as it moves on.

Claiming an id is atomic across instances: the insert succeeds for a new id or for one
whose earlier turn has finished (a retry), and does nothing for an id that is still
queued or running, which the caller reports as ALREADY_EXISTS.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mesh.errors import FieldViolation, InvalidArgument
from orchestrator.store.tables import generations

__all__ = [
    "LIVE_STATES",
    "GenerationFilter",
    "GenerationRow",
    "claim",
    "close_live",
    "get",
    "list_page",
    "update_row",
]


# GenerationState values of turns not finished yet (QUEUED, RUNNING).
LIVE_STATES = (1, 2)


@dataclass(frozen=True)
class GenerationRow:
    id: str
    tenant_id: str
    user_id: str
    conversation_id: str
    message_id: str
    request_id: str
    instance_id: str
    state: int
    priority: int
    model: str
    finish_reason: int
    usage: dict[str, int]
    tool_calls: list[dict[str, Any]]
    error_reason: str
    error_message: str
    ttft_ms: int | None
    latency_ms: int | None
    create_time: dt.datetime
    start_time: dt.datetime | None
    end_time: dt.datetime | None


@dataclass(frozen=True)
class GenerationFilter:
    tenant_id: str = ""  # "" = every tenant (only for callers allowed to see them all)
    user_id: str = ""
    conversation_id: str = ""
    state: int = 0


def _single_statement(engine: AsyncEngine) -> AsyncConnection:
    """A connection for one statement, which is atomic by itself: no BEGIN and COMMIT round trips
    around it (these writes are on every turn's path to its first token)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT").connect()


def _row(mapping: Mapping[Any, Any]) -> GenerationRow:
    return GenerationRow(**{name: mapping[name] for name in GenerationRow.__dataclass_fields__})


async def claim(engine: AsyncEngine, values: Mapping[str, Any]) -> bool:
    """Writes a new QUEUED record; False when a live turn (or another tenant's turn) holds the id.

    A finished turn of the same tenant is replaced: that is a retry of the turn.
    """
    row = {"usage": {}, "tool_calls": [], **values}
    statement = pg_insert(generations).values(**row)
    fresh = {name: statement.excluded[name] for name in row if name != "id"} | {
        "finish_reason": 0,
        "error_reason": "",
        "error_message": "",
        "ttft_ms": None,
        "latency_ms": None,
        "start_time": None,
        "end_time": None,
    }
    upsert = statement.on_conflict_do_update(
        index_elements=[generations.c.id],
        set_=fresh,
        where=and_(
            generations.c.state.not_in(LIVE_STATES), generations.c.tenant_id == statement.excluded.tenant_id
        ),
    ).returning(generations.c.id)
    async with _single_statement(engine) as conn:
        return (await conn.execute(upsert)).first() is not None


async def update_row(engine: AsyncEngine, generation_id: str, instance_id: str, **values: Any) -> None:
    """Updates the record this instance owns (a newer claim of the same id by a retry is left alone)."""
    async with _single_statement(engine) as conn:
        await conn.execute(
            update(generations)
            .where(generations.c.id == generation_id, generations.c.instance_id == instance_id)
            .values(**values)
        )


async def close_live(
    engine: AsyncEngine,
    generation_id: str,
    *,
    state: int,
    finish_reason: int,
    error_reason: str,
    message: str,
    when: dt.datetime,
    instance_id: str | None = None,
) -> None:
    """Ends a record still QUEUED or RUNNING that its own instance will not end (gone, or unreachable).

    ``instance_id`` limits this to the claim of that instance, so a newer claim is never touched.
    """
    conditions = [generations.c.id == generation_id, generations.c.state.in_(LIVE_STATES)]
    if instance_id is not None:
        conditions.append(generations.c.instance_id == instance_id)
    async with _single_statement(engine) as conn:
        await conn.execute(
            update(generations)
            .where(*conditions)
            .values(
                state=state,
                finish_reason=finish_reason,
                error_reason=error_reason,
                error_message=message,
                end_time=when,
            )
        )


async def get(engine: AsyncEngine, generation_id: str) -> GenerationRow | None:
    async with engine.connect() as conn:
        found = (await conn.execute(select(generations).where(generations.c.id == generation_id))).first()
    return None if found is None else _row(found._mapping)


def _encode_cursor(row: GenerationRow) -> str:
    text = f"{row.create_time.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[dt.datetime, str]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, _, generation_id = text.partition("|")
        return dt.datetime.fromisoformat(stamp), generation_id
    except ValueError:
        raise InvalidArgument(
            "bad page_token", [FieldViolation("page_token", "not a token from this list")]
        ) from None


async def list_page(
    engine: AsyncEngine, where: GenerationFilter, page_size: int, page_token: str
) -> tuple[Sequence[GenerationRow], str]:
    """Newest first, keyset-paged on (create_time, id)."""
    conditions = []
    if where.tenant_id:
        conditions.append(generations.c.tenant_id == where.tenant_id)
    if where.user_id:
        conditions.append(generations.c.user_id == where.user_id)
    if where.conversation_id:
        conditions.append(generations.c.conversation_id == where.conversation_id)
    if where.state:
        conditions.append(generations.c.state == where.state)
    if page_token:
        stamp, last_id = _decode_cursor(page_token)
        conditions.append(
            or_(
                generations.c.create_time < stamp,
                and_(generations.c.create_time == stamp, generations.c.id < last_id),
            )
        )
    query = (
        select(generations)
        .where(*conditions)
        .order_by(generations.c.create_time.desc(), generations.c.id.desc())
        .limit(page_size + 1)
    )
    async with engine.connect() as conn:
        rows = [_row(found._mapping) for found in await conn.execute(query)]
    if len(rows) > page_size:
        return rows[:page_size], _encode_cursor(rows[page_size - 1])
    return rows, ""
