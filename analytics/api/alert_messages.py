"""AlertRule / AlertEvent protobuf ↔ rows and specs, with every field checked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from chatmesh.analytics.v1 import alerts_pb2, usage_pb2
from google.protobuf import duration_pb2

from analytics.api import convert
from analytics.domain.alerts import RuleSpec, Target
from mesh.errors import FieldViolation, InvalidArgument

__all__ = [
    "CHANNELS",
    "METRICS",
    "STATES",
    "event_message",
    "rule_message",
    "rule_spec",
    "target_messages",
    "targets",
]

METRICS: dict[int, str] = {
    alerts_pb2.ALERT_METRIC_REQUEST_COUNT: "request_count",
    alerts_pb2.ALERT_METRIC_ERROR_RATE: "error_rate",
    alerts_pb2.ALERT_METRIC_TOKEN_COUNT: "token_count",
    alerts_pb2.ALERT_METRIC_COST: "cost",
    alerts_pb2.ALERT_METRIC_LATENCY_P95: "latency_p95",
    alerts_pb2.ALERT_METRIC_LATENCY_P99: "latency_p99",
    alerts_pb2.ALERT_METRIC_TIME_TO_FIRST_TOKEN_P95: "time_to_first_token_p95",
    alerts_pb2.ALERT_METRIC_COST_VS_LAST_WEEK: "cost_vs_last_week",
}
COMPARISONS: dict[int, str] = {
    alerts_pb2.ALERT_COMPARISON_GREATER: "greater",
    alerts_pb2.ALERT_COMPARISON_GREATER_OR_EQUAL: "greater_or_equal",
    alerts_pb2.ALERT_COMPARISON_LESS: "less",
    alerts_pb2.ALERT_COMPARISON_LESS_OR_EQUAL: "less_or_equal",
}
STATES: dict[int, str] = {
    alerts_pb2.ALERT_STATE_OK: "ok",
    alerts_pb2.ALERT_STATE_FIRING: "firing",
    alerts_pb2.ALERT_STATE_RESOLVED: "resolved",
}
CHANNELS: dict[int, str] = {
    alerts_pb2.ALERT_CHANNEL_EMAIL: "email",
    alerts_pb2.ALERT_CHANNEL_SMS: "sms",
    alerts_pb2.ALERT_CHANNEL_IN_APP: "in_app",
}
_BY_NAME: dict[str, dict[str, int]] = {
    "metric": {v: k for k, v in METRICS.items()},
    "comparison": {v: k for k, v in COMPARISONS.items()},
    "state": {v: k for k, v in STATES.items()},
    "channel": {v: k for k, v in CHANNELS.items()},
}
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_TARGETS = 20
# Field → (default, min, max) in seconds.
DURATIONS = {
    "window": (300, 60, 86_400),
    "evaluation_interval": (60, 10, 3600),
    "cooldown": (1800, 0, 7 * 86_400),
}
_COLUMNS = {
    "window": "window_seconds",
    "evaluation_interval": "evaluation_seconds",
    "cooldown": "cooldown_seconds",
}


def _seconds(rule: alerts_pb2.AlertRule, field: str, bad: list[FieldViolation]) -> int:
    default, low, high = DURATIONS[field]
    if not rule.HasField(field):
        return default
    seconds = getattr(rule, field).ToTimedelta().total_seconds()
    if not low <= seconds <= high:
        bad.append(FieldViolation(f"alert_rule.{field}", f"must be between {low} and {high} seconds"))
    return int(seconds)


def targets(
    values: Sequence[alerts_pb2.AlertTarget], field: str, bad: list[FieldViolation]
) -> tuple[Target, ...]:
    """Checked notification targets (rules and budgets share them); problems go to ``bad``."""
    if len(values) > MAX_TARGETS:
        bad.append(FieldViolation(field, f"at most {MAX_TARGETS}"))
    found = []
    for index, target in enumerate(values):
        channel = CHANNELS.get(target.channel)
        if channel is None:
            bad.append(FieldViolation(f"{field}[{index}].channel", "must be EMAIL, SMS or IN_APP"))
        if not target.recipient or len(target.recipient) > 320:
            bad.append(FieldViolation(f"{field}[{index}].recipient", "required, at most 320 characters"))
        found.append(Target(channel or "", target.recipient))
    return tuple(found)


def target_messages(stored: Sequence[dict[str, str]]) -> list[alerts_pb2.AlertTarget]:
    return [
        alerts_pb2.AlertTarget(channel=_BY_NAME["channel"][t["channel"]], recipient=t["recipient"])  # type: ignore[arg-type]
        for t in stored
    ]


def rule_spec(rule: alerts_pb2.AlertRule, tenant_id: str) -> RuleSpec:
    """The rule's editable fields, checked; INVALID_ARGUMENT listing every problem."""
    bad: list[FieldViolation] = []
    if not rule.name.strip() or len(rule.name) > MAX_NAME:
        bad.append(FieldViolation("alert_rule.name", f"required, at most {MAX_NAME} characters"))
    if len(rule.description) > MAX_DESCRIPTION:
        bad.append(FieldViolation("alert_rule.description", f"at most {MAX_DESCRIPTION} characters"))
    metric = METRICS.get(rule.metric)
    if metric is None:
        bad.append(FieldViolation("alert_rule.metric", "required"))
    comparison = COMPARISONS.get(rule.comparison)
    if comparison is None:
        bad.append(FieldViolation("alert_rule.comparison", "required"))
    if not math.isfinite(rule.threshold) or rule.threshold < 0:
        bad.append(FieldViolation("alert_rule.threshold", "must be a finite number, not negative"))
    elif metric == "error_rate" and rule.threshold > 1:
        bad.append(FieldViolation("alert_rule.threshold", "an error rate is between 0 and 1"))
    where = convert.usage_filter(rule.filter, "alert_rule.filter")
    if where.tenant_id and where.tenant_id != tenant_id:
        bad.append(FieldViolation("alert_rule.filter.tenant_id", "must be empty or the rule's tenant"))
    durations = {field: _seconds(rule, field, bad) for field in DURATIONS}
    found = targets(rule.targets, "alert_rule.targets", bad)
    if bad:
        raise InvalidArgument("bad alert rule", bad)
    filters = {name: value for name, value in where.items() if name != "tenant_id"}
    return RuleSpec(
        name=rule.name.strip(),
        description=rule.description,
        metric=metric or "",
        filter=filters,
        comparison=comparison or "",
        threshold=rule.threshold,
        window_seconds=durations["window"],
        evaluation_seconds=durations["evaluation_interval"],
        cooldown_seconds=durations["cooldown"],
        targets=found,
        enabled=rule.enabled,
    )


