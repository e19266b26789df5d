"""analytics's gRPC servicer: one class assembled from per-feature mixins.

Whatever no mixin overrides answers UNIMPLEMENTED through the sanctioned stub base.
"""

from __future__ import annotations

from chatmesh.analytics.v1 import analytics_pb2, analytics_pb2_grpc

from analytics.api.alerts import AlertsApi
from analytics.api.budgets import BudgetsApi
from analytics.api.live import LiveApi
from analytics.api.reports import ReportsApi
from analytics.api.usage import UsageApi
from analytics.deps import AnalyticsDeps
from mesh.server import ServiceBinding, unimplemented

__all__ = ["SERVICE_NAME", "AnalyticsServicer", "binding"]

SERVICE_NAME: str = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name

_Unbuilt = unimplemented(analytics_pb2_grpc.AnalyticsServiceServicer, issue="no mixin serves it")


class AnalyticsServicer(
    UsageApi,
    LiveApi,
    ReportsApi,
    AlertsApi,
    BudgetsApi,
    _Unbuilt,  # type: ignore[misc,valid-type]
):
    def __init__(self, deps: AnalyticsDeps) -> None:
        self.deps = deps


def binding(deps: AnalyticsDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server,
        servicer=AnalyticsServicer(deps),
    )
