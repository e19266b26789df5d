"""Queries of channels and their keys, and stored channel rows as domain values.

Channel keys are stored encrypted (``mesh.secrets.SecretBox``) with a keyed
fingerprint, so a key can be found or deduplicated without decrypting every
row, and a hint (last four characters) for admins.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    any_,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from model_router.domain.channels import ChannelKey, ModelAbility, RoutableChannel
from model_router.store.tables import channel_keys, channels

# Authenticated context of channel key ciphertexts and fingerprints (mesh.secrets.SecretBox).
CHANNEL_KEY_CONTEXT = b"model_router.channel_key"
_SEED_LOCK = 0x6D_72_5F_73_65_65_64  # "mr_seed"
# Redis pub/sub channel (mesh.invalidation) an admin change publishes on after its commit.
CHANNELS_CHANGED = "model_router:channels:changed"

# Abilities are stored as ``{"<model or pattern>": {"streaming": true, "max_context_tokens": 128000}}``;
# absent keys mean unknown.
_FLAGS = ("streaming", "tools", "vision", "audio", "embeddings", "reasoning")
_LIMITS = ("max_context_tokens", "max_output_tokens")


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


# Admin and registry queries; rows come back as plain dicts.

CHANNEL_COLUMNS = (
    "name",
    "type",
    "base_url",
    "priority",
    "weight",
    "groups",
    "models",
    "model_mapping",
    "abilities",
    "test_model",
)


async def create_channel(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    row = (await conn.execute(channels.insert().values(**values).returning(*channels.c))).one()
    return dict(row._mapping)


async def get_channel(
    conn: AsyncConnection, channel_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = select(channels).where(channels.c.id == channel_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else dict(row._mapping)


async def patch_channel(
    conn: AsyncConnection, channel_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any] | None:
    """Change ``values`` and bump ``updated_at`` (the etag); None when the channel does not exist."""
    row = (
        await conn.execute(
            update(channels)
            .where(channels.c.id == channel_id)
            .values(**values, updated_at=func.clock_timestamp())
            .returning(*channels.c)
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)


async def delete_channel(conn: AsyncConnection, channel_id: uuid.UUID) -> bool:
    result = await conn.execute(delete(channels).where(channels.c.id == channel_id).returning(channels.c.id))
    return result.one_or_none() is not None


@dataclass(frozen=True)
class ChannelFilter:
    """ListChannels' filters; empty values do not filter."""

    type: str = ""
    status: str = ""
    group: str = ""
    model: str = ""
    name_contains: str = ""
    tag: str = ""


# ListChannels order_by values and their ORDER BY (id last, so pages are stable).
CHANNEL_ORDERS: dict[str, tuple[Any, ...]] = {
    "": (channels.c.priority.desc(), channels.c.name),
    "priority desc": (channels.c.priority.desc(), channels.c.name),
    "priority": (channels.c.priority, channels.c.name),
    "name": (channels.c.name,),
    "name desc": (channels.c.name.desc(),),
    "create_time": (channels.c.created_at,),
    "create_time desc": (channels.c.created_at.desc(),),
}


def _channel_where(flt: ChannelFilter) -> list[Any]:
    where: list[Any] = []
    if flt.type:
        where.append(channels.c.type == flt.type)
    if flt.status:
        where.append(channels.c.status == flt.status)
    if flt.group:
        where.append(literal(flt.group) == any_(channels.c.groups))
    if flt.tag:
        where.append(literal(flt.tag) == any_(channels.c.tags))
    if flt.name_contains:
        escaped = flt.name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(channels.c.name.ilike(f"%{escaped}%", escape="\\"))
    if flt.model:
        pattern = func.unnest(channels.c.models).column_valued("pattern")
        serves = (
            select(1)
            .where(
                (pattern == flt.model)
                | ((func.right(pattern, 1) == "*") & func.starts_with(flt.model, func.left(pattern, -1)))
            )
            .exists()
        )
        where.append(serves | channels.c.model_mapping.has_key(flt.model))
    return where


