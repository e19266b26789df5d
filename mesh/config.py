"""Settings for every chatmesh process, read from ``CHATMESH_*`` env vars and ``.env``.

One ``Settings`` class serves the whole mesh so that the launcher, the services
and the gateway agree on addresses without passing them around by hand.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICES: tuple[str, ...] = (
    "identity",
    "conversation",
    "knowledge",
    "orchestrator",
    "model_router",
    "analytics",
    "notification",
)

Port = int


RateLimitScope = Literal["ip", "anonymous", "user", "api_key", "tenant", "model"]


class RateLimitRule(BaseModel):
    """One gateway rate limit (gateway.policies.ratelimit).

    ``match`` is a glob on the RPC name (``chatmesh.identity.v1.IdentityService/Login``) or the
    request path (``/v1/chat/*``). ``scope`` says whose requests are counted together: the client
    IP (``ip``: every request; ``anonymous``: only requests without credentials), the user, the API
    key, the tenant, or the model named in the request. ``sliding_window`` allows ``limit`` requests in
    any ``window_seconds``; ``token_bucket`` refills ``limit`` tokens per ``window_seconds`` into a
    bucket of ``burst`` (default ``limit``). ``per_route`` counts each route apart instead of all
    matching routes together.
    """

    match: str = Field(default="*", min_length=1)
    scope: RateLimitScope
    limit: int = Field(ge=1)
    window_seconds: float = Field(default=60.0, gt=0)
    algorithm: Literal["sliding_window", "token_bucket"] = "sliding_window"
    burst: int | None = Field(default=None, ge=1)
    per_route: bool = False


def _default_rate_limits() -> list[RateLimitRule]:
    """Generous defaults: they stop floods and password guessing, not ordinary use."""
    sign_in = "chatmesh.identity.v1.IdentityService/*"
    return [
        RateLimitRule(scope="anonymous", limit=600),
        RateLimitRule(match=f"{sign_in}Login", scope="ip", limit=60, per_route=True),
        RateLimitRule(match=f"{sign_in}Register", scope="ip", limit=30),
        RateLimitRule(match=f"{sign_in}PasswordReset", scope="ip", limit=30),
        RateLimitRule(scope="user", limit=1200),
        RateLimitRule(scope="api_key", limit=1200, algorithm="token_bucket", burst=200),
    ]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHATMESH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    environment: Literal["development", "test", "production"] = "development"
    host: str = Field("127.0.0.1", description="Address every service and the gateway bind to")
    advertise_host: str | None = Field(
        None, description="Address other instances use to reach this one (defaults to host)"
    )
    data_dir: Path = Field(Path(".data"), description="Embedded Postgres/Redis data and admin credentials")

    # gRPC ports of the services; metrics ports sit 1000 above them.
    identity_port: Port = 50051
    conversation_port: Port = 50052
    knowledge_port: Port = 50053
    orchestrator_port: Port = 50054
    model_router_port: Port = 50055
    analytics_port: Port = 50056
    notification_port: Port = 50057
    metrics_port_offset: int = 1000
    gateway_port: Port = 8080

    # Storage. Unset means "start the embedded server" (mesh.infra).
    database_url: str | None = None
    redis_url: str | None = None
    # Connections one process may hold to Redis; a caller past the limit waits up to
    # redis_pool_timeout_seconds for one instead of failing (blocking stream reads hold one each).
    redis_max_connections: int = Field(1000, ge=1)
    redis_pool_timeout_seconds: float = Field(5.0, gt=0)
    embedded_postgres_port: Port = 55432
    embedded_redis_port: Port = 56379
    db_pool_size: int = Field(10, ge=1, le=200)

    # Discovery.
    discovery: Literal["static", "consul"] = "static"
    static_addresses: dict[str, str] = Field(
        default_factory=dict,
        description='Per-service "host:port" for static discovery, e.g. {"identity": "10.0.0.5:50051"}',
    )
    consul_url: str = "http://127.0.0.1:8500"
    consul_token: str | None = None
    consul_check_interval_seconds: float = Field(5.0, gt=0)
    consul_deregister_after_seconds: float = Field(60.0, gt=0)

    # gRPC runtime.
    grpc_max_message_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    grpc_default_deadline_seconds: float = Field(10.0, gt=0)
    grpc_keepalive_seconds: float = Field(30.0, gt=0)
    shutdown_grace_seconds: float = Field(15.0, ge=0)

    # Telemetry.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    # Access lines (one per RPC / HTTP request): keep this share of the successful calls that
    # ended within access_log_slow_ms; errors and slower calls are always logged.
    access_log_sample_rate: float = Field(1.0, ge=0.0, le=1.0)
    access_log_slow_ms: float = Field(500.0, ge=0.0)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str = "http://127.0.0.1:4317"

    # First-start seeding (the super-admin's are identity's: identity.config.IdentitySettings).
    seed_channel_type: str = "openai"
    seed_channel_base_url: str | None = None
    seed_channel_api_key: str | None = None
    seed_channel_models: list[str] = Field(default_factory=lambda: ["gpt-4o-mini"])

    # Tokens (identity issues, every service verifies). Issuer/audience go into `iss`/`aud`.
    jwt_issuer: str = "chatmesh-identity"
    jwt_audience: str = "chatmesh"
    access_token_ttl_seconds: int = Field(15 * 60, ge=30, le=24 * 3600)
    refresh_token_ttl_seconds: int = Field(30 * 24 * 3600, ge=300)
    jwt_leeway_seconds: float = Field(5.0, ge=0, le=300)
    # How long a "not revoked" answer from Redis may be reused when Redis is unreachable (0 disables).
    revocation_cache_seconds: float = Field(2.0, ge=0, le=5)

    # Encryption at rest (mesh.secrets). Unset: a key generated on first start into <data_dir>/secret-key.
    secret_key: str | None = Field(None, description="Key material for encrypting provider keys at rest")

    # Gateway edge policies (gateway.policies). CORS origins are exact origins ("https://app.example.com");
    # "*" is refused. Rate limits: JSON list of RateLimitRule; tenant quotas: tenant id -> requests per
    # minute ("*" for every tenant without its own entry). Redis trouble fails the limits open.
    gateway_cors_origins: list[str] = Field(default_factory=list)
    gateway_rate_limits: list[RateLimitRule] = Field(default_factory=_default_rate_limits)
    gateway_tenant_rpm: dict[str, int] = Field(default_factory=dict)
    gateway_rate_limit_timeout_seconds: float = Field(0.25, gt=0, le=5)
    gateway_gzip_min_bytes: int = Field(1024, ge=0)
    gateway_ws_ping_seconds: float = Field(20.0, gt=0)

    # Gateway transcoding (gateway.transcoding, gateway.streaming, gateway.upload, gateway.edge_auth).
    # Route deadlines: RPC name ("chatmesh.identity.v1.IdentityService.Login") -> seconds, used when the
    # client sends no Grpc-Timeout.
    gateway_max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest JSON request body")
    gateway_max_upload_bytes: int = Field(1024 * 1024 * 1024, ge=1024, description="Largest streamed upload")
    gateway_sse_heartbeat_seconds: float = Field(15.0, gt=0)
    gateway_api_key_cache_seconds: float = Field(30.0, ge=0)
    gateway_route_deadlines: dict[str, float] = Field(default_factory=dict)
    # The client's address (gateway.policies.client_ip): X-Forwarded-For is believed only from these
    # proxy networks (CIDRs, a JSON list or comma-separated); empty: the socket peer is the client.
    gateway_trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator(
        "identity_port",
        "conversation_port",
        "knowledge_port",
        "orchestrator_port",
        "model_router_port",
        "analytics_port",
        "notification_port",
        "gateway_port",
        "embedded_postgres_port",
        "embedded_redis_port",
    )
    @classmethod
    def _port_in_range(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {value}")
        return value

    @field_validator("gateway_cors_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, sep, rest = origin.partition("://")
            if origin == "*" or not sep or scheme not in ("http", "https") or not rest or "/" in rest:
                raise ValueError(f'CORS origins must be exact ("https://app.example.com"), not {origin!r}')
        return value

    @field_validator("gateway_trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [p for p in text.split(",") if p.strip()]
        if isinstance(value, list):
            for network in value:
                ipaddress.ip_network(str(network).strip(), strict=False)
            return [str(network).strip() for network in value]
        return value

    @field_validator("static_addresses")
    @classmethod
    def _known_services(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SERVICES))
        if unknown:
            raise ValueError(f"unknown service(s) {unknown}; known: {list(SERVICES)}")
        for name, addr in value.items():
            host, _, port = addr.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f'{name}: expected "host:port", got {addr!r}')
        return value

    def grpc_port(self, service: str) -> int:
        _check_service(service)
        return int(getattr(self, f"{service}_port"))

    def metrics_port(self, service: str) -> int:
        if service == "gateway":
            return self.gateway_port
        return self.grpc_port(service) + self.metrics_port_offset

    def bind_address(self, service: str) -> str:
        return f"{self.host}:{self.grpc_port(service)}"

    def static_address(self, service: str) -> str:
        """Where static discovery sends calls for ``service``."""
        _check_service(service)
        return self.static_addresses.get(
            service, f"{self.advertise_host or self.host}:{self.grpc_port(service)}"
        )

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"


def _check_service(service: str) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {list(SERVICES)}")


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into a message a person can act on."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = ["chatmesh: invalid configuration:"]
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            env = f"CHATMESH_{field.upper()}" if err["loc"] else ""
            lines.append(f"  - {field} ({env}): {err['msg']} (got {err.get('input')!r})")
        raise SystemExit("\n".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def exit_on_bad_settings() -> Settings:
    """Entry-point helper: print the problem to stderr and exit 2 instead of a traceback."""
    try:
        return load_settings()
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
