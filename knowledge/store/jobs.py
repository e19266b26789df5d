"""SQL of ingestion jobs: creation, the claim with a lease, progress, and the endings.

A worker owns a job while its lease is in the future; it renews the lease with every
progress write. A worker that dies stops renewing, and the sweep (or any worker handed the
job again) may claim it once the lease has passed. Claims are single UPDATE statements, so
two workers never run one job at once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.domain import jobs as states
from knowledge.store.tables import ingestion_jobs

__all__ = [
    "claim",
    "finish",
    "get_job",
    "insert_job",
    "list_jobs",
    "lost_jobs",
    "open_job_for_document",
    "record_progress",
    "set_state",
]

job = ingestion_jobs


async def insert_job(session: AsyncSession, values: dict[str, Any]) -> RowMapping:
    return (await session.execute(insert(job).values(**values).returning(*job.c))).mappings().one()


async def get_job(session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False) -> RowMapping | None:
    query = select(*job.c).where(job.c.id == job_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).mappings().first()


async def list_jobs(
    session: AsyncSession, kb_id: uuid.UUID, *, state: str | None, offset: int, limit: int
) -> list[RowMapping]:
    query = select(*job.c).where(job.c.knowledge_base_id == kb_id)
    if state:
        query = query.where(job.c.state == state)
    query = query.order_by(job.c.created_at.desc(), job.c.id).offset(offset).limit(limit)
    return list((await session.execute(query)).mappings())


async def open_job_for_document(session: AsyncSession, doc_id: uuid.UUID) -> RowMapping | None:
    query = select(*job.c).where(job.c.document_id == doc_id, job.c.state.in_(states.OPEN))
    return (await session.execute(query.limit(1))).mappings().first()


async def claim(session: AsyncSession, job_id: uuid.UUID, lease_seconds: float) -> RowMapping | None:
    """Take the job if it is queued and due, or running with a lapsed lease; counts the attempt."""
    now = func.now()
    statement = (
        update(job)
        .where(
            job.c.id == job_id,
            job.c.not_before <= now,
            or_(
                job.c.state == states.QUEUED,
                and_(
                    job.c.state == states.RUNNING, or_(job.c.lease_until.is_(None), job.c.lease_until < now)
                ),
            ),
        )
        .values(
            state=states.RUNNING,
            stage=states.PARSING,
            attempt=job.c.attempt + 1,
            lease_until=now + timedelta(seconds=lease_seconds),
            started_at=func.coalesce(job.c.started_at, now),
            updated_at=now,
            error_code="",
            error_message="",
        )
        .returning(*job.c)
    )
    return (await session.execute(statement)).mappings().first()


async def record_progress(
    session: AsyncSession, job_id: uuid.UUID, lease_seconds: float, **values: Any
) -> bool:
    """Write progress and renew the lease; False when the job is no longer running (cancelled)."""
    now = func.now()
    statement = (
        update(job)
        .where(job.c.id == job_id, job.c.state == states.RUNNING)
        .values(**values, lease_until=now + timedelta(seconds=lease_seconds), updated_at=now)
        .returning(job.c.id)
    )
    return (await session.execute(statement)).first() is not None


async def set_state(session: AsyncSession, job_id: uuid.UUID, **values: Any) -> RowMapping | None:
    statement = (
        update(job).where(job.c.id == job_id).values(**values, updated_at=func.now()).returning(*job.c)
    )
    return (await session.execute(statement)).mappings().first()


async def finish(session: AsyncSession, job_id: uuid.UUID, state: str, **values: Any) -> RowMapping | None:
    return await set_state(session, job_id, state=state, lease_until=None, ended_at=func.now(), **values)


async def lost_jobs(
    session: AsyncSession, idle_seconds: float, *, include_queued: bool, limit: int = 500
) -> list[uuid.UUID]:
    """Open jobs nobody has touched for ``idle_seconds``: running with a lapsed lease (worker
    died), and with ``include_queued`` also queued ones past their retry delay (entry lost)."""
    now = func.now()
    lapsed = and_(job.c.state == states.RUNNING, or_(job.c.lease_until.is_(None), job.c.lease_until < now))
    waiting = and_(job.c.state == states.QUEUED, job.c.not_before <= now)
    query = (
        select(job.c.id)
        .where(
            job.c.state.in_(states.OPEN),
            job.c.updated_at < now - timedelta(seconds=idle_seconds),
            or_(lapsed, waiting) if include_queued else lapsed,
        )
        .order_by(job.c.updated_at)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
