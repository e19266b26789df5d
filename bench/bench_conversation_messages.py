"""ListMessages on a 10,000-message conversation: the stored active path vs plain indexed SELECTs.

Subject ("ListMessages"): conversation's real servicer and wiring over gRPC, listing pages of
50 messages at random offsets along the active path of a 10,000-message chain (the
default view: one slice of ``conversations.active_path``, one indexed fetch of the page with
its child ids). Baseline ("indexed SELECT"): the same page read straight from Postgres in the
load generator by a keyset SELECT on ``(conversation_id, seq)``, i.e. what the page costs the
database with no tree, no gRPC and no ownership check. Reference ("parent walk"): a
recursive CTE from the leaf up to the page, what a design without the stored path pays
per call (few requests; it is slow). Target: ListMessages P99 < 20 ms.

Embedded Postgres and Redis run in a temporary directory; the server runs in a child process.
Server side: ``python -m bench.bench_conversation_messages serve <db> <redis> <dir>``.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from chatmesh.conversation.v1 import conversation_pb2_grpc, messages_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import Figures, Report, announce_and_wait, measure, peak_rss_mb, start_server_process
from mesh.auth import Principal
from mesh.config import Settings, load_settings
from mesh.embedded.common import free_port
from mesh.infra import EmbeddedPostgres, EmbeddedRedis

MESSAGES = 10_000
PAGE = 50
LEVELS = ((1, 1000), (16, 2000), (64, 2000))
WALK_REQUESTS = 60
TARGET_P99_MS = 20.0
TENANT, OWNER = "bench-tenant", "00000000-0000-0000-0000-00000000b0b0"
SUBJECT = "ListMessages (active path)"
BASELINE = "indexed SELECT (baseline)"
WALK = "parent walk (reference)"
_PAGE_SQL = text(
    "SELECT * FROM conversation.messages WHERE conversation_id = :c AND seq > :after ORDER BY seq LIMIT :n"
)
_WALK_SQL = text(
    """
    WITH RECURSIVE up(id, parent_id, depth) AS (
        SELECT id, parent_id, 0 FROM conversation.messages WHERE id = :leaf
        UNION ALL
        SELECT m.id, m.parent_id, up.depth + 1 FROM conversation.messages m JOIN up ON m.id = up.parent_id
    )
    SELECT m.* FROM up JOIN conversation.messages m ON m.id = up.id
    ORDER BY up.depth DESC OFFSET :offset LIMIT :n
    """
)


class BenchVerifier:
    """Every bearer token is the one bench user (the real verifier is not what is measured)."""

    async def verify(self, token: str) -> Principal:
        return Principal(kind="user", subject=OWNER, tenant_id=TENANT)


def _settings(database_url: str, redis_url: str, data_dir: Path) -> Settings:
    return load_settings(_env_file=None, database_url=database_url, redis_url=redis_url, data_dir=data_dir)


async def _seed(engine: AsyncEngine) -> tuple[uuid.UUID, uuid.UUID, int]:
    """A 10,000-message chain with a few side branches; returns (conversation, leaf, first seq)."""
    from conversation.store import transfer
    from mesh.db import session_factory

    ids = [uuid.uuid4() for _ in range(MESSAGES)]
    tree: list[tuple[uuid.UUID, uuid.UUID | None, dict[str, object]]] = []
    for i, node in enumerate(ids):
        role = "user" if i % 2 == 0 else "assistant"
        values = {"role": role, "parts": [{"text": f"message {i} " + "lorem ipsum " * 20}], "token_count": 60}
        tree.append((node, ids[i - 1] if i else None, values))
    for i in range(1, MESSAGES, 500):
        tree.append((uuid.uuid4(), ids[i - 1], {"role": "assistant", "parts": [{"text": "other branch"}]}))
    async with session_factory(engine).begin() as session:
        row = await transfer.insert_tree(
            session,
            tenant_id=TENANT,
            owner_id=OWNER,
            conversation={"title": "bench"},
            tree=tree,
            active_leaf=ids[-1],
        )
    async with engine.connect() as conn:
        first = (
            await conn.execute(
                text("SELECT min(seq) FROM conversation.messages WHERE conversation_id = :c"), {"c": row.id}
            )
        ).scalar_one()
        await conn.execute(text("ANALYZE conversation.messages"))
    return row.id, ids[-1], int(first)


async def _level(
    subject: str, call: Callable[[], Awaitable[object]], concurrency: int, requests: int, report: Report
) -> None:
    row: Figures = await measure(subject, call, concurrency=concurrency, requests=requests, warmup=50)
    report.rows.append(row)


def _pages() -> Callable[[], int]:
    rng = random.Random(7)
    return lambda: rng.randrange(0, MESSAGES - PAGE)


async def run() -> Report:
    from mesh.db import create_engine
    from mesh.migrate import migrate

    report = Report(name="conversation_messages")
    root = Path(tempfile.mkdtemp(prefix="chatmesh-bench-conv-"))
    await asyncio.to_thread(root.chmod, 0o711)
    postgres = EmbeddedPostgres(root / "servers", free_port())
    redis = EmbeddedRedis(root / "servers", free_port())
    proc: subprocess.Popen[str] | None = None
    try:
        await asyncio.to_thread(postgres.start)
        await asyncio.to_thread(redis.start)
        data_dir = root / "data"
        settings = _settings(postgres.url, redis.url, data_dir)
        await migrate(settings, ["conversation"])
        engine = create_engine(settings, "conversation")
        conversation_id, leaf, first_seq = await _seed(engine)
        proc, port = start_server_process(
            "bench.bench_conversation_messages", "serve", postgres.url, redis.url, str(data_dir)
        )
        offset = _pages()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = conversation_pb2_grpc.ConversationServiceStub(channel)
            metadata = [("authorization", "Bearer bench")]
            from conversation.domain.paging import encode_token

            scope = f"{conversation_id}|0|"

            def list_page() -> Awaitable[object]:
                token = encode_token({"o": offset()}, scope)
                request = messages_pb2.ListMessagesRequest(
                    conversation_id=str(conversation_id), page_size=PAGE, page_token=token
                )
                return stub.ListMessages(request, metadata=metadata, timeout=30)

            async def select_page() -> object:
                async with engine.connect() as conn:
                    params = {"c": conversation_id, "after": first_seq + offset(), "n": PAGE}
                    return (await conn.execute(_PAGE_SQL, params)).all()

            async def walk_page() -> object:
                async with engine.connect() as conn:
                    params = {"leaf": leaf, "offset": offset(), "n": PAGE}
                    return (await conn.execute(_WALK_SQL, params)).all()

            sample = await list_page()
            assert len(sample.messages) == PAGE  # type: ignore[attr-defined]
            for concurrency, requests in LEVELS:
                await _level(BASELINE, select_page, concurrency, requests, report)
                await _level(SUBJECT, list_page, concurrency, requests, report)
            report.rows.append(
                await measure(WALK, walk_page, concurrency=1, requests=WALK_REQUESTS, warmup=3)
            )
        await engine.dispose()
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        await asyncio.to_thread(redis.stop)
        await asyncio.to_thread(postgres.stop)
        shutil.rmtree(root, ignore_errors=True)
    report.peak_rss_mb = peak_rss_mb()
    _verdicts(report)
    return report


def _verdicts(report: Report) -> None:
    for concurrency, _ in LEVELS:
        ratio = report.ratio(SUBJECT, BASELINE, concurrency)
        report.notes.append(f"  c={concurrency}: ListMessages/indexed SELECT P50 ratio {ratio:.1f}x")
    for row in (r for r in report.rows if r.subject == SUBJECT):
        verdict = "meets" if row.p99_ms < TARGET_P99_MS else "MISSES"
        report.notes.append(
            f"  c={row.concurrency}: ListMessages P99 {row.p99_ms:.2f} ms ({verdict} the "
            f"<{TARGET_P99_MS:.0f} ms target) at {row.rps:.0f} rps; past one server process's "
            "throughput the rest is queueing"
        )


async def _serve(database_url: str, redis_url: str, data_dir: str) -> None:
    from conversation import api
    from conversation.assembly import close_deps, open_deps
    from mesh.db import create_engine
    from mesh.redis_client import connect_redis
    from mesh.server import start_server
    from mesh.telemetry import setup_logging

    settings = _settings(database_url, redis_url, Path(data_dir))
    setup_logging("conversation", settings)
    engine = create_engine(settings, "conversation")
    redis_client = connect_redis(settings)
    deps = await open_deps(settings, engine, redis_client, purge=False)
    running = await start_server(
        "conversation", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=BenchVerifier()
    )
    await announce_and_wait(running.port)
    await running.stop(0)
    await close_deps(deps)
    await redis_client.aclose()
    await engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(_serve(*sys.argv[2:5]))
    else:
        from bench.harness import render

        print(render(asyncio.run(run())))
