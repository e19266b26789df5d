"""Quota RPCs: accounts, adjustments and the ledger (admin), and the mesh-internal reservation calls.

Permissions (identity's catalogue, asked through mesh.authz, never the token's roles):
reading accounts and ledgers needs ``quotas:read`` and stays inside the caller's tenant
unless the caller holds it in every tenant (super_admin); an account the caller may not read
is NOT_FOUND, never PERMISSION_DENIED. A user may read their own account and an API key its
own. Changing accounts needs ``quotas:update`` across tenants (super_admin): accounts of
users and keys carry no tenant, so a tenant-scoped grant could not be confined to its tenant.
ReserveQuota/SettleQuota/RefundQuota/GetQuotaReservation are for mesh services: a service
principal, or a caller holding ``quotas:update`` across tenants.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chatmesh.model_router.v1 import quota_pb2

from mesh.auth import Principal, current_principal
from mesh.authz import EVERY_TENANT, holds, require
from mesh.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from mesh.paging import decode_offset, encode_offset, page_size
from model_router.api.quota_messages import (
    ACCOUNT_KIND_NAMES,
    account_message,
    entry_message,
    parse_uuid,
    reservation_message,
    when,
)
from model_router.domain.quota_accounts import AccountRef, parse_account_id
from model_router.quota.engine import DEFAULT_TTL, Hold, QuotaEngine
from model_router.quota.ledger import AccountFilter, Adjustment, QuotaLedger

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["READ_PERMISSION", "UPDATE_PERMISSION", "QuotaApi"]

READ_PERMISSION = "quotas:read"
UPDATE_PERMISSION = "quotas:update"
_SETTINGS_PATHS = {"unlimited", "low_balance_threshold"}


def _owns(principal: Principal, account: AccountRef) -> bool:
    if account.kind == "user":
        return principal.user_id == account.owner_id
    if account.kind == "api_key":
        return principal.kind == "api_key" and principal.token_id == account.owner_id
    return False


async def _tenant_scope() -> str:
    """ "" when the caller reads every tenant (super_admin), else its own tenant; needs ``quotas:read``."""
    await require(READ_PERMISSION)
    everywhere = await holds(READ_PERMISSION, tenant_id=EVERY_TENANT)
    return "" if everywhere else current_principal().tenant_id


def _hidden() -> NotFound:
    return NotFound("quota account not found", reason="QUOTA_ACCOUNT_NOT_FOUND")


async def _readable(row: Any) -> None:
    """NOT_FOUND unless the caller holds ``quotas:read`` where the account lives."""
    tenant_id = row.tenant_id or EVERY_TENANT  # a user's or key's account: only cross-tenant readers
    if not await holds(READ_PERMISSION, tenant_id=tenant_id):
        raise _hidden()


async def _require_update() -> None:
    await require(UPDATE_PERMISSION, tenant_id=EVERY_TENANT)


async def _require_mesh_caller() -> None:
    if current_principal().kind != "service":
        await _require_update()


class QuotaApi:
    deps: ModelRouterDeps

    def _ledger(self) -> QuotaLedger:
        if self.deps.ledger is None:
            raise Unavailable("quota accounts are not configured", reason="QUOTA_NOT_CONFIGURED")
        return self.deps.ledger

    def _engine(self) -> QuotaEngine:
        if self.deps.quota is None:
            raise Unavailable("quota is not configured", reason="QUOTA_NOT_CONFIGURED")
        return self.deps.quota

    # ---- accounts ----

    async def GetQuotaAccount(
        self, request: quota_pb2.GetQuotaAccountRequest, context: Any
    ) -> quota_pb2.GetQuotaAccountResponse:
        ref = parse_account_id(request.account_id)
        row = await self._ledger().account(ref.id)
        if not _owns(current_principal(), ref):
            await _readable(row)
        return quota_pb2.GetQuotaAccountResponse(account=account_message(row))

    async def ListQuotaAccounts(
        self, request: quota_pb2.ListQuotaAccountsRequest, context: Any
    ) -> quota_pb2.ListQuotaAccountsResponse:
        scope = await _tenant_scope()
        if scope and request.tenant_id and request.tenant_id != scope:
            return quota_pb2.ListQuotaAccountsResponse()
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        where = AccountFilter(
            kind=ACCOUNT_KIND_NAMES.get(request.kind, ""),
            tenant_id=scope or request.tenant_id,
            low_balance_only=request.low_balance_only,
        )
        rows = await self._ledger().accounts(where, offset, size)
        return quota_pb2.ListQuotaAccountsResponse(
            accounts=[account_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateQuotaAccount(
        self, request: quota_pb2.UpdateQuotaAccountRequest, context: Any
    ) -> quota_pb2.UpdateQuotaAccountResponse:
        await _require_update()
        ref = parse_account_id(request.account_id)
        paths = list(request.update_mask.paths) or sorted(
            f.name for f, _ in request.account.ListFields() if f.name in _SETTINGS_PATHS
        )
        bad = [
            FieldViolation("update_mask", f"{p!r} cannot be updated")
            for p in paths
            if p not in _SETTINGS_PATHS
        ]
        if bad or not paths:
            raise InvalidArgument(
                "bad update_mask",
                bad or [FieldViolation("update_mask", "name unlimited or low_balance_threshold")],
            )
        if request.account.low_balance_threshold < 0:
            raise InvalidArgument(
                "bad threshold", [FieldViolation("account.low_balance_threshold", "must not be negative")]
            )
        values = {path: getattr(request.account, path) for path in paths}
        row = await self._ledger().update_settings(ref, values)
        return quota_pb2.UpdateQuotaAccountResponse(account=account_message(row))

    async def AdjustQuota(
        self, request: quota_pb2.AdjustQuotaRequest, context: Any
    ) -> quota_pb2.AdjustQuotaResponse:
        await _require_update()
        ref = parse_account_id(request.account_id)
        if request.amount == 0:
            raise InvalidArgument("bad amount", [FieldViolation("amount", "must not be 0")])
        change = Adjustment(
            ref,
            request.amount,
            reason=request.reason,
            idempotency_key=request.idempotency_key,
            actor_user_id=current_principal().user_id or "",
        )
        account, entry = await self._ledger().adjust(change)
        return quota_pb2.AdjustQuotaResponse(account=account_message(account), entry=entry_message(entry))

    async def ListQuotaLedgerEntries(
        self, request: quota_pb2.ListQuotaLedgerEntriesRequest, context: Any
    ) -> quota_pb2.ListQuotaLedgerEntriesResponse:
        ref = parse_account_id(request.account_id)
        ledger = self._ledger()
        await _readable(await ledger.account(ref.id))
        size, offset = page_size(request.page_size, 100, 1000), decode_offset(request.page_token)
        rows = await ledger.entries(
            ref.id, when(request, "start_time"), when(request, "end_time"), offset, size
        )
        return quota_pb2.ListQuotaLedgerEntriesResponse(
            entries=[entry_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    # ---- reservations (mesh-internal) ----

    async def ReserveQuota(
        self, request: quota_pb2.ReserveQuotaRequest, context: Any
    ) -> quota_pb2.ReserveQuotaResponse:
        await _require_mesh_caller()
        missing = [
            FieldViolation(name, "is required")
            for name, value in (("request_id", request.request_id), ("tenant_id", request.tenant_id))
            if not value
        ]
        if request.amount < 0:
            missing.append(FieldViolation("amount", "must not be negative"))
        if missing:
            raise InvalidArgument("bad reservation", missing)
        ttl = request.ttl.ToTimedelta() if request.HasField("ttl") else DEFAULT_TTL
        if ttl <= timedelta(0):
            raise InvalidArgument("bad ttl", [FieldViolation("ttl", "must be positive")])
        hold = Hold(
            request_id=request.request_id,
            tenant_id=request.tenant_id,
            amount=request.amount,
            api_key_id=request.api_key_id,
            user_id=request.user_id,
            model=request.model,
            ttl=ttl,
        )
        reservation = await self._engine().reserve(hold)
        assert reservation is not None
        return quota_pb2.ReserveQuotaResponse(reservation=reservation_message(reservation))

    async def SettleQuota(
        self, request: quota_pb2.SettleQuotaRequest, context: Any
    ) -> quota_pb2.SettleQuotaResponse:
        await _require_mesh_caller()
        if request.amount < 0:
            raise InvalidArgument("bad amount", [FieldViolation("amount", "must not be negative")])
        reservation_id = parse_uuid(request.reservation_id, "reservation_id")
        engine = self._engine()
        async with self.deps.sessions() as session, session.begin():
            reservation = await engine.settle(session, reservation_id, request.amount)
        return quota_pb2.SettleQuotaResponse(reservation=reservation_message(reservation))

    async def RefundQuota(
        self, request: quota_pb2.RefundQuotaRequest, context: Any
    ) -> quota_pb2.RefundQuotaResponse:
        await _require_mesh_caller()
        reservation_id = parse_uuid(request.reservation_id, "reservation_id")
        engine = self._engine()
        async with self.deps.sessions() as session, session.begin():
            reservation = await engine.refund(session, reservation_id, request.reason)
        return quota_pb2.RefundQuotaResponse(reservation=reservation_message(reservation))

    async def GetQuotaReservation(
        self, request: quota_pb2.GetQuotaReservationRequest, context: Any
    ) -> quota_pb2.GetQuotaReservationResponse:
        await _require_mesh_caller()
        reservation = await self._engine().get(parse_uuid(request.reservation_id, "reservation_id"))
        return quota_pb2.GetQuotaReservationResponse(reservation=reservation_message(reservation))
