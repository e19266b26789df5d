"""A conversation service with a fake orchestrator per test (the database comes from the parent conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from mesh.config import Settings
from tests.integration.conversation.generation.gen_harness import Chat, close_chat, open_chat


@pytest_asyncio.fixture
async def chat(conv_settings: Settings) -> AsyncIterator[Chat]:
    running = await open_chat(conv_settings)
    try:
        yield running
    finally:
        await close_chat(running)
