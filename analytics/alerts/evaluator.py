"""Placeholder replaced below."""

from __future__ import annotations

from typing import Any


class AlertEvaluator:
    def __init__(self, sessions: Any, settings: Any) -> None:
        self._sessions = sessions

    async def run_once(self) -> int:
        return 0
