"""One model request as analytics stores it: the fields of a UsageRecorded event, flattened.

The rollup key (:data:`DIMENSIONS`) is every field a dashboard may group or filter by;
empty strings stand for "none" so the key never contains NULL (a NULL would defeat the
unique index the upserts conflict on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["CUBES", "DIMENSIONS", "STATUSES", "ActivityFact", "UsageFact", "cube_for"]

# Rollup key columns, in index order. ``error_code`` is part of the key so the dashboard's
# error breakdown reads rollups too; it is empty for every request that did not fail.
DIMENSIONS = (
    "tenant_id",
    "user_id",
    "api_key_id",
    "model",
    "channel_id",
    "arm",
    "status",
    "source",
    "error_code",
)
STATUSES = ("succeeded", "failed", "cancelled")
# Every request is counted in three cubes of each rollup tier, told apart by the ``cube`` column:
# the full key, and two narrow ones that keep only the tenant (and user) and blank the rest.
# A query reads the narrowest cube holding every dimension it filters or groups by, so a
# tenant's 30-day percentiles merge 30 sketches, not one per user, key, model and channel.
CUBES: dict[int, tuple[str, ...]] = {
    0: DIMENSIONS,
    1: ("tenant_id",),
    2: ("tenant_id", "user_id"),
}


def cube_for(dimensions: set[str]) -> int:
    """The narrowest cube holding every one of ``dimensions``."""
    for cube in (1, 2):
        if dimensions <= set(CUBES[cube]):
            return cube
    return 0


@dataclass(frozen=True)
class UsageFact:
    event_id: str
    request_id: str
    occurred_at: datetime
    tenant_id: str = ""
    user_id: str = ""
    api_key_id: str = ""
    model: str = ""
    upstream_model: str = ""
    channel_id: str = ""
    arm: str = ""
    routing_rule_id: str = ""
    status: str = "succeeded"
    source: str = ""
    error_code: str = ""
    kind: str = "chat"
    stream: bool = False
    estimated: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    retries: int = 0
    conversation_id: str = ""
    generation_id: str = ""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def key(self) -> dict[str, str]:
        """The rollup key of this request (without the bucket)."""
        return {name: getattr(self, name) for name in DIMENSIONS}


@dataclass(frozen=True)
class ActivityFact:
    """One counted platform event (a conversation started, a user registered, ...)."""

    event_id: str
    occurred_at: datetime
    tenant_id: str
    metric: str
    user_id: str = ""
    amount: int = 1
    extra: dict[str, str] = field(default_factory=dict)
