"""OAuth2 / OIDC login and linking: the use cases behind StartOAuth and CompleteOAuth.

``state`` is 256 random bits, single use and ten minutes long. What it stands for (provider,
redirect URI, PKCE verifier, OIDC nonce, intent, and for LINK the user) is kept in Redis
under the state's SHA-256, encrypted with the service's secret box, and taken with GETDEL
so that two callbacks with one state cannot both proceed.

A first login creates the user in the default tenant, without a password, using the
provider's email only when the provider verified it (else an undeliverable placeholder).
An existing account with that email is never taken over silently: the person must log in
to it and link the provider (ALREADY_EXISTS, reason OAUTH_EMAIL_TAKEN).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from chatmesh.events.v1 import identity_events_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.accounts.admission import signup_role_id, take_seat
from identity.accounts.login import subject_of
from identity.accounts.registration import add_user
from identity.domain.oauth import (
    STATE_TTL_SECONDS,
    ExternalProfile,
    ProviderTokens,
    authorization_url,
    check_redirect_uri,
    new_nonce,
    new_pkce_verifier,
    new_state,
    placeholder_email,
    provider_config,
    require_provider_id,
    suggested_username,
)
from identity.domain.origin import Origin
from identity.domain.signup import signup_decision
from identity.domain.users import (
    DEFAULT_TENANT_SLUG,
    MAX_DISPLAY_NAME_LENGTH,
    avatar_url_problem,
    email_problem,
    normalize_email,
    username_problem,
)
from identity.mfa.challenge import login_challenge
from identity.sessions.tokens import TokenPair
from identity.store import audit, oauth_states
from identity.store import mfa as mfa_store
from identity.store import oauth as link_store
from identity.store import tenant_queries as tenant_store
from identity.store import user_queries as user_store
from identity.store.oauth import LinkRow, NewLink
from identity.store.user_queries import UserRow
from mesh.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from identity.deps import IdentityDeps
    from mesh.secrets import SecretBox

__all__ = ["LINK", "LOGIN", "OAuthResult", "Started", "complete_oauth", "start_oauth"]

LOGIN = "login"
LINK = "link"
MAX_PARAM_LENGTH = 2048
_STATE_CONTEXT = b"identity.oauth_state"
_TOKEN_CONTEXT = b"identity.oauth_link_token"


@dataclass(frozen=True)
class _State:
    provider: str
    redirect_uri: str
    code_verifier: str | None
    nonce: str | None
    intent: str
    user_id: str


@dataclass(frozen=True)
class Started:
    authorization_url: str
    state: str
    expire_time: datetime


@dataclass(frozen=True)
class OAuthResult:
    user: UserRow
    link: LinkRow
    created: bool
    pair: TokenPair | None
    mfa_token: str
    mfa_enabled: bool


async def _save_state(redis: Redis, box: SecretBox, state: str, data: _State) -> None:
    sealed = box.encrypt(json.dumps(asdict(data)), _STATE_CONTEXT)
    await oauth_states.put_state(redis, state, sealed, STATE_TTL_SECONDS)


async def _take_state(redis: Redis, box: SecretBox, state: str) -> _State | None:
    sealed = await oauth_states.take_state(redis, state)
    if sealed is None:
        return None
    return _State(**json.loads(box.decrypt(sealed, _STATE_CONTEXT)))


async def start_oauth(
    deps: IdentityDeps, *, provider_id: str, redirect_uri: str, intent: str, caller_id: uuid.UUID | None
) -> Started:
    """The provider's authorization URL, with a fresh state bound to PKCE, nonce, intent and caller."""
    config = provider_config(deps.config, require_provider_id(provider_id))
    uri = check_redirect_uri(deps.config, deps.settings.gateway_url, config.id, redirect_uri)
    state = new_state()
    verifier = new_pkce_verifier() if config.spec.pkce else None
    nonce = new_nonce() if config.spec.oidc else None
    data = _State(config.id, uri, verifier, nonce, intent, str(caller_id) if caller_id else "")
    await _save_state(deps.redis, deps.secrets, state, data)
    url = authorization_url(config, redirect_uri=uri, state=state, code_verifier=verifier, nonce=nonce)
    return Started(url, state, datetime.now(UTC) + timedelta(seconds=STATE_TTL_SECONDS))


