"""Store rows ↔ protobuf for quota accounts, reservations, ledger entries, prices and usage records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chatmesh.model_router.v1 import quota_pb2, routing_pb2, usage_pb2
from google.protobuf import duration_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from mesh.errors import FieldViolation, InvalidArgument
from model_router.quota.engine import Reservation

__all__ = [
    "account_message",
    "entry_message",
    "multiplier_message",
    "parse_uuid",
    "price_message",
    "reservation_message",
    "stamp",
    "usage_message",
    "when",
]

_ACCOUNT_KINDS = {
    "tenant": quota_pb2.QUOTA_ACCOUNT_KIND_TENANT,
    "api_key": quota_pb2.QUOTA_ACCOUNT_KIND_API_KEY,
    "user": quota_pb2.QUOTA_ACCOUNT_KIND_USER,
}
ACCOUNT_KIND_NAMES = {number: name for name, number in _ACCOUNT_KINDS.items()}
_STATES = {
    "reserved": quota_pb2.QUOTA_RESERVATION_STATE_RESERVED,
    "settled": quota_pb2.QUOTA_RESERVATION_STATE_SETTLED,
    "refunded": quota_pb2.QUOTA_RESERVATION_STATE_REFUNDED,
    "expired": quota_pb2.QUOTA_RESERVATION_STATE_EXPIRED,
}
_ENTRY_KINDS = {
    "reserve": quota_pb2.LEDGER_ENTRY_KIND_RESERVE,
    "settle": quota_pb2.LEDGER_ENTRY_KIND_SETTLE,
    "refund": quota_pb2.LEDGER_ENTRY_KIND_REFUND,
    "expire": quota_pb2.LEDGER_ENTRY_KIND_EXPIRE,
    "adjust": quota_pb2.LEDGER_ENTRY_KIND_ADJUST,
}
USAGE_STATUSES = {
    "succeeded": usage_pb2.USAGE_STATUS_SUCCEEDED,
    "failed": usage_pb2.USAGE_STATUS_FAILED,
    "cancelled": usage_pb2.USAGE_STATUS_CANCELLED,
}
USAGE_STATUS_NAMES = {number: name for name, number in USAGE_STATUSES.items()}


def stamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    result = Timestamp()
    result.FromDatetime(value)
    return result


def when(message: Any, field: str) -> datetime | None:
    """A Timestamp field as an aware datetime, or None when unset."""
    if not message.HasField(field):
        return None
    value: datetime = getattr(message, field).ToDatetime(tzinfo=UTC)
    return value


def _duration(seconds: float | None) -> duration_pb2.Duration | None:
    if seconds is None:
        return None
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(f"bad {field}", [FieldViolation(field, "not a valid id")]) from None


def account_message(row: Any) -> quota_pb2.QuotaAccount:
    return quota_pb2.QuotaAccount(
        id=row.id,
        kind=_ACCOUNT_KINDS[row.kind],
        owner_id=row.owner_id,
        tenant_id=row.tenant_id,
        balance=row.balance,
        reserved=row.reserved,
        used=row.used,
        unlimited=row.unlimited,
        low_balance_threshold=row.low_balance_threshold,
        create_time=stamp(row.created_at),
        update_time=stamp(row.updated_at),
    )


def entry_message(row: Any) -> quota_pb2.QuotaLedgerEntry:
    return quota_pb2.QuotaLedgerEntry(
        id=str(row.id),
        account_id=row.account_id,
        kind=_ENTRY_KINDS[row.kind],
        amount=row.amount,
        balance_after=row.balance_after,
        reservation_id=str(row.reservation_id) if row.reservation_id else "",
        request_id=row.request_id,
        reason=row.reason,
        actor_user_id=row.actor_user_id,
        create_time=stamp(row.created_at),
    )


def reservation_message(reservation: Reservation) -> quota_pb2.QuotaReservation:
    return quota_pb2.QuotaReservation(
        id=str(reservation.id),
        request_id=reservation.request_id,
        tenant_id=reservation.tenant_id,
        api_key_id=reservation.api_key_id,
        user_id=reservation.user_id,
        account_ids=list(reservation.account_ids),
        reserved_amount=reservation.reserved_amount,
        settled_amount=reservation.settled_amount,
        refunded_amount=reservation.refunded_amount,
        state=_STATES[reservation.state],
        model=reservation.model,
        create_time=stamp(reservation.created_at),
        expire_time=stamp(reservation.expire_at),
        close_time=stamp(reservation.closed_at),
    )


def price_message(row: Any, *, price_id: uuid.UUID | None = None) -> routing_pb2.ModelPrice:
    """A current price, or (``price_id`` given) one history version of it."""
    created = getattr(row, "recorded_at", None) or row.created_at
    updated = getattr(row, "recorded_at", None) or row.updated_at
    return routing_pb2.ModelPrice(
        id=str(price_id or row.id),
        model=row.model,
        input_price=row.input_price,
        output_price=row.output_price,
        cached_input_price=row.cached_input_price,
        request_price=row.request_price,
        effective_time=stamp(row.effective_at),
        description=row.description,
        create_time=stamp(created),
        update_time=stamp(updated),
    )


def multiplier_message(row: Any) -> routing_pb2.GroupMultiplier:
    return routing_pb2.GroupMultiplier(
        id=row.group_id,
        multiplier=float(row.multiplier),
        description=row.description,
        update_time=stamp(row.updated_at),
    )


def _attempts(items: Sequence[dict[str, Any]]) -> list[usage_pb2.RouteAttempt]:
    return [
        usage_pb2.RouteAttempt(
            attempt=int(item.get("attempt", 0)),
            channel_id=str(item.get("channel_id", "")),
            key_id=str(item.get("key_id", "")),
            duration=_duration(float(item.get("seconds", 0.0))),
            http_status=int(item.get("http_status", 0)),
            error=str(item.get("error", "")),
            retryable=bool(item.get("retryable", False)),
        )
        for item in items
    ]


def usage_message(row: Any) -> usage_pb2.UsageRecord:
    return usage_pb2.UsageRecord(
        request_id=row.request_id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        api_key_id=row.api_key_id,
        endpoint=row.endpoint,
        model=row.model,
        upstream_model=row.upstream_model,
        channel_id=row.channel_id,
        routing_rule_id=row.routing_rule_id,
        arm=row.arm,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cached_tokens=row.cached_tokens,
        reasoning_tokens=row.reasoning_tokens,
        cost=row.cost,
        latency=_duration(row.latency_seconds),
        time_to_first_token=_duration(row.ttft_seconds),
        status=USAGE_STATUSES.get(row.status, usage_pb2.USAGE_STATUS_UNSPECIFIED),
        error_code=row.error_code,
        error_message=row.error_message,
        retries=row.retries,
        attempts=_attempts(row.attempts),
        stream=row.stream,
        usage_estimated=row.usage_estimated,
        source=row.source,
        create_time=stamp(row.created_at),
    )
