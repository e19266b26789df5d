"""model_router's own knobs (env prefix ``CHATMESH_MODEL_ROUTER_``), all with working defaults.

Kept apart from mesh.config so routing and health tuning does not touch the shared settings
(database, Redis, discovery and the seed channel stay there: every service reads them).

Selection strategy: ``selection_strategy`` is the default for every request;
``strategy_by_model`` (exact model name as the caller asked for it) wins over
``strategy_by_group`` (the caller's channel group), which wins over the default. Both
are JSON objects in the environment, e.g.
``CHATMESH_MODEL_ROUTER_STRATEGY_BY_MODEL='{"gpt-4o": "lowest_latency"}'``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ModelRouterSettings", "StrategyName"]

StrategyName = Literal["weighted_random", "round_robin", "least_in_flight", "lowest_latency"]


class ModelRouterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATMESH_MODEL_ROUTER_", extra="ignore")

    # How a channel is chosen within a priority tier (see the module docstring for overrides).
    selection_strategy: StrategyName = "weighted_random"
    strategy_by_group: dict[str, StrategyName] = Field(default_factory=dict)
    strategy_by_model: dict[str, StrategyName] = Field(default_factory=dict)

    # Circuit breaker: opens after this many failures in a row ...
    breaker_consecutive_failures: int = Field(default=5, ge=1)
    # ... or when the error rate over the sliding window exceeds this share ...
    breaker_error_rate: float = Field(default=0.5, gt=0, le=1)
    # ... over a window of this many seconds ...
    breaker_window_seconds: float = Field(default=30.0, gt=0)
    # ... once the window holds at least this many outcomes.
    breaker_min_requests: int = Field(default=20, ge=1)
    # Open breakers let one trial request through after this long.
    breaker_cooldown_seconds: float = Field(default=10.0, gt=0)
    # A breaker open (without a successful trial) this long auto-disables the channel.
    auto_disable_after_seconds: float = Field(default=60.0, gt=0)

    # Seconds between probes of open or auto-disabled channels.
    probe_interval_seconds: float = Field(default=15.0, gt=0)
    # Seconds one probe or TestChannel request may take.
    probe_timeout_seconds: float = Field(default=10.0, gt=0)
    # Seconds between the health monitor's checks (auto-disable, writing transitions).
    monitor_tick_seconds: float = Field(default=1.0, gt=0)

    # Weight of the newest sample in the latency and time-to-first-token averages.
    ewma_alpha: float = Field(default=0.3, gt=0, le=1)
    # Seconds a key refused by its upstream (401/403, quota) sits out.
    key_cooldown_seconds: float = Field(default=60.0, gt=0)

    # Streams reserve quota while the upstream is asked (off time-to-first-token; nothing reaches
    # the caller before the reservation holds, a refusal closes the upstream unread). True
    # reserves first, as whole completions do, when no prompt may reach a provider unpaid.
    reserve_before_stream: bool = False
