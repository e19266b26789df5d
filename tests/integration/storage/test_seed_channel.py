"""Seeding the upstream channel from settings, with its key encrypted at rest."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.config import Settings
from mesh.db import create_engine
from mesh.migrate import migrate
from mesh.secrets import SECRET_KEY_FILE, secret_box
from model_router.channels.seed import ensure_seed_channel
from model_router.store.channels import CHANNEL_KEY_CONTEXT
from model_router.store.tables import channel_keys, channels

API_KEY = "sk-test-0123456789abcdefWXYZ"


@pytest_asyncio.fixture(loop_scope="session")
async def engine(fresh_settings: Settings) -> AsyncIterator[AsyncEngine]:
    await migrate(fresh_settings, ["model_router"])
    engine = create_engine(fresh_settings, "model_router")
    yield engine
    await engine.dispose()


def _seeded(settings: Settings, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "seed_channel_base_url": "http://127.0.0.1:9/v1/",
        "seed_channel_api_key": API_KEY,
        "seed_channel_models": ["gpt-4o-mini", "gpt-4o"],
        **overrides,
    }
    return settings.model_copy(update=values)


async def _keys(engine: AsyncEngine) -> list[tuple[bytes, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(channel_keys.c.key_ciphertext, channel_keys.c.key_hint))
        return [(bytes(r.key_ciphertext), r.key_hint) for r in rows]


async def test_nothing_is_seeded_without_a_base_url(engine: AsyncEngine, fresh_settings: Settings) -> None:
    result = await ensure_seed_channel(engine, fresh_settings)
    assert result.channel_id is None and not result.changed
    async with engine.connect() as conn:
        assert (await conn.execute(select(channels.c.id))).first() is None


async def test_seed_channel_is_created_once_with_an_encrypted_key(
    engine: AsyncEngine, fresh_settings: Settings
) -> None:
    settings = _seeded(fresh_settings)
    first = await ensure_seed_channel(engine, settings)
    assert first.changed and first.channel_id is not None

    async with engine.connect() as conn:
        row = (await conn.execute(select(channels).where(channels.c.id == first.channel_id))).one()
    assert (row.name, row.type, row.base_url, row.models) == (
        "seed",
        "openai",
        "http://127.0.0.1:9/v1",
        ["gpt-4o-mini", "gpt-4o"],
    )
    assert row.status == "enabled"
    [(ciphertext, hint)] = await _keys(engine)
    assert API_KEY.encode() not in ciphertext
    assert hint == "WXYZ"
    assert secret_box(settings).decrypt(ciphertext, CHANNEL_KEY_CONTEXT) == API_KEY.encode()
    key_file = settings.data_dir / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    again = await ensure_seed_channel(engine, settings)
    assert again.channel_id == first.channel_id and not again.changed
    assert await _keys(engine) == [(ciphertext, hint)]


async def test_changed_settings_update_the_seed_channel(
    engine: AsyncEngine, fresh_settings: Settings
) -> None:
    first = await ensure_seed_channel(engine, _seeded(fresh_settings))
    changed = _seeded(
        fresh_settings,
        seed_channel_api_key="sk-rotated-key-9876",
        seed_channel_models=["deepseek-chat"],
        seed_channel_base_url="http://127.0.0.1:9/other",
    )
    second = await ensure_seed_channel(engine, changed)
    assert second.changed and second.channel_id == first.channel_id

    [(ciphertext, hint)] = await _keys(engine)
    assert hint == "9876"
    assert secret_box(changed).decrypt(ciphertext, CHANNEL_KEY_CONTEXT) == b"sk-rotated-key-9876"
    async with engine.connect() as conn:
        row = (await conn.execute(select(channels.c.models, channels.c.base_url))).one()
    assert (row.models, row.base_url) == (["deepseek-chat"], "http://127.0.0.1:9/other")

    keyless = await ensure_seed_channel(engine, _seeded(changed, seed_channel_api_key=None))
    assert keyless.changed
    assert await _keys(engine) == []


async def test_configured_secret_key_is_used_instead_of_the_file(
    engine: AsyncEngine, fresh_settings: Settings
) -> None:
    settings = _seeded(fresh_settings, secret_key="operator-provided-secret")
    await ensure_seed_channel(engine, settings)
    [(ciphertext, _)] = await _keys(engine)
    assert secret_box(settings).decrypt(ciphertext, CHANNEL_KEY_CONTEXT) == API_KEY.encode()
    assert not (settings.data_dir / SECRET_KEY_FILE).exists()
