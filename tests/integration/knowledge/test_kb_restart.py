"""A service killed mid-ingestion: after a restart the job finishes, resumed, without duplicate chunks.

The first instance's workers are cancelled outright while a job is embedding (its lease
stops being renewed, nothing is cleaned up: what a SIGKILL leaves in Postgres and Redis).
A second instance takes the job over once the lease has passed.
"""

from __future__ import annotations

import asyncio

import pytest
from chatmesh.knowledge.v1 import documents_pb2, resources_pb2
from sqlalchemy import func, select

from knowledge.store.tables import chunks
from mesh.config import Settings
from tests.integration.knowledge.kb_harness import (
    ALICE,
    HashEmbedder,
    close_service,
    create_kb,
    open_service,
    search,
    upload,
    wait_job,
)

pytestmark = pytest.mark.timeout(120)

TEXT = "\n\n".join(
    f"Section {i}: the quarterly report mentions item{i} and budget{i % 7}." for i in range(120)
)


async def test_killed_mid_ingestion_the_job_finishes_after_restart(kb_settings: Settings) -> None:
    slow = HashEmbedder(delay=0.2)
    first = await open_service(kb_settings, embedder=slow)
    made = await create_kb(first, name="restart", chunking=resources_pb2.ChunkingConfig(chunk_size_tokens=32))
    done = await upload(first, made.id, "report.txt", TEXT.encode())
    job_id = done.ingestion_job.id
    while True:
        job = (
            await first.stub.GetIngestionJob(
                documents_pb2.GetIngestionJobRequest(ingestion_job_id=job_id), metadata=ALICE
            )
        ).ingestion_job
        if job.chunks_embedded >= 16:
            break
        await asyncio.sleep(0.05)
    assert job.state == resources_pb2.INGESTION_JOB_STATE_RUNNING and job.chunks_embedded < job.chunks_total
    assert first.deps.queue is not None
    for task in first.deps.queue._tasks:  # the "kill": no cleanup, the lease just stops being renewed
        task.cancel()
    await asyncio.gather(*first.deps.queue._tasks, return_exceptions=True)
    first.deps.queue._tasks.clear()
    await close_service(first)

    fast = HashEmbedder()
    second = await open_service(kb_settings, embedder=fast)
    try:
        finished = await wait_job(second, job_id)
        assert finished.state == resources_pb2.INGESTION_JOB_STATE_SUCCEEDED
        assert finished.attempt == 2
        embedded_again = fast.calls * second.deps.config.embed_batch_size
        assert embedded_again < finished.chunks_total, "the second instance re-embedded what was staged"
        async with second.deps.sessions() as session:
            total, distinct = (
                await session.execute(
                    select(func.count(), func.count(func.distinct(chunks.c.chunk_index))).where(
                        chunks.c.document_id == done.document.id
                    )
                )
            ).one()
        assert total == distinct == finished.chunks_total
        assert (await search(second, "item42", [made.id]))[0].chunk.content.count("item42") == 1
    finally:
        await close_service(second)
