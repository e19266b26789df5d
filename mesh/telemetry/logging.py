"""Structured logs: one JSON object per line, stamped with service, trace and request ids.

Logs go to stdout (the launcher and container runtimes collect it) through the stdlib
``logging`` module, so third-party libraries' records get the same shape. The request id
lives in a context variable set by the server interceptor; the trace and span ids are read
from the current OpenTelemetry span at the moment a record is emitted, unless the caller
passed them explicitly in ``extra`` (the per-RPC line is written after its span ended).
"""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from contextvars import ContextVar, Token
from itertools import islice
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = [
    "JsonFormatter",
    "LogSampling",
    "TextFormatter",
    "current_request_id",
    "current_trace_ids",
    "new_request_id",
    "reset_request_id",
    "set_request_id",
    "setup_logging",
]

_request_id: ContextVar[str | None] = ContextVar("chatmesh_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_N_STANDARD = len(logging.makeLogRecord({}).__dict__)
_ID_FIELDS = ("trace_id", "span_id", "request_id")
# One encoder for every record: json.dumps with options builds a new one per call, and
# JSONEncoder.encode still builds a C encoder per call; this one is built once.
_encoder = json.JSONEncoder(default=str, ensure_ascii=False)
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_c_encoder = (
    _make_c_encoder(None, str, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    if _make_c_encoder is not None
    else None
)


def _encode(entry: dict[str, Any]) -> str:
    if _c_encoder is None:
        return _encoder.encode(entry)
    try:
        return "".join(_c_encoder(entry, 0))
    except (TypeError, ValueError, RecursionError):
        return _encoder.encode(entry)


class LogSampling:
    """Which access lines to write: every failed or slow call, and ``rate`` of the others.

    A rate of 1 (the default) writes every line; a busy service can keep, say, 1% of its
    fast successful calls (``access_log_sample_rate``) while failures and calls slower than
    ``access_log_slow_ms`` are always logged, and the metrics still count every call.
    """

    __slots__ = ("rate", "slow_seconds")

    def __init__(self, rate: float = 1.0, slow_ms: float = 500.0) -> None:
        self.rate = rate
        self.slow_seconds = slow_ms / 1000

    def keep(self, ok: bool, elapsed: float) -> bool:
        return self.rate >= 1.0 or not ok or elapsed >= self.slow_seconds or random.random() < self.rate


def new_request_id() -> str:
    """128 random bits as hex. Not a secret, so the fast non-cryptographic generator will do."""
    return f"{random.getrandbits(128):032x}"


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> Token[str | None]:
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Undo :func:`set_request_id`; tolerant of a generator finalised in another context."""
    try:
        _request_id.reset(token)
    except ValueError:
        _request_id.set(None)


def current_trace_ids() -> tuple[str | None, str | None]:
    """(trace_id, span_id) of the current span as lowercase hex, or Nones outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


_second_cache: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    """ISO-8601 UTC with milliseconds; the seconds part is formatted once per second."""
    global _second_cache
    second = int(record.created)
    if _second_cache[0] != second:
        _second_cache = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_second_cache[1]}.{int((record.created - second) * 1000):03d}Z"


def _ids(record: logging.LogRecord) -> tuple[str | None, str | None, str | None]:
    """(trace_id, span_id, request_id): explicit ``extra`` values win over the current context."""
    trace_id = getattr(record, "trace_id", None)
    span_id = getattr(record, "span_id", None)
    if trace_id is None:
        trace_id, span_id = current_trace_ids()
    return trace_id, span_id, getattr(record, "request_id", None) or _request_id.get()


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_text:
        return record.exc_text
    return formatter.formatException(record.exc_info) if record.exc_info else None


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """Fields passed with ``extra=``. LogRecord.__init__ always sets the same attributes in
    the same order and extras are added after it, so only the tail needs looking at."""
    tail = islice(record.__dict__.items(), _N_STANDARD, None)
    return {k: v for k, v in tail if k not in _STANDARD_ATTRS and k not in _ID_FIELDS and k[0] != "_"}


class JsonFormatter(logging.Formatter):
    """Fixed keys first (ts, level, service, logger, message, ids), then ``extra`` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id, request_id = _ids(record)
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": trace_id,
            "span_id": span_id,
            "request_id": request_id,
        }
        for key, value in _extras(record).items():
            entry.setdefault(key, value)
        exc = _exception_text(self, record)
        if exc:
            entry["exc"] = exc
        if record.stack_info:
            entry["stack"] = record.stack_info
        return _encode(entry)


class TextFormatter(logging.Formatter):
    """Human-friendly single lines for a terminal (``CHATMESH_LOG_FORMAT=text``)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        ids = zip(_ID_FIELDS, _ids(record), strict=True)
        tags = " ".join(f"{k}={v}" for k, v in ids if v)
        extras = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = (
            f"{_timestamp(record)} {record.levelname:<7} {self.service} {record.name}: {record.getMessage()}"
        )
        if extras:
            line += f" {extras}"
        if tags:
            line += f" [{tags}]"
        exc = _exception_text(self, record)
        if exc:
            line += "\n" + exc
        return line


def setup_logging(service: str, settings: Settings) -> None:
    """Route the root logger to stdout in the configured format and level (idempotent).

    Lines logged on an event loop are written once per loop iteration (see
    :mod:`mesh.telemetry.log_writer`) instead of one system call each.
    """
    from mesh.telemetry.log_writer import BatchingHandler

    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, BatchingHandler)]:
        root.removeHandler(handler)
        handler.close()
    handler = BatchingHandler(sys.stdout)
    formatter = JsonFormatter(service) if settings.log_format == "json" else TextFormatter(service)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
