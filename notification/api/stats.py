"""GetDeliveryStats: delivery counters of a tenant per channel over a time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chatmesh.notification.v1 import notifications_pb2 as pb

from mesh.errors import FieldViolation, InvalidArgument
from notification.api.caller import acting_tenant
from notification.api.convert import CHANNEL_FROM_PB, CHANNEL_TO_PB
from notification.store import notifications as store

if TYPE_CHECKING:
    from notification.deps import NotificationDeps

__all__ = ["StatsApi"]

_COUNTED = ("pending", "sent", "delivered", "failed", "suppressed")


def _finish(counts: pb.DeliveryCounts) -> pb.DeliveryCounts:
    reachable = counts.total - counts.suppressed
    counts.delivery_rate = (counts.delivered + counts.sent) / reachable if reachable else 0.0
    return counts


class StatsApi:
    deps: NotificationDeps

    async def GetDeliveryStats(
        self, request: pb.GetDeliveryStatsRequest, context: Any
    ) -> pb.GetDeliveryStatsResponse:
        end = request.end_time.ToDatetime(UTC) if request.HasField("end_time") else datetime.now(UTC)
        start = (
            request.start_time.ToDatetime(UTC) if request.HasField("start_time") else end - timedelta(days=7)
        )
        if start >= end:
            raise InvalidArgument("bad range", [FieldViolation("start_time", "must be before end_time")])
        tenant_id = await acting_tenant(request.tenant_id)
        channel = CHANNEL_FROM_PB[request.channel].value if request.channel in CHANNEL_FROM_PB else ""
        async with self.deps.sessions() as db:
            rows = await store.stats(
                db,
                tenant_id=tenant_id,
                start=start,
                end=end,
                channel=channel,
                template_id=request.template_id,
                category=request.category,
            )
        totals = pb.DeliveryCounts()
        per: dict[str, pb.DeliveryCounts] = {}
        every: list[Any] = list(rows)
        for name, status, count, read in every:
            for target in (totals, per.setdefault(name, pb.DeliveryCounts())):
                target.total += count
                target.read += read
                field = "failed" if status == "bounced" else status
                if field in _COUNTED:
                    setattr(target, field, getattr(target, field) + count)
        return pb.GetDeliveryStatsResponse(
            totals=_finish(totals),
            channels=[
                pb.ChannelDeliveryStats(channel=CHANNEL_TO_PB.get(name, 0), counts=_finish(counts))
                for name, counts in sorted(per.items())
            ],
        )
