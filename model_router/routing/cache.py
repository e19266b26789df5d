"""Routing rules held in memory and refreshed on change across instances, like the channel registry.

:meth:`RoutingRules.resolve` is pure and synchronous: it reads the current :class:`RuleIndex`
and never touches Postgres. An admin change publishes on :data:`RULES_CHANGED` after its
commit and every instance reloads; pub/sub can miss messages, so a periodic check of a cheap
fingerprint (row count, latest ``updated_at``) reloads too — changes land within
``reload_seconds`` at worst.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.invalidation import RefreshLoop
from model_router.domain.routing_rules import RouteResolution, RuleIndex, RuleSpec
from model_router.store import routing_rules as rule_store
from model_router.store.routing_rules import RULES_CHANGED

__all__ = ["DEFAULT_RELOAD_SECONDS", "RULES_CHANGED", "RoutingRules"]

log = logging.getLogger(__name__)

DEFAULT_RELOAD_SECONDS = 2.0


class RoutingRules:
    """``resolve(model, tenant_id, user_id)`` over the current rules; :meth:`start` loads and refreshes."""

    def __init__(
        self, engine: AsyncEngine, redis: Redis | None, *, reload_seconds: float = DEFAULT_RELOAD_SECONDS
    ) -> None:
        self._engine = engine
        self._index = RuleIndex(())
        self._fingerprint: tuple[Any, ...] | None = None
        self._lock = asyncio.Lock()
        self._refresh = RefreshLoop(
            redis,
            RULES_CHANGED,
            self.reload,
            interval=reload_seconds,
            name="routing-rules",
            what="routing rules",
            kept="rules",
            logger=log,
        )

    @property
    def index(self) -> RuleIndex:
        return self._index

    def resolve(
        self, model: str, tenant_id: str, user_id: str, *, group: str = "", sticky_key: str = ""
    ) -> RouteResolution:
        """The target for ``model``; ``RouteResolution(model)`` with empty rule and arm when no rule applies.

        A rule listing groups applies when ``group`` (the request's user group) or ``tenant_id``
        is among them. Stickiness uses ``sticky_key`` when given, else ``user_id``.
        """
        return self._index.resolve(model, tenant_id, user_id, group=group, sticky_key=sticky_key)

    async def start(self) -> None:
        await self.reload()
        await self._refresh.start()

    async def close(self) -> None:
        await self._refresh.close()

    async def changed(self) -> None:
        """After a committed change: reload here at once and tell the other instances; never raises."""
        await self._refresh.changed()

    async def reload(self, *, only_if_changed: bool = False) -> None:
        async with self._lock:
            async with self._engine.connect() as conn:
                fingerprint = await rule_store.fingerprint(conn)
                if only_if_changed and fingerprint == self._fingerprint:
                    return
                rows = await rule_store.list_rules(conn)
            self._index = RuleIndex(self._specs(rows))
            self._fingerprint = fingerprint
        log.debug("routing rules reloaded", extra={"rules": len(rows)})

    @staticmethod
    def _specs(rows: list[dict[str, Any]]) -> list[RuleSpec]:
        specs = []
        for row in rows:
            try:
                specs.append(rule_store.spec_from_row(row))
            except (TypeError, ValueError):
                log.error("routing rule row unreadable; skipped", extra={"rule_id": str(row.get("id"))})
        return specs
