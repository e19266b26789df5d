"""ListSessions and RevokeSession: a user's logins (refresh-token families).

Sessions are a person's business: an API key sees none of them, and nobody lists or
ends the sessions of a user holding a permission they lack (their IPs and devices
included).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.identity.v1 import auth_pb2

from identity.api.access_support import guard_target, origin_of, page_size, parse_cursor, resolve_person
from identity.api.account_messages import session_message
from identity.api.account_support import caller_claims, invalid, target_user
from identity.store import audit
from identity.store import sessions as session_store
from identity.store.paging import encode_cursor
from mesh.errors import FieldViolation, NotFound

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["SessionsApi"]


class SessionsApi:
    deps: IdentityDeps

    async def ListSessions(
        self, request: auth_pb2.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_person(self.deps)
        limit = page_size(request.page_size)
        after = parse_cursor(request.page_token)
        claims = await caller_claims(self.deps)
        async with self.deps.sessions() as db:
            user = await target_user(db, caller, request.user_id, permission="users:read")
            await guard_target(self.deps, caller, user.id, db)
            rows = await session_store.list_sessions(db, user.id, limit=limit + 1, after=after)
        page, more = rows[:limit], len(rows) > limit
        current = claims.session_id if claims else ""
        return auth_pb2.ListSessionsResponse(
            sessions=[session_message(s, current_session_id=current) for s in page],
            next_page_token=encode_cursor((page[-1].created_at, page[-1].id)) if more and page else "",
        )

    async def RevokeSession(
        self, request: auth_pb2.RevokeSessionRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_person(self.deps)
        try:
            session_id = uuid.UUID(request.session_id)
        except ValueError:
            raise invalid([FieldViolation("session_id", "is not a session id")]) from None
        where = origin_of(context)
        async with self.deps.sessions.begin() as db:
            user = await target_user(db, caller, request.user_id, permission="users:update")
            await guard_target(self.deps, caller, user.id, db)
            session = await session_store.get_session(db, session_id)
            if session is None or session.user_id != user.id:
                raise NotFound("session not found", reason="SESSION_NOT_FOUND")
            revoked = await self.deps.tokens.revoke_family(db, session.id, reason="revoked_by_user")
            if revoked:
                await audit.record(
                    db,
                    tenant_id=user.tenant_id,
                    actor_id=caller.actor_id,
                    actor_kind=caller.actor_kind,  # type: ignore[arg-type]
                    action="auth.session_revoke",
                    resource=("session", str(session.id)),
                    outcome="success",
                    ip=where.ip,
                    user_agent=where.user_agent,
                    metadata={"user_id": str(user.id)},
                )
        return auth_pb2.RevokeSessionResponse()
