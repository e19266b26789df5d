"""JSON (and text) log lines: fixed fields, ids from context, extras, exceptions."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from mesh.config import load_settings
from mesh.telemetry.logging import (
    JsonFormatter,
    TextFormatter,
    new_request_id,
    reset_request_id,
    set_request_id,
    setup_logging,
)

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("identity"))
    logger = logging.getLogger("tests.mesh.logging")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_fixed_fields_and_extras(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("user %s logged in", "u1", extra={"user_id": "u1", "attempt": 2})
    (entry,) = lines(stream)
    fixed = ["ts", "level", "service", "logger", "message", "trace_id", "span_id", "request_id"]
    assert list(entry)[:8] == fixed
    assert entry["level"] == "INFO"
    assert entry["service"] == "identity"
    assert entry["logger"] == "tests.mesh.logging"
    assert entry["message"] == "user u1 logged in"
    assert (entry["trace_id"], entry["span_id"], entry["request_id"]) == (None, None, None)
    assert (entry["user_id"], entry["attempt"]) == ("u1", 2)
    ts = str(entry["ts"])
    assert ts.endswith("Z") and len(ts) == len("2025-01-01T00:00:00.000Z")


def test_request_and_trace_ids_come_from_the_context(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    token = set_request_id("req-123")
    try:
        with trace.use_span(NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, is_remote=False))):
            logger.warning("inside")
    finally:
        reset_request_id(token)
    logger.warning("outside")
    inside, outside = lines(stream)
    assert inside["request_id"] == "req-123"
    assert inside["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert inside["span_id"] == "00f067aa0ba902b7"
    assert outside["request_id"] is None and outside["trace_id"] is None


def test_explicit_ids_win_over_the_context(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("rpc", extra={"request_id": "r1", "trace_id": "t" * 32, "span_id": "s" * 16})
    (entry,) = lines(stream)
    assert (entry["request_id"], entry["trace_id"], entry["span_id"]) == ("r1", "t" * 32, "s" * 16)


def test_exceptions_and_odd_values_stay_one_json_line(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise KeyError("missing")
    except KeyError:
        logger.exception("failed\nbadly", extra={"obj": object()})
    assert len(stream.getvalue().splitlines()) == 1
    (entry,) = lines(stream)
    assert entry["level"] == "ERROR"
    assert "KeyError: 'missing'" in str(entry["exc"])
    assert str(entry["obj"]).startswith("<object object")


def test_text_format_is_one_readable_line() -> None:
    record = logging.makeLogRecord({"name": "mesh.rpc", "levelname": "INFO", "msg": "hello", "code": "OK"})
    record.request_id = "r9"
    line = TextFormatter("identity").format(record)
    assert "INFO" in line and "identity mesh.rpc: hello" in line
    assert "code=OK" in line and "request_id=r9" in line


def test_request_ids_are_unique_hex() -> None:
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_setup_logging_replaces_its_own_handler_only() -> None:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        setup_logging("identity", load_settings(_env_file=None, log_level="WARNING"))
        setup_logging("identity", load_settings(_env_file=None, log_format="text", log_level="DEBUG"))
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
        assert isinstance(added[0].formatter, TextFormatter)
        assert root.level == logging.DEBUG
    finally:
        root.handlers[:] = before
        root.setLevel(level)
