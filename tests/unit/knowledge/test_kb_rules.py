"""Knowledge base settings validation, access rules and job progress."""

from __future__ import annotations

import pytest

from knowledge.domain import jobs
from knowledge.domain.access import Reader, can_read, can_write
from knowledge.domain.settings import ChunkingValues, RetrievalValues, check_chunking, check_retrieval


def test_chunking_limits() -> None:
    assert check_chunking(ChunkingValues(), "c") == []
    fields = {
        v.field
        for v in check_chunking(ChunkingValues(chunk_tokens=8, overlap_tokens=-1, separators=("",)), "c")
    }
    assert fields == {"c.chunk_size_tokens", "c.chunk_overlap_tokens", "c.separators"}
    assert (
        check_chunking(ChunkingValues(chunk_tokens=100, overlap_tokens=51), "c")[0].field
        == "c.chunk_overlap_tokens"
    )


def test_retrieval_limits() -> None:
    assert check_retrieval(RetrievalValues(), "r") == []
    bad = check_retrieval(
        RetrievalValues(top_k=0, score_threshold=1.5, vector_weight=0, keyword_weight=0), "r"
    )
    assert {v.field for v in bad} == {"r.top_k", "r.score_threshold", "r.vector_weight"}


def test_settings_survive_their_storage_shape() -> None:
    chunking = ChunkingValues(chunk_tokens=300, overlap_tokens=30, separators=("\n\n", "\u3002"))
    assert ChunkingValues.from_json(chunking.to_json()) == chunking
    retrieval = RetrievalValues(
        top_k=9, score_threshold=0.2, vector_weight=2, keyword_weight=0.5, rerank=True
    )
    assert RetrievalValues.from_json(retrieval.to_json()) == retrieval
    assert ChunkingValues.from_json({}) == ChunkingValues()


def test_owner_writes_shares_read_other_tenants_nothing() -> None:
    owner = Reader("t1", "alice")
    friend = Reader("t1", "bob", frozenset({"analyst"}))
    stranger = Reader("t2", "alice")
    kb = {"tenant_id": "t1", "owner_id": "alice", "shared_user_ids": [], "shared_roles": ["analyst"]}
    assert can_read(owner, **kb) and can_write(owner, tenant_id="t1", owner_id="alice")
    assert can_read(friend, **kb) and not can_write(friend, tenant_id="t1", owner_id="alice")
    assert not can_read(stranger, **kb)
    assert not can_read(Reader("t1", "carol"), **kb)


@pytest.mark.parametrize(
    ("stage", "embedded", "total", "expected"),
    [("parsing", 0, 0, 0.0), ("embedding", 0, 10, 15.0), ("embedding", 10, 10, 95.0), ("done", 0, 0, 100.0)],
)
def test_progress_runs_from_zero_to_a_hundred(stage: str, embedded: int, total: int, expected: float) -> None:
    assert jobs.progress(stage, embedded, total) == pytest.approx(expected)


def test_retry_backoff_doubles_up_to_a_cap() -> None:
    assert [jobs.retry_delay(a, 2.0) for a in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert jobs.retry_delay(30, 2.0) == 300.0
