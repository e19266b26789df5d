"""Seed one upstream channel from settings, so a user with a provider key chats right after `make run`.

``CHATMESH_SEED_CHANNEL_BASE_URL`` (plus type, models and API key) describe the
channel named ``seed``. Every start brings that channel in line with the
settings and changes nothing when they are unchanged; the key is stored
encrypted, never in clear.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.secrets import key_hint, secret_box
from model_router.store import channels as channel_store
from model_router.store.channels import CHANNEL_KEY_CONTEXT, ChannelSpec, StoredKey

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = ["SEED_CHANNEL_NAME", "SeedResult", "ensure_seed_channel"]

logger = logging.getLogger(__name__)

SEED_CHANNEL_NAME = "seed"


@dataclass(frozen=True)
class SeedResult:
    channel_id: uuid.UUID | None  # None when no seed channel is configured
    changed: bool


async def ensure_seed_channel(engine: AsyncEngine, settings: Settings) -> SeedResult:
    """Create or update the ``seed`` channel when ``settings.seed_channel_base_url`` is set."""
    if not settings.seed_channel_base_url:
        return SeedResult(None, changed=False)
    spec = ChannelSpec(
        name=SEED_CHANNEL_NAME,
        type=settings.seed_channel_type,
        base_url=settings.seed_channel_base_url.rstrip("/"),
        models=tuple(settings.seed_channel_models),
    )
    box = secret_box(settings)
    api_key = settings.seed_channel_api_key
    wanted = (
        [
            StoredKey(
                ciphertext=box.encrypt(api_key, CHANNEL_KEY_CONTEXT),
                fingerprint=box.fingerprint(api_key, CHANNEL_KEY_CONTEXT),
                hint=key_hint(api_key),
            )
        ]
        if api_key
        else []
    )
    changed = False
    async with engine.begin() as conn:
        await channel_store.lock_seeding(conn)
        current = await channel_store.channel_by_name(conn, spec.name)
        if current is None:
            channel_id = await channel_store.insert_channel(conn, spec)
            changed = True
        else:
            channel_id = current["id"]
            if (current["type"], current["base_url"], tuple(current["models"])) != (
                spec.type,
                spec.base_url,
                spec.models,
            ):
                await channel_store.update_channel(conn, channel_id, spec)
                changed = True
        if await channel_store.key_fingerprints(conn, channel_id) != {key.fingerprint for key in wanted}:
            await channel_store.replace_keys(conn, channel_id, wanted)
            changed = True
    if changed:
        logger.info(
            "seed channel written",
            extra={"channel_id": str(channel_id), "type": spec.type, "models": list(spec.models)},
        )
    return SeedResult(channel_id, changed)
