"""Create, upload, ingest, search: the path every other knowledge test builds on."""

from __future__ import annotations

import pytest
from chatmesh.knowledge.v1 import resources_pb2

from knowledge.parsing import parse_document
from tests.integration.knowledge.kb_harness import Service, create_kb, search, upload, wait_job

pytestmark = pytest.mark.timeout(120)

HANDBOOK = b"""# Travel policy

Employees book flights through the travel desk at least two weeks ahead.

## Expenses

Receipts for meals and taxis are filed within thirty days of the trip.
"""


async def test_upload_ingest_and_search_with_citations(kb: Service) -> None:
    made = await create_kb(kb, name="Policies")
    assert made.embedding_dimensions == 384 and made.embedding_model == "local/all-minilm-l6-v2"
    uploaded = await upload(kb, made.id, "policy.md", HANDBOOK)
    job = await wait_job(kb, uploaded.ingestion_job.id)
    assert job.state == resources_pb2.INGESTION_JOB_STATE_SUCCEEDED, job
    results = await search(kb, "receipts for taxis", [made.id])
    assert results, "nothing found"
    top = results[0]
    assert "Receipts" in top.chunk.content
    assert top.source.title and top.source.document_id == uploaded.document.id
    assert top.source.heading.endswith("Expenses")
    extracted = parse_document(HANDBOOK, filename="policy.md", media_type=None).text
    assert extracted[top.chunk.start_offset : top.chunk.end_offset] == top.chunk.content
