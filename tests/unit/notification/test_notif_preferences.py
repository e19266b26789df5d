"""Preference rules: opt-outs per category and channel, security never muted, quiet hours in local time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notification.domain.kinds import Channel, Priority, Status, can_move
from notification.domain.preferences import Preferences, QuietHours, decide

NOON_UTC = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_opt_out_is_per_category_and_channel() -> None:
    prefs = Preferences(categories={"product": {"email": False}})
    assert not decide(prefs, "product", Channel.EMAIL, Priority.NORMAL, NOON_UTC).allowed
    assert decide(prefs, "product", Channel.IN_APP, Priority.NORMAL, NOON_UTC).allowed
    assert decide(prefs, "billing", Channel.EMAIL, Priority.NORMAL, NOON_UTC).allowed


def test_security_notices_ignore_mute_and_opt_out() -> None:
    prefs = Preferences(muted=True, categories={"security": {"email": False}})
    assert decide(prefs, "security", Channel.EMAIL, Priority.NORMAL, NOON_UTC).allowed
    assert not decide(prefs, "product", Channel.IN_APP, Priority.NORMAL, NOON_UTC).allowed


def test_quiet_hours_hold_email_until_they_end_in_the_users_zone() -> None:
    # 12:00 UTC is 20:00 in Shanghai, inside 19:00-07:00.
    prefs = Preferences(quiet_hours=QuietHours("19:00", "07:00", "Asia/Shanghai"))
    held = decide(prefs, "product", Channel.EMAIL, Priority.NORMAL, NOON_UTC)
    assert held.allowed
    assert held.send_at is not None
    assert held.send_at.astimezone(UTC) == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("channel", "priority"), [(Channel.IN_APP, Priority.NORMAL), (Channel.EMAIL, Priority.HIGH)]
)
def test_quiet_hours_never_hold_the_inbox_or_urgent_messages(channel: Channel, priority: Priority) -> None:
    prefs = Preferences(quiet_hours=QuietHours("19:00", "07:00", "Asia/Shanghai"))
    assert decide(prefs, "product", channel, priority, NOON_UTC).send_at is None


def test_outside_quiet_hours_nothing_waits() -> None:
    prefs = Preferences(quiet_hours=QuietHours("22:00", "23:00", "UTC"))
    assert decide(prefs, "product", Channel.SMS, Priority.NORMAL, NOON_UTC).send_at is None


def test_status_only_moves_forward() -> None:
    assert can_move(Status.PENDING, Status.SENT)
    assert can_move(Status.SENT, Status.DELIVERED)
    assert not can_move(Status.BOUNCED, Status.DELIVERED)
    assert not can_move(Status.DELIVERED, Status.SENT)
    assert not can_move(Status.FAILED, Status.PENDING)


def test_a_digest_category_waits_for_the_end_of_its_aligned_window() -> None:
    prefs = Preferences(digests={"news": 3600})
    held = decide(prefs, "news", Channel.EMAIL, Priority.NORMAL, NOON_UTC.replace(minute=20))
    assert held.digest and held.send_at == datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
    assert not decide(prefs, "news", Channel.IN_APP, Priority.NORMAL, NOON_UTC).digest
    assert not decide(prefs, "news", Channel.EMAIL, Priority.HIGH, NOON_UTC).digest
    assert not decide(
        Preferences(digests={"security": 3600}), "security", Channel.EMAIL, Priority.NORMAL, NOON_UTC
    ).digest


def test_a_digest_lists_every_item_once_and_counts_them_in_the_subject() -> None:
    from notification.domain.digest import compose

    subject, body = compose([("a", "first"), ("b", "second\n")])
    assert subject == "2 notifications: a"
    assert body == "* a\nfirst\n\n* b\nsecond\n"
    assert compose([("only", "one")]) == ("only", "one")