def _check_callback(provider_id: str, code: str, state: str, error: str) -> list[FieldViolation]:
    violations = []
    if not provider_id.strip():
        violations.append(FieldViolation("provider_id", "is required"))
    if not state:
        violations.append(FieldViolation("state", "is required"))
    elif len(state) > MAX_PARAM_LENGTH:
        violations.append(FieldViolation("state", "is not a state this service issued"))
    if not error and not code:
        violations.append(FieldViolation("code", "is required (or the provider's error)"))
    if len(code) > MAX_PARAM_LENGTH or len(error) > MAX_PARAM_LENGTH:
        violations.append(FieldViolation("code" if len(code) > MAX_PARAM_LENGTH else "error", "is too long"))
    return violations


async def complete_oauth(
    deps: IdentityDeps,
    *,
    provider_id: str,
    code: str,
    state: str,
    error: str,
    origin: Origin,
    caller_id: uuid.UUID | None,
) -> OAuthResult:
    """Spend the state, trade the code, then log in (finding or creating the user) or link."""
    violations = _check_callback(provider_id, code, state, error)
    if violations:
        raise InvalidArgument(f"invalid {', '.join(v.field for v in violations)}", violations)
    provider = require_provider_id(provider_id)
    saved = await _take_state(deps.redis, deps.secrets, state)
    if saved is None or saved.provider != provider:
        raise InvalidArgument(
            "unknown, expired or already used OAuth state; start the login again",
            [FieldViolation("state", "was not issued for this login, or was already used")],
            reason="OAUTH_STATE_INVALID",
        )
    if error:
        raise PermissionDenied(
            f"{provider} did not authorize the login ({error[:100]})",
            reason="OAUTH_ACCESS_DENIED",
            metadata={"provider_id": provider, "error": error[:100]},
        )
    if saved.intent == LINK and caller_id is not None and str(caller_id) != saved.user_id:
        raise PermissionDenied("this link was started by another user", reason="OAUTH_LINK_OTHER_USER")
    config = provider_config(deps.config, provider)
    tokens, profile = await deps.oauth.exchange(
        config,
        code=code,
        redirect_uri=saved.redirect_uri,
        code_verifier=saved.code_verifier,
        nonce=saved.nonce,
    )
    new_link = _new_link(deps.secrets, profile, tokens)
    if saved.intent == LINK:
        return await _link(deps, uuid.UUID(saved.user_id), new_link, origin)
    return await _login(deps, profile, new_link, origin)


def _new_link(box: SecretBox, profile: ExternalProfile, tokens: ProviderTokens) -> NewLink:
    expires = datetime.now(UTC) + timedelta(seconds=tokens.expires_in) if tokens.expires_in else None
    return NewLink(
        user_id=uuid.UUID(int=0),
        provider=profile.provider,
        provider_user_id=profile.provider_user_id,
        provider_email=profile.email,
        provider_username=profile.username or profile.display_name or None,
        access_token_encrypted=box.encrypt(tokens.access_token, _TOKEN_CONTEXT),
        refresh_token_encrypted=box.encrypt(tokens.refresh_token, _TOKEN_CONTEXT)
        if tokens.refresh_token
        else None,
        token_expires_at=expires,
    )


def _usable(user: UserRow | None) -> UserRow:
    if user is None or user.status != "active" or user.tenant_status != "active":
        raise PermissionDenied("this account cannot log in", reason="ACCOUNT_DISABLED")
    return user


async def _link(deps: IdentityDeps, user_id: uuid.UUID, new_link: NewLink, origin: Origin) -> OAuthResult:
    async with deps.sessions.begin() as db:
        user = _usable(await user_store.get_user(db, user_id, for_update=True))
        existing = await link_store.find_link(db, new_link.provider, new_link.provider_user_id)
        if existing is not None and existing.user_id != user.id:
            raise AlreadyExists(
                f"this {new_link.provider} account is linked to another user", reason="OAUTH_ACCOUNT_LINKED"
            )
        if existing is not None:
            link = await link_store.touch_link(db, existing.id, new_link)
        else:
            link = await link_store.insert_link(db, _for_user(new_link, user.id))
        await _audit(db, user, origin, "oauth.link", link, {"provider": link.provider})
        enabled = await mfa_store.totp_enabled(db, user.id)
    return OAuthResult(user, link, False, None, "", enabled)


