from mesh.launcher.backoff import RestartBackoff


def test_delays_double_from_one_second_and_cap_at_thirty() -> None:
    backoff = RestartBackoff()
    delays = [backoff.next_delay(uptime_seconds=0.5) for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]


def test_a_run_that_stayed_up_sixty_seconds_resets_the_delay() -> None:
    backoff = RestartBackoff()
    for _ in range(4):
        backoff.next_delay(uptime_seconds=1)
    assert backoff.next_delay(uptime_seconds=60) == 1
    assert backoff.next_delay(uptime_seconds=2) == 2


def test_a_run_just_short_of_stable_does_not_reset() -> None:
    backoff = RestartBackoff()
    backoff.next_delay(uptime_seconds=0)
    backoff.next_delay(uptime_seconds=0)
    assert backoff.next_delay(uptime_seconds=59.9) == 4


def test_long_crash_loops_stay_capped_without_overflow() -> None:
    backoff = RestartBackoff()
    for _ in range(5000):
        delay = backoff.next_delay(uptime_seconds=0)
    assert delay == 30
    assert backoff.consecutive_crashes == 5000


def test_custom_policy() -> None:
    backoff = RestartBackoff(initial_seconds=0.1, cap_seconds=0.3, stable_after_seconds=5)
    assert [backoff.next_delay(0) for _ in range(4)] == [0.1, 0.2, 0.3, 0.3]
