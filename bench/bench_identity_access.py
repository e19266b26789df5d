"""What an API key check costs: IdentityService.AuthenticateApiKey over gRPC, cache hot vs no cache.

Subject ("cached"): identity's real servicer and wiring (``identity.assembly.open_deps``:
two-tier key cache, RBAC resolver cache, batched last-used writes) answering
AuthenticateApiKey for a pool of warm keys. Baseline ("no cache"): the same server
with every lookup going to Postgres (key row, owner standing, role graph). Floor
("trivial handler"): the same mesh runtime serving a handler that does nothing
(bench.rpc_servers), i.e. what the runtime and the load generator cost on their own
on this machine in this run. Levels alternate between the servers so
drift on the shared machine hits all alike; the servers run in child processes and
the client's own CPU use is reported. Target: P99 < 5 ms at c=64 with the cache hot.

Embedded Postgres (default durability) and Redis run in a temporary directory.
Server side: ``python -m bench.bench_identity_access serve cached|uncached <db> <redis> <dir>``.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, identity_pb2_grpc

from bench.harness import Figures, Report, announce_and_wait, measure, peak_rss_mb, start_server_process
from mesh.config import Settings, load_settings
from mesh.embedded.common import free_port
from mesh.infra import EmbeddedPostgres, EmbeddedRedis

if TYPE_CHECKING:
    from identity.config import IdentitySettings

LEVELS = ((1, 1500), (16, 4000), (64, 6000))
UNCACHED_SHARE = 0.5  # the no-cache server gets fewer requests per level; it is far slower
KEYS = 64
TARGET_P99_MS = 5.0
ROOT = Path(__file__).resolve().parent.parent
CACHED = "AuthenticateApiKey cached"
UNCACHED = "AuthenticateApiKey no cache"
FLOOR = "trivial handler (floor)"


def _config() -> IdentitySettings:
    """identity's own settings for the bench, from nothing in the environment."""
    from identity.config import IdentitySettings

    return IdentitySettings(
        _env_file=None,  # type: ignore[call-arg]
        admin_password="bench-Admin-passw0rd",
    )


def _settings(database_url: str, redis_url: str, data_dir: Path) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=database_url,
        redis_url=redis_url,
        data_dir=data_dir,
    )


async def _seed(settings: Settings) -> list[str]:
    """Identity schema, built-in roles, one developer and ``KEYS`` API keys; returns the secrets."""
    from identity import store
    from identity.domain.api_keys import display_prefix, generate_secret, hash_secret
    from identity.store import api_keys as key_store
    from identity.tenants.bootstrap import ensure_bootstrap
    from mesh.db import create_engine, session_factory
    from mesh.migrate import migrate

    await migrate(settings, ["identity"])
    engine = create_engine(settings, "identity")
    try:
        result = await ensure_bootstrap(engine, settings, _config())
        async with engine.begin() as conn:
            user = await store.insert_user(
                conn,
                tenant_id=result.tenant_id,
                email="bench@example.com",
                username="bench",
                display_name="Bench",
                password_hash=None,
            )
            await store.grant_role(conn, user, (await store.built_in_roles(conn))["developer"].id)
        secrets = [generate_secret() for _ in range(KEYS)]
        async with session_factory(engine).begin() as session:
            for i, secret in enumerate(secrets):
                await key_store.insert_key(
                    session,
                    tenant_id=result.tenant_id,
                    owner_id=user,
                    name=f"bench-{i}",
                    secret_hash=hash_secret(secret),
                    prefix=display_prefix(secret),
                    unlimited_quota=True,
                    allowed_models=["gpt-4o*"],
                    allowed_cidrs=["10.0.0.0/8"],
                )
        return secrets
    finally:
        await engine.dispose()


def _start(*args: str) -> tuple[subprocess.Popen[str], int]:
    return start_server_process(*args)


async def _level(
    subject: str, call: Callable[[], Awaitable[object]], concurrency: int, requests: int, report: Report
) -> None:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    row: Figures = await measure(subject, call, concurrency=concurrency, requests=requests, warmup=KEYS * 2)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    report.rows.append(row)
    report.notes.append(f"  load generator CPU during {subject} c={concurrency}: {cpu:.0%} of one core")