def _duration(seconds: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=seconds)


def rule_message(row: Any) -> alerts_pb2.AlertRule:
    message = alerts_pb2.AlertRule(
        id=str(row.id),
        tenant_id=row.tenant_id,
        name=row.name,
        description=row.description,
        metric=_BY_NAME["metric"][row.metric],  # type: ignore[arg-type]
        filter=usage_pb2.UsageFilter(tenant_id=row.tenant_id, **row.filter),
        comparison=_BY_NAME["comparison"][row.comparison],  # type: ignore[arg-type]
        threshold=row.threshold,
        window=_duration(row.window_seconds),
        evaluation_interval=_duration(row.evaluation_seconds),
        cooldown=_duration(row.cooldown_seconds),
        enabled=row.enabled,
        state=_BY_NAME["state"][row.state],  # type: ignore[arg-type]
        last_value=row.last_value,
        create_time=convert.timestamp(row.created_at),
        update_time=convert.timestamp(row.updated_at),
        etag=str(row.etag),
    )
    message.targets.extend(target_messages(row.targets))
    if row.last_evaluated_at is not None:
        message.last_evaluation_time.CopyFrom(convert.timestamp(row.last_evaluated_at))
    return message


def event_message(row: Any) -> alerts_pb2.AlertEvent:
    message = alerts_pb2.AlertEvent(
        id=str(row.id),
        alert_rule_id=str(row.rule_id),
        rule_name=row.rule_name,
        state=_BY_NAME["state"][row.state],  # type: ignore[arg-type]
        metric=_BY_NAME["metric"][row.metric],  # type: ignore[arg-type]
        value=row.value,
        threshold=row.threshold,
        peak_value=row.peak_value,
        fire_time=convert.timestamp(row.fired_at),
        notification_ids=list(row.notification_ids),
    )
    if row.resolved_at is not None:
        message.resolve_time.CopyFrom(convert.timestamp(row.resolved_at))
    return message
