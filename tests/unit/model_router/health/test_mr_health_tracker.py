"""The live health tracker: in-flight counts, transitions queued for the history, forgetting channels."""

from __future__ import annotations

from model_router.config import ModelRouterSettings
from model_router.health.tracker import ChannelHealth


def make() -> ChannelHealth:
    return ChannelHealth(ModelRouterSettings(breaker_consecutive_failures=2, breaker_cooldown_seconds=5))


def test_in_flight_counts_go_up_and_down_and_never_below_zero() -> None:
    health = make()
    health.started("a")
    health.started("a")
    health.finished("a")
    assert health.in_flight("a") == 1
    health.finished("a")
    health.finished("a")
    assert health.in_flight("a") == 0


def test_transitions_are_queued_with_their_source_until_drained() -> None:
    health = make()
    health.failed("a", "http_502", 502)
    health.failed("a", "http_502", 502)
    health.probe_succeeded("a")
    drained = health.drain()
    assert [(t.from_circuit, t.to_circuit, t.source) for t in drained] == [
        ("closed", "open", "traffic"),
        ("open", "closed", "probe"),
    ]
    assert drained[0].http_status == 502 and "2 consecutive failures" in drained[0].reason
    assert health.drain() == []
    assert "a" not in health.unavailable


def test_successes_alone_create_no_breaker_and_no_events() -> None:
    health = make()
    for _ in range(100):
        health.succeeded("a", 0.1, stream=False)
    assert health.circuit("a") == "closed" and health.drain() == [] and not health.unavailable


def test_retain_forgets_channels_that_left_the_snapshot() -> None:
    health = make()
    for channel_id in ("gone", "kept"):
        health.failed(channel_id, "timeout")
        health.failed(channel_id, "timeout")
    health.no_usable_key("gone")
    health.retain(["kept"])
    assert health.unavailable == {"kept"}
    assert health.circuit("gone") == "closed"
    assert health.take_keyless() == set()


def test_keyless_reports_are_taken_once_and_cleared_by_a_success() -> None:
    health = make()
    health.no_usable_key("a")
    health.no_usable_key("b")
    health.succeeded("b", 0.1, stream=True)
    assert health.take_keyless() == {"a"}
    assert health.take_keyless() == set()


def test_open_seconds_measures_the_unhealthy_streak() -> None:
    now = [50.0]
    health = ChannelHealth(ModelRouterSettings(breaker_consecutive_failures=1), clock=lambda: now[0])
    health.failed("a", "timeout")
    now[0] = 62.5
    assert health.open_seconds("a") == 12.5
    assert health.open_seconds("never-failed") == 0.0
