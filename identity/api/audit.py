"""ListAuditEvents: the caller's tenant's audit log, newest first, filtered and paginated."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import grpc
from chatmesh.identity.v1 import audit_pb2

from identity.api.access_support import from_timestamp, page_size, parse_cursor, resolve_caller, to_timestamp
from identity.store import audit
from identity.store.paging import encode_cursor
from mesh.errors import FieldViolation, InvalidArgument

if TYPE_CHECKING:
    from datetime import datetime

    from google.protobuf import timestamp_pb2

    from identity.deps import IdentityDeps

__all__ = ["AuditApi"]

OUTCOMES = {
    audit_pb2.AUDIT_OUTCOME_SUCCESS: "success",
    audit_pb2.AUDIT_OUTCOME_FAILURE: "failure",
    audit_pb2.AUDIT_OUTCOME_DENIED: "denied",
}
OUTCOME_ENUM = {name: number for number, name in OUTCOMES.items()}
ACTOR_KINDS = {
    "user": audit_pb2.AUDIT_ACTOR_KIND_USER,
    "api_key": audit_pb2.AUDIT_ACTOR_KIND_API_KEY,
    "service": audit_pb2.AUDIT_ACTOR_KIND_SERVICE,
    "anonymous": audit_pb2.AUDIT_ACTOR_KIND_ANONYMOUS,
}
MAX_FILTER = 200


class AuditApi:
    deps: IdentityDeps

    async def ListAuditEvents(
        self, request: audit_pb2.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> audit_pb2.ListAuditEventsResponse:
        caller = await resolve_caller(self.deps)
        where = _filter(request, caller.tenant_id)
        size = page_size(request.page_size)
        after = parse_cursor(request.page_token)
        caller.need("audit:read")
        async with self.deps.sessions() as session:
            rows = await audit.list_events(session, where, limit=size + 1, after=after)
        page = rows[:size]
        token = encode_cursor((page[-1].created_at, page[-1].id)) if len(rows) > size else ""
        return audit_pb2.ListAuditEventsResponse(
            audit_events=[_message(r) for r in page], next_page_token=token
        )


def _time(stamp: timestamp_pb2.Timestamp, field: str, violations: list[FieldViolation]) -> datetime | None:
    try:
        return from_timestamp(stamp)
    except (ValueError, OverflowError):
        violations.append(FieldViolation(field, "not a valid time"))
        return None


def _filter(request: audit_pb2.ListAuditEventsRequest, tenant_id: uuid.UUID) -> audit.AuditFilter:
    violations: list[FieldViolation] = []
    for field in ("actor_id", "action", "resource_type", "resource_id"):
        if len(getattr(request, field)) > MAX_FILTER:
            violations.append(FieldViolation(field, f"at most {MAX_FILTER} characters"))
        elif "\x00" in getattr(request, field):
            violations.append(FieldViolation(field, "must not contain NUL characters"))
    outcome = ""
    if request.outcome != audit_pb2.AUDIT_OUTCOME_UNSPECIFIED:
        outcome = OUTCOMES.get(request.outcome, "")
        if not outcome:
            violations.append(FieldViolation("outcome", f"unknown AuditOutcome {request.outcome}"))
    start = _time(request.start_time, "start_time", violations) if request.HasField("start_time") else None
    end = _time(request.end_time, "end_time", violations) if request.HasField("end_time") else None
    if start is not None and end is not None and start >= end:
        violations.append(FieldViolation("end_time", "must be after start_time"))
    if violations:
        raise InvalidArgument("invalid audit filter", violations)
    return audit.AuditFilter(
        tenant_id=tenant_id,
        actor_id=request.actor_id,
        action=request.action,
        resource_type=request.resource_type,
        resource_id=request.resource_id,
        outcome=outcome,
        start=start,
        end=end,
    )


def _message(row: audit.AuditRow) -> audit_pb2.AuditEvent:
    return audit_pb2.AuditEvent(
        id=str(row.id),
        tenant_id=str(row.tenant_id) if row.tenant_id else "",
        actor_id=row.actor_id,
        actor_kind=ACTOR_KINDS.get(row.actor_kind, audit_pb2.AUDIT_ACTOR_KIND_UNSPECIFIED),  # type: ignore[arg-type]
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        outcome=OUTCOME_ENUM.get(row.outcome, audit_pb2.AUDIT_OUTCOME_UNSPECIFIED),  # type: ignore[arg-type]
        ip_address=row.ip_address or "",
        user_agent=row.user_agent or "",
        metadata=row.metadata,
        request_id=row.request_id or "",
        create_time=to_timestamp(row.created_at),
    )
