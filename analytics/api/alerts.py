"""Alert rule RPCs (tenant admins, ``analytics:update``): rules and incidents of the caller's tenant.

A rule of another tenant reads as NOT_FOUND, so rule ids cannot be probed across tenants.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from chatmesh.analytics.v1 import alerts_pb2
from google.protobuf import field_mask_pb2

from analytics.api import convert
from analytics.api.alert_messages import STATES, event_message, rule_message, rule_spec
from analytics.store import alerts as store
from mesh.auth import current_principal
from mesh.authz import require
from mesh.errors import Aborted, AlreadyExists, FieldViolation, InvalidArgument, NotFound
from mesh.paging import decode_offset, encode_offset, page_size

if TYPE_CHECKING:
    from analytics.deps import AnalyticsDeps

__all__ = ["MANAGE_PERMISSION", "AlertsApi"]

MANAGE_PERMISSION = "analytics:update"
_EDITABLE = (
    "name",
    "description",
    "metric",
    "filter",
    "comparison",
    "threshold",
    "window",
    "evaluation_interval",
    "cooldown",
    "targets",
    "enabled",
)


async def _tenant() -> str:
    await require(MANAGE_PERMISSION)
    return current_principal().tenant_id


def _rule_id(value: str, field: str = "alert_rule_id") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument("bad rule id", [FieldViolation(field, "must be a rule id")]) from None


def _missing() -> NotFound:
    return NotFound("alert rule not found", reason="ALERT_RULE_NOT_FOUND")


def _taken() -> AlreadyExists:
    return AlreadyExists("the tenant already has an alert rule of that name", reason="ALERT_RULE_NAME_TAKEN")


def _state(value: int, field: str = "state") -> str:
    if value == alerts_pb2.ALERT_STATE_UNSPECIFIED:
        return ""
    if value not in STATES:
        raise InvalidArgument("bad state", [FieldViolation(field, f"unknown state {value}")])
    return STATES[value]


class AlertsApi:
    deps: AnalyticsDeps

    async def CreateAlertRule(
        self, request: alerts_pb2.CreateAlertRuleRequest, context: Any
    ) -> alerts_pb2.CreateAlertRuleResponse:
        tenant = await _tenant()
        spec = rule_spec(request.alert_rule, tenant)
        values = {**spec.values(), "tenant_id": tenant, "created_by": current_principal().subject}
        async with self.deps.sessions() as session, session.begin():
            row = await store.insert_rule(session, values)
        if row is None:
            raise _taken()
        return alerts_pb2.CreateAlertRuleResponse(alert_rule=rule_message(row))

    async def GetAlertRule(
        self, request: alerts_pb2.GetAlertRuleRequest, context: Any
    ) -> alerts_pb2.GetAlertRuleResponse:
        rule_id = _rule_id(request.alert_rule_id)
        tenant = await _tenant()
        async with self.deps.sessions() as session:
            row = await store.get_rule(session, tenant, rule_id)
        if row is None:
            raise _missing()
        return alerts_pb2.GetAlertRuleResponse(alert_rule=rule_message(row))

    async def ListAlertRules(
        self, request: alerts_pb2.ListAlertRulesRequest, context: Any
    ) -> alerts_pb2.ListAlertRulesResponse:
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        state = _state(request.state)
        tenant = await _tenant()
        async with self.deps.sessions() as session:
            rows = await store.list_rules(session, tenant, state, offset, size + 1)
        return alerts_pb2.ListAlertRulesResponse(
            alert_rules=[rule_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateAlertRule(
        self, request: alerts_pb2.UpdateAlertRuleRequest, context: Any
    ) -> alerts_pb2.UpdateAlertRuleResponse:
        rule_id = _rule_id(request.alert_rule_id)
        paths = list(request.update_mask.paths) or list(_EDITABLE)
        unknown = [path for path in paths if path not in _EDITABLE]
        if unknown:
            raise InvalidArgument(
                "bad update_mask", [FieldViolation("update_mask", f"cannot update {', '.join(unknown)}")]
            )
        tenant = await _tenant()
        async with self.deps.sessions() as session, session.begin():
            row = await store.get_rule(session, tenant, rule_id, lock=True)
            if row is None:
                raise _missing()
            if request.alert_rule.etag and request.alert_rule.etag != str(row.etag):
                raise Aborted("the rule changed since it was read", reason="ETAG_MISMATCH")
            merged = rule_message(row)
            field_mask_pb2.FieldMask(paths=paths).MergeMessage(
                request.alert_rule, merged, replace_message_field=True, replace_repeated_field=True
            )
            spec = rule_spec(merged, tenant)
            updated = await store.update_rule(session, rule_id, spec.values())
        if updated is None:
            raise _taken()
        return alerts_pb2.UpdateAlertRuleResponse(alert_rule=rule_message(updated))

    async def DeleteAlertRule(
        self, request: alerts_pb2.DeleteAlertRuleRequest, context: Any
    ) -> alerts_pb2.DeleteAlertRuleResponse:
        rule_id = _rule_id(request.alert_rule_id)
        tenant = await _tenant()
        async with self.deps.sessions() as session, session.begin():
            if not await store.delete_rule(session, tenant, rule_id):
                raise _missing()
        return alerts_pb2.DeleteAlertRuleResponse()

    async def ListAlertEvents(
        self, request: alerts_pb2.ListAlertEventsRequest, context: Any
    ) -> alerts_pb2.ListAlertEventsResponse:
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        rule_id = _rule_id(request.alert_rule_id) if request.alert_rule_id else None
        state = _state(request.state)
        tenant = await _tenant()
        async with self.deps.sessions() as session:
            rows = await store.list_events(
                session,
                tenant,
                rule_id=rule_id,
                state=state,
                start=convert.when(request, "start_time"),
                end=convert.when(request, "end_time"),
                offset=offset,
                limit=size + 1,
            )
        return alerts_pb2.ListAlertEventsResponse(
            alert_events=[event_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )
