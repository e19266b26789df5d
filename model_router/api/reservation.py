"""A stream's quota reservation, run while the upstream is asked (model_router.api.inference).

The reservation is a task of its own: the caller going away does not cancel it half-way
(its outcome is always known, so a hold is never left behind), and whoever books the
request afterwards waits for it first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from chatmesh.model_router.v1 import chat_pb2

from model_router.domain.cost import TokenUsage
from model_router.usage.metering import Meter

__all__ = ["once_reserved", "refusal", "start_reservation"]


def start_reservation(
    meter: Meter, target: str, estimate: Callable[[], TokenUsage], billing: chat_pb2.BillingHint
) -> asyncio.Task[None]:
    """Count the estimate and hold it, in a task of its own."""

    async def reserve() -> None:
        await meter.reserve(target, estimate(), billing)

    return asyncio.create_task(reserve())


async def refusal(reservation: asyncio.Task[None]) -> BaseException | None:
    """The reservation's error, or None once it holds (a cancelled caller does not cancel it)."""
    try:
        await asyncio.shield(reservation)
    except asyncio.CancelledError:
        if not reservation.done():
            raise
        return asyncio.CancelledError()
    except Exception as exc:
        return exc
    return None


async def once_reserved(reservation: asyncio.Task[None], then: Callable[[], Awaitable[None]]) -> None:
    """Book a cut-short stream after its reservation settled (nothing to book when it was refused)."""
    try:
        await reservation
    except Exception:
        return
    await then()
