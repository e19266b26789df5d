"""Budget RPCs: tenant admins manage (``analytics:update``) and read (``analytics:read``) the
budgets of their own tenant; a budget of another tenant reads as NOT_FOUND."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chatmesh.analytics.v1 import budgets_pb2

from analytics.api.alerts import MANAGE_PERMISSION
from analytics.api.budget_messages import budget_message, budget_spec
from analytics.api.caller import TENANT_PERMISSION
from analytics.store import budgets as store
from mesh.auth import current_principal
from mesh.authz import require
from mesh.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from mesh.paging import decode_offset, encode_offset, page_size

if TYPE_CHECKING:
    from analytics.deps import AnalyticsDeps

__all__ = ["BudgetsApi"]


def _budget_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument("bad budget id", [FieldViolation("budget_id", "must be a budget id")]) from None


def _missing() -> NotFound:
    return NotFound("budget not found", reason="BUDGET_NOT_FOUND")


class BudgetsApi:
    deps: AnalyticsDeps

    async def CreateBudget(
        self, request: budgets_pb2.CreateBudgetRequest, context: Any
    ) -> budgets_pb2.CreateBudgetResponse:
        spec = budget_spec(request.budget)
        await require(MANAGE_PERMISSION)
        principal = current_principal()
        values = {**spec.values(), "tenant_id": principal.tenant_id, "created_by": principal.subject}
        async with self.deps.sessions() as session, session.begin():
            row = await store.insert_budget(session, values)
        if row is None:
            raise AlreadyExists("the tenant already has a budget of that name", reason="BUDGET_NAME_TAKEN")
        return budgets_pb2.CreateBudgetResponse(budget=budget_message(row))

    async def GetBudget(
        self, request: budgets_pb2.GetBudgetRequest, context: Any
    ) -> budgets_pb2.GetBudgetResponse:
        budget_id = _budget_id(request.budget_id)
        await require(TENANT_PERMISSION)
        async with self.deps.sessions() as session:
            row = await store.get_budget(session, current_principal().tenant_id, budget_id)
        if row is None:
            raise _missing()
        return budgets_pb2.GetBudgetResponse(budget=budget_message(row))

    async def ListBudgets(
        self, request: budgets_pb2.ListBudgetsRequest, context: Any
    ) -> budgets_pb2.ListBudgetsResponse:
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        await require(TENANT_PERMISSION)
        async with self.deps.sessions() as session:
            rows = await store.list_budgets(session, current_principal().tenant_id, offset, size + 1)
        return budgets_pb2.ListBudgetsResponse(
            budgets=[budget_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def DeleteBudget(
        self, request: budgets_pb2.DeleteBudgetRequest, context: Any
    ) -> budgets_pb2.DeleteBudgetResponse:
        budget_id = _budget_id(request.budget_id)
        await require(MANAGE_PERMISSION)
        async with self.deps.sessions() as session, session.begin():
            if not await store.delete_budget(session, current_principal().tenant_id, budget_id):
                raise _missing()
        return budgets_pb2.DeleteBudgetResponse()
