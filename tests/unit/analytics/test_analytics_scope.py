"""Who sees which usage, and when alerts fire, resolve and notify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.domain.alerts import Transition, decide
from analytics.domain.scope import Reach, UsageCaller, UsageFilter, scoped
from mesh.errors import PermissionDenied

ALICE = UsageCaller("t1", "alice", Reach.OWN)
ADMIN = UsageCaller("t1", "admin", Reach.TENANT)
ROOT = UsageCaller("t0", "root", Reach.PLATFORM)


def test_plain_users_are_pinned_to_themselves() -> None:
    assert scoped(ALICE, UsageFilter(model="m")) == UsageFilter(tenant_id="t1", user_id="alice", model="m")
    for overreach in (UsageFilter(user_id="bob"), UsageFilter(tenant_id="t2")):
        with pytest.raises(PermissionDenied):
            scoped(ALICE, overreach)


def test_tenant_admins_see_their_tenant_and_platform_admins_everything() -> None:
    assert scoped(ADMIN, UsageFilter(user_id="bob")) == UsageFilter(tenant_id="t1", user_id="bob")
    with pytest.raises(PermissionDenied):
        scoped(ADMIN, UsageFilter(tenant_id="t2"))
    assert scoped(ROOT, UsageFilter()) == UsageFilter()
    assert scoped(ROOT, UsageFilter(tenant_id="t2")) == UsageFilter(tenant_id="t2")


NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _decide(state: str, value: float, last: datetime | None = None) -> tuple[Transition, bool, str]:
    d = decide(
        state=state,
        comparison="greater",
        value=value,
        threshold=0.5,
        now=NOW,
        last_notified=last,
        cooldown=timedelta(minutes=30),
    )
    return d.transition, d.notify, d.state


def test_one_incident_fires_once_and_resolves_once() -> None:
    assert _decide("ok", 0.9) == (Transition.FIRE, True, "firing")
    assert _decide("firing", 0.95) == (Transition.NONE, False, "firing")
    assert _decide("firing", 0.1) == (Transition.RESOLVE, True, "ok")
    assert _decide("ok", 0.1) == (Transition.NONE, False, "ok")


def test_a_flapping_rule_is_quiet_within_the_cooldown() -> None:
    assert _decide("ok", 0.9, last=NOW - timedelta(minutes=5)) == (Transition.FIRE, False, "firing")
    assert _decide("ok", 0.9, last=NOW - timedelta(hours=1)) == (Transition.FIRE, True, "firing")
