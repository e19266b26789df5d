"""Fixtures shared by the provider adapter tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for calling the adapters' transport directly, as the relay does."""
    async with httpx.AsyncClient() as client:
        yield client