async def list_channels(
    conn: AsyncConnection, flt: ChannelFilter, *, order_by: str, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page in ``order_by`` (a key of :data:`CHANNEL_ORDERS`) and the total matching the filter."""
    where = _channel_where(flt)
    total = (await conn.execute(select(func.count()).select_from(channels).where(*where))).scalar_one()
    rows = await conn.execute(
        select(channels)
        .where(*where)
        .order_by(*CHANNEL_ORDERS[order_by], channels.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows], int(total)


def usable_key() -> Any:
    """Active keys, and keys whose cool-down is over."""
    return (channel_keys.c.status == "active") | (
        (channel_keys.c.status == "cooling_down") & (channel_keys.c.cooldown_until <= func.now())
    )


async def key_counts(
    conn: AsyncConnection, channel_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(stored, usable now) keys per channel."""
    if not channel_ids:
        return {}
    usable = usable_key()
    rows = await conn.execute(
        select(
            channel_keys.c.channel_id,
            func.count(),
            func.count().filter(usable),
        )
        .where(channel_keys.c.channel_id.in_(channel_ids))
        .group_by(channel_keys.c.channel_id)
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def insert_keys(
    conn: AsyncConnection, channel_id: uuid.UUID, keys: Sequence[StoredKey]
) -> list[dict[str, Any]]:
    """Insert keys, skipping fingerprints already stored for the channel; returns the new rows."""
    if not keys:
        return []
    stmt = (
        pg_insert(channel_keys)
        .values(
            [
                {
                    "channel_id": channel_id,
                    "key_ciphertext": k.ciphertext,
                    "key_fingerprint": k.fingerprint,
                    "key_hint": k.hint,
                }
                for k in keys
            ]
        )
        .on_conflict_do_nothing(index_elements=[channel_keys.c.channel_id, channel_keys.c.key_fingerprint])
        .returning(*channel_keys.c)
    )
    return [dict(r._mapping) for r in await conn.execute(stmt)]


async def list_keys(
    conn: AsyncConnection, channel_id: uuid.UUID, *, status: str | None, offset: int, limit: int
) -> list[dict[str, Any]]:
    where = [channel_keys.c.channel_id == channel_id]
    if status is not None:
        where.append(channel_keys.c.status == status)
    rows = await conn.execute(
        select(channel_keys)
        .where(*where)
        .order_by(channel_keys.c.created_at, channel_keys.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def set_key_status(
    conn: AsyncConnection, channel_id: uuid.UUID, key_id: uuid.UUID, status: str, reason: str | None
) -> dict[str, Any] | None:
    """Set an operator's status; any cool-down ends. None when the key is not the channel's."""
    row = (
        await conn.execute(
            update(channel_keys)
            .where(channel_keys.c.channel_id == channel_id, channel_keys.c.id == key_id)
            .values(status=status, reason=reason, cooldown_until=None, updated_at=func.clock_timestamp())
            .returning(*channel_keys.c)
        )
    ).one_or_none()
    return None if row is None else dict(row._mapping)


async def delete_key(conn: AsyncConnection, channel_id: uuid.UUID, key_id: uuid.UUID) -> bool:
    result = await conn.execute(
        delete(channel_keys)
        .where(channel_keys.c.channel_id == channel_id, channel_keys.c.id == key_id)
        .returning(channel_keys.c.id)
    )
    return result.one_or_none() is not None


async def touch_channel(conn: AsyncConnection, channel_id: uuid.UUID) -> None:
    """Bump the channel's etag after a change to its keys, so registries notice it."""
    await conn.execute(
        update(channels).where(channels.c.id == channel_id).values(updated_at=func.clock_timestamp())
    )


async def routing_fingerprint(conn: AsyncConnection) -> tuple[Any, ...]:
    """Cheap summary that changes whenever anything routing depends on changes (checked periodically)."""
    chans = (await conn.execute(select(func.count(), func.max(channels.c.updated_at)))).one()
    keys = (
        await conn.execute(
            select(func.count(), func.max(channel_keys.c.updated_at), func.count().filter(usable_key()))
        )
    ).one()
    return (*chans, *keys)


async def routable_rows(conn: AsyncConnection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Enabled channels and their keys usable now (active, or cool-down over)."""
    return await rows_with_usable_keys(conn, "enabled")


async def rows_with_usable_keys(
    conn: AsyncConnection, status: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Channels in ``status`` and their keys usable now, oldest key first."""
    rows = await conn.execute(select(channels).where(channels.c.status == status))
    keys = await conn.execute(
        select(channel_keys.c.id, channel_keys.c.channel_id, channel_keys.c.key_ciphertext)
        .join(channels, channels.c.id == channel_keys.c.channel_id)
        .where(channels.c.status == status, usable_key())
        .order_by(channel_keys.c.created_at, channel_keys.c.id)
    )
    return [dict(r._mapping) for r in rows], [dict(r._mapping) for r in keys]


def abilities_from_json(data: Mapping[str, Any] | None) -> tuple[ModelAbility, ...]:
    result = []
    for pattern, values in (data or {}).items():
        fields = {k: values[k] for k in (*_FLAGS, *_LIMITS) if isinstance(values, Mapping) and k in values}
        result.append(ModelAbility(pattern=pattern, **fields))
    return tuple(result)


def abilities_to_json(abilities: Sequence[ModelAbility]) -> dict[str, dict[str, Any]]:
    return {
        a.pattern: {k: getattr(a, k) for k in (*_FLAGS, *_LIMITS) if getattr(a, k) is not None}
        for a in abilities
    }


def routable_channel(row: Mapping[str, Any], keys: tuple[ChannelKey, ...]) -> RoutableChannel:
    return RoutableChannel(
        id=str(row["id"]),
        name=row["name"],
        type=row["type"],
        base_url=row["base_url"],
        models=tuple(row["models"] or ()),
        groups=frozenset(row["groups"] or ("default",)),
        model_mapping=dict(row["model_mapping"] or {}),
        priority=int(row["priority"]),
        weight=int(row["weight"]),
        abilities=abilities_from_json(row["abilities"]),
        keys=keys,
        test_model=row["test_model"],
        timeout_seconds=None if row.get("timeout_ms") is None else row["timeout_ms"] / 1000,
        settings=dict(row.get("settings") or {}),
        created=int(row["created_at"].timestamp()) if row.get("created_at") else 0,
        key_selection=row.get("key_selection") or "random",
    )
