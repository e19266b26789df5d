"""The circuit breaker's state machine, driven by a fake clock."""

from __future__ import annotations

from model_router.domain.breaker import CLOSED, HALF_OPEN, OPEN, BreakerPolicy, CircuitBreaker

POLICY = BreakerPolicy(
    consecutive_failures=3, error_rate=0.5, window_seconds=10, min_requests=10, cooldown_seconds=5
)


def test_opens_after_consecutive_failures_and_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(POLICY)
    breaker.failure(0, "http_500")
    breaker.failure(0, "http_500")
    breaker.success(0)
    breaker.failure(0, "http_500")
    assert breaker.failure(0, "http_500") is None
    assert breaker.state == CLOSED
    opened = breaker.failure(0.5, "http_503", 503)
    assert opened is not None
    assert (opened.from_state, opened.to_state, opened.http_status) == (CLOSED, OPEN, 503)
    assert "3 consecutive failures" in opened.reason
    assert breaker.state == OPEN


def test_opens_on_error_rate_only_with_enough_volume() -> None:
    breaker = CircuitBreaker(POLICY)
    for _ in range(3):  # F F S: never 3 in a row; 6 of 9 failed, but 9 is under the volume of 10
        breaker.failure(1, "timeout")
        breaker.failure(1, "timeout")
        breaker.success(1)
    assert breaker.state == CLOSED
    opened = breaker.failure(1, "timeout")  # 7 of 10
    assert breaker.state == OPEN
    assert opened is not None and "error rate 7/10" in opened.reason


def test_error_rate_at_the_threshold_does_not_open() -> None:
    breaker = CircuitBreaker(POLICY)
    for _ in range(6):
        breaker.success(1)
        breaker.failure(1, "timeout")
    assert breaker.state == CLOSED  # after each failure exactly half failed: not over 50%


def test_window_slides_so_old_failures_are_forgotten() -> None:
    breaker = CircuitBreaker(POLICY)
    for _ in range(9):
        breaker.success(0)
    for _ in range(2):
        breaker.failure(0, "http_500")
        breaker.success(0)
    # At t=20 the first 13 outcomes are outside the 10 s window: 2 failures among 3 is under volume.
    breaker.success(20)
    breaker.failure(20, "http_500")
    breaker.success(20)
    breaker.failure(20, "http_500")
    assert breaker.state == CLOSED


def _opened() -> CircuitBreaker:
    breaker = CircuitBreaker(POLICY)
    for _ in range(3):
        breaker.failure(100, "http_500")
    assert breaker.state == OPEN
    return breaker


def test_open_admits_nothing_until_the_cool_down_then_exactly_one_trial() -> None:
    breaker = _opened()
    assert breaker.admit(103) == (False, None)
    admitted, transition = breaker.admit(105)
    assert admitted and transition is not None
    assert (transition.from_state, transition.to_state) == (OPEN, HALF_OPEN)
    assert breaker.admit(105.1) == (False, None)
    assert breaker.admit(106) == (False, None)


def test_half_open_success_closes() -> None:
    breaker = _opened()
    breaker.admit(105)
    closed = breaker.success(105.2)
    assert closed is not None and (closed.from_state, closed.to_state) == (HALF_OPEN, CLOSED)
    assert breaker.admit(105.3) == (True, None)
    assert breaker.open_seconds(200) == 0


def test_half_open_failure_reopens_for_another_cool_down_and_the_streak_continues() -> None:
    breaker = _opened()
    breaker.admit(105)
    reopened = breaker.failure(105.5, "http_502", 502)
    assert reopened is not None and (reopened.from_state, reopened.to_state) == (HALF_OPEN, OPEN)
    assert breaker.admit(109) == (False, None)
    assert breaker.admit(110.5)[0] is True
    assert breaker.open_seconds(110.5) == 10.5  # since the first opening at t=100


def test_a_trial_that_never_reports_back_lets_another_one_through_later() -> None:
    breaker = _opened()
    assert breaker.admit(105)[0]
    assert not breaker.admit(107)[0]
    assert breaker.admit(110)[0]


def test_force_turns_open_into_half_open_before_the_cool_down() -> None:
    breaker = _opened()
    forced = breaker.force(101)
    assert forced is not None and forced.to_state == HALF_OPEN
    assert breaker.success(101.1) is not None
    assert breaker.state == CLOSED


def test_probe_success_closes_an_open_breaker() -> None:
    breaker = _opened()
    closed = breaker.probe_succeeded()
    assert closed is not None and closed.reason == "probe succeeded"
    assert breaker.state == CLOSED
    assert CircuitBreaker(POLICY).probe_succeeded() is None