def _authenticator(
    stub: identity_pb2_grpc.IdentityServiceStub, secrets: list[str]
) -> Callable[[], Awaitable[object]]:
    requests = [
        api_keys_pb2.AuthenticateApiKeyRequest(
            credential=f"Bearer {s}",
            source=api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER,
            client_ip="10.1.2.3",
            model="gpt-4o-mini",
        )
        for s in secrets
    ]
    turn = 0

    def call() -> Awaitable[object]:
        nonlocal turn
        turn += 1
        return stub.AuthenticateApiKey(requests[turn % len(requests)], timeout=10)

    return call


async def run() -> Report:
    report = Report(name="identity_access")
    root = Path(tempfile.mkdtemp(prefix="chatmesh-bench-access-"))
    await asyncio.to_thread(root.chmod, 0o711)
    postgres = EmbeddedPostgres(root / "servers", free_port())
    redis = EmbeddedRedis(root / "servers", free_port())
    procs: list[subprocess.Popen[str]] = []
    try:
        await asyncio.to_thread(postgres.start)
        await asyncio.to_thread(redis.start)
        data_dir = root / "data"
        secrets = await _seed(_settings(postgres.url, redis.url, data_dir))
        ports = []
        for args in (
            ("bench.bench_identity_access", "serve", "cached", postgres.url, redis.url, str(data_dir)),
            ("bench.bench_identity_access", "serve", "uncached", postgres.url, redis.url, str(data_dir)),
            ("bench.rpc_servers", "mesh"),
        ):
            proc, port = _start(*args)
            procs.append(proc)
            ports.append(port)
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{ports[0]}") as cached_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports[1]}") as uncached_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports[2]}") as floor_channel,
        ):
            cached = identity_pb2_grpc.IdentityServiceStub(cached_channel)
            uncached = identity_pb2_grpc.IdentityServiceStub(uncached_channel)
            floor = identity_pb2_grpc.IdentityServiceStub(floor_channel)
            nothing = auth_pb2.GetJwksRequest()
            for concurrency, requests in LEVELS:
                await _level(FLOOR, lambda: floor.GetJwks(nothing, timeout=10), concurrency, requests, report)
                await _level(CACHED, _authenticator(cached, secrets), concurrency, requests, report)
                share = int(requests * UNCACHED_SHARE)
                await _level(UNCACHED, _authenticator(uncached, secrets), concurrency, share, report)
    finally:
        for proc in procs:
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
        speedup = report.ratio(UNCACHED, CACHED, concurrency)
        report.notes.append(f"  c={concurrency}: no-cache/cached P50 ratio {speedup:.1f}x")
    p99 = _row(report, CACHED, 64).p99_ms
    floor = _row(report, FLOOR, 64).p99_ms
    verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
    report.notes.append(
        f"  cached P99 at c=64: {p99:.2f} ms ({verdict} the <{TARGET_P99_MS:.0f} ms target; "
        f"the runtime's own floor here is {floor:.2f} ms)"
    )


def _row(report: Report, subject: str, concurrency: int) -> Figures:
    return next(r for r in report.rows if r.subject == subject and r.concurrency == concurrency)


async def _serve(kind: str, database_url: str, redis_url: str, data_dir: str) -> None:
    from identity import api
    from identity.assembly import close_deps, open_deps
    from identity.store.access_runtime import AccessRuntime
    from mesh.db import create_engine
    from mesh.redis_client import connect_redis
    from mesh.server import start_server
    from mesh.telemetry import setup_logging

    settings = _settings(database_url, redis_url, Path(data_dir))
    setup_logging("identity", settings)
    engine = create_engine(settings, "identity")
    redis_client = connect_redis(settings)
    deps = await open_deps(settings, engine, redis_client, _config())
    if kind == "uncached":
        assert deps.access is not None
        await deps.access.close()
        deps.access = AccessRuntime.create(deps.sessions, redis_client, cache=False)
        await deps.access.start()
    running = await start_server(
        "identity", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=deps.verifier
    )
    await announce_and_wait(running.port)
    await running.stop(0)
    await close_deps(deps)
    await redis_client.aclose()
    await engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(_serve(*sys.argv[2:6]))
    else:
        from bench.harness import render

        print(render(asyncio.run(run())))
