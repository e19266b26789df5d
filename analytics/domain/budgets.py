"""Budget periods and thresholds: which shares of a budget the spend has crossed this period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analytics.domain.alerts import Target

__all__ = ["DEFAULT_THRESHOLDS", "PERIODS", "SCOPES", "BudgetSpec", "crossed", "period_start"]

DEFAULT_THRESHOLDS = (0.8, 0.95, 1.0)
PERIODS = ("daily", "monthly")
SCOPES = ("tenant", "user", "api_key")


@dataclass(frozen=True)
class BudgetSpec:
    name: str
    scope: str
    subject_id: str
    amount: int
    period: str
    thresholds: tuple[float, ...]
    targets: tuple[Target, ...]

    def values(self) -> dict[str, object]:
        return {
            "name": self.name,
            "scope": self.scope,
            "subject_id": self.subject_id,
            "amount": self.amount,
            "period": self.period,
            "thresholds": list(self.thresholds),
            "targets": [{"channel": t.channel, "recipient": t.recipient} for t in self.targets],
        }


def period_start(period: str, now: datetime) -> datetime:
    """Start (UTC) of the daily or monthly period holding ``now``."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.replace(day=1) if period == "monthly" else day


def crossed(thresholds: tuple[float, ...] | list[float], amount: int, spent: int) -> list[float]:
    """The thresholds (shares of ``amount``) that ``spent`` has reached, lowest first."""
    return sorted(t for t in thresholds if spent >= t * amount)
