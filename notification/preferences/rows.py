"""Preferences rows ↔ the domain value (JSON columns to dataclasses and back)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from notification.domain.preferences import Preferences, QuietHours

__all__ = ["preferences_from_row", "quiet_to_json"]


def preferences_from_row(row: Row[Any] | None) -> Preferences:
    if row is None:
        return Preferences()
    quiet = QuietHours(**row.quiet_hours) if row.quiet_hours else None
    return Preferences(
        muted=row.muted,
        categories=dict(row.categories),
        quiet_hours=quiet,
        locale=row.locale,
        digests={k: int(v) for k, v in (row.digests or {}).items()},
    )


def quiet_to_json(quiet: QuietHours | None) -> dict[str, str] | None:
    if quiet is None:
        return None
    return {"start": quiet.start, "end": quiet.end, "time_zone": quiet.time_zone}
