"""model_router's tables (schema ``model_router``) and the queries seeding needs.

Channel keys are stored encrypted (``mesh.secrets.SecretBox``) with a keyed
fingerprint, so a key can be found or deduplicated without decrypting every
row, and a hint (last four characters) for admins.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.db import outbox_table, service_metadata

metadata = service_metadata("model_router")
outbox = outbox_table(metadata)

# Authenticated context of channel key ciphertexts and fingerprints (mesh.secrets.SecretBox).
CHANNEL_KEY_CONTEXT = b"model_router.channel_key"
_SEED_LOCK = 0x6D_72_5F_73_65_65_64  # "mr_seed"

CHANNEL_STATUSES = ("enabled", "manually_disabled", "auto_disabled")
KEY_STATUSES = ("active", "cooling_down", "disabled")

channels = Table(
    "channels",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("base_url", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="enabled"),
    Column("status_reason", Text, nullable=True),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("weight", Integer, nullable=False, server_default=text("1")),
    Column("groups", ARRAY(Text), nullable=False, server_default=text("'{default}'::text[]")),
    Column("models", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("model_mapping", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("abilities", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("test_model", Text, nullable=True),
    Column("used_quota", BigInteger, nullable=False, server_default=text("0")),
    Column("balance", Numeric, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("name"),
    CheckConstraint("status IN ('enabled', 'manually_disabled', 'auto_disabled')", name="status_known"),
    CheckConstraint("weight >= 0", name="weight_non_negative"),
)

channel_keys = Table(
    "channel_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("channel_id", UUID(as_uuid=True), ForeignKey(channels.c.id, ondelete="CASCADE"), nullable=False),
    Column("key_ciphertext", LargeBinary, nullable=False),
    Column("key_fingerprint", LargeBinary, nullable=False),
    Column("key_hint", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="active"),
    Column("cooldown_until", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("channel_id", "key_fingerprint"),
    CheckConstraint("status IN ('active', 'cooling_down', 'disabled')", name="status_known"),
    Index(None, "channel_id"),
)


@dataclass(frozen=True)
class ChannelSpec:
    """What seeding (and later the admin RPCs) write for a channel."""

    name: str
    type: str
    base_url: str
    models: tuple[str, ...]


@dataclass(frozen=True)
class StoredKey:
    ciphertext: bytes
    fingerprint: bytes
    hint: str


async def lock_seeding(conn: AsyncConnection) -> None:
    """Serialise channel seeding across model_router instances starting together (held to commit)."""
    await conn.execute(select(func.pg_advisory_xact_lock(_SEED_LOCK)))


async def channel_by_name(conn: AsyncConnection, name: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(channels.c.id, channels.c.type, channels.c.base_url, channels.c.models).where(
                channels.c.name == name
            )
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)


async def insert_channel(conn: AsyncConnection, spec: ChannelSpec) -> uuid.UUID:
    stmt = (
        channels.insert()
        .values(name=spec.name, type=spec.type, base_url=spec.base_url, models=list(spec.models))
        .returning(channels.c.id)
    )
    return (await conn.execute(stmt)).scalar_one()


async def update_channel(conn: AsyncConnection, channel_id: uuid.UUID, spec: ChannelSpec) -> None:
    await conn.execute(
        update(channels)
        .where(channels.c.id == channel_id)
        .values(type=spec.type, base_url=spec.base_url, models=list(spec.models), updated_at=func.now())
    )


async def key_fingerprints(conn: AsyncConnection, channel_id: uuid.UUID) -> set[bytes]:
    rows = await conn.execute(
        select(channel_keys.c.key_fingerprint).where(channel_keys.c.channel_id == channel_id)
    )
    return {bytes(fp) for fp in rows.scalars()}


async def replace_keys(conn: AsyncConnection, channel_id: uuid.UUID, keys: Sequence[StoredKey]) -> None:
    await conn.execute(delete(channel_keys).where(channel_keys.c.channel_id == channel_id))
    if keys:
        await conn.execute(
            channel_keys.insert(),
            [
                {
                    "channel_id": channel_id,
                    "key_ciphertext": key.ciphertext,
                    "key_fingerprint": key.fingerprint,
                    "key_hint": key.hint,
                }
                for key in keys
            ],
        )
