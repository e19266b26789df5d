"""Building model_router's dependencies from an engine and a Redis client: shared by __main__ and tests.

Engine and Redis are created and closed by the caller; what this builds that needs
closing (the channel registry's listener and reload task, the refresh of the price book and
the routing rules, the reservation sweeper, settlements still running) is closed by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.config import Settings
from mesh.db import session_factory
from mesh.secrets import secret_box
from model_router.deps import ModelRouterDeps
from model_router.quota.engine import QuotaEngine
from model_router.quota.key_grants import KeyGrants
from model_router.quota.ledger import QuotaLedger
from model_router.quota.price_book import PriceBook
from model_router.quota.sweeper import DEFAULT_SWEEP_SECONDS, ReservationSweeper
from model_router.registry import DEFAULT_RELOAD_SECONDS, ChannelRegistry
from model_router.relay import Relay, upstream_clients
from model_router.routing import RoutingRules
from model_router.store.prices import PriceStore
from model_router.usage.records import UsageStore

__all__ = ["close_deps", "open_deps"]

# Settlements still committing after their response went out get this long at shutdown.
SETTLEMENT_DRAIN_SECONDS = 30.0


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis | None,
    *,
    reload_seconds: float = DEFAULT_RELOAD_SECONDS,
    sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
) -> ModelRouterDeps:
    """Channels and prices loaded into memory and kept fresh before the first RPC arrives."""
    secrets = secret_box(settings)
    sessions = session_factory(engine)
    registry = ChannelRegistry(engine, secrets, redis, reload_seconds=reload_seconds)
    await registry.start()
    price_store = PriceStore(sessions)
    prices = PriceBook(price_store, reload_seconds=reload_seconds)
    await prices.start()
    quota = QuotaEngine(sessions)
    sweeper = ReservationSweeper(quota, interval=sweep_seconds)
    sweeper.start()
    routing = RoutingRules(engine, redis, reload_seconds=reload_seconds)
    await routing.start()
    return ModelRouterDeps(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        secrets=secrets,
        channels=registry,
        relay=Relay(registry, upstream_clients()),
        quota=quota,
        ledger=QuotaLedger(sessions),
        key_grants=KeyGrants(sessions),
        price_store=price_store,
        prices=prices,
        usage=UsageStore(sessions, quota),
        sweeper=sweeper,
        routing=routing,
        config=registry.config,
    )


async def close_deps(deps: ModelRouterDeps) -> None:
    await deps.finishers.drain(SETTLEMENT_DRAIN_SECONDS)
    if deps.sweeper is not None:
        await deps.sweeper.close()
    if deps.prices is not None:
        await deps.prices.close()
    if deps.routing is not None:
        await deps.routing.close()
    await deps.channels.close()
    if deps.relay is not None:
        await deps.relay.close()
