"""Alert rule evaluation: when a rule fires, when it resolves, when a notification may go out.

One incident is one FIRING → RESOLVED cycle: the first evaluation that meets the condition
opens it (and notifies), later ones only track the peak, and the first evaluation that no
longer meets it closes it (and notifies). ``cooldown`` suppresses the firing notification
of a new incident opened too soon after the previous one was notified (a flapping rule).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

__all__ = ["COMPARISONS", "METRICS", "Decision", "RuleSpec", "Target", "Transition", "decide"]

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "greater": operator.gt,
    "greater_or_equal": operator.ge,
    "less": operator.lt,
    "less_or_equal": operator.le,
}
METRICS = (
    "request_count",
    "error_rate",
    "token_count",
    "cost",
    "latency_p95",
    "latency_p99",
    "time_to_first_token_p95",
    "cost_vs_last_week",
)


class Transition(Enum):
    NONE = "none"
    FIRE = "fire"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class Decision:
    transition: Transition
    notify: bool
    state: str  # the rule's state after this evaluation: "ok" or "firing"


def decide(
    *,
    state: str,
    comparison: str,
    value: float,
    threshold: float,
    now: datetime,
    last_notified: datetime | None,
    cooldown: timedelta,
) -> Decision:
    """What one evaluation of a rule in ``state`` ("ok"/"firing"/"resolved") with ``value`` does."""
    met = COMPARISONS[comparison](value, threshold)
    firing = state == "firing"
    if met and not firing:
        quiet = last_notified is None or now - last_notified >= cooldown
        return Decision(Transition.FIRE, quiet, "firing")
    if firing and not met:
        return Decision(Transition.RESOLVE, True, "ok")
    return Decision(Transition.NONE, False, "firing" if firing else "ok")


@dataclass(frozen=True)
class Target:
    channel: str  # "email", "sms", "in_app"
    recipient: str


@dataclass(frozen=True)
class RuleSpec:
    """A rule as its owner wrote it (validated by the API layer)."""

    name: str
    description: str
    metric: str
    filter: dict[str, str]
    comparison: str
    threshold: float
    window_seconds: int
    evaluation_seconds: int
    cooldown_seconds: int
    targets: tuple[Target, ...]
    enabled: bool

    def values(self) -> dict[str, object]:
        """The rule's table columns."""
        return {
            "name": self.name,
            "description": self.description,
            "metric": self.metric,
            "filter": self.filter,
            "comparison": self.comparison,
            "threshold": self.threshold,
            "window_seconds": self.window_seconds,
            "evaluation_seconds": self.evaluation_seconds,
            "cooldown_seconds": self.cooldown_seconds,
            "targets": [{"channel": t.channel, "recipient": t.recipient} for t in self.targets],
            "enabled": self.enabled,
        }
