"""identity's own settings (env prefix ``CHATMESH_IDENTITY_``), all with working defaults.

What only identity reads lives here; what every service needs to verify identity's
tokens (issuer, audience, TTLs, leeway) stays in ``mesh.config``. Each field also
answers to the name it had when it lived in ``mesh.config`` (``CHATMESH_ADMIN_PASSWORD``,
``CHATMESH_LOGIN_MAX_FAILURES_PER_IP``, …), so existing deployments keep working; the
``CHATMESH_IDENTITY_`` name wins when both are set.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["OAUTH_PROVIDERS", "IdentitySettings", "OAuthProviderSettings", "load_identity_settings"]

OAUTH_PROVIDERS: tuple[str, ...] = ("github", "google", "wechat")


class OAuthProviderSettings(BaseModel):
    """One OAuth2/OIDC login provider; unset endpoints mean the provider's real ones."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    authorize_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None
    emails_url: str | None = None
    scopes: list[str] | None = None


def _env(name: str, default: Any = ..., **constraints: Any) -> Any:
    """A field read from ``CHATMESH_IDENTITY_<NAME>``, else from the older ``CHATMESH_<NAME>``."""
    alias = AliasChoices(name, f"CHATMESH_IDENTITY_{name.upper()}", f"CHATMESH_{name.upper()}")
    if callable(default):
        return Field(default_factory=default, validation_alias=alias, **constraints)
    return Field(default, validation_alias=alias, **constraints)


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHATMESH_IDENTITY_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    # First-start seeding: the super-admin's email, and its password (unset: one is generated
    # and written once to <data_dir>/admin-credentials).
    admin_email: str = _env("admin_email", "admin@chatmesh.local")
    admin_password: str | None = _env("admin_password", None)
    # Failed-login throttling: after this many failures within the window, logins are refused until it ends.
    login_max_failures_per_account: int = _env("login_max_failures_per_account", 5, ge=1)
    login_max_failures_per_ip: int = _env("login_max_failures_per_ip", 20, ge=1)
    login_failure_window_seconds: int = _env("login_failure_window_seconds", 15 * 60, ge=1)
    # OAuth login providers (JSON: {"github": {"client_id": "…", "client_secret": "…"}}), the
    # redirect URIs StartOAuth accepts (empty: the gateway's own callback route), and the
    # password-reset page the mailed link opens (empty: <gateway_url>/reset-password).
    oauth_providers: dict[str, OAuthProviderSettings] = _env("oauth_providers", dict)
    oauth_redirect_uris: list[str] = _env("oauth_redirect_uris", list)
    password_reset_url: str | None = _env("password_reset_url", None)

    @field_validator("oauth_providers")
    @classmethod
    def _known_oauth_providers(
        cls, value: dict[str, OAuthProviderSettings]
    ) -> dict[str, OAuthProviderSettings]:
        unknown = sorted(set(value) - set(OAUTH_PROVIDERS))
        if unknown:
            raise ValueError(f"unknown OAuth provider(s) {unknown}; known: {list(OAUTH_PROVIDERS)}")
        return value


def load_identity_settings(**overrides: Any) -> IdentitySettings:
    """Settings from the environment (overrides win); a bad value stops the start with a readable message."""
    try:
        return IdentitySettings(**overrides)
    except ValidationError as exc:
        lines = ["chatmesh identity: invalid configuration:"]
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            env = f"CHATMESH_IDENTITY_{str(err['loc'][0]).upper()}" if err["loc"] else ""
            lines.append(f"  - {field} ({env}): {err['msg']} (got {err.get('input')!r})")
        raise SystemExit("\n".join(lines)) from None
