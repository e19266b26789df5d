"""Usage record RPCs.

ListUsageRecords needs ``analytics:read`` (tenant admins: their tenant; super_admin: every
tenant). GetUsageRecord: callers may read their own requests (same user); others need
``analytics:read`` in the record's tenant. A record outside the caller's reach reads as
NOT_FOUND, whether it is another tenant's or another user's of the same tenant, so request
ids cannot be probed. Every decision asks identity (mesh.authz), never the token's roles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatmesh.model_router.v1 import usage_pb2

from mesh.auth import current_principal
from mesh.authz import EVERY_TENANT, holds, require
from mesh.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from mesh.paging import decode_offset, encode_offset, page_size
from model_router.api.quota_messages import USAGE_STATUS_NAMES, usage_message, when
from model_router.usage.records import UsageFilter, UsageStore

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["UsageApi"]

READ_PERMISSION = "analytics:read"


def _hidden() -> NotFound:
    return NotFound("usage record not found", reason="USAGE_RECORD_NOT_FOUND")


class UsageApi:
    deps: ModelRouterDeps

    def _usage(self) -> UsageStore:
        if self.deps.usage is None:
            raise Unavailable("usage records are not configured", reason="USAGE_NOT_CONFIGURED")
        return self.deps.usage

    async def GetUsageRecord(
        self, request: usage_pb2.GetUsageRecordRequest, context: Any
    ) -> usage_pb2.GetUsageRecordResponse:
        if not request.request_id:
            raise InvalidArgument("bad request", [FieldViolation("request_id", "is required")])
        row = await self._usage().get(request.request_id)
        principal = current_principal()
        own = (
            bool(principal.user_id)
            and row.user_id == principal.user_id
            and row.tenant_id == principal.tenant_id
        )
        if not own and not await holds(READ_PERMISSION, tenant_id=row.tenant_id):
            raise _hidden()
        return usage_pb2.GetUsageRecordResponse(usage_record=usage_message(row))

    async def ListUsageRecords(
        self, request: usage_pb2.ListUsageRecordsRequest, context: Any
    ) -> usage_pb2.ListUsageRecordsResponse:
        await require(READ_PERMISSION)
        principal = current_principal()
        tenant_id = request.tenant_id or principal.tenant_id
        if tenant_id != principal.tenant_id and not await holds(READ_PERMISSION, tenant_id=tenant_id):
            return usage_pb2.ListUsageRecordsResponse()
        if not request.tenant_id and await holds(READ_PERMISSION, tenant_id=EVERY_TENANT):
            tenant_id = ""
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        where = UsageFilter(
            tenant_id=tenant_id,
            user_id=request.user_id,
            api_key_id=request.api_key_id,
            model=request.model,
            channel_id=request.channel_id,
            status=USAGE_STATUS_NAMES.get(request.status, ""),
            start=when(request, "start_time"),
            end=when(request, "end_time"),
        )
        rows = await self._usage().page(where, offset, size)
        return usage_pb2.ListUsageRecordsResponse(
            usage_records=[usage_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )
