"""Health tests run model_router with short health intervals, set through the environment as an
operator would; everything else comes from tests/integration/model_router/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from mesh.config import Settings
from model_router.store import tables
from tests.integration.model_router.harness import Router, running_router

SHORT_INTERVALS = {
    "BREAKER_CONSECUTIVE_FAILURES": "2",
    "BREAKER_COOLDOWN_SECONDS": "0.3",
    "AUTO_DISABLE_AFTER_SECONDS": "0.6",
    "PROBE_INTERVAL_SECONDS": "0.3",
    "MONITOR_TICK_SECONDS": "0.1",
    "KEY_COOLDOWN_SECONDS": "0.5",
    "PROBE_TIMEOUT_SECONDS": "5",
}


@pytest_asyncio.fixture
async def router(mr_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Router]:
    for name, value in SHORT_INTERVALS.items():
        monkeypatch.setenv(f"CHATMESH_MODEL_ROUTER_{name}", value)
    async with running_router(mr_settings, clear=tables.channels, reload_seconds=0.5) as running:
        yield running
