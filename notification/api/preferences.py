"""GetPreferences / UpdatePreferences: the caller's own (or, for admins, a user of their tenant)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatmesh.notification.v1 import preferences_pb2 as pb

from mesh.errors import FieldViolation, InvalidArgument
from notification.api.caller import target_user
from notification.api.convert import CHANNEL_FROM_PB, preferences_to_pb
from notification.domain.kinds import SECURITY_CATEGORIES
from notification.domain.preferences import Preferences, QuietHours, parse_clock, parse_zone, valid_category
from notification.preferences.rows import preferences_from_row, quiet_to_json
from notification.store import people

if TYPE_CHECKING:
    from notification.deps import NotificationDeps

__all__ = ["PreferencesApi"]

_PATHS = ("muted", "categories", "quiet_hours", "locale")
MAX_CATEGORIES = 100
MAX_DIGEST_SECONDS = 7 * 24 * 3600


def _categories(
    given: Any, problems: list[FieldViolation], digests: dict[str, int], min_digest: int
) -> dict[str, dict[str, bool]]:
    """Channel switches per category; digest windows (0 = none) are collected into ``digests``."""
    result: dict[str, dict[str, bool]] = {}
    for i, entry in enumerate(given):
        where = f"preferences.categories[{i}]"
        if not valid_category(entry.category):
            problems.append(FieldViolation(f"{where}.category", "is not a category name"))
        elif entry.category in SECURITY_CATEGORIES:
            problems.append(FieldViolation(f"{where}.category", "security notices cannot be turned off"))
        switches = {}
        for j, switch in enumerate(entry.channels):
            channel = CHANNEL_FROM_PB.get(switch.channel)
            if channel is None:
                problems.append(
                    FieldViolation(f"{where}.channels[{j}].channel", "must be EMAIL, SMS or IN_APP")
                )
                continue
            switches[channel.value] = switch.enabled
        result[entry.category] = switches
        if entry.HasField("digest_window"):
            seconds = entry.digest_window.seconds
            if seconds and not min_digest <= seconds <= MAX_DIGEST_SECONDS:
                problems.append(
                    FieldViolation(f"{where}.digest_window", f"must be between {min_digest} s and 7 days")
                )
            digests[entry.category] = seconds
    if len(result) > MAX_CATEGORIES:
        problems.append(FieldViolation("preferences.categories", f"at most {MAX_CATEGORIES} categories"))
    return result


def _quiet(given: pb.QuietHours, present: bool, problems: list[FieldViolation]) -> QuietHours | None:
    if not present or not (given.start or given.end):
        return None
    for name, value in (("start", given.start), ("end", given.end)):
        try:
            parse_clock(value)
        except ValueError as exc:
            problems.append(FieldViolation(f"preferences.quiet_hours.{name}", str(exc)))
    try:
        parse_zone(given.time_zone or "UTC")
    except ValueError as exc:
        problems.append(FieldViolation("preferences.quiet_hours.time_zone", str(exc)))
    return QuietHours(given.start, given.end, given.time_zone or "UTC")


class PreferencesApi:
    deps: NotificationDeps

    async def GetPreferences(
        self, request: pb.GetPreferencesRequest, context: Any
    ) -> pb.GetPreferencesResponse:
        who = await target_user(request.user_id)
        async with self.deps.sessions() as db:
            row = await people.get_preferences(db, who.tenant_id, who.user_id)
        value = preferences_from_row(row)
        return pb.GetPreferencesResponse(
            preferences=preferences_to_pb(who.user_id, value, row.updated_at if row is not None else None)
        )

    async def UpdatePreferences(
        self, request: pb.UpdatePreferencesRequest, context: Any
    ) -> pb.UpdatePreferencesResponse:
        given = request.preferences
        paths = list(request.update_mask.paths) or [f.name for f, _ in given.ListFields() if f.name in _PATHS]
        problems = [FieldViolation("update_mask", f"cannot update {p!r}") for p in paths if p not in _PATHS]
        digests: dict[str, int] = {}
        categories = (
            _categories(given.categories, problems, digests, self.deps.config.min_digest_window_seconds)
            if "categories" in paths
            else {}
        )
        quiet = (
            _quiet(given.quiet_hours, given.HasField("quiet_hours"), problems)
            if "quiet_hours" in paths
            else None
        )
        if "locale" in paths and len(given.locale) > 35:
            problems.append(FieldViolation("preferences.locale", "is not a BCP 47 tag"))
        if problems:
            raise InvalidArgument("invalid preferences", problems)
        who = await target_user(request.user_id)
        now = datetime.now(UTC)
        async with self.deps.sessions.begin() as db:
            current: Preferences = preferences_from_row(
                await people.get_preferences(db, who.tenant_id, who.user_id)
            )
            if "muted" in paths:
                current = replace(current, muted=given.muted)
            if "categories" in paths:
                merged = {**current.digests, **digests}
                current = replace(
                    current,
                    categories={**current.categories, **categories},
                    digests={k: v for k, v in merged.items() if v},
                )
            if "quiet_hours" in paths:
                current = replace(current, quiet_hours=quiet)
            if "locale" in paths:
                current = replace(current, locale=given.locale)
            row = await people.put_preferences(
                db,
                {
                    "tenant_id": who.tenant_id,
                    "user_id": who.user_id,
                    "muted": current.muted,
                    "categories": current.categories,
                    "quiet_hours": quiet_to_json(current.quiet_hours),
                    "locale": current.locale,
                    "digests": current.digests,
                    "updated_at": now,
                },
            )
        return pb.UpdatePreferencesResponse(
            preferences=preferences_to_pb(who.user_id, current, row.updated_at)
        )
