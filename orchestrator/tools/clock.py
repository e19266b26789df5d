"""The current_time built-in: the time now in a named IANA time zone (UTC by default)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orchestrator.tools.errors import ToolError

__all__ = ["PARAMETERS", "current_time"]

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "timezone": {
            "type": "string",
            "description": "IANA time zone such as 'Europe/Paris' or 'Asia/Shanghai' (default UTC).",
            "maxLength": 64,
        }
    },
    "additionalProperties": False,
}


def current_time(arguments: dict[str, Any], now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    name = str(arguments.get("timezone") or "UTC")
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris'") from None
    local = now().astimezone(zone)
    return f"{local.isoformat(timespec='seconds')} ({name}, {local.strftime('%A')})"
