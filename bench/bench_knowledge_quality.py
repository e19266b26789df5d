"""Retrieval quality on Cranfield and ingestion throughput, through knowledge's own pipeline.

The 1,400 Cranfield abstracts are uploaded as documents and ingested by the service's
ingestion workers (parse → chunk → embed with the local model → stage → publish); then the
150 queries run through the service's search in its three modes. Beside them, in the same
run: a plain BM25 (rank-bm25's Okapi, k1 = 1.5, b = 0.75, lower-cased words without English
stop words) over the same texts. Measures: nDCG@10 and Recall@10 (ir-measures) on the TREC
qrels. Target: hybrid >= 1.10 x BM25 and above both of its parts.

Ingestion throughput (chunks/s) is measured twice: with the local model, and with a stand-in
embedder that costs nothing (the ceiling of the pipeline without the model).

Data: ``../shared/data/cranfield`` beside the repository (CHATMESH_CRANFIELD_DIR overrides).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import ir_measures
from ir_measures import R, nDCG
from rank_bm25 import BM25Okapi
from redis.asyncio import Redis
from sqlalchemy import func, select

from bench.harness import ROOT, Report, peak_rss_mb
from bench.knowledge_env import embedded_knowledge

TENANT, OWNER = "bench-tenant", "00000000-0000-0000-0000-00000000b0b0"
MEASURES = [nDCG @ 10, R @ 10]
TARGET_LIFT = 1.10
STOP = frozenset(
    "a an and are as at be by can do does for from has have how in is it its of on or that the this to was "
    "were what when where which who why will with there their these those been being than then also into "
    "not no any such".split()
)


def cranfield_dir() -> Path:
    return Path(os.environ.get("CHATMESH_CRANFIELD_DIR", ROOT.parent / "shared" / "data" / "cranfield"))


def _load() -> tuple[list[dict[str, str]], list[dict[str, str]], list[Any]]:
    base = cranfield_dir()
    docs = [json.loads(line) for line in (base / "docs.jsonl").read_text().splitlines() if line.strip()]
    queries = [json.loads(line) for line in (base / "queries.jsonl").read_text().splitlines() if line.strip()]
    qrels = list(ir_measures.read_trec_qrels(str(base / "qrels.trec")))
    return docs, queries, qrels


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP]


def bm25_run(docs: list[dict[str, str]], queries: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    index = BM25Okapi([_words(d["text"]) for d in docs], k1=1.5, b=0.75)
    run: dict[str, dict[str, float]] = {}
    for q in queries:
        scores = index.get_scores(_words(q["text"]))
        best = sorted(range(len(docs)), key=lambda i: -scores[i])[:10]
        run[q["id"]] = {docs[i]["id"]: float(scores[i]) for i in best}
    return run


class FreeEmbedder:
    """A stand-in model with no cost: words hashed into 384 buckets."""

    model, dimension = "local/all-minilm-l6-v2", 384

    async def embed(self, texts: list[str], *, input_type: str = "document") -> list[list[float]]:
        out = []
        for text in texts:
            vector = [0.0] * 384
            for word in _words(text):
                vector[hash(word) % 384] += 1.0
            norm = sum(v * v for v in vector) ** 0.5 or 1.0
            out.append([v / norm for v in vector])
        return out


ALIASES: dict[str, list[str]] = {}
FAILED: dict[str, int] = {}


async def _ingest(deps: Any, kb_id: uuid.UUID, docs: list[dict[str, str]]) -> tuple[float, int]:
    """Submit every document, wait for the workers; returns (seconds, chunks).

    Cranfield holds a few identical abstracts under different ids: the service keeps one
    (content-hash dedup) and the others are recorded as its aliases, ranked where it ranks.
    """
    from knowledge.ingestion.submit import NewDocument, accept
    from knowledge.store.tables import chunks, documents, ingestion_jobs
    from mesh.errors import AlreadyExists

    ALIASES.clear()
    started = time.perf_counter()
    for doc in docs:
        upload = deps.originals.spool()
        upload.write(doc["text"].encode())
        upload.finish()
        new = NewDocument(
            knowledge_base_id=kb_id,
            tenant_id=TENANT,
            filename=f"{doc['id']}.txt",
            title=doc["title"],
            mime_type="text/plain",
            sha256=upload.sha256,
            size_bytes=upload.size,
        )
        try:
            await accept(deps, new, upload)
        except AlreadyExists as duplicate:
            async with deps.sessions() as session:
                kept = await session.scalar(
                    select(documents.c.filename).where(
                        documents.c.id == uuid.UUID(duplicate.metadata["document_id"])
                    )
                )
            ALIASES.setdefault(str(kept).removesuffix(".txt"), []).append(doc["id"])
        finally:
            upload.discard()
    while True:
        async with deps.sessions() as session:
            open_jobs = await session.scalar(
                select(func.count()).where(
                    ingestion_jobs.c.knowledge_base_id == kb_id,
                    ingestion_jobs.c.state.in_(("queued", "running")),
                )
            )
            failed = await session.scalar(
                select(func.count()).where(
                    ingestion_jobs.c.knowledge_base_id == kb_id, ingestion_jobs.c.state != "succeeded"
                )
            )
        if not open_jobs:
            break
        await asyncio.sleep(0.5)
    elapsed = time.perf_counter() - started
    FAILED[str(kb_id)] = int(failed or 0)  # Cranfield has abstracts with no text: refused with a reason
    async with deps.sessions() as session:
        count = await session.scalar(select(func.count()).where(chunks.c.knowledge_base_id == kb_id))
    return elapsed, int(count or 0)


async def _kb(deps: Any, name: str) -> Any:
    from knowledge.domain.settings import ChunkingValues, RetrievalValues
    from knowledge.store import knowledge_bases as kb_store

    async with deps.sessions.begin() as session:
        return await kb_store.insert_kb(
            session,
            {
                "tenant_id": TENANT,
                "owner_id": OWNER,
                "name": name,
                "embedding_model": "local/all-minilm-l6-v2",
                "embedding_dimensions": 384,
                "chunking": ChunkingValues().to_json(),
                "retrieval": RetrievalValues().to_json(),
            },
        )


async def _service_run(
    deps: Any, kb: Any, queries: list[dict[str, str]], mode: str
) -> dict[str, dict[str, float]]:
    from knowledge.search.service import Searcher, SearchQuery
    from knowledge.store import documents as doc_store

    async with deps.sessions() as session:
        names = {
            row["id"]: row["filename"].removesuffix(".txt")
            for row in await doc_store.all_documents(session, kb["id"])
        }
    searcher = Searcher(deps)
    run: dict[str, dict[str, float]] = {}
    for q in queries:
        found = await searcher.search(
            SearchQuery(text=q["text"], tenant_id=TENANT, knowledge_bases=[kb], top_k=30, mode=mode)
        )
        ranked: dict[str, float] = {}
        for position, hit in enumerate(found):
            doc = names[hit.hit.document_id]
            for same in (doc, *ALIASES.get(doc, ())):
                ranked.setdefault(same, float(len(found) - position))  # rank order, best chunk per document
        run[q["id"]] = dict(list(ranked.items())[:10])
    return run


def _scores(qrels: list[Any], run: dict[str, dict[str, float]]) -> dict[str, float]:
    results = ir_measures.calc_aggregate(MEASURES, qrels, run)
    return {str(m): float(v) for m, v in results.items()}


async def run() -> Report:
    from knowledge.assembly import close_deps, open_deps
    from knowledge.config import KnowledgeSettings
    from knowledge.ingestion.embedders import Embedders
    from mesh.db import create_engine

    docs, queries, qrels = _load()
    report = Report(name="knowledge_quality")
    async with embedded_knowledge("kq") as infra:
        engine = create_engine(infra.settings, "knowledge")
        redis = Redis.from_url(infra.settings.redis_url or "")
        config = KnowledgeSettings(ingest_workers=2, embed_batch_size=32)

        class _Free(Embedders):
            def _local_embedder(self) -> Any:
                return FreeEmbedder()

        free = await open_deps(infra.settings, engine, redis, config=config, embedders=_Free(None))
        free_kb = await _kb(free, "cranfield (free embedder)")
        free_seconds, free_chunks = await _ingest(free, free_kb["id"], docs)
        await close_deps(free)

        deps = await open_deps(infra.settings, engine, redis, config=config)
        kb = await _kb(deps, "cranfield")
        seconds, chunk_count = await _ingest(deps, kb["id"], docs)
        report.notes.append(
            f"  ingestion: {chunk_count} chunks from {len(docs)} documents in {seconds:.1f} s = "
            f"{chunk_count / seconds:.1f} chunks/s with the local model (2 workers); "
            f"{free_chunks / free_seconds:.1f} chunks/s with a zero-cost stand-in embedder "
            f"(pipeline ceiling); {FAILED[str(kb['id'])]} documents refused (no text), "
            f"{sum(map(len, ALIASES.values()))} duplicates"
        )
        table = {"BM25 (rank-bm25, baseline)": _scores(qrels, bm25_run(docs, queries))}
        for mode in ("vector", "keyword", "hybrid"):
            started = time.perf_counter()
            found = await _service_run(deps, kb, queries, mode)
            took = (time.perf_counter() - started) / len(queries) * 1000
            table[f"knowledge {mode}"] = _scores(qrels, found)
            report.notes.append(f"  {mode}: {took:.1f} ms per query (sequential, query embedding included)")
        await close_deps(deps)
        await redis.aclose()
        await engine.dispose()
    _table(report, table)
    report.peak_rss_mb = peak_rss_mb()
    return report


def _table(report: Report, table: dict[str, dict[str, float]]) -> None:
    report.notes.append(f"  {'run':<30} {'nDCG@10':>8} {'R@10':>8}")
    for name, scores in table.items():
        report.notes.append(f"  {name:<30} {scores['nDCG@10']:>8.4f} {scores['R@10']:>8.4f}")
    bm25 = table["BM25 (rank-bm25, baseline)"]["nDCG@10"]
    hybrid = table["knowledge hybrid"]["nDCG@10"]
    parts = max(table["knowledge vector"]["nDCG@10"], table["knowledge keyword"]["nDCG@10"])
    lift = hybrid / bm25 if bm25 else 0.0
    verdict = "meets" if lift >= TARGET_LIFT and hybrid > parts else "MISSES"
    report.notes.append(
        f"  hybrid nDCG@10 = {lift:.2f} x BM25 and {hybrid - parts:+.4f} over its best part "
        f"({verdict} the target: >= {TARGET_LIFT:.2f} x BM25 and above both parts)"
    )


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
