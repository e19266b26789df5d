"""current_time answers in the requested IANA zone and rejects unknown ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.tools.clock import current_time
from orchestrator.tools.errors import ToolError

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_default_zone_is_utc() -> None:
    assert current_time({}, now=lambda: NOW) == "2026-01-15T12:00:00+00:00 (UTC, Thursday)"


def test_named_zone() -> None:
    assert current_time({"timezone": "Asia/Shanghai"}, now=lambda: NOW).startswith(
        "2026-01-15T20:00:00+08:00"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd"])
def test_unknown_zone(zone: str) -> None:
    with pytest.raises(ToolError, match="unknown time zone"):
        current_time({"timezone": zone}, now=lambda: NOW)
