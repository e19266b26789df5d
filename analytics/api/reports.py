"""Reports: ExportReport streams the file at once; CreateReport queues a job whose file
GetReport, ListReports, DownloadReport and DeleteReport then reach (the requester's only)."""

from __future__ import annotations

import uuid
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
from analytics.reports.jobs import job_values
from analytics.store import reports as store
from mesh.auth import current_principal
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from mesh.paging import decode_offset, encode_offset, page_size

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


_STATES: dict[int, str] = {
    reports_pb2.REPORT_STATE_PENDING: "pending",
    reports_pb2.REPORT_STATE_RUNNING: "running",
    reports_pb2.REPORT_STATE_SUCCEEDED: "succeeded",
    reports_pb2.REPORT_STATE_FAILED: "failed",
}
_STATE_NUMBERS = {v: k for k, v in _STATES.items()}


def _report_message(row: Any) -> reports_pb2.Report:
    message = reports_pb2.Report(
        id=str(row.id),
        spec=reports_pb2.ReportSpec.FromString(row.spec),
        state=_STATE_NUMBERS[row.state],  # type: ignore[arg-type]
        row_count=row.row_count,
        size_bytes=row.size_bytes,
        error_message=row.error_message,
        requested_by_user_id=row.requested_by,
        tenant_id=row.tenant_id,
        create_time=convert.timestamp(row.created_at),
        expire_time=convert.timestamp(row.expires_at),
    )
    if row.completed_at is not None:
        message.complete_time.CopyFrom(convert.timestamp(row.completed_at))
    return message


def _report_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument("bad report id", [FieldViolation("report_id", "must be a report id")]) from None


def _missing() -> NotFound:
    return NotFound("report not found", reason="REPORT_NOT_FOUND")


class ReportsApi:
    """Reports belong to whoever asked for them: another user's report reads as NOT_FOUND."""

    deps: AnalyticsDeps

    async def _own(self, report_id: uuid.UUID) -> Any:
        caller = await usage_caller()
        async with self.deps.sessions() as session:
            row = await store.get_report(session, caller.tenant_id, current_principal().subject, report_id)
        if row is None:
            raise _missing()
        return row

    async def CreateReport(
        self, request: reports_pb2.CreateReportRequest, context: Any
    ) -> reports_pb2.CreateReportResponse:
        report, wanted = _report_request(self.deps, request.report.spec)
        caller = await usage_caller()
        where = scoped(caller, wanted)
        values = job_values(ReportRequest(report.kind, report.fmt, where, report.span, report.group_by))
        assert self.deps.reports is not None
        async with self.deps.sessions() as session, session.begin():
            row = await store.insert_report(
                session,
                {
                    "tenant_id": caller.tenant_id,
                    "requested_by": current_principal().subject,
                    "spec": request.report.spec.SerializeToString(),
                    "scope": values,
                    "expires_at": self.deps.reports.expiry(),
                },
            )
        return reports_pb2.CreateReportResponse(report=_report_message(row))

    async def GetReport(
        self, request: reports_pb2.GetReportRequest, context: Any
    ) -> reports_pb2.GetReportResponse:
        return reports_pb2.GetReportResponse(
            report=_report_message(await self._own(_report_id(request.report_id)))
        )

    async def ListReports(
        self, request: reports_pb2.ListReportsRequest, context: Any
    ) -> reports_pb2.ListReportsResponse:
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        if request.state and request.state not in _STATES:
            raise InvalidArgument("bad state", [FieldViolation("state", f"unknown state {request.state}")])
        caller = await usage_caller()
        async with self.deps.sessions() as session:
            rows = await store.list_reports(
                session,
                caller.tenant_id,
                current_principal().subject,
                _STATES.get(request.state, ""),
                offset,
                size + 1,
            )
        return reports_pb2.ListReportsResponse(
            reports=[_report_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def DeleteReport(
        self, request: reports_pb2.DeleteReportRequest, context: Any
    ) -> reports_pb2.DeleteReportResponse:
        row = await self._own(_report_id(request.report_id))
        async with self.deps.sessions() as session, session.begin():
            await store.delete_report(session, row.id)
        return reports_pb2.DeleteReportResponse()

    async def DownloadReport(
        self, request: reports_pb2.DownloadReportRequest, context: Any
    ) -> AsyncIterator[reports_pb2.DownloadReportResponse]:
        row = await self._own(_report_id(request.report_id))
        if row.state != "succeeded":
            raise FailedPrecondition(f"the report is {row.state}", reason="REPORT_NOT_READY")
        first = True
        async for data in store.chunks(self.deps.engine, row.id):
            if first:
                yield reports_pb2.DownloadReportResponse(
                    data=data, content_type=row.content_type, file_name=row.file_name
                )
                first = False
            else:
                yield reports_pb2.DownloadReportResponse(data=data)

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
