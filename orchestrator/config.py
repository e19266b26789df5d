"""orchestrator's own knobs (env prefix ``CHATMESH_ORCHESTRATOR_``), all with working defaults.

Kept apart from mesh.config so the service's tuning does not touch the shared settings.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from orchestrator.domain.stdio_policy import StdioPolicy
from orchestrator.domain.turn_limits import TenantTurnLimits

__all__ = ["OrchestratorSettings", "load_orchestrator_settings", "stdio_policy"]


class OrchestratorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATMESH_ORCHESTRATOR_", extra="ignore")

    # Fairness: chat turns one user / one tenant may run at once across every
    # instance (Redis leases); 0 = unlimited. A turn over a limit is refused with
    # RESOURCE_EXHAUSTED + RetryInfo + QuotaFailure (HTTP 429 + Retry-After at the gateway).
    user_concurrency: int = Field(default=4, ge=0)
    tenant_concurrency: int = Field(default=0, ge=0)
    # Per-tenant figures, e.g. {"acme": {"user": 8, "tenant": 64}} (JSON in the environment).
    tenant_turn_limits: dict[str, TenantTurnLimits] = Field(default_factory=dict)
    # Seconds a lease outlives its instance's last renewal (a crashed instance's turns stop counting).
    turn_lease_seconds: float = Field(default=15.0, ge=1)
    # This instance's capacity: turns running at once, then a short priority queue bounded in
    # length and wait; beyond it a turn is shed with RESOURCE_EXHAUSTED + RetryInfo.
    max_running_turns: int = Field(default=512, ge=1)
    queue_limit: int = Field(default=64, ge=0)
    queue_seconds: float = Field(default=5.0, gt=0)
    # Retry-After suggested by a refusal.
    retry_after_seconds: float = Field(default=2.0, gt=0)
    # Model calls in the tool loop when the request does not say (GenerationSettings.max_tool_steps).
    default_max_tool_steps: int = Field(default=8, ge=1, le=64)
    # Upper bound a request may ask for.
    max_tool_steps_limit: int = Field(default=32, ge=1)
    # Seconds one tool call may run.
    tool_timeout_seconds: float = Field(default=30.0, gt=0)
    # Chunks retrieved per turn when the request does not say.
    default_retrieval_top_k: int = Field(default=5, ge=1, le=50)
    # Model used when neither the conversation nor the agent names one.
    default_model: str = "gpt-4o-mini"
    # Locale for {{locale}} when the request gives none.
    default_locale: str = "en"
    # Hosts http_fetch may reach ("example.com" or "*.example.com"); empty turns it off.
    # A host on a private or loopback address must be listed by that address itself ("127.0.0.1").
    http_fetch_allowed_domains: list[str] = Field(default_factory=list)
    # Response bytes http_fetch reads at most, and seconds it waits.
    http_fetch_max_bytes: int = Field(default=1_000_000, ge=1)
    http_fetch_timeout_seconds: float = Field(default=10.0, gt=0)
    # Seconds a tenant's MCP tool listing is reused before its servers are asked again.
    mcp_list_ttl_seconds: float = Field(default=30.0, ge=0)
    # Executables stdio MCP servers may start (tenant admins choose among them); empty forbids stdio.
    mcp_stdio_commands: list[str] = Field(default_factory=list)
    # Per command, regular expressions every argument must match in full; a command not listed
    # here takes no arguments. E.g. {"/usr/bin/npx": ["-y", "@modelcontextprotocol/server-[a-z-]+"]}.
    mcp_stdio_args: dict[str, list[str]] = Field(default_factory=dict)
    # Private or loopback addresses streamable-HTTP MCP servers may live on (others are refused).
    mcp_private_hosts: list[str] = Field(default_factory=list)


def stdio_policy(config: OrchestratorSettings) -> StdioPolicy:
    """The stdio MCP allow-list these settings describe."""
    return StdioPolicy.of(config.mcp_stdio_commands, config.mcp_stdio_args)


def load_orchestrator_settings(**overrides: object) -> OrchestratorSettings:
    """Settings from the environment, with explicit overrides winning (tests)."""
    return OrchestratorSettings(**overrides)  # type: ignore[arg-type]
