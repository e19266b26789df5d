"""ExportReport: the spec checked and scoped, then the file streamed piece by piece."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chatmesh.analytics.v1 import reports_pb2

from analytics.api import convert
from analytics.api.caller import usage_caller
from analytics.domain.scope import scoped
from analytics.domain.timeranges import Granularity
from analytics.queries.ranges import resolve_range
from analytics.reports.export import ReportRequest, export
from mesh.errors import FieldViolation, InvalidArgument

if TYPE_CHECKING:
    from analytics.deps import AnalyticsDeps

__all__ = ["ReportsApi"]

_KINDS = {
    reports_pb2.REPORT_TYPE_USAGE_SUMMARY: "usage_summary",
    reports_pb2.REPORT_TYPE_REQUEST_LOG: "request_log",
    reports_pb2.REPORT_TYPE_BILLING: "billing",
}
_FORMATS = {
    reports_pb2.REPORT_FORMAT_UNSPECIFIED: "csv",
    reports_pb2.REPORT_FORMAT_CSV: "csv",
    reports_pb2.REPORT_FORMAT_JSONL: "jsonl",
}


def _report_request(deps: AnalyticsDeps, spec: reports_pb2.ReportSpec) -> tuple[ReportRequest, Any]:
    kind = _KINDS.get(spec.type)
    fmt = _FORMATS.get(spec.format)
    bad = []
    if kind is None:
        bad.append(FieldViolation("spec.type", "must be USAGE_SUMMARY, REQUEST_LOG or BILLING"))
    if fmt is None:
        bad.append(FieldViolation("spec.format", "must be CSV or JSONL"))
    if bad:
        raise InvalidArgument("bad report spec", bad)
    assert kind is not None and fmt is not None
    wanted = convert.usage_filter(spec.filter, "spec.filter")
    dimensions = convert.group_by(spec.group_by, "spec.group_by") if kind == "usage_summary" else []
    if kind == "billing":
        granularity = Granularity.DAY
    else:
        granularity = (
            convert.granularity(spec.granularity, Granularity.DAY, "spec.granularity") or Granularity.DAY
        )
    span = resolve_range(
        deps.settings,
        start=convert.when(spec, "start_time"),
        end=convert.when(spec, "end_time"),
        default_span=timedelta(days=7),
        granularity=granularity,
        tz_name=spec.time_zone,
    )
    request = ReportRequest(kind, fmt, wanted, span, [column for column, _ in dimensions])
    return request, wanted


class ReportsApi:
    deps: AnalyticsDeps

    async def ExportReport(
        self, request: reports_pb2.ExportReportRequest, context: Any
    ) -> AsyncIterator[reports_pb2.ExportReportResponse]:
        report, wanted = _report_request(self.deps, request.spec)
        where = scoped(await usage_caller(), wanted)
        report = ReportRequest(report.kind, report.fmt, where, report.span, report.group_by)
        async for piece in export(self.deps.engine, self.deps.sessions, self.deps.settings, report):
            yield reports_pb2.ExportReportResponse(
                data=piece.data,
                content_type=piece.content_type,
                file_name=piece.file_name,
                row_count=piece.rows,
            )
