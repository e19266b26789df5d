"""Deleting rollup rows and ledger entries past their retention, a bounded batch at a time.

Batches keep every transaction short (no long lock, no giant WAL burst), which is where
spend-log tables elsewhere time out. Raw request rows are not deleted here: their daily
partitions are dropped whole (store.partitions).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["delete_before"]


async def delete_before(engine: AsyncEngine, table: Table, column: str, cutoff: datetime, batch: int) -> int:
    """Delete rows of ``table`` with ``column`` < ``cutoff``, ``batch`` rows per transaction."""
    name = f"{table.schema}.{table.name}" if table.schema else table.name
    statement = text(
        f"DELETE FROM {name} WHERE ctid = ANY(ARRAY("
        f"SELECT ctid FROM {name} WHERE {column} < :cutoff LIMIT :batch))"
    )
    deleted = 0
    while True:
        async with engine.begin() as conn:
            count = (await conn.execute(statement, {"cutoff": cutoff, "batch": batch})).rowcount
        deleted += count
        if count < batch:
            return deleted
