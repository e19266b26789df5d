"""Dashboard queries at a million usage events: rollups with merged sketches vs scanning raw rows.

Subjects, over gRPC against analytics's real servicer and wiring (child process), as a tenant
admin, for a 30-day range of one tenant (a fifth of the traffic):

- "GetDashboard 30d": totals, daily series, four top-10 lists, error breakdown, latency and
  TTFT P50/P90/P95/P99, activity counts: one rollup tier, percentiles from ``hist_sum``.
- "GetUsage 30d model*key/day": one series per (model, API key) with a point per day.

Baseline ("raw scan 30d"), straight SQL from the load generator: the same totals, error
rate, top models and exact ``percentile_cont`` latencies computed from the tenant's raw
request rows of the range (an index on (tenant_id, occurred_at) is there), i.e. what a
spend-log design pays per dashboard load. The raw table holds the last 30 days (the raw
retention); the rollups hold all 90.

Seed: bench.analytics_seed (default 1,000,000 events; ``CHATMESH_BENCH_ANALYTICS_EVENTS``).
Server side: ``python -m bench.bench_analytics_dashboard serve <db> <dir>``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from chatmesh.analytics.v1 import analytics_pb2_grpc, usage_pb2
from google.protobuf import timestamp_pb2
from sqlalchemy import text

from bench.analytics_seed import seed
from bench.harness import Report, announce_and_wait, measure, peak_rss_mb, start_server_process
from mesh.auth import Principal
from mesh.config import Settings, load_settings
from mesh.embedded.common import free_port
from mesh.infra import EmbeddedPostgres

EVENTS = int(os.environ.get("CHATMESH_BENCH_ANALYTICS_EVENTS", "1000000"))
TENANT = "tenant-1"
LEVELS = ((1, 100), (16, 300), (64, 400))
RAW_REQUESTS = 10
TARGET_P99_MS = 100.0
DASHBOARD = "GetDashboard 30d (rollups)"
USAGE = "GetUsage 30d model*key/day"
RAW = "raw scan 30d (baseline)"
_RAW_SQL = [
    text(
        "SELECT count(*), sum(prompt_tokens), sum(completion_tokens), sum(cost), "
        "count(*) FILTER (WHERE status = 'failed'), "
        "percentile_cont(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms), "
        "percentile_cont(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY ttft_ms) "
        "FROM analytics.usage_events WHERE tenant_id = :t AND occurred_at >= :s AND occurred_at < :e"
    ),
    text(
        "SELECT date_trunc('day', occurred_at), count(*), sum(cost) FROM analytics.usage_events "
        "WHERE tenant_id = :t AND occurred_at >= :s AND occurred_at < :e GROUP BY 1 ORDER BY 1"
    ),
    text(
        "SELECT model, count(*), sum(cost) FROM analytics.usage_events "
        "WHERE tenant_id = :t AND occurred_at >= :s AND occurred_at < :e GROUP BY 1 ORDER BY 3 DESC LIMIT 10"
    ),
    text(
        "SELECT error_code, count(*) FROM analytics.usage_events "
        "WHERE tenant_id = :t AND occurred_at >= :s AND occurred_at < :e AND status = 'failed' GROUP BY 1"
    ),
]


class BenchVerifier:
    """Every bearer token is the tenant admin of the measured tenant."""

    async def verify(self, token: str) -> Principal:
        return Principal(
            kind="user", subject="bench-admin", tenant_id=TENANT, roles=frozenset({"tenant_admin"})
        )


class TenantAdminCheck:
    """analytics:read in the caller's own tenant only (identity's answer for a tenant admin)."""

    async def check(self, principal: Principal, permission: str, *, tenant_id: str | None = None) -> bool:
        return tenant_id is None and permission in ("analytics:read", "usage:read")


def _settings(database_url: str, data_dir: Path) -> Settings:
    return load_settings(_env_file=None, database_url=database_url, data_dir=data_dir)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def run() -> Report:
    from mesh.db import create_engine
    from mesh.migrate import migrate

    report = Report(name="analytics_dashboard")
    root = Path(tempfile.mkdtemp(prefix="chatmesh-bench-analytics-"))
    await asyncio.to_thread(root.chmod, 0o711)
    postgres = EmbeddedPostgres(root / "servers", free_port())
    proc: subprocess.Popen[str] | None = None
    try:
        await asyncio.to_thread(postgres.start)
        data_dir = root / "data"
        settings = _settings(postgres.url, data_dir)
        await migrate(settings, ["analytics"])
        engine = create_engine(settings, "analytics")
        started = time.perf_counter()
        now = await seed(engine, EVENTS)
        report.notes.append(
            f"  seeded {EVENTS:,} events over 90 days in {time.perf_counter() - started:.0f} s"
        )
        async with engine.connect() as conn:
            for table in ("usage_rollup_day", "usage_rollup_hour", "usage_events"):
                rows = (await conn.execute(text(f"SELECT count(*) FROM analytics.{table}"))).scalar_one()
                report.notes.append(f"  {table}: {rows:,} rows")
        start, end = now - timedelta(days=30), now
        proc, port = start_server_process(
            "bench.bench_analytics_dashboard", "serve", postgres.url, str(data_dir)
        )
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analytics_pb2_grpc.AnalyticsServiceStub(channel)
            metadata = [("authorization", "Bearer bench")]
            day_start = start.replace(hour=0)
            dashboard = usage_pb2.GetDashboardRequest(
                start_time=_ts(day_start),
                end_time=_ts(day_start + timedelta(days=30)),
                granularity=usage_pb2.GRANULARITY_DAY,
            )
            usage = usage_pb2.GetUsageRequest(
                start_time=_ts(day_start),
                end_time=_ts(day_start + timedelta(days=30)),
                granularity=usage_pb2.GRANULARITY_DAY,
                group_by=[usage_pb2.USAGE_DIMENSION_MODEL, usage_pb2.USAGE_DIMENSION_API_KEY],
                page_size=1000,
            )

            async def get_dashboard() -> Any:
                return await stub.GetDashboard(dashboard, metadata=metadata, timeout=60)

            async def get_usage() -> Any:
                return await stub.GetUsage(usage, metadata=metadata, timeout=60)

            async def raw_scan() -> object:
                async with engine.connect() as conn:
                    return [
                        (await conn.execute(q, {"t": TENANT, "s": start, "e": end})).all() for q in _RAW_SQL
                    ]

            sample = (await get_dashboard()).dashboard
            report.notes.append(
                f"  tenant {TENANT}, 30 days: {sample.totals.requests:,} requests, "
                f"P99 latency {sample.latency.p99.ToMilliseconds()} ms (sketch)"
            )
            raw = await raw_scan()
            exact_p99 = raw[0][0][5][3]  # type: ignore[index]
            report.notes.append(
                f"  raw scan: {raw[0][0][0]:,} requests, exact P99 latency {exact_p99:.0f} ms"
            )  # type: ignore[index]
            for concurrency, requests in LEVELS:
                report.rows.append(
                    await measure(
                        DASHBOARD, get_dashboard, concurrency=concurrency, requests=requests, warmup=5
                    )
                )
                report.rows.append(
                    await measure(USAGE, get_usage, concurrency=concurrency, requests=requests, warmup=5)
                )
            report.rows.append(await measure(RAW, raw_scan, concurrency=1, requests=RAW_REQUESTS, warmup=1))
        await engine.dispose()
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        await asyncio.to_thread(postgres.stop)
        shutil.rmtree(root, ignore_errors=True)
    report.peak_rss_mb = peak_rss_mb()
    _verdicts(report)
    return report


def _verdicts(report: Report) -> None:
    ratio = report.row(RAW, 1).p50_ms / max(report.row(DASHBOARD, 1).p50_ms, 1e-9)
    report.notes.append(f"  c=1: raw scan / GetDashboard P50: {ratio:.0f}x")
    for row in (r for r in report.rows if r.subject in (DASHBOARD, USAGE)):
        verdict = "meets" if row.p99_ms < TARGET_P99_MS else "MISSES"
        report.notes.append(
            f"  {row.subject} c={row.concurrency}: P99 {row.p99_ms:.1f} ms "
            f"({verdict} <{TARGET_P99_MS:.0f} ms)"
        )


async def _serve(database_url: str, data_dir: str) -> None:
    from analytics import api
    from analytics.assembly import close_deps, open_deps
    from mesh import authz
    from mesh.db import create_engine
    from mesh.server import start_server

    settings = _settings(database_url, Path(data_dir))
    engine = create_engine(settings, "analytics")
    deps = await open_deps(engine, None, background=False)
    authz.install(authz.Authorizer(TenantAdminCheck()))
    running = await start_server(
        "analytics", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=BenchVerifier()
    )
    await announce_and_wait(running.port)
    await running.stop(0)
    await close_deps(deps)
    await engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(_serve(*sys.argv[2:4]))
    else:
        from bench.harness import render

        print(render(asyncio.run(run())))
