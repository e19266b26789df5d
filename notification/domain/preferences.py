"""Whether (and when) a notification may go out, from the recipient's preferences.

Opt-out is per category and channel; "muted" silences every category. Security notices
(password reset, new sign-in, email change) ignore both: muting them would let an attacker's
actions go unnoticed. Quiet hours hold SMS and email of normal priority until the period
ends, in the user's time zone; the in-app inbox always receives at once (it makes no noise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notification.domain.kinds import SECURITY_CATEGORIES, Channel, Priority

__all__ = [
    "Decision",
    "Preferences",
    "QuietHours",
    "decide",
    "digest_window_end",
    "parse_clock",
    "parse_zone",
]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class QuietHours:
    start: str
    end: str
    time_zone: str


@dataclass(frozen=True)
class Preferences:
    muted: bool = False
    # category -> channel -> enabled
    categories: dict[str, dict[str, bool]] = field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    locale: str = ""
    # category -> digest window in seconds
    digests: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    send_at: datetime | None = None  # set when quiet hours or a digest hold the notification
    digest: bool = False  # collected with the others of its window into one message


def valid_category(name: str) -> bool:
    return bool(_CATEGORY.match(name))


def parse_clock(text: str) -> time:
    match = _CLOCK.match(text)
    if not match:
        raise ValueError("must be HH:MM (24-hour clock)")
    return time(int(match[1]), int(match[2]))


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as Asia/Shanghai") from exc


def _quiet_until(quiet: QuietHours, now: datetime) -> datetime | None:
    """End of the quiet period ``now`` falls in, or None outside it."""
    zone = parse_zone(quiet.time_zone or "UTC")
    start, end = parse_clock(quiet.start), parse_clock(quiet.end)
    if start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(second=0, microsecond=0)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # crosses midnight
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone)


def decide(
    prefs: Preferences, category: str, channel: Channel, priority: Priority, now: datetime
) -> Decision:
    """Allowed now, allowed later (quiet hours), or suppressed with the reason."""
    if category in SECURITY_CATEGORIES:
        return Decision(True)
    if prefs.muted:
        return Decision(False, "the recipient muted notifications")
    if prefs.categories.get(category, {}).get(channel.value, True) is False:
        return Decision(False, f"the recipient turned off {category} on {channel.value}")
    if channel is Channel.IN_APP or priority is Priority.HIGH:
        return Decision(True)
    window = prefs.digests.get(category, 0) if channel in (Channel.EMAIL, Channel.SMS) else 0
    send_at = digest_window_end(window, now) if window else now
    until = _quiet_until(prefs.quiet_hours, send_at) if prefs.quiet_hours is not None else None
    if window:
        return Decision(True, "held for the digest", send_at=until or send_at, digest=True)
    return Decision(True, "held for quiet hours", send_at=until) if until else Decision(True)


def digest_window_end(window_seconds: int, now: datetime) -> datetime:
    """End of the window ``now`` falls in; windows are aligned to the epoch so every
    notification of one window (on any instance) gets the same end, hence one digest."""
    stamp = now.timestamp()
    return datetime.fromtimestamp((stamp // window_seconds + 1) * window_seconds, tz=UTC)
