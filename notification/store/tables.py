"""notification's tables (schema ``notification``), mirroring ``notification/migrations``.

One row per notification per channel: the row is the delivery record (status, attempts,
failure reason) and, for IN_APP, the inbox entry (read/deleted). ``(tenant_id,
idempotency_key)`` is unique, so a repeated Send (or two racing ones) stores one row.
``enqueued`` says whether the row's NotificationQueued event was written to the outbox:
rows scheduled for later wait with ``enqueued = false`` until the scheduler's sweep.
``recipients`` is notification's own directory of users, projected from identity's events
(email and locale), because events about a user often carry only the user id.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mesh.db import outbox_table, service_metadata

__all__ = ["batches", "metadata", "notifications", "outbox", "preferences", "recipients", "templates"]

metadata = service_metadata("notification")
outbox = outbox_table(metadata)


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


notifications = Table(
    "notifications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("user_id", Text, nullable=False, server_default=""),
    Column("email", Text, nullable=False, server_default=""),
    Column("phone", Text, nullable=False, server_default=""),
    Column("webhook_url", Text, nullable=False, server_default=""),
    Column("channel", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("template_id", Text, nullable=False, server_default=""),
    Column("locale", Text, nullable=False, server_default=""),
    Column("subject", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False, server_default=""),
    Column("html_body", Text, nullable=False, server_default=""),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("priority", Text, nullable=False, server_default="normal"),
    Column("status", Text, nullable=False),
    Column("failure_reason", Text, nullable=False, server_default=""),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("provider", Text, nullable=False, server_default=""),
    Column("provider_message_id", Text, nullable=False, server_default=""),
    Column("idempotency_key", Text, nullable=True),
    Column("batch_id", UUID(as_uuid=True), nullable=True),
    Column("enqueued", Boolean, nullable=False, server_default=text("false")),
    # Same value for every notification collected into one digest (user, category, channel, window end).
    Column("digest_key", Text, nullable=True),
    _now("created_at"),
    Column("send_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("read_at", DateTime(timezone=True), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Index("uq_notifications_idempotency", "tenant_id", "idempotency_key", unique=True),
    Index("ix_notifications_inbox", "tenant_id", "user_id", "channel", "created_at", "id"),
    Index(
        "ix_notifications_unread",
        "tenant_id",
        "user_id",
        postgresql_where=text("channel = 'in_app' AND read_at IS NULL AND deleted_at IS NULL"),
    ),
    Index("ix_notifications_due", "send_at", postgresql_where=text("NOT enqueued AND status = 'pending'")),
    Index("ix_notifications_batch", "batch_id", postgresql_where=text("batch_id IS NOT NULL")),
    Index("ix_notifications_digest", "digest_key", postgresql_where=text("digest_key IS NOT NULL")),
    Index("ix_notifications_tenant_created", "tenant_id", "created_at"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("total", Integer, nullable=False),
    _now("created_at"),
    Index("uq_batches_idempotency", "tenant_id", "idempotency_key", unique=True),
)

templates = Table(
    "templates",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("channel", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("default_locale", Text, nullable=False),
    Column("localizations", JSONB, nullable=False),
    Column("variables", JSONB, nullable=False),
    Column("provider_template_id", Text, nullable=False, server_default=""),
    Column("version", Integer, nullable=False, server_default=text("1")),
    _now("created_at"),
    _now("updated_at"),
    Index("uq_templates_tenant_name", "tenant_id", "name", unique=True),
)

preferences = Table(
    "preferences",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("muted", Boolean, nullable=False, server_default=text("false")),
    Column("categories", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("quiet_hours", JSONB, nullable=True),
    Column("digests", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("locale", Text, nullable=False, server_default=""),
    _now("updated_at"),
    PrimaryKeyConstraint("tenant_id", "user_id"),
)

recipients = Table(
    "recipients",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("email", Text, nullable=False, server_default=""),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("locale", Text, nullable=False, server_default=""),
    _now("updated_at"),
    PrimaryKeyConstraint("tenant_id", "user_id"),
)
