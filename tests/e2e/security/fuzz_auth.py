"""Schemathesis hooks for the fuzz runs (via ``SCHEMATHESIS_HOOKS``): log in, and again after a 401.

A fuzzed call may end the caller's own credential (logout, password change, key rotation…);
schemathesis then asks ``get`` for a fresh token and replays the call once, so later calls
still reach the handlers instead of stopping at the edge with 401.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import schemathesis


@schemathesis.auth(refresh_interval=3600)
class LoginAuth:
    """Bearer token of ``CHATMESH_FUZZ_EMAIL`` / ``CHATMESH_FUZZ_PASSWORD`` at ``CHATMESH_FUZZ_GATEWAY``."""

    def get(self, case: Any, context: Any) -> str:
        response = httpx.post(
            f"{os.environ['CHATMESH_FUZZ_GATEWAY']}/v1/auth:login",
            json={
                "email": os.environ["CHATMESH_FUZZ_EMAIL"],
                "password": os.environ["CHATMESH_FUZZ_PASSWORD"],
            },
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["accessToken"])

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
