"""Budget protobuf ↔ rows and specs, with every field checked."""

from __future__ import annotations

import math
from typing import Any

from chatmesh.analytics.v1 import budgets_pb2

from analytics.api import convert
from analytics.api.alert_messages import target_messages, targets
from analytics.domain.budgets import DEFAULT_THRESHOLDS, BudgetSpec
from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["budget_message", "budget_spec"]

SCOPES: dict[int, str] = {
    budgets_pb2.BUDGET_SCOPE_TENANT: "tenant",
    budgets_pb2.BUDGET_SCOPE_USER: "user",
    budgets_pb2.BUDGET_SCOPE_API_KEY: "api_key",
}
PERIODS: dict[int, str] = {
    budgets_pb2.BUDGET_PERIOD_DAILY: "daily",
    budgets_pb2.BUDGET_PERIOD_MONTHLY: "monthly",
}
_SCOPE_NUMBERS = {v: k for k, v in SCOPES.items()}
_PERIOD_NUMBERS = {v: k for k, v in PERIODS.items()}
MAX_THRESHOLDS = 10


def budget_spec(budget: budgets_pb2.Budget) -> BudgetSpec:
    bad: list[FieldViolation] = []
    if not budget.name.strip() or len(budget.name) > 200:
        bad.append(FieldViolation("budget.name", "required, at most 200 characters"))
    scope = SCOPES.get(budget.scope)
    if scope is None:
        bad.append(FieldViolation("budget.scope", "must be TENANT, USER or API_KEY"))
    elif scope == "tenant" and budget.subject_id:
        bad.append(FieldViolation("budget.subject_id", "must be empty for a tenant budget"))
    elif scope != "tenant" and not budget.subject_id:
        bad.append(FieldViolation("budget.subject_id", "the user or API key id is required"))
    period = PERIODS.get(budget.period)
    if period is None:
        bad.append(FieldViolation("budget.period", "must be DAILY or MONTHLY"))
    if budget.amount <= 0:
        bad.append(FieldViolation("budget.amount", "must be positive"))
    thresholds = tuple(sorted(set(budget.thresholds))) or DEFAULT_THRESHOLDS
    if len(thresholds) > MAX_THRESHOLDS or any(not math.isfinite(t) or not 0 < t <= 10 for t in thresholds):
        bad.append(FieldViolation("budget.thresholds", f"at most {MAX_THRESHOLDS} shares, each in (0, 10]"))
    found = targets(budget.targets, "budget.targets", bad)
    if bad:
        raise InvalidArgument("bad budget", bad)
    return BudgetSpec(
        name=budget.name.strip(),
        scope=scope or "",
        subject_id=budget.subject_id,
        amount=budget.amount,
        period=period or "",
        thresholds=thresholds,
        targets=found,
    )


def budget_message(row: Any) -> budgets_pb2.Budget:
    message = budgets_pb2.Budget(
        id=str(row.id),
        tenant_id=row.tenant_id,
        name=row.name,
        scope=_SCOPE_NUMBERS[row.scope],  # type: ignore[arg-type]
        subject_id=row.subject_id,
        amount=row.amount,
        period=_PERIOD_NUMBERS[row.period],  # type: ignore[arg-type]
        thresholds=list(row.thresholds),
        targets=target_messages(row.targets),
        spent=row.spent,
        create_time=convert.timestamp(row.created_at),
    )
    if row.period_start is not None:
        message.period_start_time.CopyFrom(convert.timestamp(row.period_start))
    return message
