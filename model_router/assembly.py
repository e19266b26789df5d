"""The one place model_router is wired: settings → dependencies → servicer (used by __main__ and tests).

:func:`build` is what ``python -m model_router`` serves: shared resources from mesh.wiring
(engine, Redis, the remote authorizer: admin RPCs ask identity's Check, mesh.authz), the seed
channel written and the channel registry loaded before the server accepts RPCs, and the
outbox relay publishing the usage events settlements write. Resources are created here (never
at import) and released after the last RPC drained.

:func:`open_deps` builds the dependencies from an engine and a Redis client the caller owns;
what it builds that needs closing (the channel registry's listener and reload task, the
refresh of the price book and the routing rules, the reservation sweeper, settlements still
running) is closed by :func:`close_deps`.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.config import Settings
from mesh.db import session_factory
from mesh.secrets import secret_box
from mesh.server import ServiceParts
from mesh.wiring import Assembled, Resources, build_service
from model_router import api
from model_router.channels.registry import DEFAULT_RELOAD_SECONDS, ChannelRegistry
from model_router.channels.seed import ensure_seed_channel
from model_router.config import ModelRouterSettings
from model_router.deps import ModelRouterDeps
from model_router.quota.engine import QuotaEngine
from model_router.quota.key_grants import KeyGrants
from model_router.quota.ledger import QuotaLedger
from model_router.quota.price_book import PriceBook
from model_router.quota.sweeper import DEFAULT_SWEEP_SECONDS, ReservationSweeper
from model_router.relay import Relay, upstream_clients
from model_router.routing import RoutingRules
from model_router.store.prices import PriceStore
from model_router.store.tables import outbox
from model_router.usage.records import UsageStore

__all__ = ["build", "close_deps", "open_deps"]

# Settlements still committing after their response went out get this long at shutdown.
SETTLEMENT_DRAIN_SECONDS = 30.0


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis | None,
    *,
    reload_seconds: float = DEFAULT_RELOAD_SECONDS,
    sweep_seconds: float = DEFAULT_SWEEP_SECONDS,
    config: ModelRouterSettings | None = None,
) -> ModelRouterDeps:
    """Channels and prices loaded into memory and kept fresh before the first RPC arrives.

    ``config`` (CHATMESH_MODEL_ROUTER_*) is read from the environment when not given.
    """
    secrets = secret_box(settings)
    sessions = session_factory(engine)
    config = config or ModelRouterSettings()
    registry = ChannelRegistry(engine, secrets, redis, reload_seconds=reload_seconds, config=config)
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
        config=config,
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


async def assemble(res: Resources) -> Assembled:
    """Seed channel, ModelRouterDeps, relay.

    The relay stops after the deps closed, so usage events the last settlements write
    are still published.
    """
    await ensure_seed_channel(res.engine, res.settings)
    after_deps = AsyncExitStack()
    res.stack.push_async_callback(after_deps.aclose)
    deps = await open_deps(res.settings, res.engine, res.redis, config=ModelRouterSettings())
    res.stack.push_async_callback(close_deps, deps)
    await res.start_relay(outbox, after_deps)
    return Assembled(bindings=[api.binding(deps)])


async def build(settings: Settings) -> ServiceParts:
    """Shared resources (mesh.wiring) with the remote authorizer, plus the model_router servicer."""
    return await build_service(settings, "model_router", assemble)
