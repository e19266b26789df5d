"""ExportReport: CSV and JSON Lines streamed in pieces, one row per request, scoped like queries."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chatmesh.analytics.v1 import reports_pb2, usage_pb2
from google.protobuf import timestamp_pb2

from analytics.config import AnalyticsSettings
from analytics.deps import AnalyticsDeps
from mesh.config import Settings
from tests.integration.analytics.analytics_events import usage_envelope
from tests.integration.analytics.analytics_harness import as_user, serving, violations

START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def _export(stub: Any, who: str, **spec: Any) -> tuple[list[reports_pb2.ExportReportResponse], bytes]:
    spec.setdefault("start_time", _ts(START))
    spec.setdefault("end_time", _ts(START + timedelta(hours=2)))
    pieces = [
        piece
        async for piece in stub.ExportReport(
            reports_pb2.ExportReportRequest(spec=reports_pb2.ReportSpec(**spec)), metadata=as_user(who)
        )
    ]
    return pieces, b"".join(piece.data for piece in pieces)


async def test_request_log_csv_streams_one_row_per_request(
    analytics_settings: Settings, deps: AnalyticsDeps
) -> None:
    model = f"m-{uuid.uuid4().hex[:6]}"
    envelopes = [
        usage_envelope(START + timedelta(seconds=17 * i), user="alice-id", model=model, prompt=i, cost=i)
        for i in range(300)
    ]
    envelopes += [usage_envelope(START + timedelta(minutes=5), user="bob-id", model=model) for _ in range(7)]
    assert deps.ingestor is not None
    await deps.ingestor.apply(envelopes)
    deps.settings = AnalyticsSettings(export_chunk_bytes=4096, export_fetch_rows=50)
    async with serving(analytics_settings, deps) as stub:
        log = reports_pb2.REPORT_TYPE_REQUEST_LOG
        pieces, data = await _export(stub, "alice", type=log, filter=usage_pb2.UsageFilter(model=model))
        assert (
            len(pieces) > 3 and pieces[0].content_type == "text/csv" and pieces[0].file_name.endswith(".csv")
        )
        assert pieces[-1].row_count == 300
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        assert len(rows) == 300 and {r["user_id"] for r in rows} == {"alice-id"}
        assert sum(int(r["prompt_tokens"]) for r in rows) == sum(range(300))
        assert [r["occurred_at"] for r in rows] == sorted(r["occurred_at"] for r in rows)

        _, admin = await _export(
            stub,
            "admin",
            type=log,
            format=reports_pb2.REPORT_FORMAT_JSONL,
            filter=usage_pb2.UsageFilter(model=model),
        )
        lines = [json.loads(line) for line in admin.decode().splitlines()]
        assert len(lines) == 307

        summary = reports_pb2.REPORT_TYPE_USAGE_SUMMARY
        _, data = await _export(
            stub,
            "admin",
            type=summary,
            granularity=usage_pb2.GRANULARITY_HOUR,
            group_by=[usage_pb2.USAGE_DIMENSION_USER],
            filter=usage_pb2.UsageFilter(model=model),
        )
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        assert sum(int(r["requests"]) for r in rows) == 307
        assert {r["user_id"] for r in rows} == {"alice-id", "bob-id"}

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _export(stub, "alice", type=log, filter=usage_pb2.UsageFilter(user_id="bob-id"))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _export(stub, "alice")
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "spec.type" in violations(caught.value)


async def test_report_jobs_build_in_the_background_for_their_owner_only(
    analytics_settings: Settings, deps: AnalyticsDeps
) -> None:
    model = f"m-{uuid.uuid4().hex[:6]}"
    assert deps.ingestor is not None and deps.reports is not None
    await deps.ingestor.apply(
        [usage_envelope(START + timedelta(minutes=i), user="alice-id", model=model) for i in range(25)]
    )
    await deps.ingestor.apply([usage_envelope(START + timedelta(minutes=3), user="bob-id", model=model)])
    async with serving(analytics_settings, deps) as stub:
        spec = reports_pb2.ReportSpec(
            type=reports_pb2.REPORT_TYPE_REQUEST_LOG,
            filter=usage_pb2.UsageFilter(model=model),
            start_time=_ts(START),
            end_time=_ts(START + timedelta(hours=2)),
        )
        created = (
            await stub.CreateReport(
                reports_pb2.CreateReportRequest(report=reports_pb2.Report(spec=spec)),
                metadata=as_user("alice"),
            )
        ).report
        assert (
            created.state == reports_pb2.REPORT_STATE_PENDING and created.requested_by_user_id == "alice-id"
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.DownloadReport(
                reports_pb2.DownloadReportRequest(report_id=created.id), metadata=as_user("alice")
            ):
                pass
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

        assert await deps.reports.run_once() == 1
        got = (
            await stub.GetReport(
                reports_pb2.GetReportRequest(report_id=created.id), metadata=as_user("alice")
            )
        ).report
        assert (
            got.state == reports_pb2.REPORT_STATE_SUCCEEDED and got.row_count == 25
        )  # alice's own rows only
        pieces = [
            p
            async for p in stub.DownloadReport(
                reports_pb2.DownloadReportRequest(report_id=created.id), metadata=as_user("alice")
            )
        ]
        rows = list(csv.DictReader(io.StringIO(b"".join(p.data for p in pieces).decode())))
        assert (
            len(rows) == 25
            and pieces[0].content_type == "text/csv"
            and got.size_bytes == sum(len(p.data) for p in pieces)
        )

        for who in ("bob", "admin"):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetReport(
                    reports_pb2.GetReportRequest(report_id=created.id), metadata=as_user(who)
                )
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        listed = await stub.ListReports(reports_pb2.ListReportsRequest(), metadata=as_user("alice"))
        assert created.id in [r.id for r in listed.reports]
        await stub.DeleteReport(
            reports_pb2.DeleteReportRequest(report_id=created.id), metadata=as_user("alice")
        )
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetReport(
                reports_pb2.GetReportRequest(report_id=created.id), metadata=as_user("alice")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
