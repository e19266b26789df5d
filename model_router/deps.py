"""What model_router's servicer mixins need, built once by `model_router/assembly.py` (or by a test).

Areas may add fields for what they need (one line each, with a default when they can)
and construct them in assembly.open_deps. Quota, prices and usage are optional together:
without them (tests that need no database) requests are served unmetered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from model_router.config import ModelRouterSettings
from model_router.usage.background import Finishers

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from mesh.config import Settings
    from mesh.secrets import SecretBox
    from model_router.channels.registry import ChannelRegistry
    from model_router.quota.engine import QuotaEngine
    from model_router.quota.key_grants import KeyGrants
    from model_router.quota.ledger import QuotaLedger
    from model_router.quota.price_book import PriceBook
    from model_router.quota.sweeper import ReservationSweeper
    from model_router.relay import Relay
    from model_router.routing import RoutingRules
    from model_router.store.prices import PriceStore
    from model_router.usage.records import UsageStore


@dataclass
class ModelRouterDeps:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    secrets: SecretBox
    channels: ChannelRegistry
    relay: Relay | None = None  # inference (mr-relay); None leaves the inference RPCs UNAVAILABLE
    quota: QuotaEngine | None = None  # reserve/settle/refund; None: requests are not metered
    ledger: QuotaLedger | None = None  # account admin (AdjustQuota, ledger reads)
    key_grants: KeyGrants | None = None  # keeps API keys' accounts in step with their quota in identity
    price_store: PriceStore | None = None  # price and multiplier admin
    prices: PriceBook | None = None  # in-memory prices for pricing requests
    usage: UsageStore | None = None  # usage records + UsageRecorded events
    sweeper: ReservationSweeper | None = None  # refunds expired reservations
    routing: RoutingRules | None = None  # A/B routing rules (mr-providers); None: no aliases
    finishers: Finishers = field(default_factory=Finishers)  # settlements outliving their RPC
    config: ModelRouterSettings = field(default_factory=ModelRouterSettings)  # CHATMESH_MODEL_ROUTER_* knobs
