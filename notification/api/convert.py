"""Protobuf ↔ rows and domain values (enums, timestamps, JSON columns)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chatmesh.notification.v1 import notifications_pb2 as pb
from chatmesh.notification.v1 import preferences_pb2 as prefs_pb
from chatmesh.notification.v1 import templates_pb2 as tpl_pb
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from notification.domain.kinds import Channel, Priority, Status
from notification.domain.preferences import Preferences
from notification.domain.templates import TemplateSpec

__all__ = [
    "CHANNEL_FROM_PB",
    "CHANNEL_TO_PB",
    "PRIORITY_FROM_PB",
    "notification_to_pb",
    "preferences_to_pb",
    "struct_to_dict",
    "template_to_pb",
]

CHANNEL_FROM_PB: dict[int, Channel] = {
    pb.NOTIFICATION_CHANNEL_EMAIL: Channel.EMAIL,
    pb.NOTIFICATION_CHANNEL_SMS: Channel.SMS,
    pb.NOTIFICATION_CHANNEL_IN_APP: Channel.IN_APP,
    pb.NOTIFICATION_CHANNEL_WEBHOOK: Channel.WEBHOOK,
}
CHANNEL_TO_PB: dict[str, Any] = {v.value: k for k, v in CHANNEL_FROM_PB.items()}
PRIORITY_FROM_PB: dict[int, Priority] = {
    pb.NOTIFICATION_PRIORITY_UNSPECIFIED: Priority.NORMAL,
    pb.NOTIFICATION_PRIORITY_LOW: Priority.LOW,
    pb.NOTIFICATION_PRIORITY_NORMAL: Priority.NORMAL,
    pb.NOTIFICATION_PRIORITY_HIGH: Priority.HIGH,
}
PRIORITY_TO_PB = {
    "low": pb.NOTIFICATION_PRIORITY_LOW,
    "normal": pb.NOTIFICATION_PRIORITY_NORMAL,
    "high": pb.NOTIFICATION_PRIORITY_HIGH,
}
STATUS_TO_PB = {
    Status.PENDING.value: pb.NOTIFICATION_STATUS_PENDING,
    Status.SENT.value: pb.NOTIFICATION_STATUS_SENT,
    Status.DELIVERED.value: pb.NOTIFICATION_STATUS_DELIVERED,
    Status.BOUNCED.value: pb.NOTIFICATION_STATUS_FAILED,
    Status.FAILED.value: pb.NOTIFICATION_STATUS_FAILED,
    Status.SUPPRESSED.value: pb.NOTIFICATION_STATUS_SUPPRESSED,
}


def _ts(value: Any) -> timestamp_pb2.Timestamp | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def struct_to_dict(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def _struct(values: Mapping[str, Any] | None) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    if values:
        result.update(dict(values))
    return result


def notification_to_pb(row: Mapping[Any, Any]) -> pb.Notification:
    """From a row's mapping (or the same fields decoded from a live event)."""
    out = pb.Notification(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        recipient=pb.Recipient(
            user_id=row["user_id"], email=row["email"], phone=row["phone"], webhook_url=row["webhook_url"]
        ),
        channel=CHANNEL_TO_PB.get(row["channel"], pb.NOTIFICATION_CHANNEL_UNSPECIFIED),
        category=row["category"],
        template_id=row["template_id"],
        subject=row["subject"],
        body=row["body"],
        html_body=row["html_body"],
        data=_struct(row["data"]),
        priority=PRIORITY_TO_PB.get(row["priority"], pb.NOTIFICATION_PRIORITY_NORMAL),
        status=STATUS_TO_PB.get(row["status"], pb.NOTIFICATION_STATUS_UNSPECIFIED),
        failure_reason=row["failure_reason"],
        attempts=row["attempts"],
        read=row["read_at"] is not None,
        batch_id=str(row["batch_id"] or ""),
        idempotency_key=(row["idempotency_key"] or "").removeprefix("send:"),
    )
    for name, column in (
        ("read_time", "read_at"),
        ("create_time", "created_at"),
        ("send_time", "send_at"),
        ("deliver_time", "delivered_at"),
    ):
        stamp = _ts(row[column])
        if stamp is not None:
            getattr(out, name).CopyFrom(stamp)
    return out


def template_to_pb(
    spec: TemplateSpec, *, template_id: str, tenant_id: str, version: int, created: Any, updated: Any
) -> tpl_pb.Template:
    out = tpl_pb.Template(
        id=template_id,
        tenant_id=tenant_id,
        name=spec.name,
        description=spec.description,
        channel=CHANNEL_TO_PB.get(spec.channel, pb.NOTIFICATION_CHANNEL_UNSPECIFIED),
        category=spec.category,
        default_locale=spec.default_locale,
        localizations=[
            tpl_pb.TemplateLocalization(locale=k, subject=v.subject, body=v.body, html_body=v.html_body)
            for k, v in sorted(spec.localizations.items())
        ],
        variables=[
            tpl_pb.TemplateVariable(
                name=v.name, description=v.description, required=v.required, default_value=v.default_value
            )
            for v in spec.variables
        ],
        provider_template_id=spec.provider_template_id,
        version=version,
        etag=f'W/"{version}"',
    )
    for name, value in (("create_time", created), ("update_time", updated)):
        stamp = _ts(value)
        if stamp is not None:
            getattr(out, name).CopyFrom(stamp)
    return out


def preferences_to_pb(user_id: str, value: Preferences, updated: Any) -> prefs_pb.Preferences:
    out = prefs_pb.Preferences(user_id=user_id, muted=value.muted, locale=value.locale)
    for category in sorted(set(value.categories) | set(value.digests)):
        channels = value.categories.get(category, {})
        entry = prefs_pb.CategoryPreference(
            category=category,
            channels=[
                prefs_pb.ChannelPreference(channel=CHANNEL_TO_PB[name], enabled=enabled)
                for name, enabled in sorted(channels.items())
                if name in CHANNEL_TO_PB
            ],
        )
        if value.digests.get(category):
            entry.digest_window.seconds = value.digests[category]
        out.categories.append(entry)
    if value.quiet_hours is not None:
        q = value.quiet_hours
        out.quiet_hours.CopyFrom(prefs_pb.QuietHours(start=q.start, end=q.end, time_zone=q.time_zone))
    stamp = _ts(updated)
    if stamp is not None:
        out.update_time.CopyFrom(stamp)
    return out
