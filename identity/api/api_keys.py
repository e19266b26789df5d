"""API key RPCs: create/get/list/update/delete/restore, and AuthenticateApiKey (the hot path).

Own keys need ``api_keys:<action>``; another user's keys in the tenant need
``users:read`` / ``users:update`` as well (managing someone's credentials is managing
that user), and changing them is refused when that user holds a permission the caller
lacks. Keys are managed with a user's login only: an API key cannot list, mint or
change keys (a restricted key must not mint an unrestricted one). Keys of other
tenants do not exist for the caller (NOT_FOUND), except for super_admin; keys are
minted for others only inside the caller's own tenant. Every change is audited and
evented in its transaction and evicted from every instance's cache right after commit.
Secrets are never logged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import grpc
from chatmesh.events.v1 import identity_events_pb2
from chatmesh.identity.v1 import api_keys_pb2
from sqlalchemy.ext.asyncio import AsyncSession

from identity.api.access_support import (
    Caller,
    Origin,
    denials_audited,
    guard_target,
    optional_id,
    origin_of,
    page_size,
    parse_cursor,
    parse_id,
    resolve_person,
    runtime,
    to_timestamp,
)
from identity.api.api_key_auth import authenticate
from identity.api.api_key_messages import (
    SOURCES,
    creation_values,
    key_message,
    principal_message,
    status_filter,
    update_values,
)
from identity.domain.api_keys import (
    MAX_LIVE_KEYS_PER_OWNER,
    KeyView,
    client_ip_violation,
    display_prefix,
    generate_secret,
    hash_secret,
)
from identity.store import api_keys as store
from identity.store import audit, outbox
from identity.store import user_queries as user_store
from identity.store.paging import encode_cursor
from identity.store.rbac import user_standing
from mesh.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    QuotaViolation,
    ResourceExhausted,
)
from mesh.events import add as add_event

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["ApiKeysApi"]

log = logging.getLogger(__name__)

MAX_CREDENTIAL = 512
MAX_MODEL = 256


def _now() -> datetime:
    return datetime.now(UTC)


class ApiKeysApi:
    deps: IdentityDeps

    async def CreateApiKey(
        self, request: api_keys_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.CreateApiKeyResponse:
        async with denials_audited(self.deps, context, "api_key.create", ("user", request.owner_id or "me")):
            return await self._create_api_key(request, context)

    async def _create_api_key(
        self, request: api_keys_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.CreateApiKeyResponse:
        caller = await resolve_person(self.deps)
        now = _now()
        owner_id = optional_id(request.owner_id, "owner_id") or caller.user_id
        values = creation_values(request.api_key, now)
        caller.need("api_keys:create")
        secret = generate_secret()
        origin = origin_of(context)
        async with self.deps.sessions.begin() as session:
            tenant_id = await self._owner_tenant(session, caller, owner_id)
            await user_store.get_user(session, owner_id, for_update=True)  # one key count at a time
            if await store.count_live_keys(session, owner_id) >= MAX_LIVE_KEYS_PER_OWNER:
                raise ResourceExhausted(
                    "too many API keys; delete unused ones first",
                    [QuotaViolation(f"user:{owner_id}", f"at most {MAX_LIVE_KEYS_PER_OWNER} API keys")],
                    reason="API_KEY_LIMIT",
                )
            record = await store.insert_key(
                session,
                tenant_id=tenant_id,
                owner_id=owner_id,
                secret_hash=hash_secret(secret),
                prefix=display_prefix(secret),
                **values,
            )
            key = record.view
            await audit.record(
                session,
                tenant_id=tenant_id,
                actor_id=caller.actor_id,
                actor_kind=caller.actor_kind,
                action="api_key.create",
                resource=("api_key", str(key.id)),
                outcome="success",
                ip=origin.ip,
                user_agent=origin.user_agent,
                metadata={
                    "owner_id": str(owner_id),
                    "name": key.name,
                    "prefix": key.prefix,
                    "for_another_user": owner_id != caller.user_id,
                },
            )
            await add_event(
                session,
                outbox,
                source="identity",
                event=identity_events_pb2.ApiKeyCreated(
                    api_key_id=str(key.id),
                    owner_id=str(owner_id),
                    name=key.name,
                    prefix=key.prefix,
                    expire_time=to_timestamp(key.expire_at),
                ),
                tenant_id=str(tenant_id),
                subject=str(owner_id),
                actor_id=str(caller.user_id),
            )
        log.info("API key created", extra={"api_key_id": str(key.id), "prefix": key.prefix})
        return api_keys_pb2.CreateApiKeyResponse(api_key=key_message(key, now), secret=secret)

    async def GetApiKey(
        self, request: api_keys_pb2.GetApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.GetApiKeyResponse:
        caller = await resolve_person(self.deps)
        key_id = parse_id(request.api_key_id, "api_key_id")
        async with self.deps.sessions() as session:
            record = await self._visible_key(session, caller, key_id, "read")
        view = record.view
        pending = runtime(self.deps).last_used.pending(view.id)  # noted here, not written yet
        if view.last_used_at is not None and (pending is None or view.last_used_at > pending):
            pending = view.last_used_at
        return api_keys_pb2.GetApiKeyResponse(api_key=key_message(view, _now(), last_used=pending))

    async def ListApiKeys(
        self, request: api_keys_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.ListApiKeysResponse:
        caller = await resolve_person(self.deps)
        size = page_size(request.page_size)
        after = parse_cursor(request.page_token)
        status = status_filter(request.status)
        owner: uuid.UUID | None
        if request.owner_id == "*":
            owner = None
        else:
            owner = optional_id(request.owner_id, "owner_id") or caller.user_id
        caller.need("api_keys:read")
        if owner != caller.user_id:
            caller.need("users:read")
        now = _now()
        async with self.deps.sessions() as session:
            if owner is not None and owner != caller.user_id:
                standing = await user_standing(session, owner)
                if standing is None or standing.tenant_id != caller.tenant_id:
                    raise NotFound("no such user", reason="USER_NOT_FOUND")
            keys = await store.list_keys(
                session,
                tenant_id=caller.tenant_id,
                owner_id=owner,
                status=status,
                show_deleted=request.show_deleted,
                now=now,
                limit=size + 1,
                after=after,
            )
        page = keys[:size]
        token = encode_cursor((page[-1].created_at, page[-1].id)) if len(keys) > size else ""
        return api_keys_pb2.ListApiKeysResponse(
            api_keys=[key_message(k, now) for k in page], next_page_token=token
        )

    async def UpdateApiKey(
        self, request: api_keys_pb2.UpdateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.UpdateApiKeyResponse:
        async with denials_audited(self.deps, context, "api_key.update", ("api_key", request.api_key_id)):
            return await self._update_api_key(request, context)

    async def _update_api_key(
        self, request: api_keys_pb2.UpdateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.UpdateApiKeyResponse:
        caller = await resolve_person(self.deps)
        key_id = parse_id(request.api_key_id, "api_key_id")
        now = _now()
        origin = origin_of(context)
        async with self.deps.sessions.begin() as session:
            current = await self._visible_key(session, caller, key_id, "update", for_update=True)
            if current.view.deleted_at is not None:
                raise FailedPrecondition("the API key is deleted; restore it first", reason="API_KEY_DELETED")
            values = update_values(request.api_key, request.update_mask, current.view, now)
            updated = await store.update_key(session, key_id, **values)
            await self._audit(
                session, caller, origin, "api_key.update", updated.view, fields=",".join(values)
            )
            if current.view.status == "active" and values.get("status") == "disabled":
                await self._revoked_event(session, caller, updated.view, "disabled")
        await runtime(self.deps).api_keys.invalidate(current.secret_hash)
        return api_keys_pb2.UpdateApiKeyResponse(api_key=key_message(updated.view, now))

    async def DeleteApiKey(
        self, request: api_keys_pb2.DeleteApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.DeleteApiKeyResponse:
        async with denials_audited(self.deps, context, "api_key.delete", ("api_key", request.api_key_id)):
            return await self._delete_api_key(request, context)

    async def _delete_api_key(
        self, request: api_keys_pb2.DeleteApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.DeleteApiKeyResponse:
        caller = await resolve_person(self.deps)
        key_id = parse_id(request.api_key_id, "api_key_id")
        origin = origin_of(context)
        async with self.deps.sessions.begin() as session:
            current = await self._visible_key(session, caller, key_id, "delete", for_update=True)
            if current.view.deleted_at is None:
                deleted = await store.update_key(session, key_id, deleted_at=_now())
                await self._audit(session, caller, origin, "api_key.delete", deleted.view)
                await self._revoked_event(session, caller, deleted.view, "deleted")
        await runtime(self.deps).api_keys.invalidate(current.secret_hash)
        return api_keys_pb2.DeleteApiKeyResponse()

    async def RestoreApiKey(
        self, request: api_keys_pb2.RestoreApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.RestoreApiKeyResponse:
        async with denials_audited(self.deps, context, "api_key.restore", ("api_key", request.api_key_id)):
            return await self._restore_api_key(request, context)

    async def _restore_api_key(
        self, request: api_keys_pb2.RestoreApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.RestoreApiKeyResponse:
        caller = await resolve_person(self.deps)
        key_id = parse_id(request.api_key_id, "api_key_id")
        origin = origin_of(context)
        async with self.deps.sessions.begin() as session:
            record = await self._visible_key(session, caller, key_id, "delete", for_update=True)
            if record.view.deleted_at is not None:
                record = await store.update_key(session, key_id, deleted_at=None)
                await self._audit(session, caller, origin, "api_key.restore", record.view)
        await runtime(self.deps).api_keys.invalidate(record.secret_hash)
        return api_keys_pb2.RestoreApiKeyResponse(api_key=key_message(record.view, _now()))

    async def AuthenticateApiKey(
        self, request: api_keys_pb2.AuthenticateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_keys_pb2.AuthenticateApiKeyResponse:
        _check_authenticate_request(request)
        key, grants = await authenticate(
            runtime(self.deps),
            request.credential,
            SOURCES[request.source],
            client_ip=request.client_ip,
            model=request.model,
        )
        now = _now()
        return api_keys_pb2.AuthenticateApiKeyResponse(
            principal=principal_message(key, grants), api_key=key_message(key, now, last_used=now)
        )

    async def _owner_tenant(self, session: AsyncSession, caller: Caller, owner_id: uuid.UUID) -> uuid.UUID:
        """The tenant a new key of ``owner_id`` belongs to, once the caller may mint it.

        Minting a key for someone else is how an admin provisions a service account's
        credential; it stays inside the caller's own tenant (even for super_admin), needs
        ``users:update`` and may not reach a user holding anything the caller lacks.
        """
        if owner_id == caller.user_id:
            return caller.tenant_id
        standing = await user_standing(session, owner_id)
        if standing is None or standing.tenant_id != caller.tenant_id:
            raise NotFound("no such user", reason="USER_NOT_FOUND", metadata={"user_id": str(owner_id)})
        caller.need("users:update", standing.tenant_id)
        await guard_target(self.deps, caller, owner_id, session)
        if not standing.active:
            raise FailedPrecondition("the owner is not active", reason="USER_INACTIVE")
        return standing.tenant_id

    async def _visible_key(
        self,
        session: AsyncSession,
        caller: Caller,
        key_id: uuid.UUID,
        action: str,
        *,
        for_update: bool = False,
    ) -> store.KeyRecord:
        """The key if the caller may ``action`` it; NOT_FOUND when it is in another tenant."""
        record = await store.key_by_id(session, key_id, for_update=for_update)
        if record is None or not caller.sees_tenant(record.view.tenant_id):
            raise NotFound(
                "no such API key", reason="API_KEY_NOT_FOUND", metadata={"api_key_id": str(key_id)}
            )
        tenant = record.view.tenant_id
        caller.need(f"api_keys:{action}", tenant)
        if record.view.owner_id != caller.user_id:
            caller.need("users:read" if action == "read" else "users:update", tenant)
            if action != "read":
                await guard_target(self.deps, caller, record.view.owner_id, session)
        return record

    async def _audit(
        self, session: AsyncSession, caller: Caller, origin: Origin, action: str, key: KeyView, **details: str
    ) -> None:
        await audit.record(
            session,
            tenant_id=key.tenant_id,
            actor_id=caller.actor_id,
            actor_kind=caller.actor_kind,
            action=action,
            resource=("api_key", str(key.id)),
            outcome="success",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={"owner_id": str(key.owner_id), "prefix": key.prefix, **details},
        )

    async def _revoked_event(self, session: AsyncSession, caller: Caller, key: KeyView, reason: str) -> None:
        await add_event(
            session,
            outbox,
            source="identity",
            event=identity_events_pb2.ApiKeyRevoked(
                api_key_id=str(key.id), owner_id=str(key.owner_id), reason=reason
            ),
            tenant_id=str(key.tenant_id),
            subject=str(key.owner_id),
            actor_id=str(caller.user_id),
        )


def _check_authenticate_request(request: api_keys_pb2.AuthenticateApiKeyRequest) -> None:
    violations: list[FieldViolation] = []
    if not request.credential.strip():
        violations.append(FieldViolation("credential", "required"))
    elif len(request.credential) > MAX_CREDENTIAL:
        violations.append(FieldViolation("credential", f"at most {MAX_CREDENTIAL} characters"))
    if request.source not in SOURCES:
        violations.append(FieldViolation("source", f"unknown ApiKeyCredentialSource {request.source}"))
    bad_ip = client_ip_violation(request.client_ip)
    if bad_ip is not None:
        violations.append(bad_ip)
    if len(request.model) > MAX_MODEL:
        violations.append(FieldViolation("model", f"at most {MAX_MODEL} characters"))
    if violations:
        raise InvalidArgument("invalid AuthenticateApiKey request", violations)
