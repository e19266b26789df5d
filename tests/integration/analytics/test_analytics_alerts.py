"""Alert rules: managed per tenant; an incident fires once, resolves once, and reaches the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chatmesh.analytics.v1 import alerts_pb2, usage_pb2
from chatmesh.events.v1 import analytics_events_pb2, notification_events_pb2
from google.protobuf import duration_pb2, field_mask_pb2
from sqlalchemy import select

from analytics.alerts.evaluator import AlertEvaluator
from analytics.deps import AnalyticsDeps
from analytics.store.tables import outbox
from mesh.config import Settings
from mesh.events import EventEnvelope, unpack
from tests.integration.analytics.analytics_events import usage_envelope
from tests.integration.analytics.analytics_harness import as_user, serving, violations

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def _rule(**fields: Any) -> alerts_pb2.AlertRule:
    values: dict[str, Any] = {
        "name": "errors",
        "metric": alerts_pb2.ALERT_METRIC_ERROR_RATE,
        "comparison": alerts_pb2.ALERT_COMPARISON_GREATER,
        "threshold": 0.3,
        "window": duration_pb2.Duration(seconds=300),
        "enabled": True,
        "targets": [
            alerts_pb2.AlertTarget(channel=alerts_pb2.ALERT_CHANNEL_IN_APP, recipient="admin-id"),
            alerts_pb2.AlertTarget(channel=alerts_pb2.ALERT_CHANNEL_EMAIL, recipient="ops@example.com"),
        ],
    }
    values.update(fields)
    return alerts_pb2.AlertRule(**values)


async def _announced(deps: AnalyticsDeps) -> list[EventEnvelope]:
    async with deps.sessions() as session:
        payloads = (
            (await session.execute(select(outbox.c.payload).order_by(outbox.c.created_at))).scalars().all()
        )
    return [EventEnvelope.FromString(payload) for payload in payloads]


async def test_rule_crud_is_per_tenant_and_checked(analytics_settings: Settings, deps: AnalyticsDeps) -> None:
    async with serving(analytics_settings, deps) as stub:
        created = (
            await stub.CreateAlertRule(
                alerts_pb2.CreateAlertRuleRequest(alert_rule=_rule(name="crud")), metadata=as_user("admin")
            )
        ).alert_rule
        assert created.tenant_id == "t1" and created.state == alerts_pb2.ALERT_STATE_OK
        assert created.evaluation_interval.seconds == 60 and created.cooldown.seconds == 1800

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CreateAlertRule(
                alerts_pb2.CreateAlertRuleRequest(alert_rule=_rule(name="crud")), metadata=as_user("admin")
            )
        assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetAlertRule(
                alerts_pb2.GetAlertRuleRequest(alert_rule_id=created.id), metadata=as_user("admin2")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListAlertRules(alerts_pb2.ListAlertRulesRequest(), metadata=as_user("alice"))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            bad = _rule(name="", threshold=2.0, metric=0, window=duration_pb2.Duration(seconds=5))
            await stub.CreateAlertRule(
                alerts_pb2.CreateAlertRuleRequest(alert_rule=bad), metadata=as_user("admin")
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert {"alert_rule.name", "alert_rule.metric", "alert_rule.window"} <= set(violations(caught.value))

        updated = (
            await stub.UpdateAlertRule(
                alerts_pb2.UpdateAlertRuleRequest(
                    alert_rule_id=created.id,
                    alert_rule=alerts_pb2.AlertRule(threshold=0.5, etag=created.etag),
                    update_mask=field_mask_pb2.FieldMask(paths=["threshold"]),
                ),
                metadata=as_user("admin"),
            )
        ).alert_rule
        assert updated.threshold == 0.5 and updated.name == "crud" and len(updated.targets) == 2
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.UpdateAlertRule(
                alerts_pb2.UpdateAlertRuleRequest(
                    alert_rule_id=created.id,
                    alert_rule=alerts_pb2.AlertRule(threshold=0.6, etag=created.etag),
                    update_mask=field_mask_pb2.FieldMask(paths=["threshold"]),
                ),
                metadata=as_user("admin"),
            )
        assert caught.value.code() == grpc.StatusCode.ABORTED
        listed = await stub.ListAlertRules(alerts_pb2.ListAlertRulesRequest(), metadata=as_user("admin"))
        assert "crud" in [r.name for r in listed.alert_rules]
        await stub.DeleteAlertRule(
            alerts_pb2.DeleteAlertRuleRequest(alert_rule_id=created.id), metadata=as_user("admin")
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.DeleteAlertRule(
                alerts_pb2.DeleteAlertRuleRequest(alert_rule_id=created.id), metadata=as_user("admin")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_an_incident_fires_once_resolves_once_and_notifies(
    analytics_settings: Settings, deps: AnalyticsDeps
) -> None:
    async with serving(analytics_settings, deps) as stub:
        rule = (
            await stub.CreateAlertRule(
                alerts_pb2.CreateAlertRuleRequest(alert_rule=_rule()), metadata=as_user("admin")
            )
        ).alert_rule
        assert deps.ingestor is not None
        failing = [
            usage_envelope(NOW - timedelta(minutes=2), status="failed", error_code="UNAVAILABLE")
            for _ in range(4)
        ]
        await deps.ingestor.apply([*failing, usage_envelope(NOW - timedelta(minutes=2))])
        before = len(await _announced(deps))

        async def evaluate(at: datetime) -> None:
            await AlertEvaluator(deps.sessions, deps.settings, clock=lambda: at).run_once()

        await evaluate(NOW)
        await evaluate(NOW)  # not due again yet: nothing changes
        await evaluate(NOW + timedelta(minutes=1, seconds=30))  # due, still failing: still one incident
        got = (
            await stub.GetAlertRule(
                alerts_pb2.GetAlertRuleRequest(alert_rule_id=rule.id), metadata=as_user("admin")
            )
        ).alert_rule
        assert got.state == alerts_pb2.ALERT_STATE_FIRING and got.last_value == pytest.approx(0.8)
        fired = await _announced(deps)
        assert len(fired) - before == 3  # AlertStateChanged + one NotificationRequested per target

        await evaluate(NOW + timedelta(minutes=10))  # the failures left the window
        events = (
            await stub.ListAlertEvents(
                alerts_pb2.ListAlertEventsRequest(alert_rule_id=rule.id), metadata=as_user("admin")
            )
        ).alert_events
        assert len(events) == 1 and events[0].state == alerts_pb2.ALERT_STATE_RESOLVED
        assert events[0].value == pytest.approx(0.8) and events[0].resolve_time.seconds > 0

        announced = (await _announced(deps))[before:]
        changes = [
            unpack(e, analytics_events_pb2.AlertStateChanged)
            for e in announced
            if e.type.endswith("AlertStateChanged")
        ]
        assert [c.state for c in changes] == ["firing", "resolved"]
        assert {c.alert_event_id for c in changes} == {events[0].id}
        notes = [
            unpack(e, notification_events_pb2.NotificationRequested)
            for e in announced
            if e.type.endswith("NotificationRequested")
        ]
        assert (
            sorted(n.template_id for n in notes)
            == ["analytics_alert_firing"] * 2 + ["analytics_alert_resolved"] * 2
        )
        assert {n.email for n in notes} == {"", "ops@example.com"} and {n.user_id for n in notes} == {
            "",
            "admin-id",
        }
        assert all(e.tenant_id == "t1" for e in announced)


async def test_spend_anomaly_compares_with_the_same_hours_last_week(
    analytics_settings: Settings, deps: AnalyticsDeps
) -> None:
    hour = NOW.replace(minute=0) - timedelta(hours=1)  # the last whole hour
    assert deps.ingestor is not None
    await deps.ingestor.apply(
        [
            usage_envelope(hour + timedelta(minutes=10), user="bob-id", cost=900),
            usage_envelope(hour - timedelta(days=7) + timedelta(minutes=5), user="bob-id", cost=300),
        ]
    )
    async with serving(analytics_settings, deps) as stub:
        rule = _rule(
            name="spend spike",
            metric=alerts_pb2.ALERT_METRIC_COST_VS_LAST_WEEK,
            threshold=2.5,
            window=duration_pb2.Duration(seconds=3600),
            filter=usage_pb2.UsageFilter(user_id="bob-id"),
        )
        created = (
            await stub.CreateAlertRule(
                alerts_pb2.CreateAlertRuleRequest(alert_rule=rule), metadata=as_user("admin")
            )
        ).alert_rule
        await AlertEvaluator(deps.sessions, deps.settings, clock=lambda: NOW).run_once()
        got = (
            await stub.GetAlertRule(
                alerts_pb2.GetAlertRuleRequest(alert_rule_id=created.id), metadata=as_user("admin")
            )
        ).alert_rule
        assert got.last_value == pytest.approx(3.0) and got.state == alerts_pb2.ALERT_STATE_FIRING
