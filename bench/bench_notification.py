"""Notification fan-out: 10,000 in-app notifications to 10,000 users, 1,000 emails to local SMTP.

Subject: notifications accepted the way Send/SendBatch accept them (rendered, preferences
looked up, stored with their NotificationQueued events in one transaction per 1,000), then
relayed and delivered by the service's own workers (4 bulk delivery workers, one
instance). Latency is enqueue → delivered per notification, read back from the delivery
records (``sent_at - created_at``); throughput is notifications per second from the first
enqueue to the last delivery.
Baselines, same run, same stores: for the inbox, the same 10,000 rows inserted with one
INSERT per 1,000 and nothing else (the floor of storing them); for email, the same 1,000
messages handed to the same SMTP server straight from aiosmtplib by 4 concurrent senders
(the floor the SMTP round trips set). The SMTP server (aiosmtpd) runs in this process, so
its CPU is part of what is measured for both.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib
from redis.asyncio import Redis
from sqlalchemy import func, insert, select, text

from bench.harness import Figures, Report, peak_rss_mb, percentile
from mesh.config import Settings, load_settings
from mesh.db import create_engine
from mesh.embedded.common import free_port
from mesh.events import OutboxRelay
from mesh.infra import EmbeddedPostgres, EmbeddedRedis
from mesh.migrate import migrate
from notification.assembly import Running, close_deps, open_deps
from notification.config import NotificationSettings
from notification.delivery.email import Email, build_message
from notification.domain.kinds import Channel
from notification.sending.request import Addressee, Outgoing
from notification.sending.service import send
from notification.store.tables import notifications, outbox
from tests.fakes.smtp_sink import SmtpSink

USERS = 10_000
EMAILS = 1_000
CHUNK = 1_000
WORKERS = 8
TENANT = "bench"


@dataclass
class Stores:
    settings: Settings
    postgres: EmbeddedPostgres
    redis_server: EmbeddedRedis
    root: Path


async def _stores() -> Stores:
    root = Path(tempfile.mkdtemp(prefix="chatmesh-bench-notif-"))
    await asyncio.to_thread(root.chmod, 0o711)
    postgres = EmbeddedPostgres(root / "servers", free_port())
    redis_server = EmbeddedRedis(root / "servers", free_port())
    await asyncio.to_thread(postgres.start)
    await asyncio.to_thread(redis_server.start)
    settings = load_settings(
        _env_file=None, data_dir=root / "data", database_url=postgres.url, redis_url=redis_server.url
    )
    await migrate(settings, ["notification"])
    return Stores(settings, postgres, redis_server, root)


async def _close(stores: Stores) -> None:
    await asyncio.to_thread(stores.redis_server.stop)
    await asyncio.to_thread(stores.postgres.stop)
    shutil.rmtree(stores.root, ignore_errors=True)


async def _fan_out(running: Running, channel: Channel, recipients: list[Addressee], subject: str) -> float:
    """Enqueue every recipient (one transaction per CHUNK) and wait until all left 'pending'."""
    started = time.perf_counter()
    out = Outgoing(tenant_id=TENANT, channel=channel, category="product", subject=subject, body="hello")
    for i in range(0, len(recipients), CHUNK):
        async with running.deps.sessions.begin() as db:
            await send(db, out, recipients[i : i + CHUNK])
    while True:
        async with running.deps.sessions() as db:
            left = (
                await db.execute(
                    select(func.count()).where(
                        notifications.c.subject == subject, notifications.c.status == "pending"
                    )
                )
            ).scalar_one()
        if not left:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)


async def _latencies(running: Running, subject: str) -> tuple[float, float]:
    query = text(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), "
        "percentile_cont(0.99) WITHIN GROUP (ORDER BY d) "
        "FROM (SELECT extract(epoch FROM sent_at - created_at) * 1000 AS d FROM notifications "
        "WHERE subject = :subject) AS t"
    )
    async with running.deps.sessions() as db:
        p50, p99 = (await db.execute(query, {"subject": subject})).one()
    return float(p50), float(p99)


async def _subject_row(running: Running, name: str, channel: Channel, who: list[Addressee]) -> Figures:
    subject = f"{name} {uuid.uuid4().hex[:6]}"
    elapsed = await _fan_out(running, channel, who, subject)
    p50, p99 = await _latencies(running, subject)
    return Figures(name, WORKERS, len(who), p50, p99, len(who) / elapsed)


async def _insert_floor(running: Running) -> Figures:
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "tenant_id": TENANT,
            "user_id": f"floor-{i}",
            "channel": "in_app",
            "category": "product",
            "subject": "floor",
            "status": "delivered",
            "idempotency_key": f"floor:{uuid.uuid4()}",
            "created_at": now,
        }
        for i in range(USERS)
    ]
    started = time.perf_counter()
    for i in range(0, USERS, CHUNK):
        async with running.deps.sessions.begin() as db:
            await db.execute(insert(notifications), rows[i : i + CHUNK])
    elapsed = time.perf_counter() - started
    per_chunk = elapsed / (USERS / CHUNK) * 1000
    return Figures("in-app: bare INSERT floor", 1, USERS, per_chunk, per_chunk, USERS / elapsed)


async def _smtp_floor(sink: SmtpSink) -> Figures:
    pending = list(range(EMAILS))
    latencies: list[float] = []

    async def sender() -> None:
        while pending:
            i = pending.pop()
            message = build_message(
                Email(f"floor-{i}", f"floor{i}@bench.test", "floor", "hello", ""), "b@bench.test"
            )
            start = time.perf_counter()
            await aiosmtplib.send(message, hostname="127.0.0.1", port=sink.port, start_tls=False)
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(WORKERS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Figures(
        "email: direct aiosmtplib",
        WORKERS,
        EMAILS,
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        EMAILS / elapsed,
    )


async def run() -> Report:
    report = Report(name="notification")
    stores = await _stores()
    sink = SmtpSink().start()
    engine = create_engine(stores.settings, "notification")
    redis = Redis.from_url(stores.settings.redis_url or "")
    config = NotificationSettings(smtp_url=sink.url(), delivery_workers=WORKERS, triggers=False)
    running = await open_deps(stores.settings, engine, redis, config=config)
    relay = OutboxRelay(engine, outbox, redis)
    await relay.start()
    try:
        users = [Addressee(user_id=f"user-{i}", key=f"b:{uuid.uuid4()}") for i in range(USERS)]
        report.rows.append(await _insert_floor(running))
        report.rows.append(await _subject_row(running, "in-app: fan-out delivered", Channel.IN_APP, users))
        report.rows.append(await _smtp_floor(sink))
        mails = [Addressee(email=f"m{i}@bench.test", key=f"m:{uuid.uuid4()}") for i in range(EMAILS)]
        report.rows.append(await _subject_row(running, "email: fan-out sent", Channel.EMAIL, mails))
    finally:
        await relay.stop()
        await close_deps(running)
        await redis.aclose()
        await engine.dispose()
        sink.stop()
        await _close(stores)
    report.peak_rss_mb = peak_rss_mb()
    inbox, floor = (
        report.row("in-app: fan-out delivered", WORKERS),
        report.row("in-app: bare INSERT floor", 1),
    )
    email, direct = (
        report.row("email: fan-out sent", WORKERS),
        report.row("email: direct aiosmtplib", WORKERS),
    )
    report.notes += [
        "  p50/p99 of the fan-out rows: enqueue -> delivered per notification; of the floors: per call",
        f"  in-app: {inbox.rps:.0f}/s delivered vs {floor.rps:.0f}/s bare inserts "
        f"(x{floor.rps / inbox.rps:.1f})",
        f"  email: {email.rps:.0f}/s sent vs {direct.rps:.0f}/s direct SMTP (x{direct.rps / email.rps:.1f})",
        f"  sink received {len(sink.messages)} messages for {EMAILS} emails + {EMAILS} direct",
    ]
    return report


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