async def _login(
    deps: IdentityDeps, profile: ExternalProfile, new_link: NewLink, origin: Origin
) -> OAuthResult:
    async with deps.sessions.begin() as db:
        existing = await link_store.find_link(db, profile.provider, profile.provider_user_id)
        created = existing is None
        if existing is not None:
            user = _usable(await user_store.get_user(db, existing.user_id))
            link = await link_store.touch_link(db, existing.id, new_link)
        else:
            user = await _create_user(db, profile, origin)
            link = await link_store.insert_link(db, _for_user(new_link, user.id))
            await _audit(db, user, origin, "oauth.link", link, {"provider": link.provider})
        method = f"oauth:{profile.provider}"
        challenge = await login_challenge(
            db,
            deps.redis,
            user_id=user.id,
            tenant_id=user.tenant_id,
            method=method,
            ip=origin.ip,
            user_agent=origin.user_agent,
        )
        pair = None
        if challenge is None:
            pair = await deps.tokens.issue_pair(
                db, subject_of(user), ip=origin.ip, user_agent=origin.user_agent
            )
            await user_store.touch_login(db, user.id)
        details = {"method": method, "mfa_required": challenge is not None, "user_created": created}
        await _audit(db, user, origin, "auth.login", None, details)
    return OAuthResult(
        user, link, created, pair, challenge.mfa_token if challenge else "", challenge is not None
    )


def _for_user(link: NewLink, user_id: uuid.UUID) -> NewLink:
    return NewLink(**{**asdict(link), "user_id": user_id})


async def _create_user(db: AsyncSession, profile: ExternalProfile, origin: Origin) -> UserRow:
    """The user a first login creates, in the default tenant, with the ``user`` role."""
    tenant = await tenant_store.tenant_by_slug(db, DEFAULT_TENANT_SLUG)
    if tenant is None or tenant.status != "active":
        raise FailedPrecondition(
            "sign-up is closed: the default tenant is not active", reason="SIGNUP_CLOSED"
        )
    email = normalize_email(profile.email) if profile.email else ""
    verified = bool(email) and email_problem(email) is None
    if not verified:
        email = placeholder_email(profile)
    if await user_store.user_by_email(db, tenant.id, email) is not None:
        raise AlreadyExists(
            f"an account with this email already exists; log in to it and link {profile.provider} "
            "from the account settings",
            reason="OAUTH_EMAIL_TAKEN",
            metadata={"provider_id": profile.provider},
        )
    decision = signup_decision(tenant.signup_mode, tenant.signup_domains, email, tenant_active=True)
    if not decision.allowed or (decision.verify_first and not verified):
        raise FailedPrecondition("sign-up is closed for this tenant", reason="SIGNUP_CLOSED")
    await take_seat(db, tenant)
    username = suggested_username(profile)
    if username_problem(username):
        username = f"{profile.provider}-{uuid.uuid4().hex[:12]}"
    avatar = profile.avatar_url if profile.avatar_url and not avatar_url_problem(profile.avatar_url) else None
    display_name = "".join(c for c in profile.display_name if c.isprintable())[:MAX_DISPLAY_NAME_LENGTH]
    role_id = await signup_role_id(db, tenant)
    return await add_user(
        db,
        tenant_id=tenant.id,
        email=email,
        username=username,
        display_name=display_name or username,
        password_hash=None,
        avatar_url=avatar,
        email_verified=verified,
        role_ids=[role_id] if role_id is not None else [],
        origin=origin,
        actor_id=None,
        signup_method=identity_events_pb2.SIGNUP_METHOD_OAUTH,
        provider_id=profile.provider,
        audit_metadata={"method": f"oauth:{profile.provider}"},
    )


async def _audit(
    db: AsyncSession,
    user: UserRow,
    origin: Origin,
    action: str,
    link: LinkRow | None,
    metadata: dict[str, object],
) -> None:
    await audit.record(
        db,
        tenant_id=user.tenant_id,
        actor_id=user.id,
        action=action,
        resource=("oauth_link", str(link.id)) if link else ("user", str(user.id)),
        outcome="success",
        ip=origin.ip,
        user_agent=origin.user_agent,
        metadata=metadata,
    )
